//! `use_websocket` in a mounted Leptos component, in the browser, against the real relay.
//!
//! Checklist:
//! - [x] the state signal follows open, a backoff while the relay refuses, open again, and a close with
//!   its code and reason
//! - [x] a burst of 1,000 messages reaches `on_message` once each and in order, and `messages` keeps the
//!   last ones in order
//! - [x] typed values sent while disconnected are queued (the `queued` signal counts them) and arrive once
//!   each, in order, after the reconnect; a send after `close` is a typed error
//! - [x] a change of the URL signal moves the socket: the old connection closes with 1000, the new one
//!   echoes
//! - [x] `buffered_amount` rises with a large send and falls back to 0
//! - [x] 200 mount/unmount cycles leave `live_closures()`, `live_timers()` and the relay's connections
//!   where they were, with no console error and no uncaught exception
#![cfg(target_arch = "wasm32")]

#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/support.rs"]
mod support;

use core::cell::RefCell;
use std::rc::Rc;

use common::{
    Uncaught, close_seen_by_relay, control, quiet_period, relay_connections, unique_tag, within, ws,
};
use duplex_ws::{live_closures, live_timers};
use duplex_ws_leptos::{
    CloseCode, CloseInfo, Codec, ConnectionState, Error, Json, Message, SendStatus, SendValueError,
    UseWebSocket, UseWebSocketOptions, use_websocket,
};
use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use leptos::prelude::*;
use support::{Note, console_errors, flood_index, forward, note, quick, take};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A component with the hook in it, mounted in its own element; dropping this unmounts it.
struct Mounted<C: Codec + 'static> {
    socket: UseWebSocket<C>,
    states: UnboundedReceiver<ConnectionState>,
    unmount: Option<Box<dyn core::any::Any>>,
}

impl<C: Codec + 'static> Mounted<C> {
    fn new(url: Signal<String>, options: UseWebSocketOptions<C>) -> Self {
        let document = web_sys::window()
            .and_then(|window| window.document())
            .expect("a document");
        let parent: web_sys::HtmlElement = document
            .create_element("div")
            .expect("a div")
            .unchecked_into();
        document
            .body()
            .expect("a body")
            .append_child(&parent)
            .expect("append the div");
        let (tx, states) = unbounded();
        let slot = Rc::new(RefCell::new(None));
        let handle = Rc::clone(&slot);
        let unmount = leptos::mount::mount_to(parent, move || {
            let socket = use_websocket(url, options);
            *handle.borrow_mut() = Some(socket);
            Effect::new(move |_| drop(tx.unbounded_send(socket.state.get())));
            view! { <p>{move || socket.state.get().to_string()}</p> }
        });
        let socket = slot.borrow_mut().take().expect("the component ran");
        Self {
            socket,
            states,
            unmount: Some(Box::new(unmount)),
        }
    }

    /// The states seen up to and including the first that `done` accepts.
    async fn until(&mut self, done: impl Fn(&ConnectionState) -> bool) -> Vec<ConnectionState> {
        let mut seen = Vec::new();
        loop {
            let state = within(10_000, self.states.next())
                .await
                .unwrap_or_else(|| panic!("no state within 10 s; saw {seen:?}"))
                .expect("the component is mounted");
            let finished = done(&state);
            seen.push(state);
            if finished {
                return seen;
            }
        }
    }

    async fn until_open(&mut self) -> Vec<ConnectionState> {
        self.until(|state| *state == ConnectionState::Open).await
    }

    fn unmount(&mut self) {
        drop(self.unmount.take());
    }
}

impl<C: Codec + 'static> Drop for Mounted<C> {
    fn drop(&mut self) {
        self.unmount();
    }
}

fn url(path: &str) -> Signal<String> {
    Signal::from(ws(path))
}

#[wasm_bindgen_test]
async fn the_state_follows_open_backoff_and_close() {
    let mut mounted = Mounted::new(url("/echo"), UseWebSocketOptions::new().reconnect(quick()));
    assert_eq!(
        mounted.socket.state.get_untracked(),
        ConnectionState::Connecting { attempt: 0 }
    );
    mounted.until_open().await;

    control("/test/refuse?ms=400").await;
    control("/test/drop-all").await;
    let seen = mounted.until_open().await;
    assert!(
        seen.iter().any(
            |state| matches!(state, ConnectionState::Backoff { attempt, .. } if *attempt >= 1)
        ),
        "a backoff between the drop and the next open: {seen:?}"
    );

    mounted
        .socket
        .close_with(4000, "done")
        .expect("4000 may be sent");
    let seen = mounted
        .until(|state| matches!(state, ConnectionState::Closed { .. }))
        .await;
    assert_eq!(
        seen.last(),
        Some(&ConnectionState::Closed {
            info: CloseInfo {
                code: CloseCode::Private(4000),
                reason: "done".to_owned(),
                was_clean: true,
            }
        })
    );
    assert_eq!(
        mounted.socket.send_text("late"),
        Err(Error::NotOpen {
            state: duplex_ws::ReadyState::Closed
        }),
        "a send after close is refused, not dropped"
    );
    assert_eq!(
        mounted.socket.close_with(1001, ""),
        Err(Error::InvalidCloseCode { code: 1001 })
    );
}

