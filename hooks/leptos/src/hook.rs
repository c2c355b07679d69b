//! [`use_websocket`] and the [`UseWebSocket`] handle it returns: a duplex-ws [`Binding`] whose observer
//! writes Leptos signals, opened by the hook and shut down by `on_cleanup`.

use core::fmt;
use std::collections::VecDeque;

use duplex_ws::{
    Binding, BindingOptions, CloseCode, Codec, ConnectionState, Error, Message, Observer, Raw,
    ReadyState, ReconnectingWebSocket, SendStatus, SendValueError,
};
use leptos::prelude::*;

/// Whether this build talks to a browser: not on the server, where the hook is inert.
const IN_BROWSER: bool = cfg!(all(target_arch = "wasm32", not(feature = "ssr")));

/// A reconnecting WebSocket for this component: opened when the component is created (unless
/// [`immediate(false)`](BindingOptions::immediate)), moved when `url` changes, closed with 1000 and
/// released when the component unmounts, with every closure and timer it made.
///
/// `url` is a `&str`, a `String` or any signal of one: when it changes, the socket reconnects to the new
/// URL at once (after [`close`](UseWebSocket::close), at the next [`reconnect`](UseWebSocket::reconnect)).
/// Messages sent meanwhile wait in the outbox and go to the new URL.
///
/// With the `ssr` feature, or anywhere but a browser, the hook opens nothing and its signals keep their
/// initial values: [`Connecting { attempt: 0 }`](ConnectionState::Connecting) (`Closed`, "not started",
/// with `immediate(false)`), 0 queued, 0 buffered, no messages; that is also what the browser shows first,
/// so hydration matches.
///
/// ```no_run
/// use duplex_ws_leptos::{UseWebSocketOptions, use_websocket};
/// use leptos::prelude::*;
///
/// #[component]
/// fn Echo() -> impl IntoView {
///     let socket = use_websocket("wss://example.com/echo", UseWebSocketOptions::new());
///     let send = move |_| {
///         // Queued in the outbox while not open, sent in order on the next open.
///         if let Err(error) = socket.send_text("hello") {
///             leptos::logging::warn!("{error}");
///         }
///     };
///     view! {
///         <p>{move || socket.state.get().to_string()} ", " {socket.queued} " waiting"</p>
///         <button on:click=send>"Send"</button>
///         <ul>
///             {move || socket.messages.get().into_iter()
///                 .map(|message| view! { <li>{format!("{:?}", message.as_text())}</li> })
///                 .collect_view()}
///         </ul>
///     }
/// }
/// ```
pub fn use_websocket<C: Codec + 'static>(
    url: impl Into<Signal<String>>,
    options: BindingOptions<C>,
) -> UseWebSocket<C> {
    let url = url.into();
    let (state, set_state) = signal(options.initial_state());
    let (queued, set_queued) = signal(0);
    let (buffered_amount, set_buffered) = signal(0);
    let (messages, set_messages) = signal_local(VecDeque::new());
    let signals = Signals {
        state: set_state,
        queued: set_queued,
        buffered: set_buffered,
        messages: set_messages,
        recent: options.recent_len(),
    };
    let binding = Binding::new(url.get_untracked(), options, signals);
    let handle = UseWebSocket {
        state: state.into(),
        queued: queued.into(),
        buffered_amount: buffered_amount.into(),
        messages: messages.into(),
        binding: StoredValue::new_local(binding.clone()),
    };
    if IN_BROWSER {
        binding.start();
        Effect::watch(
            move || url.get(),
            move |url, _, _| {
                if let Some(binding) = handle.binding() {
                    binding.move_to(url.as_str());
                }
            },
            false,
        );
    }
    on_cleanup(move || {
        if let Some(binding) = handle.binding() {
            binding.shut_down();
        }
    });
    handle
}

/// The hook's [`Observer`]: the writing halves of its signals.
struct Signals<T: 'static> {
    state: WriteSignal<ConnectionState>,
    queued: WriteSignal<usize>,
    buffered: WriteSignal<u64>,
    messages: WriteSignal<VecDeque<T>, LocalStorage>,
    recent: usize,
}

impl<T: 'static> Observer<T> for Signals<T> {
    fn state(&self, state: ConnectionState) {
        self.state.try_set(state);
    }

    fn counters(&self, queued: usize, buffered: u64) {
        self.queued.try_set(queued);
        self.buffered.try_set(buffered);
    }

    fn message(&self, message: T) {
        if self.recent == 0 {
            return;
        }
        self.messages.try_update(|messages| {
            if messages.len() >= self.recent {
                messages.pop_front();
            }
            messages.push_back(message);
        });
    }
}

