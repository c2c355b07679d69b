//! [`Binding`]: a [`ReconnectingWebSocket`] for one UI component, with a codec, the user's callbacks and an
//! [`Observer`] that carries every change into the framework's state. The Leptos and Yew crates are thin
//! layers on it; another framework needs only an `Observer` and its own mount and unmount.
//!
//! Nothing here holds a `RefCell` borrow while it calls into the socket or a user callback, since either may
//! call back into the binding.

mod options;

use core::cell::{Cell, RefCell};
use core::fmt;
use std::rc::{Rc, Weak};

use options::Callbacks;
pub use options::{BindingOptions, DEFAULT_RECENT};

use crate::{
    CloseCode, CloseInfo, Codec, ConnectionState, Endpoint, Error, Message, ReadyState,
    ReconnectOptions, ReconnectingWebSocket, SendStatus, SendValueError, Subscription,
};

/// Where a [`Binding`] reports: a framework's signals, state or store. Each method is called after the
/// change, never while the binding holds a borrow, and may read or use the binding.
///
/// ```
/// use core::cell::RefCell;
/// use duplex_ws::{ConnectionState, Message, Observer};
///
/// #[derive(Default)]
/// struct Log(RefCell<Vec<String>>);
///
/// impl Observer<Message> for Log {
///     fn state(&self, state: ConnectionState) {
///         self.0.borrow_mut().push(state.to_string());
///     }
///     fn counters(&self, queued: usize, buffered: u64) {
///         self.0.borrow_mut().push(format!("{queued} queued, {buffered} B buffered"));
///     }
///     fn message(&self, message: Message) {
///         self.0.borrow_mut().push(format!("{message:?}"));
///     }
/// }
/// ```
pub trait Observer<T> {
    /// The connection's state changed.
    fn state(&self, state: ConnectionState);
    /// The outbox length or the buffered amount may have changed.
    fn counters(&self, queued: usize, buffered: u64);
    /// A message arrived and was decoded; `on_message` has already seen it. Keep the most recent ones (the
    /// options' [`recent_len`](BindingOptions::recent_len)).
    fn message(&self, message: T);
}

/// A reconnecting socket for one UI component: what the framework hooks' `use_websocket` is made of.
///
/// It connects at [`start`](Self::start) (unless the options say `immediate(false)`), sends typed values
/// through its [`Codec`], calls the user's callbacks, and reports every state, counter and decoded message to
/// its [`Observer`]. [`move_to`](Self::move_to) points it at a new URL; [`shut_down`](Self::shut_down), on
/// unmount, closes the socket with 1000 and releases every closure and timer. Cloning gives another handle
/// to the same binding.
///
/// ```no_run
/// use duplex_ws::{Binding, BindingOptions, ConnectionState, Message, Observer};
///
/// struct Console;
///
/// impl Observer<Message> for Console {
///     fn state(&self, state: ConnectionState) {
///         web_sys::console::log_1(&state.to_string().into());
///     }
///     fn counters(&self, _queued: usize, _buffered: u64) {}
///     fn message(&self, message: Message) {
///         web_sys::console::log_1(&format!("{message:?}").into());
///     }
/// }
///
/// let binding = Binding::new("wss://example.com/echo", BindingOptions::new(), Console);
/// binding.start();
/// binding.send(&Message::from("hello"))?; // queued until open
/// // On unmount:
/// binding.shut_down();
/// # Ok::<(), duplex_ws::SendValueError<core::convert::Infallible>>(())
/// ```
pub struct Binding<C: Codec + 'static, O: Observer<C::Incoming> + 'static> {
    inner: Rc<Inner<C, O>>,
}

struct Inner<C: Codec + 'static, O> {
    me: Weak<Self>,
    codec: C,
    /// What the endpoint provider gives the socket before each attempt; a URL change rewrites it.
    endpoint: RefCell<Endpoint>,
    reconnect: ReconnectOptions,
    immediate: bool,
    callbacks: RefCell<Callbacks<C>>,
    observer: O,
    connection: RefCell<Option<Connection>>,
    /// `close` was called: a URL change waits for `reconnect`.
    closed_by_user: Cell<bool>,
    /// Where the binding is in its life: only a started one connects.
    life: Cell<Life>,
}

