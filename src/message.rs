//! [`Message`]: a received or sent WebSocket message, and the copies of text and bytes into wasm memory.

use js_sys::{ArrayBuffer, JsString};
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Blob;

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
}

/// From this many UTF-16 units, text is copied with `TextEncoder.encodeInto` straight into wasm memory.
/// wasm-bindgen's own string copy walks the string in a JS loop: faster for short strings, several
/// times slower for long ones (64 KiB of ASCII: about 210 µs against 50 µs in Chromium 156, 150 against 70 in
/// Firefox 153).
const ENCODE_INTO_FROM: u32 = 512;

/// A JS string as a Rust `String`.
pub(crate) fn text_of(text: &JsString) -> String {
    let units = text.length();
    if units >= ENCODE_INTO_FROM {
        // One byte per UTF-16 unit: if all of the text fits, every unit was one byte, so it is ASCII.
        // Anything else takes the general path below.
        let mut bytes = vec![0; units as usize];
        if Encoder::new().encode_into(text, &mut bytes).read() == units {
            if let Ok(text) = String::from_utf8(bytes) {
                return text;
            }
        }
    }
    String::from(text)
}

#[wasm_bindgen]
extern "C" {
    /// [`TextEncoder`](https://developer.mozilla.org/en-US/docs/Web/API/TextEncoder).
    type Encoder;

    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Encoder;

    /// Writes `text` as UTF-8 into `bytes`, as much as fits.
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Encoder, text: &JsString, bytes: &mut [u8]) -> Encoded;

    /// What `encodeInto` did.
    type Encoded;

    /// The UTF-16 units it read.
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
}

/// The bytes of an `ArrayBuffer`, copied into wasm memory by the bindings' own array copy.
///
/// js-sys's `Uint8Array::to_vec` reads the length twice and asserts that they agree, which links
/// `core::fmt`'s integer formatting into every client for a panic that cannot happen.
pub(crate) fn bytes_of(buffer: &ArrayBuffer) -> Vec<u8> {
    ByteView::new(buffer).whole()
}

#[wasm_bindgen]
extern "C" {
    /// A `Uint8Array` over an `ArrayBuffer`.
    type ByteView;

    #[wasm_bindgen(constructor, js_class = "Uint8Array")]
    fn new(buffer: &ArrayBuffer) -> ByteView;

    /// `subarray()`: the whole view, without a copy in JS; the bindings copy it into a `Vec`.
    #[wasm_bindgen(method, js_class = "Uint8Array", js_name = subarray)]
    fn whole(this: &ByteView) -> Vec<u8>;
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
