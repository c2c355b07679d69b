//! [`WebSocket`]: the callback layer. It owns the browser's socket and every closure attached to it.

use core::cell::{Cell, OnceCell};
use core::fmt;
use std::rc::{Rc, Weak};

use js_sys::{ArrayBuffer, JsString};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, CloseEvent, Event, MessageEvent};

use crate::close::{self, CloseCode, CloseInfo};
use crate::error::Op;
use crate::handlers::{HandlerList, Subscription};
use crate::listener::Listener;
use crate::{BinaryType, ConnectOptions, Error, JsMessage, Message, ReadyState};

/// Whether this global scope has a `WebSocket` constructor, for pages that must degrade gracefully.
///
/// See [`WebSocket` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket).
///
/// ```no_run
/// if !duplex_ws::is_supported() {
///     // Show a notice, or fall back to polling.
/// }
/// ```
pub fn is_supported() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("WebSocket")).unwrap_or(false)
}

/// A browser WebSocket with typed state, typed errors and Rust closures as event handlers.
///
/// Handlers run in registration order and may send, close, subscribe, unsubscribe or drop the socket while
/// they run. The close notification ([`CloseInfo`]) is delivered exactly once; after it the socket releases
/// its closures and handlers. Cloning is cheap and shares the socket; when the last clone is dropped the
/// handlers are detached, the socket is closed with [`CloseCode::Normal`] (1000) if it was connecting or
/// open, and the closures are freed. A handler that needs the socket should capture a
/// [`WeakWebSocket`] (from [`downgrade`](Self::downgrade)): a strong clone inside its own handler keeps the
/// socket alive until it closes.
///
/// See [`WebSocket` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket).
///
/// ```no_run
/// use duplex_ws::{Message, WebSocket};
///
/// let socket = WebSocket::connect("wss://example.com/echo")?;
/// let weak = socket.downgrade();
/// socket.on_open(move || {
///     if let Some(socket) = weak.upgrade() {
///         let _ = socket.send_text("hello");
///     }
/// }).keep();
/// socket.on_message(|message| {
///     if let Message::Text(text) = message {
///         web_sys::console::log_1(&text.into());
///     }
/// }).keep();
/// socket.on_close(|info| web_sys::console::log_1(&info.to_string().into())).keep();
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[derive(Clone)]
pub struct WebSocket {
    inner: Rc<Inner>,
}

/// A handle that does not keep the socket alive; [`upgrade`](Self::upgrade) it to use the socket.
///
/// ```no_run
/// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
/// let weak = socket.downgrade();
/// assert!(weak.upgrade().is_some());
/// drop(socket);
/// assert!(weak.upgrade().is_none());
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct WeakWebSocket {
    inner: Weak<Inner>,
}

struct Inner {
    raw: web_sys::WebSocket,
    open: HandlerList<()>,
    message: HandlerList<JsMessage>,
    error: HandlerList<()>,
    close: HandlerList<CloseInfo>,
    listeners: Cell<Vec<Listener>>,
    close_info: OnceCell<CloseInfo>,
}