/// Where a binding is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    /// Made, not started: on a server, or before a component's mount.
    Made,
    /// Started: it connects (at once, or at the first `reconnect`).
    Started,
    /// Shut down: nothing connects again.
    Shut,
}

/// One reconnecting socket with the binding's handlers on it.
struct Connection {
    socket: ReconnectingWebSocket,
    _subscriptions: [Subscription; 6],
}

impl<C: Codec + 'static, O: Observer<C::Incoming> + 'static> Binding<C, O> {
    /// A binding to `url` with `options`, reporting to `observer`. Nothing connects before
    /// [`start`](Self::start).
    ///
    /// ```no_run
    /// # struct Quiet;
    /// # impl duplex_ws::Observer<duplex_ws::Message> for Quiet {
    /// #     fn state(&self, _: duplex_ws::ConnectionState) {}
    /// #     fn counters(&self, _: usize, _: u64) {}
    /// #     fn message(&self, _: duplex_ws::Message) {}
    /// # }
    /// let binding = duplex_ws::Binding::new("wss://example.com/echo", duplex_ws::BindingOptions::new(), Quiet);
    /// ```
    pub fn new(url: impl Into<String>, options: BindingOptions<C>, observer: O) -> Self {
        let BindingOptions {
            codec,
            reconnect,
            protocols,
            immediate,
            callbacks,
            recent: _,
        } = options;
        let inner = Rc::new_cyclic(|me| Inner {
            me: me.clone(),
            codec,
            endpoint: RefCell::new(Endpoint {
                url: url.into(),
                protocols,
            }),
            reconnect,
            immediate,
            callbacks: RefCell::new(callbacks),
            observer,
            connection: RefCell::new(None),
            closed_by_user: Cell::new(false),
            life: Cell::new(Life::Made),
        });
        Self { inner }
    }

    /// Connects, unless the options said `immediate(false)`: then the first [`reconnect`](Self::reconnect)
    /// does. A URL the browser refuses shows in the state as a close (1006, with the error as the reason).
    /// Until this is called, nothing connects and every action fails with [`Error::NotOpen`]: a server
    /// rendering the component never calls it. After [`shut_down`](Self::shut_down) it does nothing.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// binding.start();
    /// # }
    /// ```
    pub fn start(&self) {
        if self.inner.life.get() != Life::Made {
            return;
        }
        self.inner.life.set(Life::Started);
        if self.inner.immediate {
            // The failure is in the state already.
            let _ = self.inner.connect();
        }
    }

    /// Sends `value`, encoded by the codec: at once if open, otherwise queued in the outbox and sent in order
    /// on the next open.
    ///
    /// # Errors
    /// [`SendValueError::Encode`] if the codec cannot encode it; [`SendValueError::Send`] with the errors of
    /// [`ReconnectingWebSocket::send`] (a full outbox, or a socket closed by [`close`](Self::close)), or
    /// [`Error::NotOpen`] when there is no socket: before [`start`](Self::start), before the first `reconnect`
    /// with `immediate(false)`, and after [`shut_down`](Self::shut_down).
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// if let Err(error) = binding.send(&duplex_ws::Message::from("hello")) {
    ///     web_sys::console::warn_1(&error.to_string().into());
    /// }
    /// # }
    /// ```
    pub fn send(&self, value: &C::Outgoing) -> Result<SendStatus, SendValueError<C::Error>> {
        let socket = self.socket().ok_or(SendValueError::Send(not_open()))?;
        let message = self
            .inner
            .codec
            .encode(value)
            .map_err(SendValueError::Encode)?;
        Ok(self.inner.send_on(&socket, &message)?)
    }

