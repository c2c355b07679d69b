//! [`use_websocket`] and the [`UseWebSocketHandle`] it returns: a duplex-ws [`Binding`] whose observer
//! dispatches to a Yew reducer, made at the first render, started by a mount effect and shut down by its
//! destructor.

use core::fmt;
use std::collections::VecDeque;
use std::rc::Rc;

use duplex_ws::{
    Binding, BindingOptions, CloseCode, Codec, ConnectionState, Error, Message, Observer, Raw,
    ReconnectingWebSocket, SendStatus, SendValueError,
};
use yew::prelude::*;

/// Whether this build talks to a browser: not on the server, where the hook is inert.
const IN_BROWSER: bool = cfg!(all(target_arch = "wasm32", not(feature = "ssr")));

/// What the component renders from: the socket's state and the recent messages.
#[derive(Debug, Clone, PartialEq)]
struct View<T> {
    state: ConnectionState,
    queued: usize,
    buffered_amount: u64,
    messages: VecDeque<T>,
    recent: usize,
}

/// A change the [`Binding`]'s observer reports.
#[derive(Debug)]
enum Change<T> {
    /// The connection's state changed.
    State(ConnectionState),
    /// The outbox length and the buffered amount, after a change.
    Counters(usize, u64),
    /// A decoded message arrived.
    Message(T),
}

impl<T: Clone> Reducible for View<T> {
    type Action = Change<T>;

    fn reduce(self: Rc<Self>, change: Change<T>) -> Rc<Self> {
        match change {
            Change::State(state) if state == self.state => self,
            Change::Counters(queued, buffered) if (queued, buffered) == self.counters() => self,
            Change::Message(_) if self.recent == 0 => self,
            change => {
                let mut view = Rc::unwrap_or_clone(self);
                match change {
                    Change::State(state) => view.state = state,
                    Change::Counters(queued, buffered) => {
                        view.queued = queued;
                        view.buffered_amount = buffered;
                    }
                    Change::Message(message) => {
                        if view.messages.len() >= view.recent {
                            view.messages.pop_front();
                        }
                        view.messages.push_back(message);
                    }
                }
                Rc::new(view)
            }
        }
    }
}

impl<T> View<T> {
    fn counters(&self) -> (usize, u64) {
        (self.queued, self.buffered_amount)
    }
}

/// The hook's [`Observer`]: every change becomes a reducer action, so each render sees one consistent view.
struct Dispatch<T: Clone + 'static>(UseReducerDispatcher<View<T>>);

impl<T: Clone + 'static> Observer<T> for Dispatch<T> {
    fn state(&self, state: ConnectionState) {
        self.0.dispatch(Change::State(state));
    }

    fn counters(&self, queued: usize, buffered: u64) {
        self.0.dispatch(Change::Counters(queued, buffered));
    }

    fn message(&self, message: T) {
        self.0.dispatch(Change::Message(message));
    }
}

/// The binding of one hook: its observer dispatches to the hook's reducer.
type HookBinding<C> = Binding<C, Dispatch<<C as Codec>::Incoming>>;