#[wasm_bindgen_test]
async fn a_burst_of_a_thousand_reaches_on_message_in_order_and_the_last_ones_are_kept() {
    let (tx, mut seen) = unbounded::<Message>();
    let mut mounted = Mounted::new(
        url("/test/flood?count=1000&size=16"),
        UseWebSocketOptions::new()
            .recent(100)
            .on_message(forward(&tx)),
    );
    let indexes: Vec<String> = take(&mut seen, 1000)
        .await
        .iter()
        .map(|message| flood_index(message.as_text().expect("text")))
        .collect();
    let expected: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    assert_eq!(indexes, expected, "each once, in order");

    let kept: Vec<String> = mounted.socket.messages.with_untracked(|messages| {
        messages
            .iter()
            .map(|message| flood_index(message.as_text().unwrap_or_default()))
            .collect()
    });
    assert_eq!(kept, expected[900..], "the last 100, in order");
    quiet_period(100).await;
    assert!(seen.try_recv().is_err(), "nothing arrives twice");
    assert_eq!(mounted.socket.state.get_untracked(), ConnectionState::Open);
    mounted.unmount();
}

#[wasm_bindgen_test]
async fn typed_sends_while_disconnected_arrive_once_after_the_reconnect() {
    let (tx, mut echoes) = unbounded::<Note>();
    let mut mounted = Mounted::new(
        url("/echo"),
        UseWebSocketOptions::with_codec(Json::<Note>::new())
            .reconnect(quick())
            .on_message(forward(&tx)),
    );
    mounted.until_open().await;
    assert_eq!(mounted.socket.send(&note(0)), Ok(SendStatus::Sent));
    assert_eq!(take(&mut echoes, 1).await, [note(0)]);

    control("/test/refuse?ms=500").await;
    control("/test/drop-all").await;
    mounted
        .until(|state| matches!(state, ConnectionState::Backoff { .. }))
        .await;
    for n in 1..=3 {
        assert_eq!(
            mounted.socket.send(&note(n)),
            Ok(SendStatus::Queued { dropped: 0 })
        );
    }
    assert_eq!(mounted.socket.queued.get_untracked(), 3);
    mounted.until_open().await;
    assert_eq!(mounted.socket.queued.get_untracked(), 0, "flushed on open");
    assert_eq!(
        take(&mut echoes, 3).await,
        [note(1), note(2), note(3)],
        "once each, in order"
    );
    quiet_period(200).await;
    assert!(echoes.try_recv().is_err(), "no duplicate arrives later");

    mounted.socket.close().expect("close");
    mounted
        .until(|state| matches!(state, ConnectionState::Closed { .. }))
        .await;
    assert_eq!(
        mounted.socket.send(&note(4)),
        Err(SendValueError::Send(Error::NotOpen {
            state: duplex_ws::ReadyState::Closed
        }))
    );
}

#[wasm_bindgen_test]
async fn a_new_url_moves_the_socket() {
    let (first, second) = (unique_tag("leptos-url-a"), unique_tag("leptos-url-b"));
    let (address, set_address) = signal(ws(&format!("/echo?tag={first}")));
    let (tx, mut echoes) = unbounded::<Message>();
    let mut mounted = Mounted::new(
        address.into(),
        UseWebSocketOptions::new().on_message(forward(&tx)),
    );
    mounted.until_open().await;
    let current_url = |mounted: &Mounted<duplex_ws::Raw>| {
        mounted
            .socket
            .socket()
            .and_then(|socket| socket.socket())
            .map(|socket| socket.url())
            .unwrap_or_default()
    };
    assert!(current_url(&mounted).ends_with(&first));

    set_address.set(ws(&format!("/echo?tag={second}")));
    let seen = mounted.until_open().await;
    assert!(
        seen.contains(&ConnectionState::Connecting { attempt: 0 }),
        "a new connection: {seen:?}"
    );
    assert!(current_url(&mounted).ends_with(&second));
    let (code, _) = close_seen_by_relay(&first).await;
    assert_eq!(
        code.as_f64(),
        Some(1000.0),
        "the old connection is closed with 1000"
    );
    mounted.socket.send_text("on the new URL").expect("send");
    assert_eq!(
        take(&mut echoes, 1).await,
        [Message::from("on the new URL")]
    );
}

#[wasm_bindgen_test]
async fn the_buffered_amount_rises_with_a_large_send_and_falls_to_zero() {
    let mut mounted = Mounted::new(url("/echo"), UseWebSocketOptions::new().recent(0));
    mounted.until_open().await;
    let (tx, mut amounts) = unbounded();
    let buffered = mounted.socket.buffered_amount;
    let _watch = Effect::new(move |_| drop(tx.unbounded_send(buffered.get())));
    mounted.socket.send_bytes(&vec![7; 8 << 20]).expect("8 MiB");
    let mut seen = Vec::new();
    loop {
        let amount = within(10_000, amounts.next())
            .await
            .flatten()
            .expect("the amount drains within 10 s");
        seen.push(amount);
        if amount == 0 && seen.len() > 1 {
            break;
        }
    }
    assert!(
        seen.iter().any(|amount| *amount > 0),
        "the send was buffered: {seen:?}"
    );
    mounted.unmount();
    assert_eq!(live_timers(), 0, "the buffered amount's timer is gone");
}

#[wasm_bindgen_test]
async fn two_hundred_mount_and_unmount_cycles_leave_nothing_behind() {
    assert_eq!(
        relay_connections(0).await,
        0,
        "no connection left by other tests"
    );
    let uncaught = Uncaught::watch();
    let errors = console_errors();
    let (closures, timers) = (live_closures(), live_timers());
    for cycle in 0..200 {
        let mut mounted = Mounted::new(url("/echo"), UseWebSocketOptions::new());
        // Most wait for the open; every tenth is unmounted while it connects.
        if cycle % 10 != 0 {
            mounted.until_open().await;
        }
        mounted.unmount();
    }
    assert_eq!(live_closures(), closures, "closures released");
    assert_eq!(live_timers(), timers, "timers released");
    assert_eq!(
        relay_connections(0).await,
        0,
        "every connection closed at the relay"
    );
    assert_eq!(console_errors(), errors, "no console error");
    assert_eq!(uncaught.messages(), Vec::<String>::new());
}