    /// Sends `message` as it is, whatever the codec: at once if open, otherwise queued.
    ///
    /// # Errors
    /// As [`send`](Self::send), without the codec's.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) -> Result<(), duplex_ws::Error> {
    /// binding.send_message(&duplex_ws::Message::from(&[1, 2, 3][..]))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_message(&self, message: &Message) -> Result<SendStatus, Error> {
        let socket = self.socket().ok_or_else(not_open)?;
        self.inner.send_on(&socket, message)
    }

    /// Closes without a code and stops reconnecting until [`reconnect`](Self::reconnect). Queued
    /// messages stay in the outbox.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::NotOpen`] when there is no socket.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) -> Result<(), duplex_ws::Error> {
    /// binding.close()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.close_socket(ReconnectingWebSocket::close)
    }

    /// Closes with `code` and `reason`, as [`close`](Self::close).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] unless `code` is 1000 or 3000-4999, [`Error::ReasonTooLong`] past 123
    /// UTF-8 bytes (the socket then stays as it was), and [`Error::NotOpen`] when there is no socket.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) -> Result<(), duplex_ws::Error> {
    /// binding.close_with(duplex_ws::CloseCode::Normal, "bye")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        let code = code.into();
        self.close_socket(|socket| socket.close_with(code, reason))
    }

    fn close_socket(
        &self,
        close: impl FnOnce(&ReconnectingWebSocket) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let socket = self.socket().ok_or_else(not_open)?;
        close(&socket)?;
        self.inner.closed_by_user.set(true);
        self.inner.show_counters(&socket);
        Ok(())
    }

    /// Connects again now, from any state: replaces a connecting or open socket, cuts a backoff short,
    /// restarts after a close, and opens the first socket with `immediate(false)`.
    ///
    /// # Errors
    /// Those of [`ReconnectingWebSocket::reconnect`] (an invalid URL, also shown in the state), and
    /// [`Error::NotOpen`] before [`start`](Self::start) and after [`shut_down`](Self::shut_down).
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) -> Result<(), duplex_ws::Error> {
    /// binding.reconnect()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reconnect(&self) -> Result<(), Error> {
        if self.inner.life.get() != Life::Started {
            return Err(not_open());
        }
        self.inner.closed_by_user.set(false);
        match self.socket() {
            Some(socket) => {
                let reconnected = socket.reconnect();
                self.inner.show_counters(&socket);
                reconnected
            }
            None => self.inner.connect(),
        }
    }

    /// Points every later attempt at `url`, and reconnects to it now unless it is the URL in use, or
    /// [`close`](Self::close) was called (then the next [`reconnect`](Self::reconnect) goes there). Queued
    /// messages go to the new URL.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// binding.move_to("wss://eu.example.com/echo");
    /// # }
    /// ```
    pub fn move_to(&self, url: impl Into<String>) {
        let url = url.into();
        {
            let mut endpoint = self.inner.endpoint.borrow_mut();
            if endpoint.url == url {
                return;
            }
            endpoint.url = url;
        }
        if self.inner.closed_by_user.get() {
            return;
        }
        if let Some(socket) = self.socket() {
            // An invalid URL shows in the state as a close; nothing else is to be done here.
            let _ = socket.reconnect();
        }
    }

    /// The URL the next attempt goes to.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// let url = binding.url();
    /// # }
    /// ```
    pub fn url(&self) -> String {
        self.inner.endpoint.borrow().url.clone()
    }

    /// Empties the outbox and returns what it held, in order, for example after [`close`](Self::close).
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// let unsent = binding.take_unsent();
    /// # }
    /// ```
    pub fn take_unsent(&self) -> Vec<Message> {
        let Some(socket) = self.socket() else {
            return Vec::new();
        };
        let unsent = socket.take_unsent();
        self.inner.show_counters(&socket);
        unsent
    }

    /// Replaces the user's callbacks with those of `options` (the rest of `options` is ignored): for a
    /// framework whose components build their options again at every render.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// binding.set_callbacks(duplex_ws::BindingOptions::new().on_open(|| web_sys::console::log_1(&"open".into())));
    /// # }
    /// ```
    pub fn set_callbacks(&self, options: BindingOptions<C>) {
        // A callback running now keeps its old list; the new one takes effect for the next event.
        if let Ok(mut callbacks) = self.inner.callbacks.try_borrow_mut() {
            *callbacks = options.callbacks;
        }
    }

    /// The reconnecting socket underneath, for what this binding does not offer (its binary type, its
    /// current `WebSocket`); `None` when there is none. A clone kept past [`shut_down`](Self::shut_down)
    /// sees a closed socket.
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// if let Some(socket) = binding.socket() {
    ///     socket.set_binary_type(duplex_ws::BinaryType::Blob);
    /// }
    /// # }
    /// ```
    pub fn socket(&self) -> Option<ReconnectingWebSocket> {
        let connection = self.inner.connection.borrow();
        connection.as_ref().map(|c| c.socket.clone())
    }

    /// Unsubscribes, closes the socket with 1000 and drops it, with every closure and timer it holds: for
    /// unmount. The observer hears nothing more; every later call but this one fails with
    /// [`Error::NotOpen`].
    ///
    /// ```no_run
    /// # fn example<O: duplex_ws::Observer<duplex_ws::Message>>(binding: duplex_ws::Binding<duplex_ws::Raw, O>) {
    /// binding.shut_down();
    /// # }
    /// ```
    pub fn shut_down(&self) {
        self.inner.life.set(Life::Shut);
        let connection = self.inner.connection.take();
        if let Some(Connection {
            socket,
            _subscriptions,
        }) = connection
        {
            drop(_subscriptions);
            // A failure means the socket is closing already; dropping it finishes the job.
            let _ = socket.close_with(CloseCode::Normal, "");
        }
    }
}

