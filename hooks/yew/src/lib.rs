//! `use_websocket` for [Yew](https://yew.rs) 0.23, on duplex-ws's [`ReconnectingWebSocket`]: one line to
//! adopt, and none of the usual hook's leaks.
//!
//! - **Nothing leaks.** The socket opens after the component's first render and is closed (1000) and
//!   released when it unmounts, with every closure and timer it made: `duplex_ws::live_closures()` and
//!   `duplex_ws::live_timers()` come back to where they were.
//! - **Every message is delivered.** [`on_message`](UseWebSocketOptions::on_message) runs for each one, in
//!   order, and [`messages`](UseWebSocketHandle::messages) keeps the most recent ones, so a burst between two
//!   renders loses none.
//! - **No send is lost.** While not open, [`send`](UseWebSocketHandle::send) queues in a bounded outbox,
//!   flushed in order on the next open; a full outbox or a closed socket is a typed [`Error`].
//! - **Reconnects well.** Backoff with jitter, a connect timeout, a heartbeat, and the state to render:
//!   [`ConnectionState`] is connecting, open, in a backoff (with its delay) or closed (with its
//!   [`CloseInfo`]).
//! - **Typed.** Values go through a [`Codec`]: [`Json`] (feature `json`) or your own (MessagePack, CBOR,
//!   bincode) in a few lines.
//! - **The URL follows the props.** When the `url` argument changes, the socket moves to the new URL.
//! - **Server-side rendering.** With the `ssr` feature the hook opens nothing and shows its initial state.
//!
//! ```no_run
//! use duplex_ws_yew::{ConnectionState, Json, ReconnectOptions, UseWebSocketOptions, use_websocket};
//! use serde::{Deserialize, Serialize};
//! use yew::prelude::*;
//!
//! #[derive(Serialize)]
//! struct Say {
//!     text: String,
//! }
//!
//! #[derive(Clone, PartialEq, Deserialize)]
//! struct Said {
//!     from: String,
//!     text: String,
//! }
//!
//! #[derive(Properties, PartialEq)]
//! struct RoomProps {
//!     url: AttrValue,
//! }
//!
//! #[function_component]
//! fn Room(props: &RoomProps) -> Html {
//!     let chat = use_websocket(
//!         props.url.clone(),
//!         UseWebSocketOptions::with_codec(Json::<Say, Said>::new())
//!             .reconnect(ReconnectOptions::new().max_retries(Some(20)))
//!             .recent(200)
//!             .on_message(|said: &Said| web_sys::console::log_1(&format!("{} said {}", said.from, said.text).into())),
//!     );
//!     let draft = use_state(String::new);
//!     let send = {
//!         let (chat, draft) = (chat.clone(), draft.clone());
//!         Callback::from(move |_| match chat.send(&Say { text: (*draft).clone() }) {
//!             Ok(_) => draft.set(String::new()),
//!             Err(error) => web_sys::console::warn_1(&format!("not sent: {error}").into()),
//!         })
//!     };
//!     let status = match chat.state() {
//!         ConnectionState::Open => "online".to_owned(),
//!         ConnectionState::Backoff { delay, .. } => format!("retrying in {:.1} s", delay.as_secs_f64()),
//!         other => other.to_string(),
//!     };
//!     let reconnect = { let chat = chat.clone(); Callback::from(move |_| drop(chat.reconnect())) };
//!     let close = { let chat = chat.clone(); Callback::from(move |_| drop(chat.close_with(1000, "bye"))) };
//!     html! {
//!         <>
//!             <p>{ status } { " · " } { chat.queued() } { " waiting · " } { chat.buffered_amount() } { " B buffered" }</p>
//!             <ul>{ for chat.messages().iter().map(|said| html! { <li><b>{ &said.from }</b>{ " " }{ &said.text }</li> }) }</ul>
//!             <button onclick={send}>{ "Send" }</button>
//!             <button onclick={reconnect}>{ "Reconnect" }</button>
//!             <button onclick={close}>{ "Close" }</button>
//!         </>
//!     }
//! }
//! ```
//!
//! ## Coming from yew-hooks
//!
//! | yew-hooks `use_websocket_with_options` | duplex-ws-yew |
//! |---|---|
//! | `use_websocket(url: String)` | `use_websocket(url, UseWebSocketOptions::new())`; a changed `url` moves the socket |
//! | text (`String`) and bytes (`Vec<u8>`) only | [`Raw`] [`Message`]s (text, bytes, `Blob`), [`Json`], or any [`Codec`] |
//! | `ready_state: UseStateHandle<UseWebSocketReadyState>` | `state()`: [`ConnectionState`] (with attempt, backoff delay, close info); `queued()`, `buffered_amount()` |
//! | `message`, `message_bytes` (the last one only) | `messages()` (the last [`recent`](UseWebSocketOptions::recent)), and `on_message` for every one |
//! | `send(String)`, `send_bytes(Vec<u8>)` (dropped unless open) | `send(&value)`, `send_text`, `send_bytes` `-> Result<SendStatus, _>`: sent, or queued in the outbox |
//! | `open()`, `close()` | `reconnect()`, `close()`, `close_with(code, reason)` (code and reason checked) |
//! | `reconnect_limit`, `reconnect_interval` (fixed) | `reconnect(ReconnectOptions::new().max_retries(..).backoff(..))`: exponential, with jitter |
//! | `manual: Some(true)` | `immediate(false)` |
//! | `protocols` | `protocols` |
//! | `onopen`, `onmessage`, `onmessage_bytes`, `onerror`, `onclose` | `on_open`, `on_message`, `on_decode_error`, `on_error`, `on_close(CloseInfo)` |
//! | no heartbeat | `ReconnectOptions::heartbeat(Heartbeat::new(message, interval, timeout))`: detects dead links |
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::unwrap_used, clippy::panic)
)]

/// `use_websocket` and its handle.
mod hook;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The options of [`use_websocket`]: the codec, [`ReconnectOptions`], protocols, the recent-messages bound,
/// `immediate` and the callbacks (duplex-ws's [`BindingOptions`](duplex_ws::BindingOptions)).
pub use duplex_ws::BindingOptions as UseWebSocketOptions;
pub use duplex_ws::{
    Backoff, BinaryType, CloseCode, CloseInfo, Codec, ConnectionState, DEFAULT_RECENT, Error,
    Heartbeat, Jitter, Message, OutboxOverflow, QueueLimit, Raw, ReadyState, ReconnectOptions,
    ReconnectingWebSocket, SendStatus, SendValueError,
};
#[cfg(feature = "json")]
pub use duplex_ws::{Json, JsonError};
pub use hook::{UseWebSocketHandle, use_websocket};