/// A reconnecting WebSocket for this component: opened after its first render (unless
/// [`immediate(false)`](BindingOptions::immediate)), moved when `url` changes, closed with 1000 and released
/// when the component unmounts, with every closure and timer it made.
///
/// `url` is read at every render, as Yew hooks' arguments are: when it changes, the socket reconnects to the
/// new URL at once (after [`close`](UseWebSocketHandle::close), at the next
/// [`reconnect`](UseWebSocketHandle::reconnect)), and messages sent meanwhile go there. The options are read
/// once, at the first render, except the callbacks: each render's are the ones called from then on, so they
/// may capture the render's state.
///
/// With the `ssr` feature, or anywhere but a browser, the hook opens nothing and the handle shows the initial
/// state: [`Connecting { attempt: 0 }`](ConnectionState::Connecting) (`Closed`, "not started", with
/// `immediate(false)`), 0 queued, 0 buffered, no messages; that is also what the browser shows first, so
/// hydration matches.
///
/// ```no_run
/// use duplex_ws_yew::{UseWebSocketOptions, use_websocket};
/// use yew::prelude::*;
///
/// #[function_component]
/// fn Echo() -> Html {
///     let socket = use_websocket("wss://example.com/echo", UseWebSocketOptions::new());
///     let send = {
///         let socket = socket.clone();
///         // Queued in the outbox while not open, sent in order on the next open.
///         Callback::from(move |_| drop(socket.send_text("hello")))
///     };
///     html! {
///         <>
///             <p>{ socket.state().to_string() } { ", " } { socket.queued() } { " waiting" }</p>
///             <button onclick={send}>{ "Send" }</button>
///             <ul>{ for socket.messages().iter().map(|m| html! { <li>{ format!("{:?}", m.as_text()) }</li> }) }</ul>
///         </>
///     }
/// }
/// ```
#[hook]
pub fn use_websocket<C>(
    url: impl Into<AttrValue>,
    options: BindingOptions<C>,
) -> UseWebSocketHandle<C>
where
    C: Codec + 'static,
    C::Incoming: Clone,
{
    let url: AttrValue = url.into();
    let (initial, recent) = (options.initial_state(), options.recent_len());
    let view = use_reducer(move || View {
        state: initial,
        queued: 0,
        buffered_amount: 0,
        messages: VecDeque::new(),
        recent,
    });
    // The first render builds the binding from its options; each later render brings new callbacks.
    let slot = use_mut_ref(|| None::<HookBinding<C>>);
    let existing = slot.borrow().clone();
    let binding = match existing {
        Some(binding) => {
            binding.set_callbacks(options);
            binding
        }
        None => {
            let created = Binding::new(url.as_str(), options, Dispatch(view.dispatcher()));
            *slot.borrow_mut() = Some(created.clone());
            created
        }
    };
    {
        let binding = binding.clone();
        use_effect_with((), move |_| {
            if IN_BROWSER {
                binding.start();
            }
            move || binding.shut_down()
        });
    }
    {
        let binding = binding.clone();
        use_effect_with(url, move |url| binding.move_to(url.as_str()));
    }
    UseWebSocketHandle { view, binding }
}

/// What [`use_websocket`] returns: the state the component renders from, and what to do with the socket.
/// Cloning it is cheap; clone it into callbacks.
///
/// After the component has unmounted, or on the server, every method that acts returns
/// [`Error::NotOpen`].
pub struct UseWebSocketHandle<C: Codec + 'static = Raw>
where
    C::Incoming: Clone,
{
    view: UseReducerHandle<View<C::Incoming>>,
    binding: HookBinding<C>,
}

