//! [`ReconnectingWebSocket`] (feature `reconnect`): a socket that comes back after failures, with backoff and
//! jitter, an outbox for messages sent meanwhile, and a heartbeat that detects dead links.

mod machine;
mod options;
mod outbox;
mod state;

use core::fmt;
use std::rc::{Rc, Weak};

use machine::Inner;
pub use options::{
    Endpoint, HEARTBEAT_TIMEOUT_CODE, Heartbeat, OutboxOverflow, ReconnectOptions,
    default_should_reconnect,
};
pub use state::{ConnectionState, SendStatus};

use crate::{BinaryType, CloseCode, CloseInfo, Error, JsMessage, Message, Subscription, WebSocket};

/// A WebSocket that reconnects: the callback layer's handler API, over a new [`WebSocket`] for every attempt.
///
/// - **Handlers** (`on_open`, `on_message`, `on_error`, `on_close`) stay registered across reconnects and
///   see the events of every underlying socket; [`on_state`](Self::on_state) sees every
///   [`ConnectionState`] change, in order. The binary type carries over to every new socket.
/// - **Reconnecting.** After a close the user did not ask for, the `should_reconnect` predicate decides
///   ([`default_should_reconnect`]); then attempt `n` waits a [`Backoff`](crate::Backoff) delay drawn afresh,
///   each attempt has a connect timeout, and after `max_retries` failures in a row the state becomes
///   [`Closed`](ConnectionState::Closed). The attempt count resets once a connection has stayed up for the
///   minimum uptime.
/// - **Sending.** [`send`](Self::send) sends at once while open and otherwise queues in a bounded outbox,
///   flushed in order on the next open before any newer message; it says which it did.
/// - **Heartbeat.** An optional ping every interval; if nothing arrives within the timeout, the socket is
///   closed with [`HEARTBEAT_TIMEOUT_CODE`] and a reconnect follows.
/// - **Ownership.** Every socket, closure and timer is owned by this value, and handlers and timers refer
///   back to it weakly. [`close`](Self::close) stops every attempt and timer for good (until
///   [`reconnect`](Self::reconnect)); dropping the last handle does too, and closes the socket with 1000. A
///   handler that needs the socket should capture [`downgrade`](Self::downgrade).
///
/// ```no_run
/// use core::time::Duration;
/// use duplex_ws::{ConnectionState, Heartbeat, ReconnectOptions, ReconnectingWebSocket};
///
/// let options = ReconnectOptions::new()
///     .heartbeat(Some(Heartbeat::new(r#"{"type":"ping"}"#, Duration::from_secs(15), Duration::from_secs(40))));
/// let socket = ReconnectingWebSocket::connect("wss://example.com/chat", options)?;
/// socket.on_state(|state| web_sys::console::log_1(&state.to_string().into())).keep();
/// socket.on_message(|message| web_sys::console::log_1(&format!("{message:?}").into())).keep();
/// // Sent now if open, otherwise queued and sent in order on the next open.
/// let status = socket.send_text(r#"{"type":"say","text":"hi"}"#)?;
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[derive(Clone)]
pub struct ReconnectingWebSocket {
    inner: Rc<Inner>,
}

/// A handle that does not keep a [`ReconnectingWebSocket`] alive, for its own handlers.
///
/// ```no_run
/// use duplex_ws::{ReconnectOptions, ReconnectingWebSocket};
///
/// let socket = ReconnectingWebSocket::connect("wss://example.com/chat", ReconnectOptions::new())?;
/// let weak = socket.downgrade();
/// socket.on_open(move || if let Some(s) = weak.upgrade() { let _ = s.send_text("hello again"); }).keep();
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct WeakReconnectingWebSocket {
    inner: Weak<Inner>,
}

