//! [`ReconnectOptions`] and their defaults, [`Heartbeat`], [`Endpoint`], and the default reconnect predicate.

use core::fmt;
use core::time::Duration;
use std::rc::Rc;

use crate::{Backoff, BinaryType, CloseCode, CloseInfo, ConnectOptions, Message, QueueLimit};

/// The code a [`ReconnectingWebSocket`](crate::ReconnectingWebSocket) closes a dead link with, when its
/// [`Heartbeat`] heard nothing in time: 4000, reason "heartbeat timeout". A reconnect follows.
///
/// ```
/// assert_eq!(u16::from(duplex_ws::HEARTBEAT_TIMEOUT_CODE), 4000);
/// ```
pub const HEARTBEAT_TIMEOUT_CODE: CloseCode = CloseCode::Private(4000);

/// Where to connect: a URL and the sub-protocols to offer. An [`Endpoint`] provider is called before every
/// attempt, so a token in the URL can be refreshed.
///
/// ```
/// let endpoint = duplex_ws::Endpoint::new("wss://example.com/chat?token=abc").protocol("chat");
/// assert_eq!(endpoint.url, "wss://example.com/chat?token=abc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL, as for [`WebSocket::connect`](crate::WebSocket::connect).
    pub url: String,
    /// The sub-protocols to offer, in order of preference.
    pub protocols: Vec<String>,
}

impl Endpoint {
    /// An endpoint with no sub-protocols.
    ///
    /// ```
    /// assert!(duplex_ws::Endpoint::new("wss://example.com/").protocols.is_empty());
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            protocols: Vec::new(),
        }
    }

    /// Adds a sub-protocol to offer.
    ///
    /// ```
    /// let endpoint = duplex_ws::Endpoint::new("wss://example.com/").protocol("v2").protocol("v1");
    /// assert_eq!(endpoint.protocols, ["v2", "v1"]);
    /// ```
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    pub(crate) fn connect_options(&self, binary_type: BinaryType) -> ConnectOptions {
        ConnectOptions::new()
            .protocols(self.protocols.iter().cloned())
            .binary_type(binary_type)
    }
}

/// A keep-alive that also detects a dead link: `message` is sent every `interval` while open, and if
/// nothing at all arrives for `timeout`, the socket is closed with [`HEARTBEAT_TIMEOUT_CODE`] and a reconnect
/// follows. Any message counts as a sign of life, so the server may answer the ping or just keep talking.
///
/// ```
/// use core::time::Duration;
///
/// let heartbeat = duplex_ws::Heartbeat::new(r#"{"type":"ping"}"#, Duration::from_secs(15), Duration::from_secs(40));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub(crate) message: Message,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
}

impl Heartbeat {
    /// Sends `message` every `interval`; a link silent for `timeout` is dead. A timeout shorter than the
    /// interval is checked at each interval.
    ///
    /// ```
    /// use core::time::Duration;
    ///
    /// let heartbeat = duplex_ws::Heartbeat::new("ping", Duration::from_secs(10), Duration::from_secs(25));
    /// ```
    pub fn new(message: impl Into<Message>, interval: Duration, timeout: Duration) -> Self {
        Self {
            message: message.into(),
            interval,
            timeout,
        }
    }
}

/// What [`ReconnectingWebSocket::send`](crate::ReconnectingWebSocket::send) does with a message while the
/// outbox is full.
///
/// ```
/// assert_eq!(duplex_ws::OutboxOverflow::default(), duplex_ws::OutboxOverflow::Reject);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutboxOverflow {
    /// Refuse the new message with [`Error::OutboxFull`](crate::Error::OutboxFull); the caller still has
    /// it. The default: nothing is dropped without the caller deciding.
    #[default]
    Reject,
    /// Drop the oldest queued messages to make room, and say how many in
    /// [`SendStatus::Queued`](crate::SendStatus::Queued).
    DropOldest,
}

/// Decides, from how a connection closed, whether to reconnect.
pub(crate) type Predicate = Rc<dyn Fn(&CloseInfo) -> bool>;

