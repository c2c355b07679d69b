//! The message a measurement sends, made before the clock starts, and the check every echo must pass.

/// What is sent: `size` ASCII bytes of text, or `size` bytes of binary.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// The kind of a received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text message.
    Text,
    /// A binary message.
    Binary,
}

impl Payload {
    /// A payload of `size` bytes: a repeating alphabet for text, a repeating 0-255 ramp for binary.
    pub fn new(binary: bool, size: u32) -> Self {
        if binary {
            // Truncating to a byte is the point: the ramp wraps.
            Self::Binary((0..size).map(|i| i as u8).collect())
        } else {
            Self::Text(
                (0..size)
                    .map(|i| char::from(b'a' + (i % 26) as u8))
                    .collect(),
            )
        }
    }

    /// What an echo of this payload looks like.
    pub fn expect(&self) -> Expect {
        match self {
            Self::Text(text) => Expect {
                kind: Kind::Text,
                len: text.len(),
            },
            Self::Binary(bytes) => Expect {
                kind: Kind::Binary,
                len: bytes.len(),
            },
        }
    }

    /// The payload as a duplex-ws message, for a `Sink`, which takes messages by value.
    pub fn message(&self) -> duplex_ws::Message {
        match self {
            Self::Text(text) => duplex_ws::Message::Text(text.clone()),
            Self::Binary(bytes) => duplex_ws::Message::Binary(bytes.clone()),
        }
    }

    /// Sends the payload on a callback-layer socket, without copying it first.
    ///
    /// # Errors
    /// Those of [`duplex_ws::WebSocket::send_text`] and [`send_bytes`](duplex_ws::WebSocket::send_bytes).
    pub fn send_on(&self, socket: &duplex_ws::WebSocket) -> Result<(), duplex_ws::Error> {
        match self {
            Self::Text(text) => socket.send_text(text),
            Self::Binary(bytes) => socket.send_bytes(bytes),
        }
    }
}

/// The kind and length every echo must have; small enough to copy into a handler.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    kind: Kind,
    len: usize,
}

impl Expect {
    /// Checks that a received message of `kind` and `len` bytes is the expected echo.
    ///
    /// # Errors
    /// A message that says what was expected and what came.
    pub fn check(self, kind: Kind, len: usize) -> Result<(), String> {
        if kind == self.kind && len == self.len {
            Ok(())
        } else {
            Err(format!(
                "expected a {:?} echo of {} bytes, received a {kind:?} message of {len} bytes",
                self.kind, self.len
            ))
        }
    }

    /// Checks a message duplex-ws copied in, as [`check_shape`](Self::check_shape).
    ///
    /// # Errors
    /// As [`check_shape`](Self::check_shape).
    pub fn check_message(self, message: &duplex_ws::Message) -> Result<(), String> {
        self.check_shape(shape(message))
    }

    /// Checks a received message's [`Shape`], as [`check`](Self::check).
    ///
    /// # Errors
    /// As [`check`](Self::check); no shape (a `Blob`, which these sockets, of binary type `arraybuffer`, never
    /// receive).
    pub fn check_shape(self, shape: Option<Shape>) -> Result<(), String> {
        let (kind, len) =
            shape.ok_or("received a Blob or an unknown value, expected text or bytes")?;
        self.check(kind, len)
    }
}

/// The kind and length in bytes of a received message.
pub type Shape = (Kind, usize);

/// The shape of a message duplex-ws copied in; `None` for a `Blob`.
pub fn shape(message: &duplex_ws::Message) -> Option<Shape> {
    match message {
        duplex_ws::Message::Text(text) => Some((Kind::Text, text.len())),
        duplex_ws::Message::Binary(bytes) => Some((Kind::Binary, bytes.len())),
        duplex_ws::Message::Blob(_) => None,
    }
}

/// The shape of a message duplex-ws left as a JS value, read without copying it: a JS string's length in
/// UTF-16 units is its length in bytes, since the payloads are ASCII. `None` for a `Blob`.
pub fn js_shape(message: &duplex_ws::JsMessage) -> Option<Shape> {
    match message {
        duplex_ws::JsMessage::Text(text) => Some((Kind::Text, text.length() as usize)),
        duplex_ws::JsMessage::Binary(buffer) => Some((Kind::Binary, buffer.byte_length() as usize)),
        duplex_ws::JsMessage::Blob(_) => None,
    }
}

/// The shape of a message event's data once copied into wasm memory as a plain web-sys client reads it: text
/// into a `String` (`JsValue::as_string`), an `ArrayBuffer` into a `Vec<u8>`. `None` for anything else.
pub fn copied_shape(data: &wasm_bindgen::JsValue) -> Option<Shape> {
    use wasm_bindgen::JsCast;
    if let Some(text) = data.as_string() {
        return Some((Kind::Text, text.len()));
    }
    let buffer = data.dyn_ref::<js_sys::ArrayBuffer>()?;
    Some((Kind::Binary, js_sys::Uint8Array::new(buffer).to_vec().len()))
}
