//! [`BindingOptions`]: the codec, the reconnecting socket's options, the recent-messages bound and the
//! callbacks of a [`Binding`](crate::Binding).

use core::fmt;

use crate::{CloseCode, CloseInfo, Codec, ConnectionState, Message, Raw, ReconnectOptions};

/// How many received messages a framework hook keeps by default (see [`BindingOptions::recent`]).
pub const DEFAULT_RECENT: usize = 100;

/// The settings of a [`Binding`](crate::Binding), and so of the framework hooks' `use_websocket`, which
/// re-export this type as `UseWebSocketOptions`. Everything has a default.
///
/// | option | default |
/// |---|---|
/// | [`with_codec`](Self::with_codec) | [`Raw`]: [`Message`]s as they are |
/// | [`reconnect`](Self::reconnect) | [`ReconnectOptions::default`]: backoff 0.5-30 s with full jitter, retries for ever, outbox of 1,024 messages |
/// | [`protocols`](Self::protocols) | none |
/// | [`recent`](Self::recent) | [`DEFAULT_RECENT`] messages |
/// | [`immediate`](Self::immediate) | `true`: connect at once |
/// | [`on_message`](Self::on_message) | none |
/// | [`on_decode_error`](Self::on_decode_error) | a console warning |
/// | [`on_open`](Self::on_open), [`on_close`](Self::on_close), [`on_error`](Self::on_error) | none |
///
/// ```
/// use duplex_ws::{Backoff, BindingOptions, ReconnectOptions};
///
/// let options = BindingOptions::new()
///     .reconnect(ReconnectOptions::new().backoff(Backoff::default().max_delay(core::time::Duration::from_secs(10))))
///     .protocols(["chat.v2"])
///     .recent(500)
///     .on_message(|message| web_sys::console::log_1(&format!("{message:?}").into()));
/// ```
pub struct BindingOptions<C: Codec = Raw> {
    pub(crate) codec: C,
    pub(crate) reconnect: ReconnectOptions,
    pub(crate) protocols: Vec<String>,
    pub(crate) recent: usize,
    pub(crate) immediate: bool,
    pub(crate) callbacks: Callbacks<C>,
}

/// A user callback, as the options hold it.
type Callback<A> = Option<Box<dyn FnMut(A)>>;

/// The user's callbacks, each optional.
pub(crate) struct Callbacks<C: Codec> {
    pub(crate) message: Option<OnMessage<C>>,
    pub(crate) decode_error: Option<OnDecodeError<C>>,
    pub(crate) open: Callback<()>,
    pub(crate) close: Callback<CloseInfo>,
    pub(crate) error: Callback<()>,
}

/// The `on_message` callback: it borrows each decoded message.
pub(crate) type OnMessage<C> = Box<dyn FnMut(&<C as Codec>::Incoming)>;

/// The `on_decode_error` callback.
pub(crate) type OnDecodeError<C> = Box<dyn FnMut(&Message, <C as Codec>::Error)>;

impl BindingOptions<Raw> {
    /// The defaults: [`Message`]s as they are, and the table above.
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new();
    /// ```
    pub fn new() -> Self {
        Self::with_codec(Raw)
    }
}

impl Default for BindingOptions<Raw> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Codec> BindingOptions<C> {
    /// The defaults, with `codec` for sent values and received messages: [`Json`](crate::Json) (feature
    /// `json`), or any [`Codec`] of yours (MessagePack, CBOR, bincode).
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use duplex_ws::{BindingOptions, Json};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Say { text: String }
    /// #[derive(serde::Deserialize)]
    /// struct Said { from: String, text: String }
    ///
    /// let options = BindingOptions::with_codec(Json::<Say, Said>::new());
    /// # }
    /// ```
    pub fn with_codec(codec: C) -> Self {
        Self {
            codec,
            reconnect: ReconnectOptions::default(),
            protocols: Vec::new(),
            recent: DEFAULT_RECENT,
            immediate: true,
            callbacks: Callbacks {
                message: None,
                decode_error: None,
                open: None,
                close: None,
                error: None,
            },
        }
    }

    /// The reconnecting socket's options: backoff, connect timeout, retries, heartbeat, outbox, binary type.
    ///
    /// ```
    /// use core::time::Duration;
    /// use duplex_ws::{BindingOptions, Heartbeat, ReconnectOptions};
    ///
    /// let options = BindingOptions::new().reconnect(
    ///     ReconnectOptions::new()
    ///         .max_retries(Some(10))
    ///         .heartbeat(Some(Heartbeat::new("ping", Duration::from_secs(15), Duration::from_secs(40)))),
    /// );
    /// ```
    #[must_use]
    pub fn reconnect(mut self, options: ReconnectOptions) -> Self {
        self.reconnect = options;
        self
    }

