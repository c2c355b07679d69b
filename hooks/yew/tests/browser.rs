//! `use_websocket` in a mounted Yew function component, in the browser, against the real relay.
//!
//! Checklist:
//! - [x] the state follows open, a backoff while the relay refuses, open again, and a close with its code
//!   and reason
//! - [x] a burst of 1,000 messages reaches `on_message` once each and in order, and `messages()` keeps the
//!   last ones in order
//! - [x] typed values sent while disconnected are queued (`queued()` counts them) and arrive once each, in
//!   order, after the reconnect; a send after `close` is a typed error
//! - [x] a new `url` argument moves the socket: the old connection closes with 1000, the new one echoes
//! - [x] `buffered_amount()` rises with a large send and falls back to 0
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
use duplex_ws_yew::{
    CloseCode, CloseInfo, Codec, ConnectionState, Error, Json, Message, Raw, SendStatus,
    SendValueError, UseWebSocketHandle, UseWebSocketOptions, use_websocket,
};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use support::{Note, console_errors, flood_index, forward, note, quick, take};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// What the component showed after a render.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    state: ConnectionState,
    queued: usize,
    buffered: u64,
}

/// What a test gives its component, and what the component gives back after each render.
struct Probe<C: Codec + 'static>
where
    C::Incoming: Clone,
{
    url: String,
    /// Called at every render, as a component builds its options.
    options: Box<dyn Fn() -> UseWebSocketOptions<C>>,
    shown: UnboundedSender<Shown>,
    handle: RefCell<Option<UseWebSocketHandle<C>>>,
    set_url: RefCell<Option<UseStateSetter<String>>>,
}

#[derive(Properties)]
struct ProbeProps<C: Codec + 'static>
where
    C::Incoming: Clone,
{
    probe: Rc<Probe<C>>,
}

impl<C: Codec + 'static> PartialEq for ProbeProps<C>
where
    C::Incoming: Clone,
{
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.probe, &other.probe)
    }
}

#[function_component]
fn Holder<C: Codec + 'static>(props: &ProbeProps<C>) -> Html
where
    C::Incoming: Clone,
{
    let probe = &props.probe;
    let url = use_state(|| probe.url.clone());
    let socket = use_websocket((*url).clone(), (probe.options)());
    *probe.handle.borrow_mut() = Some(socket.clone());
    *probe.set_url.borrow_mut() = Some(url.setter());
    let shown = Shown {
        state: socket.state().clone(),
        queued: socket.queued(),
        buffered: socket.buffered_amount(),
    };
    let sender = probe.shown.clone();
    use_effect_with(shown, move |shown| {
        drop(sender.unbounded_send(shown.clone()))
    });
    html! { <p>{ socket.state().to_string() }</p> }
}

/// A component with the hook in it, mounted in its own element; dropping this unmounts it.
struct Mounted<C: Codec + 'static>
where
    C::Incoming: Clone,
{
    probe: Rc<Probe<C>>,
    shown: UnboundedReceiver<Shown>,
    app: Option<yew::AppHandle<Holder<C>>>,
}