impl<C: Codec + 'static> UseWebSocketHandle<C>
where
    C::Incoming: Clone,
{
    /// What the socket is doing: connecting (with the attempt), open, in a backoff (with its delay), or closed
    /// (with its [`CloseInfo`](duplex_ws::CloseInfo)).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// let online = *socket.state() == duplex_ws_yew::ConnectionState::Open;
    /// # }
    /// ```
    pub fn state(&self) -> &ConnectionState {
        &self.view.state
    }

    /// How many messages wait in the outbox for the next open.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// let waiting = socket.queued();
    /// # }
    /// ```
    pub fn queued(&self) -> usize {
        self.view.queued
    }

    /// How many bytes the open socket has not sent yet: its
    /// [`bufferedAmount` (MDN)](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount),
    /// read after each send and every 50 ms while it is not 0.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// let bytes = socket.buffered_amount();
    /// # }
    /// ```
    pub fn buffered_amount(&self) -> u64 {
        self.view.buffered_amount
    }

    /// The most recent received messages, decoded, oldest first, at most
    /// [`recent`](BindingOptions::recent) of them. Every message also goes to
    /// [`on_message`](BindingOptions::on_message) as it arrives. Each one added copies the list (the view is
    /// a snapshot per render): for thousands, keep `recent` small and collect in `on_message`.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// let last = socket.messages().back();
    /// # }
    /// ```
    pub fn messages(&self) -> &VecDeque<C::Incoming> {
        &self.view.messages
    }

    /// Sends `value`, encoded by the codec: at once if open, otherwise queued in the outbox and sent in order
    /// on the next open.
    ///
    /// # Errors
    /// [`SendValueError::Encode`] if the codec cannot encode it; [`SendValueError::Send`] with a full outbox,
    /// after [`close`](Self::close), or with [`Error::NotOpen`] when there is no socket (before the mount
    /// effect, after unmount, on the server, before the first [`reconnect`](Self::reconnect) with
    /// `immediate(false)`).
    ///
    /// ```no_run
    /// # #[cfg(feature = "json")]
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle<duplex_ws_yew::Json<u32>>) {
    /// if let Err(error) = socket.send(&42) {
    ///     web_sys::console::warn_1(&error.to_string().into());
    /// }
    /// # }
    /// ```
    pub fn send(&self, value: &C::Outgoing) -> Result<SendStatus, SendValueError<C::Error>> {
        self.binding.send(value)
    }

    /// Sends `message` as it is, whatever the codec: at once if open, otherwise queued.
    ///
    /// # Errors
    /// As [`send`](Self::send), without the codec's.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.send_message(&duplex_ws_yew::Message::from("hello"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_message(&self, message: &Message) -> Result<SendStatus, Error> {
        self.binding.send_message(message)
    }

    /// Sends a text message, whatever the codec.
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.send_text("hello")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_text(&self, text: &str) -> Result<SendStatus, Error> {
        self.send_message(&Message::from(text))
    }

    /// Sends a binary message, whatever the codec.
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.send_bytes(&[1, 2, 3])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<SendStatus, Error> {
        self.send_message(&Message::from(bytes))
    }

    /// Closes without a code and stops reconnecting, until [`reconnect`](Self::reconnect). Queued messages
    /// stay in the outbox.
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// # Errors
    /// [`Error::NotOpen`] when there is no socket (see [`send`](Self::send)).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.close()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.binding.close()
    }

    /// Closes with `code` and `reason` and stops reconnecting, until [`reconnect`](Self::reconnect).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] unless `code` is 1000 or 3000-4999, [`Error::ReasonTooLong`] past 123
    /// UTF-8 bytes (the socket then stays as it was), and [`Error::NotOpen`] when there is no socket.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.close_with(4000, "signed out")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        self.binding.close_with(code, reason)
    }

    /// Connects again now, from any state: replaces a connecting or open socket, cuts a backoff short,
    /// restarts after a close, and opens the first socket with `immediate(false)`.
    ///
    /// # Errors
    /// An invalid URL ([`Error::InvalidUrl`], also shown in the state), and [`Error::NotOpen`] when there
    /// is no binding (see [`send`](Self::send)).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) -> Result<(), duplex_ws_yew::Error> {
    /// socket.reconnect()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reconnect(&self) -> Result<(), Error> {
        self.binding.reconnect()
    }

    /// Empties the outbox and returns what it held, in order, for example after [`close`](Self::close).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// let unsent = socket.take_unsent();
    /// # }
    /// ```
    pub fn take_unsent(&self) -> Vec<Message> {
        self.binding.take_unsent()
    }

    /// The reconnecting socket underneath, for what this handle does not offer (its binary type, its
    /// current `WebSocket`); `None` when there is none.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_yew::UseWebSocketHandle) {
    /// if let Some(raw) = socket.socket() {
    ///     raw.set_binary_type(duplex_ws_yew::BinaryType::Blob);
    /// }
    /// # }
    /// ```
    pub fn socket(&self) -> Option<ReconnectingWebSocket> {
        self.binding.socket()
    }
}

impl<C: Codec + 'static> Clone for UseWebSocketHandle<C>
where
    C::Incoming: Clone,
{
    fn clone(&self) -> Self {
        Self {
            view: self.view.clone(),
            binding: self.binding.clone(),
        }
    }
}

impl<C: Codec + 'static> fmt::Debug for UseWebSocketHandle<C>
where
    C::Incoming: Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseWebSocketHandle")
            .field("state", self.state())
            .field("queued", &self.queued())
            .field("buffered_amount", &self.buffered_amount())
            .finish_non_exhaustive()
    }
}