    /// The sub-protocols to offer, in order of preference, on every connection.
    /// See [`protocols` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/WebSocket#protocols).
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new().protocols(["chat.v2", "chat.v1"]);
    /// ```
    #[must_use]
    pub fn protocols(mut self, protocols: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// How many received messages the hook keeps in its list of recent ones, newest last; 0 keeps none (use
    /// [`on_message`](Self::on_message) then). Every message goes to `on_message` either way.
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new().recent(1_000);
    /// ```
    #[must_use]
    pub fn recent(mut self, messages: usize) -> Self {
        self.recent = messages;
        self
    }

    /// Whether to connect at once (the default), or only at [`reconnect`](crate::Binding::reconnect). Until
    /// then the state is [`not_started`](Self::initial_state).
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new().immediate(false);
    /// ```
    #[must_use]
    pub fn immediate(mut self, immediate: bool) -> Self {
        self.immediate = immediate;
        self
    }

    /// Runs `callback` for every received message, decoded, in order, before the hook adds it to its recent
    /// ones: none is skipped when several arrive at once.
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new()
    ///     .on_message(|message| web_sys::console::log_1(&format!("{:?}", message.as_text()).into()));
    /// ```
    #[must_use]
    pub fn on_message(mut self, callback: impl FnMut(&C::Incoming) + 'static) -> Self {
        self.callbacks.message = Some(Box::new(callback));
        self
    }

    /// Runs `callback` with each received message the codec cannot decode, and why. Such a message is not
    /// among the recent ones. Without this option it is logged as a console warning.
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use duplex_ws::{BindingOptions, Json};
    ///
    /// let options = BindingOptions::with_codec(Json::<u32>::new())
    ///     .on_decode_error(|message, error| web_sys::console::warn_1(&format!("{message:?}: {error}").into()));
    /// # }
    /// ```
    #[must_use]
    pub fn on_decode_error(mut self, callback: impl FnMut(&Message, C::Error) + 'static) -> Self {
        self.callbacks.decode_error = Some(Box::new(callback));
        self
    }

    /// Runs `callback` each time a connection opens, after the outbox has been sent.
    /// See [`open` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/open_event).
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new().on_open(|| web_sys::console::log_1(&"open".into()));
    /// ```
    #[must_use]
    pub fn on_open(mut self, mut callback: impl FnMut() + 'static) -> Self {
        self.callbacks.open = Some(Box::new(move |()| callback()));
        self
    }

    /// Runs `callback` each time a connection closes or an attempt is abandoned, with how.
    /// See [`close` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close_event).
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new()
    ///     .on_close(|info| web_sys::console::log_1(&info.to_string().into()));
    /// ```
    #[must_use]
    pub fn on_close(mut self, callback: impl FnMut(CloseInfo) + 'static) -> Self {
        self.callbacks.close = Some(Box::new(callback));
        self
    }

    /// Runs `callback` when a connection fails; the browser gives no detail, and a close follows.
    /// See [`error` event on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/error_event).
    ///
    /// ```
    /// let options = duplex_ws::BindingOptions::new().on_error(|| web_sys::console::warn_1(&"failed".into()));
    /// ```
    #[must_use]
    pub fn on_error(mut self, mut callback: impl FnMut() + 'static) -> Self {
        self.callbacks.error = Some(Box::new(move |()| callback()));
        self
    }

    /// What a hook shows before its socket reports anything, on the server too: `Connecting { attempt: 0 }`,
    /// or with [`immediate(false)`](Self::immediate) `Closed` with code 1005 (no status), reason
    /// "not started", clean.
    ///
    /// ```
    /// use duplex_ws::{BindingOptions, ConnectionState};
    ///
    /// assert_eq!(BindingOptions::new().initial_state(), ConnectionState::Connecting { attempt: 0 });
    /// let later = BindingOptions::new().immediate(false).initial_state();
    /// assert!(matches!(later, ConnectionState::Closed { info } if info.reason == "not started"));
    /// ```
    pub fn initial_state(&self) -> ConnectionState {
        if self.immediate {
            ConnectionState::Connecting { attempt: 0 }
        } else {
            not_started()
        }
    }

    /// How many received messages to keep (see [`recent`](Self::recent)).
    ///
    /// ```
    /// assert_eq!(duplex_ws::BindingOptions::new().recent(7).recent_len(), 7);
    /// ```
    pub fn recent_len(&self) -> usize {
        self.recent
    }
}

/// The state of a binding without a socket: before the first connection with `immediate(false)`, and after
/// it is shut down.
pub(crate) fn not_started() -> ConnectionState {
    ConnectionState::Closed {
        info: CloseInfo {
            code: CloseCode::NoStatus,
            reason: "not started".to_owned(),
            was_clean: true,
        },
    }
}

impl<C: Codec + fmt::Debug> fmt::Debug for BindingOptions<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindingOptions")
            .field("codec", &self.codec)
            .field("protocols", &self.protocols)
            .field("recent", &self.recent)
            .field("immediate", &self.immediate)
            .finish_non_exhaustive()
    }
}