impl WebSocket {
    /// Opens a socket to `url` with no sub-protocol and binary messages as bytes.
    ///
    /// `url` may be `ws://`, `wss://`, or (in current browsers, which map them) `http://` and `https://`.
    /// See [`WebSocket()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/WebSocket).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a URL the browser rejects (and, in every browser, for a space or control
    /// character in the host, which Chromium would otherwise percent-encode), [`Error::Security`] when the browser refuses it
    /// at once (for example a `ws:` URL from an `https:` page), [`Error::Unsupported`] without `WebSocket`.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Self, Error> {
        check_host(url)?;
        Self::adopt(url, web_sys::WebSocket::new(url), BinaryType::default())
    }

    /// Opens a socket to `url` offering `options`' sub-protocols (as a JS array), with its binary type set
    /// before any message can arrive.
    ///
    /// # Errors
    /// [`Error::InvalidProtocol`] (checked before the browser is called), and those of
    /// [`connect`](Self::connect).
    ///
    /// ```no_run
    /// use duplex_ws::{ConnectOptions, WebSocket};
    ///
    /// let socket = WebSocket::connect_with("wss://example.com/chat", &ConnectOptions::new().protocol("chat"))?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn connect_with(url: &str, options: &ConnectOptions) -> Result<Self, Error> {
        options.validate()?;
        check_host(url)?;
        let raw = match options.offered_protocols() {
            [] => web_sys::WebSocket::new(url),
            protocols => {
                let array: js_sys::Array = protocols.iter().map(|p| JsValue::from_str(p)).collect();
                web_sys::WebSocket::new_with_str_sequence(url, &array)
            }
        };
        Self::adopt(url, raw, options.initial_binary_type())
    }

    /// Wraps the socket the constructor returned, or maps what it threw.
    fn adopt(
        url: &str,
        raw: Result<web_sys::WebSocket, JsValue>,
        binary_type: BinaryType,
    ) -> Result<Self, Error> {
        let raw = raw.map_err(|thrown| Error::thrown(&thrown, Op::Connect { url }))?;
        raw.set_binary_type(binary_type.into());
        Self::from_raw(raw)
    }

    /// Takes over a socket created elsewhere, keeping its binary type. Events it fired before this call are
    /// not seen.
    ///
    /// # Errors
    /// [`Error::Js`] if the browser refuses an event listener.
    ///
    /// ```no_run
    /// let raw = web_sys::WebSocket::new("wss://example.com/echo").expect("valid URL");
    /// let socket = duplex_ws::WebSocket::from_raw(raw)?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn from_raw(raw: web_sys::WebSocket) -> Result<Self, Error> {
        let inner = Rc::new(Inner {
            raw,
            open: HandlerList::new(),
            message: HandlerList::new(),
            error: HandlerList::new(),
            close: HandlerList::new(),
            listeners: Cell::new(Vec::new()),
            close_info: OnceCell::new(),
        });
        let mut listeners = Vec::with_capacity(4);
        for (kind, dispatch) in [
            ("open", Inner::dispatch_open as fn(&Inner, Event)),
            ("message", Inner::dispatch_message),
            ("error", Inner::dispatch_error),
            ("close", Inner::dispatch_close),
        ] {
            let weak = Rc::downgrade(&inner);
            listeners.push(Listener::attach(inner.raw.as_ref(), kind, move |event| {
                if let Some(inner) = weak.upgrade() {
                    dispatch(&inner, event);
                }
            })?);
        }
        inner.listeners.set(listeners);
        Ok(Self { inner })
    }

    /// The underlying `web_sys::WebSocket`, for what this crate does not wrap. Adding listeners to it is
    /// safe; closing it directly is too (this wrapper still sees the close event).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let raw: &web_sys::WebSocket = socket.as_raw();
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn as_raw(&self) -> &web_sys::WebSocket {
        &self.inner.raw
    }

    /// A handle that does not keep the socket alive, for handlers that need the socket.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let weak = socket.downgrade();
    /// socket.on_open(move || if let Some(s) = weak.upgrade() { let _ = s.send_text("hi"); }).keep();
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn downgrade(&self) -> WeakWebSocket {
        WeakWebSocket {
            inner: Rc::downgrade(&self.inner),
        }
    }

    /// The URL as the browser serialized it (`http:` mapped to `ws:`, for example).
    /// See [`WebSocket.url` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/url).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("http://example.com/echo")?;
    /// assert_eq!(socket.url(), "ws://example.com/echo");
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn url(&self) -> String {
        self.inner.raw.url()
    }

    /// The sub-protocol the server selected: empty before open, and when none was selected.
    /// See [`WebSocket.protocol` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/protocol).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// assert_eq!(socket.protocol(), "");
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn protocol(&self) -> String {
        self.inner.raw.protocol()
    }

    /// The extensions the server selected, such as `permessage-deflate`; empty before open.
    /// See [`WebSocket.extensions` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/extensions).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _extensions = socket.extensions();
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn extensions(&self) -> String {
        self.inner.raw.extensions()
    }

    /// The connection's state, read live from the browser.
    /// See [`WebSocket.readyState` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/readyState).
    ///
    /// ```no_run
    /// use duplex_ws::{ReadyState, WebSocket};
    ///
    /// let socket = WebSocket::connect("wss://example.com/echo")?;
    /// assert_eq!(socket.ready_state(), ReadyState::Connecting);
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn ready_state(&self) -> ReadyState {
        self.inner.state()
    }

    /// Bytes queued by sends but not yet handed to the network: grows by each message's byte length (UTF-8
    /// for text) at once, and falls as data is transmitted. Poll it for backpressure; the browser has no
    /// "drained" event.
    /// See [`WebSocket.bufferedAmount` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// assert_eq!(socket.buffered_amount(), 0);
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn buffered_amount(&self) -> u64 {
        self.inner.raw.buffered_amount().into()
    }

    /// How binary messages arrive now.
    /// See [`WebSocket.binaryType` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/binaryType).
    ///
    /// ```no_run
    /// use duplex_ws::{BinaryType, WebSocket};
    ///
    /// let socket = WebSocket::connect("wss://example.com/echo")?;
    /// assert_eq!(socket.binary_type(), BinaryType::ArrayBuffer);
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn binary_type(&self) -> BinaryType {
        self.inner.raw.binary_type().into()
    }

    /// Changes how binary messages arrive, from the next message dispatched on.
    /// See [`WebSocket.binaryType` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/binaryType).
    ///
    /// ```no_run
    /// use duplex_ws::{BinaryType, WebSocket};
    ///
    /// let socket = WebSocket::connect("wss://example.com/echo")?;
    /// socket.set_binary_type(BinaryType::Blob);
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        self.inner.raw.set_binary_type(binary_type.into());
    }

    /// How the connection ended, once the close notification has been delivered.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// assert_eq!(socket.close_info(), None);
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.inner.close_info.get().cloned()
    }

    /// Calls `handler` when the connection opens.
    /// See [`open` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/open_event).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _subscription = socket.on_open(|| web_sys::console::log_1(&"open".into()));
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn on_open(&self, mut handler: impl FnMut() + 'static) -> Subscription {
        self.inner.open.subscribe(move |()| handler())
    }

    /// Calls `handler` with every message received, in order.
    /// See [`message` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/message_event).
    ///
    /// ```no_run
    /// use duplex_ws::Message;
    ///
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _subscription = socket.on_message(|message| match message {
    ///     Message::Text(text) => web_sys::console::log_1(&text.into()),
    ///     Message::Binary(bytes) => web_sys::console::log_1(&bytes.len().into()),
    ///     Message::Blob(blob) => web_sys::console::log_1(&blob),
    /// });
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn on_message(&self, mut handler: impl FnMut(Message) + 'static) -> Subscription {
        self.inner
            .message
            .subscribe(move |message: JsMessage| handler(message.into_message()))
    }

    /// Calls `handler` with every message received, in order, as the browser delivered it: text stays a JS
    /// string and binary data an `ArrayBuffer` (or a `Blob`), so nothing is copied into wasm memory unless the
    /// handler asks ([`JsMessage::into_message`]). Handlers of both kinds run in the order they were added;
    /// each [`on_message`](Self::on_message) handler gets a copy of its own, so a socket with only these
    /// handlers copies nothing.
    /// See [`message` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/message_event).
    ///
    /// ```no_run
    /// use duplex_ws::JsMessage;
    ///
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _subscription = socket.on_js_message(|message| {
    ///     if let JsMessage::Text(text) = message {
    ///         web_sys::console::log_1(&text);
    ///     }
    /// });
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn on_js_message(&self, handler: impl FnMut(JsMessage) + 'static) -> Subscription {
        self.inner.message.subscribe(handler)
    }

    /// Calls `handler` when the connection fails. Browsers fire a plain `Event` with no detail; the close
    /// notification that always follows carries the only information ([`CloseInfo`]). By then the state is
    /// already [`ReadyState::Closed`].
    /// See [`error` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/error_event).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _subscription = socket.on_error(|| web_sys::console::warn_1(&"connection failed".into()));
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn on_error(&self, mut handler: impl FnMut() + 'static) -> Subscription {
        self.inner.error.subscribe(move |()| handler())
    }

    /// Calls `handler` once, when the connection has closed (cleanly or not, including when it never opened).
    /// See [`close` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close_event).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let _subscription = socket.on_close(|info| {
    ///     if !info.was_clean {
    ///         web_sys::console::warn_1(&info.to_string().into());
    ///     }
    /// });
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn on_close(&self, handler: impl FnMut(CloseInfo) + 'static) -> Subscription {
        self.inner.close.subscribe(handler)
    }

    /// Sends a message of any kind.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// [`Error::InvalidState`] while connecting, [`Error::NotOpen`] once closing or closed (the browser
    /// would drop the data silently), [`Error::Js`] for anything else the browser throws.
    ///
    /// ```no_run
    /// use duplex_ws::Message;
    ///
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.send(&Message::from("hi"))?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send(&self, message: &Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_text(text),
            Message::Binary(bytes) => self.send_bytes(bytes),
            Message::Blob(blob) => self.send_blob(blob),
        }
    }

    /// Sends a text message.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.send_text("hello")?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send_text(&self, text: &str) -> Result<(), Error> {
        self.inner.sendable()?;
        self.inner.raw.send_with_str(text).map_err(send_error)
    }

    /// Sends a text message that is already a JS string, without copying it through wasm memory: what a
    /// [`JsMessage::Text`] holds, or text from a JS library or the page. [`send_text`](Self::send_text) copies
    /// its `&str` into a new JS string first, which for long text is most of the cost of a send.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let text = js_sys::JsString::from("hello");
    /// socket.send_js_string(&text)?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send_js_string(&self, text: &JsString) -> Result<(), Error> {
        self.inner.sendable()?;
        self.inner
            .raw
            .unchecked_ref::<StringSender>()
            .send(text)
            .map_err(send_error)
    }

    /// Sends a binary message; the browser copies the bytes.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.send_bytes(&[1, 2, 3])?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        self.inner.sendable()?;
        self.inner.raw.send_with_u8_array(bytes).map_err(send_error)
    }

    /// Sends a `Blob` as a binary message, without copying it into wasm memory.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let blob = web_sys::Blob::new().expect("an empty Blob");
    /// socket.send_blob(&blob)?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send_blob(&self, blob: &Blob) -> Result<(), Error> {
        self.inner.sendable()?;
        self.inner.raw.send_with_blob(blob).map_err(send_error)
    }

    /// Sends an `ArrayBuffer` as a binary message.
    /// See [`WebSocket.send()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.send_array_buffer(&js_sys::ArrayBuffer::new(16))?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn send_array_buffer(&self, buffer: &ArrayBuffer) -> Result<(), Error> {
        self.inner.sendable()?;
        self.inner
            .raw
            .send_with_array_buffer(buffer)
            .map_err(send_error)
    }

    /// Starts the closing handshake without a status code (the peer sees a Close frame with no body, and
    /// the close notification reports 1005). Does nothing if the socket is already closing or closed.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::Js`] if the browser throws, which the standard does not allow.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.close()?;
    /// socket.close()?; // a no-op
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        if self.inner.is_closing() {
            return Ok(());
        }
        self.inner
            .raw
            .close()
            .map_err(|thrown| Error::thrown(&thrown, Op::Close { code: 1005 }))
    }

    /// Starts the closing handshake with `code` and `reason`. Both are checked before the browser is called;
    /// an invalid pair leaves the socket untouched. Does nothing if the socket is already closing or closed.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] unless `code` is 1000 or 3000-4999; [`Error::ReasonTooLong`] if `reason`
    /// has more than 123 bytes of UTF-8.
    ///
    /// ```no_run
    /// use duplex_ws::CloseCode;
    ///
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// socket.close_with(CloseCode::Normal, "bye")?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        let code = code.into();
        close::validate(code, reason)?;
        if self.inner.is_closing() {
            return Ok(());
        }
        let number = u16::from(code);
        self.inner
            .raw
            .close_with_code_and_reason(number, reason)
            .map_err(|thrown| Error::thrown(&thrown, Op::Close { code: number }))
    }
}