impl<C: Codec + 'static> Mounted<C>
where
    C::Incoming: Clone,
{
    fn new(path: &str, options: impl Fn() -> UseWebSocketOptions<C> + 'static) -> Self {
        let document = web_sys::window()
            .and_then(|window| window.document())
            .expect("a document");
        let root = document.create_element("div").expect("a div");
        document
            .body()
            .expect("a body")
            .append_child(&root)
            .expect("append the div");
        let (tx, shown) = unbounded();
        let probe = Rc::new(Probe {
            url: ws(path),
            options: Box::new(options),
            shown: tx,
            handle: RefCell::new(None),
            set_url: RefCell::new(None),
        });
        let props = ProbeProps {
            probe: Rc::clone(&probe),
        };
        let app = yew::Renderer::<Holder<C>>::with_root_and_props(root, props).render();
        Self {
            probe,
            shown,
            app: Some(app),
        }
    }

    /// The handle of the latest render.
    fn socket(&self) -> UseWebSocketHandle<C> {
        self.probe
            .handle
            .borrow()
            .clone()
            .expect("the component has rendered")
    }

    /// What the renders showed, up to and including the first that `done` accepts.
    async fn until_shown(&mut self, done: impl Fn(&Shown) -> bool) -> Vec<Shown> {
        let mut seen = Vec::new();
        loop {
            let shown = within(10_000, self.shown.next())
                .await
                .unwrap_or_else(|| panic!("no render within 10 s; saw {seen:?}"))
                .expect("the component is mounted");
            let finished = done(&shown);
            seen.push(shown);
            if finished {
                return seen;
            }
        }
    }

    /// The states rendered up to and including the first that `done` accepts (each state once).
    async fn until(&mut self, done: impl Fn(&ConnectionState) -> bool) -> Vec<ConnectionState> {
        let mut states: Vec<ConnectionState> = Vec::new();
        for shown in self.until_shown(|shown| done(&shown.state)).await {
            if states.last() != Some(&shown.state) {
                states.push(shown.state);
            }
        }
        states
    }

    async fn until_open(&mut self) -> Vec<ConnectionState> {
        self.until(|state| *state == ConnectionState::Open).await
    }

    /// Unmounts the component and waits until Yew has run its effects' destructors (it runs them
    /// in a microtask).
    async fn unmount(&mut self) {
        self.destroy();
        yew::scheduler::flush().await;
    }

    fn destroy(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

impl<C: Codec + 'static> Drop for Mounted<C>
where
    C::Incoming: Clone,
{
    fn drop(&mut self) {
        self.destroy();
    }
}

#[wasm_bindgen_test]
async fn the_state_follows_open_backoff_and_close() {
    let mut mounted =
        Mounted::<Raw>::new("/echo", || UseWebSocketOptions::new().reconnect(quick()));
    let first = mounted.until(|_| true).await;
    assert_eq!(first, [ConnectionState::Connecting { attempt: 0 }]);
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
        .socket()
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
        mounted.socket().send_text("late"),
        Err(Error::NotOpen {
            state: duplex_ws::ReadyState::Closed
        }),
        "a send after close is refused, not dropped"
    );
    assert_eq!(
        mounted.socket().close_with(1001, ""),
        Err(Error::InvalidCloseCode { code: 1001 })
    );
}

#[wasm_bindgen_test]
async fn a_burst_of_a_thousand_reaches_on_message_in_order_and_the_last_ones_are_kept() {
    let (tx, mut seen) = unbounded::<Message>();
    let mut mounted = Mounted::<Raw>::new("/test/flood?count=1000&size=16", move || {
        UseWebSocketOptions::new()
            .recent(100)
            .on_message(forward(&tx))
    });
    let indexes: Vec<String> = take(&mut seen, 1000)
        .await
        .iter()
        .map(|message| flood_index(message.as_text().expect("text")))
        .collect();
    let expected: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    assert_eq!(indexes, expected, "each once, in order");

    quiet_period(100).await;
    let kept: Vec<String> = mounted
        .socket()
        .messages()
        .iter()
        .map(|message| flood_index(message.as_text().unwrap_or_default()))
        .collect();
    assert_eq!(kept, expected[900..], "the last 100, in order");
    assert!(seen.try_recv().is_err(), "nothing arrives twice");
    assert_eq!(*mounted.socket().state(), ConnectionState::Open);
    mounted.unmount().await;
}

#[wasm_bindgen_test]
async fn typed_sends_while_disconnected_arrive_once_after_the_reconnect() {
    let (tx, mut echoes) = unbounded::<Note>();
    let mut mounted = Mounted::<Json<Note>>::new("/echo", move || {
        UseWebSocketOptions::with_codec(Json::<Note>::new())
            .reconnect(quick())
            .on_message(forward(&tx))
    });
    mounted.until_open().await;
    assert_eq!(mounted.socket().send(&note(0)), Ok(SendStatus::Sent));
    assert_eq!(take(&mut echoes, 1).await, [note(0)]);

    control("/test/refuse?ms=500").await;
    control("/test/drop-all").await;
    mounted
        .until(|state| matches!(state, ConnectionState::Backoff { .. }))
        .await;
    for n in 1..=3 {
        assert_eq!(
            mounted.socket().send(&note(n)),
            Ok(SendStatus::Queued { dropped: 0 })
        );
    }
    assert_eq!(mounted.socket().queued(), 3);
    mounted.until_open().await;
    assert_eq!(
        take(&mut echoes, 3).await,
        [note(1), note(2), note(3)],
        "once each, in order"
    );
    assert_eq!(mounted.socket().queued(), 0, "flushed on open");
    quiet_period(200).await;
    assert!(echoes.try_recv().is_err(), "no duplicate arrives later");

    mounted.socket().close().expect("close");
    mounted
        .until(|state| matches!(state, ConnectionState::Closed { .. }))
        .await;
    assert_eq!(
        mounted.socket().send(&note(4)),
        Err(SendValueError::Send(Error::NotOpen {
            state: duplex_ws::ReadyState::Closed
        }))
    );
}

#[wasm_bindgen_test]
async fn a_new_url_moves_the_socket() {
    let (first, second) = (unique_tag("yew-url-a"), unique_tag("yew-url-b"));
    let (tx, mut echoes) = unbounded::<Message>();
    let mut mounted = Mounted::<Raw>::new(&format!("/echo?tag={first}"), move || {
        UseWebSocketOptions::new().on_message(forward(&tx))
    });
    mounted.until_open().await;
    let current_url = |mounted: &Mounted<Raw>| {
        mounted
            .socket()
            .socket()
            .and_then(|socket| socket.socket())
            .map(|socket| socket.url())
            .unwrap_or_default()
    };
    assert!(current_url(&mounted).ends_with(&first));

    let set_url = mounted.probe.set_url.borrow().clone().expect("rendered");
    set_url.set(ws(&format!("/echo?tag={second}")));
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
    mounted.socket().send_text("on the new URL").expect("send");
    assert_eq!(
        take(&mut echoes, 1).await,
        [Message::from("on the new URL")]
    );
}

#[wasm_bindgen_test]
async fn the_buffered_amount_rises_with_a_large_send_and_falls_to_zero() {
    let mut mounted = Mounted::<Raw>::new("/echo", || UseWebSocketOptions::new().recent(0));
    mounted.until_open().await;
    mounted
        .socket()
        .send_bytes(&vec![7; 8 << 20])
        .expect("8 MiB");
    let seen = mounted.until_shown(|shown| shown.buffered > 0).await;
    assert!(
        seen.iter()
            .all(|shown| shown.state == ConnectionState::Open),
        "{seen:?}"
    );
    mounted.until_shown(|shown| shown.buffered == 0).await;
    mounted.unmount().await;
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
        let mut mounted = Mounted::<Raw>::new("/echo", UseWebSocketOptions::new);
        // Most wait for the open; every tenth is unmounted while it connects.
        if cycle % 10 != 0 {
            mounted.until_open().await;
        } else {
            // Let the mount effect run, so the socket exists before the unmount.
            mounted.until(|_| true).await;
        }
        mounted.unmount().await;
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
