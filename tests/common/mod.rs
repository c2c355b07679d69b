//! Support for the browser tests: the relay's address, event recording, timeouts and relay controls.
#![allow(dead_code)]

use core::cell::RefCell;
use core::future::Future;
use std::rc::Rc;

use duplex_ws::{
    CloseInfo, ConnectOptions, Message, ReadyState, StreamOptions, Subscription, WebSocket,
    WsStream, live_closures, live_timers, open_with,
};
use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::Reflect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The relay's base URL, given at compile time by `cargo xtask test` (or by hand, see the README).
pub fn relay() -> &'static str {
    option_env!("DUPLEX_TEST_RELAY").unwrap_or("http://127.0.0.1:8080")
}

/// A tag for `/echo?tag=..` that no earlier run against the same relay has used.
pub fn unique_tag(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random().to_bits())
}

/// `ws://` URL of a relay path.
pub fn ws(path: &str) -> String {
    format!("ws{}{path}", relay().trim_start_matches("http"))
}

/// The relay's `host:port`.
pub fn relay_host() -> &'static str {
    relay().trim_start_matches("http://")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

pub fn browser() -> Browser {
    let agent = web_sys::window()
        .expect("tests run in a window")
        .navigator()
        .user_agent()
        .unwrap_or_default();
    if agent.contains("Firefox") {
        Browser::Firefox
    } else {
        Browser::Chromium
    }
}

/// Runs `future`, or gives up after `ms` milliseconds.
pub async fn within<F: Future>(ms: u32, future: F) -> Option<F::Output> {
    let future = core::pin::pin!(future);
    match select(future, TimeoutFuture::new(ms)).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

/// Waits `ms` milliseconds: only for asserting that something does *not* happen.
pub async fn quiet_period(ms: u32) {
    TimeoutFuture::new(ms).await;
}

/// One notification from a socket, as the tests see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Open,
    Message(Message),
    /// The error notification, with the ready state read inside the handler.
    Error(Option<ReadyState>),
    Close(CloseInfo),
}

/// Records every notification of one socket. The recording ends (`next` gives `None`) when the socket has
/// released its handlers, which it does right after the close notification.
pub struct Events {
    rx: UnboundedReceiver<Event>,
    _subscriptions: Vec<Subscription>,
}

impl Events {
    pub fn record(socket: &WebSocket) -> Self {
        let (tx, rx) = unbounded();
        let weak = socket.downgrade();
        let open = tx.clone();
        let message = tx.clone();
        let error = tx.clone();
        let subscriptions = vec![
            socket.on_open(move || {
                let _ = open.unbounded_send(Event::Open);
            }),
            socket.on_message(move |m| {
                let _ = message.unbounded_send(Event::Message(m));
            }),
            socket.on_error(move || {
                let state = weak.upgrade().map(|s| s.ready_state());
                let _ = error.unbounded_send(Event::Error(state));
            }),
            socket.on_close(move |info| {
                let _ = tx.unbounded_send(Event::Close(info));
            }),
        ];
        Self {
            rx,
            _subscriptions: subscriptions,
        }
    }

    /// The next notification; `None` once the socket can deliver no more. Panics after 10 s of silence.
    pub async fn next(&mut self) -> Option<Event> {
        within(10_000, self.rx.next())
            .await
            .expect("no notification within 10 s")
    }

    pub async fn expect_open(&mut self) {
        assert_eq!(self.next().await, Some(Event::Open));
    }

    pub async fn expect_message(&mut self) -> Message {
        match self.next().await {
            Some(Event::Message(m)) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    pub async fn expect_text(&mut self) -> String {
        match self.expect_message().await {
            Message::Text(text) => text,
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// Everything up to and including the close notification, then checks that nothing follows.
    pub async fn until_close(&mut self) -> (Vec<Event>, CloseInfo) {
        let mut before = Vec::new();
        loop {
            match self.next().await {
                Some(Event::Close(info)) => {
                    assert_eq!(self.next().await, None, "nothing may follow the close");
                    return (before, info);
                }
                Some(other) => before.push(other),
                None => panic!("recording ended without a close; saw {before:?}"),
            }
        }
    }
}

/// Connects to a relay path, records it, and waits for open.
pub async fn open(path: &str) -> (WebSocket, Events) {
    let socket = WebSocket::connect(&ws(path)).expect("valid relay URL");
    let mut events = Events::record(&socket);
    events.expect_open().await;
    (socket, events)
}

/// GETs a relay control endpoint and returns its JSON body.
pub async fn control(path: &str) -> JsValue {
    let window = web_sys::window().expect("tests run in a window");
    let url = format!("{}{path}", relay());
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e:?}"));
    let response: web_sys::Response = response.dyn_into().expect("fetch gives a Response");
    assert!(response.ok(), "{url}: HTTP {}", response.status());
    JsFuture::from(response.json().expect("a body"))
        .await
        .expect("a JSON body")
}

pub fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).expect("an object")
}

pub fn number(value: &JsValue, name: &str) -> f64 {
    field(value, name)
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is not a number in {value:?}"))
}

/// What the relay saw end the `/echo?tag=..` connection: `(code or null, reason)`.
pub async fn close_seen_by_relay(tag: &str) -> (JsValue, String) {
    let body = control(&format!("/test/close-seen?tag={tag}")).await;
    assert_eq!(
        field(&body, "state").as_string().as_deref(),
        Some("close"),
        "{tag}: {body:?}"
    );
    (
        field(&body, "code"),
        field(&body, "reason").as_string().unwrap_or_default(),
    )
}

/// Live WebSocket connections at the relay, once it reaches `target` (or after 5 s, whatever it is then).
pub async fn relay_connections(target: u32) -> u32 {
    let body = control(&format!("/test/connections?wait_for={target}")).await;
    number(&body, "live") as u32
}

/// Exceptions that reach the window uncaught (as "closure invoked recursively or after being dropped"
/// would), counted while this watcher lives.
pub struct Uncaught {
    seen: Rc<RefCell<Vec<String>>>,
    closure: Closure<dyn Fn(web_sys::ErrorEvent)>,
}

impl Uncaught {
    pub fn watch() -> Self {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&seen);
        let closure = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            sink.borrow_mut().push(e.message());
        });
        web_sys::window()
            .expect("a window")
            .add_event_listener_with_callback("error", closure.as_ref().unchecked_ref())
            .expect("addEventListener");
        Self { seen, closure }
    }

    pub fn messages(&self) -> Vec<String> {
        self.seen.borrow().clone()
    }
}

impl Drop for Uncaught {
    fn drop(&mut self) {
        let _ = web_sys::window()
            .expect("a window")
            .remove_event_listener_with_callback("error", self.closure.as_ref().unchecked_ref());
    }
}

/// The wasm linear memory's size in bytes.
pub fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// Opens a relay path with the async layer, failing the test unless it opens within 5 s.
pub async fn open_stream(path: &str, connect: &ConnectOptions, stream: &StreamOptions) -> WsStream {
    within(5_000, open_with(&ws(path), connect, stream))
        .await
        .expect("opens within 5 s")
        .unwrap_or_else(|e| panic!("open {path}: {e}"))
}

/// duplex-ws holds no closure and no timer any more.
pub fn assert_nothing_held() {
    assert_eq!(live_closures(), 0, "closures still held");
    assert_eq!(live_timers(), 0, "timers still held");
}
