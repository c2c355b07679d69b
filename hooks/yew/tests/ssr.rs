//! With the `ssr` feature, natively: the hook renders its initial state and opens nothing.
//!
//! Checklist:
//! - [x] a component with the hook renders to HTML on the server, showing `connecting`
//! - [x] with `immediate(false)` it shows the "not started" close
//! - [x] no socket, no closure, no timer; every action is a typed `NotOpen` error, never a panic
#![cfg(all(feature = "ssr", not(target_arch = "wasm32")))]

use duplex_ws::{live_closures, live_timers};
use duplex_ws_yew::{Error, ReadyState, UseWebSocketOptions, use_websocket};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
struct Props {
    immediate: bool,
}

#[function_component]
fn Probe(props: &Props) -> Html {
    let socket = use_websocket(
        "ws://127.0.0.1:9/chat",
        UseWebSocketOptions::new().immediate(props.immediate),
    );
    let not_open = Err(Error::NotOpen {
        state: ReadyState::Closed,
    });
    let refused = [
        socket.send_text("hello").map(drop) == not_open,
        socket.close() == not_open,
        socket.reconnect() == not_open,
        socket.socket().is_none() && socket.take_unsent().is_empty(),
    ];
    html! {
        <>
            <p>{ socket.state().to_string() }</p>
            <p>{ format!("queued {} buffered {} messages {}", socket.queued(), socket.buffered_amount(), socket.messages().len()) }</p>
            <p>{ format!("refused {refused:?}") }</p>
        </>
    }
}

async fn render(immediate: bool) -> String {
    yew::ServerRenderer::<Probe>::with_props(move || Props { immediate })
        .render()
        .await
}

#[tokio::test]
async fn the_hook_renders_its_initial_state_and_opens_nothing() {
    let html = render(true).await;
    assert!(html.contains("<p>connecting</p>"), "{html}");
    assert!(html.contains("queued 0 buffered 0 messages 0"), "{html}");
    assert!(html.contains("refused [true, true, true, true]"), "{html}");
    assert_eq!((live_closures(), live_timers()), (0, 0));
}

#[tokio::test]
async fn without_immediate_the_state_is_not_started() {
    let html = render(false).await;
    assert!(html.contains("not started"), "{html}");
}
