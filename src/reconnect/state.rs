//! [`ConnectionState`]: what a reconnecting socket is doing, for the page to show; and [`SendStatus`].

use core::fmt;
use core::time::Duration;

use crate::CloseInfo;

/// What a [`ReconnectingWebSocket`](crate::ReconnectingWebSocket) is doing. Every change is notified, in
/// order, to [`on_state`](crate::ReconnectingWebSocket::on_state) handlers.
///
/// `attempt` counts the reconnect attempts since the last connection that stayed up for the minimum uptime:
/// 0 for the first connection (and after [`reconnect`](crate::ReconnectingWebSocket::reconnect)), then 1, 2, …
///
/// ```
/// use core::time::Duration;
/// use duplex_ws::ConnectionState;
///
/// let state = ConnectionState::Backoff { attempt: 2, delay: Duration::from_millis(1500) };
/// assert_eq!(state.to_string(), "reconnecting in 1.5 s (attempt 2)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// A socket is connecting.
    Connecting {
        /// 0 for a first connection, then the reconnect attempt's number.
        attempt: u32,
    },
    /// The socket is open; messages are sent at once.
    Open,
    /// Waiting `delay` before attempt number `attempt`.
    Backoff {
        /// The attempt that follows the wait.
        attempt: u32,
        /// How long the wait is.
        delay: Duration,
    },
    /// Stopped for good, until [`reconnect`](crate::ReconnectingWebSocket::reconnect): after
    /// [`close`](crate::ReconnectingWebSocket::close), after a close the reconnect predicate rejects, or
    /// when `max_retries` attempts have failed. `info` is the last connection's close (for a close during a
    /// backoff, the code and reason given to `close`, clean).
    Closed {
        /// How it ended.
        info: CloseInfo,
    },
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting { attempt: 0 } => f.write_str("connecting"),
            Self::Connecting { attempt } => write!(f, "reconnecting (attempt {attempt})"),
            Self::Open => f.write_str("open"),
            Self::Backoff { attempt, delay } => write!(
                f,
                "reconnecting in {:.1} s (attempt {attempt})",
                delay.as_secs_f64()
            ),
            Self::Closed { info } => write!(f, "closed: {info}"),
        }
    }
}

/// What [`ReconnectingWebSocket::send`](crate::ReconnectingWebSocket::send) did with a message.
///
/// ```
/// let status = duplex_ws::SendStatus::Queued { dropped: 0 };
/// assert!(!status.was_sent());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Handed to the open socket.
    Sent,
    /// Queued in the outbox, to be sent in order when the socket opens; with
    /// [`OutboxOverflow::DropOldest`](crate::OutboxOverflow::DropOldest), `dropped` older messages were
    /// dropped to make room.
    Queued {
        /// How many older queued messages were dropped for this one.
        dropped: usize,
    },
}

impl SendStatus {
    /// Whether the message went to the socket at once.
    ///
    /// ```
    /// assert!(duplex_ws::SendStatus::Sent.was_sent());
    /// ```
    pub fn was_sent(self) -> bool {
        self == Self::Sent
    }
}