/// The settings of a [`ReconnectingWebSocket`](crate::ReconnectingWebSocket).
///
/// | setting | default |
/// |---|---|
/// | [`backoff`](Self::backoff) | [`Backoff::default`]: 500 ms to 30 s, factor 2, full jitter |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s per attempt |
/// | [`max_retries`](Self::max_retries) | none (retry for ever) |
/// | [`min_uptime`](Self::min_uptime) | 5 s open before the attempt count resets |
/// | [`should_reconnect`](Self::should_reconnect) | [`default_should_reconnect`] |
/// | [`outbox`](Self::outbox) | 1,024 messages, 16 MiB, [`OutboxOverflow::Reject`] |
/// | [`heartbeat`](Self::heartbeat) | none |
/// | [`binary_type`](Self::binary_type) | [`BinaryType::ArrayBuffer`] |
/// | [`reconnect_when_online`](Self::reconnect_when_online) | on: a pending backoff ends at the `online` event |
/// | [`pause_heartbeat_when_hidden`](Self::pause_heartbeat_when_hidden) | on |
///
/// ```
/// use core::time::Duration;
/// use duplex_ws::{Backoff, Heartbeat, ReconnectOptions};
///
/// let options = ReconnectOptions::new()
///     .backoff(Backoff::default().max_delay(Duration::from_secs(10)))
///     .max_retries(Some(20))
///     .heartbeat(Some(Heartbeat::new("ping", Duration::from_secs(15), Duration::from_secs(40))));
/// ```
#[derive(Clone)]
pub struct ReconnectOptions {
    pub(crate) backoff: Backoff,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) min_uptime: Duration,
    pub(crate) should_reconnect: Predicate,
    pub(crate) outbox: QueueLimit,
    pub(crate) outbox_overflow: OutboxOverflow,
    pub(crate) heartbeat: Option<Heartbeat>,
    pub(crate) binary_type: BinaryType,
    pub(crate) reconnect_when_online: bool,
    pub(crate) pause_heartbeat_when_hidden: bool,
}

impl Default for ReconnectOptions {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            connect_timeout: Some(Duration::from_secs(10)),
            max_retries: None,
            min_uptime: Duration::from_secs(5),
            should_reconnect: Rc::new(default_should_reconnect),
            outbox: QueueLimit::default(),
            outbox_overflow: OutboxOverflow::default(),
            heartbeat: None,
            binary_type: BinaryType::default(),
            reconnect_when_online: true,
            pause_heartbeat_when_hidden: true,
        }
    }
}

impl ReconnectOptions {
    /// The defaults in the table above.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The delays between attempts.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().backoff(duplex_ws::Backoff::default().factor(1.5));
    /// ```
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long one attempt may stay connecting before it is abandoned (closed, and counted as failed);
    /// `None` leaves it to the browser.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().connect_timeout(Some(core::time::Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many reconnect attempts in a row may fail before the socket stays
    /// [`Closed`](crate::ConnectionState::Closed); `None` for no limit.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().max_retries(Some(5));
    /// ```
    #[must_use]
    pub fn max_retries(mut self, retries: Option<u32>) -> Self {
        self.max_retries = retries;
        self
    }

