//! With the `ssr` feature, natively: the hook renders its initial state and opens nothing.
//!
//! Checklist:
//! - [x] a component with the hook renders to HTML on the server, showing `connecting`
//! - [x] with `immediate(false)` it shows the "not started" close
//! - [x] no socket, no closure, no timer; every action is a typed `NotOpen` error, never a panic
#![cfg(all(feature = "ssr", not(target_arch = "wasm32")))]

use std::sync::{Arc, Mutex};

use duplex_ws::{live_closures, live_timers};
use duplex_ws_leptos::{
    ConnectionState, Error, ReadyState, UseWebSocket, UseWebSocketOptions, use_websocket,
};
use leptos::prelude::*;

/// Renders a component holding the hook; returns the HTML and the hook's handle.
fn render(options: fn() -> UseWebSocketOptions) -> (String, UseWebSocket, Owner) {
    let owner = Owner::new();
    // A server renders views on any thread: the slot must be Send.
    let slot = Arc::new(Mutex::new(None));
    let handle = Arc::clone(&slot);
    let html = owner.with(move || {
        view! {
            {move || {
                let socket = use_websocket("ws://127.0.0.1:9/chat", options());
                if let Ok(mut handle) = handle.lock() {
                    *handle = Some(socket);
                }
                view! { <p>{move || socket.state.get().to_string()}</p> <p>{socket.queued}</p> }
            }}
        }
        .to_html()
    });
    let socket = slot
        .lock()
        .ok()
        .and_then(|mut slot| slot.take())
        .expect("the component ran");
    (html, socket, owner)
}

#[test]
fn the_hook_renders_its_initial_state_and_opens_nothing() {
    let (html, socket, _owner) = render(UseWebSocketOptions::new);
    assert!(html.contains("<p>connecting</p>"), "{html}");
    assert!(html.contains("<p>0</p>"), "{html}");
    assert_eq!(
        socket.state.get_untracked(),
        ConnectionState::Connecting { attempt: 0 }
    );
    assert!(socket.socket().is_none());
    assert!(
        socket
            .messages
            .with_untracked(|messages| messages.is_empty())
    );
    let not_open = Err(Error::NotOpen {
        state: ReadyState::Closed,
    });
    assert_eq!(socket.send_text("hello").map(drop), not_open);
    assert_eq!(socket.close(), not_open);
    assert_eq!(socket.reconnect(), not_open);
    assert!(socket.take_unsent().is_empty());
    assert_eq!((live_closures(), live_timers()), (0, 0));
}

#[test]
fn without_immediate_the_state_is_not_started() {
    let (html, socket, _owner) = render(|| UseWebSocketOptions::new().immediate(false));
    assert!(html.contains("not started"), "{html}");
    assert!(matches!(
        socket.state.get_untracked(),
        ConnectionState::Closed { info } if info.reason == "not started"
    ));
}