impl TryFrom<web_sys::WebSocket> for WebSocket {
    type Error = Error;

    /// As [`WebSocket::from_raw`].
    ///
    /// # Errors
    /// As [`WebSocket::from_raw`].
    fn try_from(raw: web_sys::WebSocket) -> Result<Self, Self::Error> {
        Self::from_raw(raw)
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.url())
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

impl WeakWebSocket {
    /// The socket, unless it has been dropped.
    ///
    /// ```no_run
    /// let socket = duplex_ws::WebSocket::connect("wss://example.com/echo")?;
    /// let weak = socket.downgrade();
    /// if let Some(socket) = weak.upgrade() {
    ///     let _ = socket.send_text("still here");
    /// }
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn upgrade(&self) -> Option<WebSocket> {
        self.inner.upgrade().map(|inner| WebSocket { inner })
    }
}

impl fmt::Debug for WeakWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakWebSocket")
            .field("alive", &(self.inner.strong_count() > 0))
            .finish()
    }
}

/// [`Error::InvalidUrl`] if the host of `url` holds a space or control character.
fn check_host(url: &str) -> Result<(), Error> {
    let Some(c) = crate::url::forbidden_host_char(url) else {
        return Ok(());
    };
    let mut message = String::from("the host contains ");
    // Writing to a String cannot fail.
    let _ = crate::text::write_quoted_char(&mut message, c);
    message.push_str(", which URLs may not have");
    Err(Error::InvalidUrl {
        url: url.to_owned(),
        message,
    })
}