impl<C: Codec + 'static, O: Observer<C::Incoming> + 'static> Inner<C, O> {
    /// Opens a reconnecting socket to the current endpoint and reports its state.
    fn connect(&self) -> Result<(), Error> {
        if self.life.get() != Life::Started {
            return Err(not_open());
        }
        let me = self.me.clone();
        let provider = move || {
            me.upgrade().map_or_else(
                || Endpoint::new(""),
                |inner| inner.endpoint.borrow().clone(),
            )
        };
        let socket = match ReconnectingWebSocket::connect_with(provider, self.reconnect.clone()) {
            Ok(socket) => socket,
            Err(error) => {
                self.observer.state(ConnectionState::Closed {
                    info: CloseInfo {
                        code: CloseCode::Abnormal,
                        reason: error.to_string(),
                        was_clean: false,
                    },
                });
                return Err(error);
            }
        };
        let connection = Connection {
            _subscriptions: self.subscribe(&socket),
            socket: socket.clone(),
        };
        *self.connection.borrow_mut() = Some(connection);
        self.observer.state(socket.state());
        self.show_counters(&socket);
        Ok(())
    }

    fn subscribe(&self, socket: &ReconnectingWebSocket) -> [Subscription; 6] {
        [
            socket.on_state(self.handler(|inner, state| {
                inner.observer.state(state);
                inner.show_queued();
            })),
            socket.on_message(self.handler(|inner, message: Message| inner.received(&message))),
            socket.on_buffered_amount(self.handler(|inner, buffered| {
                let queued = inner.socket().map_or(0, |socket| socket.queued());
                inner.observer.counters(queued, buffered);
            })),
            socket.on_open(self.handler0(|inner| inner.call(|c| c.open.as_mut().map(|f| f(()))))),
            socket.on_close(self.handler(|inner, info: CloseInfo| {
                inner.call(|c| c.close.as_mut().map(|f| f(info)));
            })),
            socket.on_error(self.handler0(|inner| inner.call(|c| c.error.as_mut().map(|f| f(()))))),
        ]
    }

