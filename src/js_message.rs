//! [`JsMessage`]: a received message as the browser delivered it, before anything is copied into wasm memory.

use js_sys::{ArrayBuffer, JsString};
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent};

use crate::Message;

/// A received message as the browser delivered it: a JS string, an `ArrayBuffer` or a `Blob`. Nothing of it
/// is in wasm memory until [`into_message`](Self::into_message) copies it there.
///
/// Text that only passes through Rust (shown in the page, handed to a JS library, sent on) never needs to be a
/// Rust `String`: every copy across the wasm boundary costs time in proportion to the text's length (about
/// 20 to 110 µs for 64 KiB, see BENCHMARKS.md), and [`WebSocket::on_js_message`](crate::WebSocket::on_js_message)
/// with [`WebSocket::send_js_string`](crate::WebSocket::send_js_string) skip both.
/// See [`MessageEvent.data` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/MessageEvent/data).
///
/// ```
/// use duplex_ws::{JsMessage, Message};
///
/// # fn show(_: &js_sys::JsString) {}
/// fn handle(message: JsMessage) {
///     match message {
///         JsMessage::Text(text) => show(&text),
///         other => {
///             let _bytes: Message = other.into_message();
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsMessage {
    /// A text message, as a JS string.
    Text(JsString),
    /// A binary message, with [`BinaryType::ArrayBuffer`](crate::BinaryType) (the duplex-ws default).
    Binary(ArrayBuffer),
    /// A binary message, with [`BinaryType::Blob`](crate::BinaryType).
    Blob(Blob),
}

impl JsMessage {
    /// Reads a `message` event's data. The platform only ever delivers a string, an `ArrayBuffer` or a `Blob`.
    pub(crate) fn from_event(event: &MessageEvent) -> Option<Self> {
        let data = event.data();
        if data.is_string() {
            return Some(Self::Text(data.unchecked_into()));
        }
        match data.dyn_into::<ArrayBuffer>() {
            Ok(buffer) => Some(Self::Binary(buffer)),
            Err(data) => data.dyn_into::<Blob>().ok().map(Self::Blob),
        }
    }

    /// The text, if this is a text message, still a JS string.
    ///
    /// ```
    /// use duplex_ws::JsMessage;
    ///
    /// # fn check(message: &JsMessage) {
    /// if let Some(text) = message.as_js_string() {
    ///     web_sys::console::log_1(text);
    /// }
    /// # }
    /// ```
    pub fn as_js_string(&self) -> Option<&JsString> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The message with its text or bytes copied into wasm memory: what
    /// [`WebSocket::on_message`](crate::WebSocket::on_message) hands its handlers. A `Blob` stays a `Blob`.
    ///
    /// ```
    /// use duplex_ws::{JsMessage, Message};
    ///
    /// # fn check(message: JsMessage) {
    /// if let Message::Text(text) = message.into_message() {
    ///     assert!(text.len() < 1 << 20);
    /// }
    /// # }
    /// ```
    pub fn into_message(self) -> Message {
        match self {
            Self::Text(text) => Message::Text(crate::message::text_of(&text)),
            Self::Binary(buffer) => Message::Binary(crate::message::bytes_of(&buffer)),
            Self::Blob(blob) => Message::Blob(blob),
        }
    }
}
