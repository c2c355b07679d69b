//! [`Message`]: a received or sent WebSocket message, and its conversion from a `MessageEvent`.

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent};

/// A WebSocket message: text, bytes, or a `Blob`.
///
/// Received binary messages are [`Binary`](Self::Binary) with [`BinaryType::ArrayBuffer`](crate::BinaryType)
/// (the duplex-ws default) and [`Blob`](Self::Blob), untouched, with [`BinaryType::Blob`](crate::BinaryType).
/// See [`MessageEvent.data` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/MessageEvent/data).
///
/// ```
/// use duplex_ws::Message;
///
/// let text = Message::from("hello");
/// assert_eq!(text.as_text(), Some("hello"));
/// let bytes = Message::from(vec![1, 2, 3]);
/// assert_eq!(bytes.as_bytes(), Some(&[1, 2, 3][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message, as bytes.
    Binary(Vec<u8>),
    /// A binary message as a browser `Blob` (with [`BinaryType::Blob`](crate::BinaryType)); its bytes stay
    /// outside wasm memory.
    Blob(Blob),
}

impl Message {
    /// The text, if this is a text message.
    ///
    /// ```
    /// assert_eq!(duplex_ws::Message::from("hi").as_text(), Some("hi"));
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The bytes, if this is a [`Binary`](Self::Binary) message.
    ///
    /// ```
    /// assert_eq!(duplex_ws::Message::from(vec![7]).as_bytes(), Some(&[7][..]));
    /// ```
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The message's size in bytes: UTF-8 bytes of text, bytes of binary, a `Blob`'s size.
    pub(crate) fn byte_len(&self) -> u64 {
        match self {
            Self::Text(text) => text.len() as u64,
            Self::Binary(bytes) => bytes.len() as u64,
            // A Blob's size is a whole number of bytes, so the cast is exact.
            Self::Blob(blob) => blob.size() as u64,
        }
    }

    /// Reads a `message` event's data. The platform only ever delivers a string, an `ArrayBuffer` or a `Blob`.
    pub(crate) fn from_event(event: &MessageEvent) -> Option<Self> {
        let data = event.data();
        if let Some(text) = data.as_string() {
            return Some(Self::Text(text));
        }
        if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
            return Some(Self::Binary(Uint8Array::new(buffer).to_vec()));
        }
        data.dyn_into::<Blob>().ok().map(Self::Blob)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Binary(bytes)
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Self::Binary(bytes.to_vec())
    }
}

impl From<Blob> for Message {
    fn from(blob: Blob) -> Self {
        Self::Blob(blob)
    }
}