    /// A socket handler that reaches this binding weakly (the binding owns the socket).
    fn handler<A>(&self, f: impl Fn(&Self, A) + 'static) -> impl FnMut(A) + 'static {
        let me = self.me.clone();
        move |argument| {
            if let Some(inner) = me.upgrade() {
                f(&inner, argument);
            }
        }
    }

    fn handler0(&self, f: impl Fn(&Self) + 'static) -> impl FnMut() + 'static {
        let mut handler = self.handler(move |inner, ()| f(inner));
        move || handler(())
    }

    /// Decodes a received message, hands it to `on_message`, then to the observer.
    fn received(&self, message: &Message) {
        match self.codec.decode(message) {
            Ok(value) => {
                self.call(|c| c.message.as_mut().map(|f| f(&value)));
                self.observer.message(value);
            }
            Err(error) => {
                let mut callbacks = self.callbacks.try_borrow_mut();
                match callbacks
                    .as_mut()
                    .ok()
                    .and_then(|c| c.decode_error.as_mut())
                {
                    Some(on_decode_error) => on_decode_error(message, error),
                    None => warn(&format!("duplex-ws: a message not decoded: {error}")),
                }
            }
        }
    }

    /// Runs one of the user's callbacks, unless it is running already (it made the socket deliver again).
    fn call(&self, f: impl FnOnce(&mut Callbacks<C>) -> Option<()>) {
        if let Ok(mut callbacks) = self.callbacks.try_borrow_mut() {
            f(&mut callbacks);
        }
    }

    fn socket(&self) -> Option<ReconnectingWebSocket> {
        let connection = self.connection.borrow();
        connection.as_ref().map(|c| c.socket.clone())
    }

    fn send_on(
        &self,
        socket: &ReconnectingWebSocket,
        message: &Message,
    ) -> Result<SendStatus, Error> {
        let sent = socket.send(message);
        self.show_counters(socket);
        sent
    }

    fn show_counters(&self, socket: &ReconnectingWebSocket) {
        self.observer
            .counters(socket.queued(), socket.buffered_amount());
    }

    fn show_queued(&self) {
        if let Some(socket) = self.socket() {
            self.show_counters(&socket);
        }
    }
}

impl<C: Codec + 'static, O: Observer<C::Incoming> + 'static> Clone for Binding<C, O> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<C: Codec + 'static, O: Observer<C::Incoming> + 'static> fmt::Debug for Binding<C, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("url", &self.url())
            .field("socket", &self.socket())
            .field("life", &self.inner.life.get())
            .finish_non_exhaustive()
    }
}

fn not_open() -> Error {
    Error::NotOpen {
        state: ReadyState::Closed,
    }
}

fn warn(text: &str) {
    web_sys::console::warn_1(&text.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the binding reports.
    #[derive(Default)]
    struct Seen(RefCell<Vec<ConnectionState>>);

    impl Observer<Message> for Rc<Seen> {
        fn state(&self, state: ConnectionState) {
            self.0.borrow_mut().push(state);
        }
        fn counters(&self, _: usize, _: u64) {}
        fn message(&self, _: Message) {}
    }

    fn made() -> (Binding<crate::Raw, Rc<Seen>>, Rc<Seen>) {
        let seen = Rc::new(Seen::default());
        let options = BindingOptions::new();
        let binding = Binding::new("wss://example.com/echo", options, Rc::clone(&seen));
        (binding, seen)
    }

    #[test]
    fn before_start_nothing_connects_and_every_action_is_not_open() {
        let (binding, seen) = made();
        let not_open = Error::NotOpen {
            state: ReadyState::Closed,
        };
        assert_eq!(
            binding.send(&Message::from("hi")),
            Err(SendValueError::Send(not_open.clone()))
        );
        assert_eq!(
            binding.send_message(&Message::from("hi")),
            Err(not_open.clone())
        );
        assert_eq!(binding.close(), Err(not_open.clone()));
        assert_eq!(binding.close_with(1000, "bye"), Err(not_open.clone()));
        assert_eq!(binding.reconnect(), Err(not_open));
        assert!(binding.socket().is_none());
        assert!(binding.take_unsent().is_empty());
        assert!(seen.0.borrow().is_empty(), "nothing reported");
    }

    #[test]
    fn move_to_points_later_attempts_at_the_new_url() {
        let (binding, _) = made();
        binding.move_to("wss://eu.example.com/echo");
        assert_eq!(binding.url(), "wss://eu.example.com/echo");
    }

    #[test]
    fn after_shut_down_start_does_nothing() {
        let (binding, seen) = made();
        binding.shut_down();
        binding.start();
        assert!(binding.socket().is_none());
        assert!(seen.0.borrow().is_empty());
        assert_eq!(binding.inner.life.get(), Life::Shut);
    }

    #[test]
    fn the_initial_state_follows_immediate() {
        assert_eq!(
            BindingOptions::new().initial_state(),
            ConnectionState::Connecting { attempt: 0 }
        );
        assert!(matches!(
            BindingOptions::new().immediate(false).initial_state(),
            ConnectionState::Closed { info } if info.code == CloseCode::NoStatus && info.was_clean
        ));
    }
}