    /// How long a connection must stay open before the attempt count resets to zero, so that a server that
    /// accepts and then drops at once is retried with growing delays, not in a tight loop.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().min_uptime(core::time::Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn min_uptime(mut self, uptime: Duration) -> Self {
        self.min_uptime = uptime;
        self
    }

    /// Decides after each close that the user did not ask for whether to reconnect. The default is
    /// [`default_should_reconnect`]; after [`close`](crate::ReconnectingWebSocket::close) there is never a
    /// reconnect, and a heartbeat timeout always reconnects.
    ///
    /// ```
    /// use duplex_ws::{CloseCode, ReconnectOptions, default_should_reconnect};
    ///
    /// // Also reconnect after 4001, which this application uses for "server restarting".
    /// let options = ReconnectOptions::new()
    ///     .should_reconnect(|info| info.code == CloseCode::Private(4001) || default_should_reconnect(info));
    /// ```
    #[must_use]
    pub fn should_reconnect(mut self, predicate: impl Fn(&CloseInfo) -> bool + 'static) -> Self {
        self.should_reconnect = Rc::new(predicate);
        self
    }

    /// Bounds the outbox of messages sent while not open, and chooses what a full outbox does.
    ///
    /// ```
    /// use duplex_ws::{OutboxOverflow, QueueLimit, ReconnectOptions};
    ///
    /// let options = ReconnectOptions::new().outbox(QueueLimit::default().messages(100), OutboxOverflow::DropOldest);
    /// ```
    #[must_use]
    pub fn outbox(mut self, limit: QueueLimit, overflow: OutboxOverflow) -> Self {
        self.outbox = limit.messages(limit.messages);
        self.outbox_overflow = overflow;
        self
    }

    /// Sends a ping and detects a dead link; `None` for no heartbeat.
    ///
    /// ```
    /// use core::time::Duration;
    ///
    /// let options = duplex_ws::ReconnectOptions::new()
    ///     .heartbeat(Some(duplex_ws::Heartbeat::new("ping", Duration::from_secs(20), Duration::from_secs(45))));
    /// ```
    #[must_use]
    pub fn heartbeat(mut self, heartbeat: Option<Heartbeat>) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// How binary messages arrive, on every socket.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().binary_type(duplex_ws::BinaryType::Blob);
    /// ```
    #[must_use]
    pub fn binary_type(mut self, binary_type: BinaryType) -> Self {
        self.binary_type = binary_type;
        self
    }

    /// Whether the browser's [`online` event](https://developer.mozilla.org/en-US/docs/Web/API/Window/online_event)
    /// ends a pending backoff at once.
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().reconnect_when_online(false);
    /// ```
    #[must_use]
    pub fn reconnect_when_online(mut self, on: bool) -> Self {
        self.reconnect_when_online = on;
        self
    }

    /// Whether the heartbeat pauses while the page is
    /// [hidden](https://developer.mozilla.org/en-US/docs/Web/API/Document/hidden) (browsers slow timers
    /// down there, which would look like a dead link).
    ///
    /// ```
    /// let options = duplex_ws::ReconnectOptions::new().pause_heartbeat_when_hidden(false);
    /// ```
    #[must_use]
    pub fn pause_heartbeat_when_hidden(mut self, on: bool) -> Self {
        self.pause_heartbeat_when_hidden = on;
        self
    }
}

impl fmt::Debug for ReconnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconnectOptions")
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("min_uptime", &self.min_uptime)
            .field("outbox", &self.outbox)
            .field("outbox_overflow", &self.outbox_overflow)
            .field("heartbeat", &self.heartbeat)
            .field("binary_type", &self.binary_type)
            .field("reconnect_when_online", &self.reconnect_when_online)
            .field(
                "pause_heartbeat_when_hidden",
                &self.pause_heartbeat_when_hidden,
            )
            .finish_non_exhaustive()
    }
}

/// Whether to reconnect after a close the user did not ask for, by its code:
///
/// | code | reconnect | why |
/// |---|---|---|
/// | 1000 normal | no | the server ended the session on purpose |
/// | 1001 going away, 1005 no status, 1006 abnormal | yes | a restart, or the network |
/// | 1011 internal error, 1012 service restart, 1013 try again later, 1014 bad gateway | yes | temporary, and the backoff spaces the attempts |
/// | 1002, 1003, 1007, 1009, 1010 | no | a protocol or data fault would repeat |
/// | 1008 policy violation | no | the server rejected this client's behaviour; repeating it would not help |
/// | 1015 TLS handshake | no | a certificate problem does not fix itself |
/// | 3000-3999 (registered), 4000-4999 (application) | no | the application said why; decide in your own predicate |
/// | anything else | yes | unknown, so treated as a transient failure |
///
/// ```
/// use duplex_ws::{CloseCode, CloseInfo, default_should_reconnect};
///
/// let close = |code| CloseInfo { code: CloseCode::from(code), reason: String::new(), was_clean: false };
/// assert!(default_should_reconnect(&close(1006)));
/// assert!(!default_should_reconnect(&close(1008)));
/// assert!(!default_should_reconnect(&close(4001)));
/// ```
pub fn default_should_reconnect(info: &CloseInfo) -> bool {
    !matches!(
        u16::from(info.code),
        1000 | 1002 | 1003 | 1007 | 1008 | 1009 | 1010 | 1015 | 3000..=4999
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(code: u16) -> CloseInfo {
        CloseInfo {
            code: CloseCode::from(code),
            reason: String::new(),
            was_clean: true,
        }
    }

    #[test]
    fn the_default_predicate_follows_its_table() {
        let yes = [1001, 1005, 1006, 1011, 1012, 1013, 1014, 1004, 2999, 5000];
        let no = [
            1000, 1002, 1003, 1007, 1008, 1009, 1010, 1015, 3000, 3999, 4000, 4999,
        ];
        for code in yes {
            assert!(default_should_reconnect(&close(code)), "{code}");
        }
        for code in no {
            assert!(!default_should_reconnect(&close(code)), "{code}");
        }
    }
}