impl ReconnectingWebSocket {
    /// Starts connecting to `endpoint` (a URL, or an [`Endpoint`] with sub-protocols), the same one on every
    /// attempt. On return the state is `Connecting { attempt: 0 }`.
    ///
    /// # Errors
    /// Those of [`WebSocket::connect_with`] for the first attempt (a bad URL or protocol); later attempts that
    /// fail count as failed attempts.
    ///
    /// ```no_run
    /// use duplex_ws::{Endpoint, ReconnectOptions, ReconnectingWebSocket};
    ///
    /// let socket = ReconnectingWebSocket::connect(Endpoint::new("wss://example.com/chat").protocol("chat"), ReconnectOptions::new())?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn connect(
        endpoint: impl Into<Endpoint>,
        options: ReconnectOptions,
    ) -> Result<Self, Error> {
        let endpoint = endpoint.into();
        Self::connect_with(move || endpoint.clone(), options)
    }

    /// Starts connecting to the endpoint `provider` gives; it is called again before every attempt, so a
    /// token in the URL can be refreshed. It must not call back into this socket.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    ///
    /// ```no_run
    /// use duplex_ws::{Endpoint, ReconnectOptions, ReconnectingWebSocket};
    ///
    /// let mut tokens = 0;
    /// let socket = ReconnectingWebSocket::connect_with(
    ///     move || {
    ///         tokens += 1;
    ///         Endpoint::new(format!("wss://example.com/chat?token={tokens}"))
    ///     },
    ///     ReconnectOptions::new(),
    /// )?;
    /// # Ok::<(), duplex_ws::Error>(())
    /// ```
    pub fn connect_with(
        provider: impl FnMut() -> Endpoint + 'static,
        options: ReconnectOptions,
    ) -> Result<Self, Error> {
        Inner::start(options, Box::new(provider)).map(|inner| Self { inner })
    }

    /// A handle that does not keep this socket alive.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// let weak = socket.downgrade();
    /// # }
    /// ```
    pub fn downgrade(&self) -> WeakReconnectingWebSocket {
        WeakReconnectingWebSocket {
            inner: Rc::downgrade(&self.inner),
        }
    }

    /// What the socket is doing now.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// if socket.state() == duplex_ws::ConnectionState::Open { /* ... */ }
    /// # }
    /// ```
    pub fn state(&self) -> ConnectionState {
        self.inner.state()
    }

    /// The current underlying socket, while connecting or open (for its protocol or `bufferedAmount`).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// let buffered = socket.socket().map_or(0, |s| s.buffered_amount());
    /// # }
    /// ```
    pub fn socket(&self) -> Option<WebSocket> {
        self.inner.socket()
    }

    /// How binary messages arrive, on this and every later socket.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// let binary_type = socket.binary_type();
    /// # }
    /// ```
    pub fn binary_type(&self) -> BinaryType {
        self.inner.binary_type()
    }

    /// Changes how binary messages arrive, on the current socket and every later one.
    /// See [`WebSocket.binaryType` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/binaryType).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.set_binary_type(duplex_ws::BinaryType::Blob);
    /// # }
    /// ```
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        self.inner.set_binary_type(binary_type);
    }

    /// Sends `message` now if open, and otherwise queues it to be sent, in order, on the next open.
    ///
    /// # Errors
    /// [`Error::OutboxFull`] when the outbox is full and its policy is to reject; [`Error::NotOpen`] after
    /// [`close`](Self::close) or once [`Closed`](ConnectionState::Closed) (nothing will open until
    /// [`reconnect`](Self::reconnect)); [`Error::Js`] if the browser throws.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// match socket.send(&duplex_ws::Message::from("hi"))? {
    ///     duplex_ws::SendStatus::Sent => {}
    ///     duplex_ws::SendStatus::Queued { dropped } => { /* show "sending…" */ }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(&self, message: &Message) -> Result<SendStatus, Error> {
        self.inner.send(message)
    }

    /// Sends a text message, as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.send_text("hello")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_text(&self, text: &str) -> Result<SendStatus, Error> {
        self.send(&Message::from(text))
    }

    /// Sends a binary message, as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.send_bytes(&[1, 2, 3])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<SendStatus, Error> {
        self.send(&Message::from(bytes))
    }

    /// How many bytes the current socket has been given but not yet sent: its
    /// [`bufferedAmount` (MDN)](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount),
    /// or 0 while there is no socket.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// let waiting_bytes = socket.buffered_amount();
    /// # }
    /// ```
    pub fn buffered_amount(&self) -> u64 {
        self.inner.buffered_amount()
    }

    /// Calls `handler` with the [`buffered_amount`](Self::buffered_amount) each time it is seen to change:
    /// after a send that the browser buffers, then every 50 ms while bytes wait (the browser has no "drained"
    /// event), and when a socket comes or goes. The reading timer runs only while bytes wait and a handler is
    /// subscribed, and counts in [`live_timers`](crate::live_timers).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_buffered_amount(|bytes| web_sys::console::log_1(&format!("{bytes} B to send").into())).keep();
    /// # }
    /// ```
    pub fn on_buffered_amount(&self, handler: impl FnMut(u64) + 'static) -> Subscription {
        let subscription = self.inner.handlers.buffered.subscribe(handler);
        self.inner.watch_buffered_from_now();
        subscription
    }

    /// How many messages wait in the outbox.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// let waiting = socket.queued();
    /// # }
    /// ```
    pub fn queued(&self) -> usize {
        self.inner.queued()
    }

    /// Empties the outbox and returns what it held, in order: after [`close`](Self::close), nothing queued
    /// is lost.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.close()?;
    /// let unsent = socket.take_unsent();
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_unsent(&self) -> Vec<Message> {
        self.inner.take_unsent()
    }

    /// Stops for good: closes the socket without a code (or ends the backoff) and cancels every attempt and
    /// timer. The state becomes [`Closed`](ConnectionState::Closed) once the socket has closed. Queued
    /// messages stay in the outbox, for [`take_unsent`](Self::take_unsent) or a later
    /// [`reconnect`](Self::reconnect).
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::Js`] if the browser throws, which the standard does not allow.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.close()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.inner.close(None, "")
    }

    /// Stops for good, as [`close`](Self::close), closing with `code` and `reason`.
    ///
    /// # Errors
    /// As [`WebSocket::close_with`]: an invalid code or reason changes nothing.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.close_with(duplex_ws::CloseCode::Normal, "logged out")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        self.inner.close(Some(code.into()), reason)
    }

    /// Connects again now, from any state: a connecting or open socket is replaced (and closed with 1000,
    /// unreported), a backoff is cut short, and after [`close`](Self::close) or a final close the socket
    /// starts over with attempt 0.
    ///
    /// # Errors
    /// Those of [`WebSocket::connect_with`] when the endpoint is invalid; the state is then
    /// [`Closed`](ConnectionState::Closed).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) -> Result<(), duplex_ws::Error> {
    /// socket.reconnect()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reconnect(&self) -> Result<(), Error> {
        self.inner.reconnect()
    }

    /// Calls `handler` with every state change, in order.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_state(|state| web_sys::console::log_1(&state.to_string().into())).keep();
    /// # }
    /// ```
    pub fn on_state(&self, handler: impl FnMut(ConnectionState) + 'static) -> Subscription {
        self.inner.handlers.state.subscribe(handler)
    }

    /// Calls `handler` each time a socket opens (after the outbox has been flushed into it).
    /// See [`open` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/open_event).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_open(|| web_sys::console::log_1(&"open".into())).keep();
    /// # }
    /// ```
    pub fn on_open(&self, mut handler: impl FnMut() + 'static) -> Subscription {
        self.inner.handlers.open.subscribe(move |()| handler())
    }

    /// Calls `handler` with every message, from every socket, in order.
    /// See [`message` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/message_event).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_message(|message| web_sys::console::log_1(&format!("{message:?}").into())).keep();
    /// # }
    /// ```
    pub fn on_message(&self, mut handler: impl FnMut(Message) + 'static) -> Subscription {
        self.inner
            .handlers
            .message
            .subscribe(move |message: JsMessage| handler(message.into_message()))
    }

    /// Calls `handler` when a socket fails (a close notification follows).
    /// See [`error` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/error_event).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_error(|| web_sys::console::warn_1(&"connection failed".into())).keep();
    /// # }
    /// ```
    pub fn on_error(&self, mut handler: impl FnMut() + 'static) -> Subscription {
        self.inner.handlers.error.subscribe(move |()| handler())
    }

    /// Calls `handler` each time a socket closes or an attempt is abandoned: with the browser's close
    /// information, or code 1006 and reason "connect timeout" for an attempt that timed out, or
    /// [`HEARTBEAT_TIMEOUT_CODE`] and "heartbeat timeout" for a dead link.
    /// See [`close` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close_event).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws::ReconnectingWebSocket) {
    /// socket.on_close(|info| web_sys::console::log_1(&info.to_string().into())).keep();
    /// # }
    /// ```
    pub fn on_close(&self, handler: impl FnMut(CloseInfo) + 'static) -> Subscription {
        self.inner.handlers.close.subscribe(handler)
    }
}

impl fmt::Debug for ReconnectingWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconnectingWebSocket")
            .field("state", &self.state())
            .field("queued", &self.queued())
            .finish_non_exhaustive()
    }
}

impl WeakReconnectingWebSocket {
    /// The socket, unless every handle to it has been dropped.
    ///
    /// ```no_run
    /// # fn example(weak: duplex_ws::WeakReconnectingWebSocket) {
    /// if let Some(socket) = weak.upgrade() {
    ///     let _ = socket.send_text("still here");
    /// }
    /// # }
    /// ```
    pub fn upgrade(&self) -> Option<ReconnectingWebSocket> {
        self.inner
            .upgrade()
            .map(|inner| ReconnectingWebSocket { inner })
    }
}

impl fmt::Debug for WeakReconnectingWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakReconnectingWebSocket")
            .field("alive", &(self.inner.strong_count() > 0))
            .finish()
    }
}

impl From<&str> for Endpoint {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for Endpoint {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}
