//! The browser's native WebSocket for Rust on wasm32: typed, leak-free, and hard to misuse.
//!
//! duplex-ws wraps [`WebSocket` (MDN)](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket) through
//! `web-sys`. The callback layer, [`WebSocket`], takes plain Rust closures as event handlers, owns every JS
//! closure it creates and frees it (none is ever leaked on purpose), checks close codes, reasons and
//! sub-protocols in Rust before the browser sees them, turns every exception into a typed [`Error`], and
//! refuses to send on a closing socket instead of letting the browser drop the data silently.
//!
//! ```no_run
//! use duplex_ws::{CloseCode, Message, WebSocket};
//!
//! let socket = WebSocket::connect("wss://example.com/echo")?;
//! let weak = socket.downgrade();
//! socket
//!     .on_open(move || {
//!         if let Some(socket) = weak.upgrade() {
//!             let _ = socket.send_text("hello");
//!         }
//!     })
//!     .keep();
//! socket
//!     .on_message(|message| match message {
//!         Message::Text(text) => web_sys::console::log_1(&text.into()),
//!         Message::Binary(bytes) => web_sys::console::log_1(&bytes.len().into()),
//!         Message::Blob(blob) => web_sys::console::log_1(&blob),
//!     })
//!     .keep();
//! socket.on_close(|info| web_sys::console::log_1(&info.to_string().into())).keep();
//! // Later: a typed, validated close.
//! socket.close_with(CloseCode::Normal, "done")?;
//! # Ok::<(), duplex_ws::Error>(())
//! ```
//!
//! Text that only passes through Rust can stay a JS string: [`WebSocket::on_js_message`] hands handlers a
//! [`JsMessage`] that is copied into wasm memory only when asked, and [`WebSocket::send_js_string`] sends a
//! `JsString` without copying it.
//!
//! The async layer is built on it: [`open`] resolves once the socket is open and gives a [`WsStream`], a
//! `futures` `Stream` of received messages (bounded by [`QueueLimit`], with an [`Overflow`] policy) and a
//! `Sink` of messages that waits for the browser's buffer to drain below a high-water mark. It
//! [`split`](WsStream::split)s into a [`WsSender`] and a [`WsReceiver`], and [`WsHandle`] can still close
//! the socket and await [`closed`](WsHandle::closed). With the `json` feature, `Message::json` and
//! `Message::decode_json` carry serde values as text.
//!
//! ```no_run
//! use duplex_ws::{ConnectOptions, Message};
//! use futures_util::{SinkExt, StreamExt};
//!
//! # async fn run() -> Result<(), duplex_ws::Error> {
//! let mut socket = duplex_ws::open("wss://example.com/echo", &ConnectOptions::new()).await?;
//! socket.send(Message::from("hello")).await?;
//! while let Some(message) = socket.next().await {
//!     web_sys::console::log_1(&format!("{:?}", message?).into());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! With the `reconnect` feature, [`ReconnectingWebSocket`] comes back after failures (backoff with jitter, an
//! outbox, a heartbeat), and [`Binding`] ties one to a UI component: a [`Codec`] for typed values
//! ([`Raw`], [`Json`] with `json`), the user's callbacks, and an [`Observer`] that carries every
//! state, counter and message into the framework's state. The duplex-ws-leptos and duplex-ws-yew crates
//! build `use_websocket` on it.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::unwrap_used, clippy::panic)
)]

/// Reconnect delays: exponential backoff with jitter.
mod backoff;
/// A reconnecting socket for one UI component: what the framework hooks are made of.
#[cfg(feature = "reconnect")]
mod binding;
/// Reading a `Blob` into bytes.
mod blob;
/// Close codes, the rules for sending them, and the close notification.
mod close;
/// Typed values as messages: the codec trait, raw messages, JSON.
mod codec;
/// The error type and the mapping of browser exceptions to it.
mod error;
/// Handler lists and the subscription guard.
mod handlers;
/// Received messages as the browser delivered them.
mod js_message;
/// JSON text messages.
#[cfg(feature = "json")]
mod json;
/// Owned, counted JS event listeners.
mod listener;
/// Messages, and the copies of text and bytes into wasm memory.
mod message;
/// Sub-protocols and binary type for new sockets.
mod options;
/// The reconnecting socket.
#[cfg(feature = "reconnect")]
mod reconnect;
/// The callback-layer socket.
mod socket;
/// Ready state and binary type.
mod state;
/// The async layer: `open`, `Stream` and `Sink`, split, closed.
mod stream;
/// Numbers and quoted text for messages, without `core::fmt`'s heavier machinery.
mod text;
/// Counted, cancellable browser timers.
mod timer;
/// The host check that makes invalid URLs fail the same way in every browser.
mod url;

pub use backoff::{Backoff, Jitter};
#[cfg(feature = "reconnect")]
pub use binding::{Binding, BindingOptions, DEFAULT_RECENT, Observer};
pub use blob::{ReadBlob, blob_to_bytes};
pub use close::{CloseCode, CloseInfo, MAX_REASON_BYTES};
#[cfg(feature = "json")]
pub use codec::Json;
pub use codec::{Codec, Raw, SendValueError};
pub use error::{Error, ProtocolProblem};
pub use handlers::Subscription;
pub use js_message::JsMessage;
#[cfg(feature = "json")]
pub use json::JsonError;
pub use listener::live_closures;
pub use message::Message;
pub use options::ConnectOptions;
#[cfg(feature = "reconnect")]
pub use reconnect::{
    ConnectionState, Endpoint, HEARTBEAT_TIMEOUT_CODE, Heartbeat, OutboxOverflow, ReconnectOptions,
    ReconnectingWebSocket, SendStatus, WeakReconnectingWebSocket, default_should_reconnect,
};
pub use socket::{WeakWebSocket, WebSocket, is_supported};
pub use state::{BinaryType, ReadyState, UnknownReadyState};
pub use stream::{
    BlobHandling, Closed, Opening, Overflow, QUEUE_FULL_CODE, QueueLimit, StreamOptions, WsHandle,
    WsReceiver, WsSender, WsStream, open, open_with,
};
pub use timer::live_timers;