/// What [`use_websocket`] returns: the socket's state as signals, and what to do with it. It is `Copy`, so
/// event handlers and views can each take it.
///
/// After the component has unmounted, or on the server, the signals keep their last values and every method
/// returns [`Error::NotOpen`].
pub struct UseWebSocket<C: Codec + 'static = Raw> {
    /// What the socket is doing: connecting (with the attempt), open, in a backoff (with its delay), or closed
    /// (with its [`CloseInfo`](duplex_ws::CloseInfo)).
    pub state: Signal<ConnectionState>,
    /// How many messages wait in the outbox for the next open.
    pub queued: Signal<usize>,
    /// How many bytes the open socket has not sent yet: its
    /// [`bufferedAmount` (MDN)](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount),
    /// read after each send and every 50 ms while it is not 0.
    pub buffered_amount: Signal<u64>,
    /// The most recent received messages, decoded, oldest first, at most
    /// [`recent`](BindingOptions::recent) of them. Every message also goes to
    /// [`on_message`](BindingOptions::on_message) as it arrives.
    pub messages: Signal<VecDeque<C::Incoming>, LocalStorage>,
    binding: StoredValue<HookBinding<C>, LocalStorage>,
}

/// The binding of one hook: its observer writes the hook's signals.
type HookBinding<C> = Binding<C, Signals<<C as Codec>::Incoming>>;

impl<C: Codec + 'static> UseWebSocket<C> {
    /// Sends `value`, encoded by the codec: at once if open, otherwise queued in the outbox and sent in order
    /// on the next open.
    ///
    /// # Errors
    /// [`SendValueError::Encode`] if the codec cannot encode it; [`SendValueError::Send`] with a full outbox,
    /// after [`close`](Self::close), or with [`Error::NotOpen`] when there is no socket (after unmount, on
    /// the server, before the first [`reconnect`](Self::reconnect) with `immediate(false)`).
    ///
    /// ```no_run
    /// # #[cfg(feature = "json")]
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket<duplex_ws_leptos::Json<u32>>) {
    /// if let Err(error) = socket.send(&42) {
    ///     leptos::logging::warn!("{error}");
    /// }
    /// # }
    /// ```
    pub fn send(&self, value: &C::Outgoing) -> Result<SendStatus, SendValueError<C::Error>> {
        self.binding()
            .ok_or(SendValueError::Send(not_open()))?
            .send(value)
    }

    /// Sends `message` as it is, whatever the codec: at once if open, otherwise queued.
    ///
    /// # Errors
    /// As [`send`](Self::send), without the codec's.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
    /// socket.send_message(&duplex_ws_leptos::Message::from("hello"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_message(&self, message: &Message) -> Result<SendStatus, Error> {
        self.binding().ok_or_else(not_open)?.send_message(message)
    }

    /// Sends a text message, whatever the codec.
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
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
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
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
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
    /// socket.close()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        self.binding().ok_or_else(not_open)?.close()
    }

    /// Closes with `code` and `reason` and stops reconnecting, until [`reconnect`](Self::reconnect).
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] unless `code` is 1000 or 3000-4999, [`Error::ReasonTooLong`] past 123
    /// UTF-8 bytes (the socket then stays as it was), and [`Error::NotOpen`] when there is no socket.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
    /// socket.close_with(4000, "signed out")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_with(&self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        self.binding()
            .ok_or_else(not_open)?
            .close_with(code, reason)
    }

    /// Connects again now, from any state: replaces a connecting or open socket, cuts a backoff short,
    /// restarts after a close, and opens the first socket with `immediate(false)`.
    ///
    /// # Errors
    /// An invalid URL ([`Error::InvalidUrl`], also shown in the state), and [`Error::NotOpen`] after unmount
    /// or on the server.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) -> Result<(), duplex_ws_leptos::Error> {
    /// socket.reconnect()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reconnect(&self) -> Result<(), Error> {
        self.binding().ok_or_else(not_open)?.reconnect()
    }

    /// Empties the outbox and returns what it held, in order, for example after [`close`](Self::close).
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) {
    /// let unsent = socket.take_unsent();
    /// # }
    /// ```
    pub fn take_unsent(&self) -> Vec<Message> {
        self.binding()
            .map(|binding| binding.take_unsent())
            .unwrap_or_default()
    }

    /// The reconnecting socket underneath, for what this handle does not offer (its binary type, its
    /// current `WebSocket`); `None` when there is none.
    ///
    /// ```no_run
    /// # fn example(socket: duplex_ws_leptos::UseWebSocket) {
    /// if let Some(raw) = socket.socket() {
    ///     raw.set_binary_type(duplex_ws_leptos::BinaryType::Blob);
    /// }
    /// # }
    /// ```
    pub fn socket(&self) -> Option<ReconnectingWebSocket> {
        self.binding()?.socket()
    }

    /// A handle to the binding, taken out of the arena so that no borrow of it is held while the socket
    /// runs (it may call back into this hook); `None` once the component is gone.
    fn binding(&self) -> Option<HookBinding<C>> {
        self.binding.try_with_value(Clone::clone)
    }
}

impl<C: Codec + 'static> Clone for UseWebSocket<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: Codec + 'static> Copy for UseWebSocket<C> {}

impl<C: Codec + 'static> fmt::Debug for UseWebSocket<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseWebSocket")
            .field("state", &self.state.try_get_untracked())
            .field("queued", &self.queued.try_get_untracked())
            .finish_non_exhaustive()
    }
}

fn not_open() -> Error {
    Error::NotOpen {
        state: ReadyState::Closed,
    }
}
