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
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::unwrap_used, clippy::panic)
)]

/// Close codes, the rules for sending them, and the close notification.
mod close;
/// The error type and the mapping of browser exceptions to it.
mod error;
/// Handler lists and the subscription guard.
mod handlers;
/// Owned, counted JS event listeners.
mod listener;
/// Messages and their conversion from message events.
mod message;
/// Sub-protocols and binary type for new sockets.
mod options;
/// The callback-layer socket.
mod socket;
/// Ready state and binary type.
mod state;
/// The host check that makes invalid URLs fail the same way in every browser.
mod url;

pub use close::{CloseCode, CloseInfo, MAX_REASON_BYTES};
pub use error::{Error, ProtocolProblem};
pub use handlers::Subscription;
pub use listener::live_closures;
pub use message::Message;
pub use options::ConnectOptions;
pub use socket::{WeakWebSocket, WebSocket, is_supported};
pub use state::{BinaryType, ReadyState, UnknownReadyState};