#[wasm_bindgen]
extern "C" {
    /// A browser `WebSocket` seen only as what sends a JS string: web-sys declares `send` with a `&str`, which
    /// the bindings copy into a new JS string on every call.
    type StringSender;

    #[wasm_bindgen(method, catch, js_name = send)]
    fn send(this: &StringSender, data: &JsString) -> Result<(), JsValue>;
}

fn send_error(thrown: JsValue) -> Error {
    Error::thrown(&thrown, Op::Send)
}

impl Inner {
    fn state(&self) -> ReadyState {
        // The attribute only ever holds 0..=3; treat anything else as unusable.
        ReadyState::try_from(self.raw.ready_state()).unwrap_or(ReadyState::Closed)
    }

    fn is_closing(&self) -> bool {
        matches!(self.state(), ReadyState::Closing | ReadyState::Closed)
    }

    fn sendable(&self) -> Result<(), Error> {
        match self.state() {
            state @ (ReadyState::Closing | ReadyState::Closed) => Err(Error::NotOpen { state }),
            ReadyState::Connecting | ReadyState::Open => Ok(()),
        }
    }

    // No has-closed check in open, message or error: the close dispatch removes every listener, so
    // nothing can arrive after it.
    fn dispatch_open(&self, _: Event) {
        self.open.emit(());
    }

    fn dispatch_message(&self, event: Event) {
        if let Some(message) = JsMessage::from_event(event.unchecked_ref::<MessageEvent>()) {
            self.message.emit(message);
        }
    }

    fn dispatch_error(&self, _: Event) {
        self.error.emit(());
    }

    fn dispatch_close(&self, event: Event) {
        if self.close_info.get().is_some() {
            return;
        }
        let event = event.unchecked_into::<CloseEvent>();
        let info = CloseInfo {
            code: CloseCode::from(event.code()),
            reason: event.reason(),
            was_clean: event.was_clean(),
        };
        let _ = self.close_info.set(info.clone());
        self.close.emit(info);
        // Nothing can follow a close event: release the closures and the handlers (and whatever they hold).
        drop(self.listeners.take());
        self.open.clear();
        self.message.clear();
        self.error.clear();
        self.close.clear();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let listeners = self.listeners.take();
        for listener in &listeners {
            listener.detach();
        }
        if matches!(self.state(), ReadyState::Connecting | ReadyState::Open) {
            // 1000 is always a valid code, so close cannot throw here.
            let _ = self.raw.close_with_code(1000);
        }
        drop(listeners);
    }
}
