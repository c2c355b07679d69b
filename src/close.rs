//! [`CloseCode`] and [`CloseInfo`]: typed close codes, the rules for sending them, and the close notification.

use core::fmt;
use core::hash::{Hash, Hasher};

use crate::{Error, text};

/// The most UTF-8 bytes a close reason may have (RFC 6455 leaves 123 of a control frame's 125 for it).
///
/// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
///
/// ```
/// assert_eq!(duplex_ws::MAX_REASON_BYTES, 123);
/// ```
pub const MAX_REASON_BYTES: usize = 123;

/// A WebSocket close status code, for every code a socket can receive.
///
/// Named variants cover the codes of [RFC 6455 §7.4.1](https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1)
/// and the IANA registry; 3000-3999 are [`Registered`](Self::Registered), 4000-4999 are
/// [`Private`](Self::Private) (free for applications), anything else is [`Other`](Self::Other). Convert with
/// [`From<u16>`] (which always picks the canonical variant) and back with [`u16::from`]. Two codes are equal when
/// their numbers are. A script may only *send* 1000 and 3000-4999 ([`is_sendable`](Self::is_sendable)); the
/// rest can only be received. See [`CloseEvent.code` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/CloseEvent/code).
///
/// ```
/// use duplex_ws::CloseCode;
///
/// assert_eq!(CloseCode::from(1000), CloseCode::Normal);
/// assert_eq!(CloseCode::from(4001), CloseCode::Private(4001));
/// assert_eq!(u16::from(CloseCode::Abnormal), 1006);
/// assert!(CloseCode::Private(4001).is_sendable());
/// assert!(!CloseCode::GoingAway.is_sendable());
/// ```
#[derive(Debug, Clone, Copy)]
pub enum CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    Normal,
    /// 1001: the endpoint is going away (server shutdown, page navigated away).
    GoingAway,
    /// 1002: the peer broke the WebSocket protocol.
    ProtocolError,
    /// 1003: the peer sent a kind of data it cannot accept.
    UnsupportedData,
    /// 1005: the Close frame had no status code. Never sent on the wire.
    NoStatus,
    /// 1006: the connection ended without a Close frame. Never sent on the wire.
    Abnormal,
    /// 1007: a message's data did not match its type (for example invalid UTF-8 in a text message).
    InvalidPayload,
    /// 1008: a message violated the peer's policy.
    PolicyViolation,
    /// 1009: a message was too big to process.
    MessageTooBig,
    /// 1010: the client needed an extension the server did not negotiate.
    MandatoryExtension,
    /// 1011: the server hit an unexpected condition.
    InternalError,
    /// 1012: the server is restarting; reconnecting later is expected to work.
    ServiceRestart,
    /// 1013: the server is overloaded; try again later.
    TryAgainLater,
    /// 1014: a gateway received an invalid response from upstream.
    BadGateway,
    /// 1015: the TLS handshake failed. Never sent on the wire.
    TlsHandshake,
    /// 3000-3999: registered with IANA for libraries, frameworks and applications.
    Registered(u16),
    /// 4000-4999: private use, for an application's own meanings.
    Private(u16),
    /// Any other number: reserved, unassigned or invalid on the wire.
    Other(u16),
}

impl CloseCode {
    /// Whether a script may send this code in `close(code, reason)`: 1000 or 3000-4999.
    ///
    /// See [`WebSocket.close()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/close).
    ///
    /// ```
    /// use duplex_ws::CloseCode;
    ///
    /// assert!(CloseCode::Normal.is_sendable());
    /// assert!(CloseCode::from(3000).is_sendable());
    /// assert!(!CloseCode::from(2999).is_sendable());
    /// assert!(!CloseCode::from(5000).is_sendable());
    /// ```
    pub fn is_sendable(self) -> bool {
        matches!(u16::from(self), 1000 | 3000..=4999)
    }

    /// A short English description of the code, such as `"normal closure"`.
    ///
    /// ```
    /// assert_eq!(duplex_ws::CloseCode::Abnormal.description(), "abnormal closure");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            Self::Normal => "normal closure",
            Self::GoingAway => "going away",
            Self::ProtocolError => "protocol error",
            Self::UnsupportedData => "unsupported data",
            Self::NoStatus => "no status received",
            Self::Abnormal => "abnormal closure",
            Self::InvalidPayload => "invalid payload data",
            Self::PolicyViolation => "policy violation",
            Self::MessageTooBig => "message too big",
            Self::MandatoryExtension => "mandatory extension",
            Self::InternalError => "internal error",
            Self::ServiceRestart => "service restart",
            Self::TryAgainLater => "try again later",
            Self::BadGateway => "bad gateway",
            Self::TlsHandshake => "TLS handshake failure",
            Self::Registered(_) => "registered code",
            Self::Private(_) => "private code",
            Self::Other(_) => "unassigned code",
        }
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        match code {
            1000 => Self::Normal,
            1001 => Self::GoingAway,
            1002 => Self::ProtocolError,
            1003 => Self::UnsupportedData,
            1005 => Self::NoStatus,
            1006 => Self::Abnormal,
            1007 => Self::InvalidPayload,
            1008 => Self::PolicyViolation,
            1009 => Self::MessageTooBig,
            1010 => Self::MandatoryExtension,
            1011 => Self::InternalError,
            1012 => Self::ServiceRestart,
            1013 => Self::TryAgainLater,
            1014 => Self::BadGateway,
            1015 => Self::TlsHandshake,
            3000..=3999 => Self::Registered(code),
            4000..=4999 => Self::Private(code),
            _ => Self::Other(code),
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        match code {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::UnsupportedData => 1003,
            CloseCode::NoStatus => 1005,
            CloseCode::Abnormal => 1006,
            CloseCode::InvalidPayload => 1007,
            CloseCode::PolicyViolation => 1008,
            CloseCode::MessageTooBig => 1009,
            CloseCode::MandatoryExtension => 1010,
            CloseCode::InternalError => 1011,
            CloseCode::ServiceRestart => 1012,
            CloseCode::TryAgainLater => 1013,
            CloseCode::BadGateway => 1014,
            CloseCode::TlsHandshake => 1015,
            CloseCode::Registered(code) | CloseCode::Private(code) | CloseCode::Other(code) => code,
        }
    }
}

impl PartialEq for CloseCode {
    fn eq(&self, other: &Self) -> bool {
        u16::from(*self) == u16::from(*other)
    }
}

impl Eq for CloseCode {}

impl Hash for CloseCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        u16::from(*self).hash(state);
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::write_u64(f, u64::from(u16::from(*self)))?;
        f.write_str(" (")?;
        f.write_str(self.description())?;
        f.write_str(")")
    }
}

/// How a connection ended: delivered exactly once per socket, to every close handler.
///
/// See [`CloseEvent` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/CloseEvent).
/// A failed connection (refused, bad handshake, dropped) closes with [`CloseCode::Abnormal`] and
/// `was_clean == false`; the browser gives no other detail about failures.
///
/// ```
/// use duplex_ws::{CloseCode, CloseInfo};
///
/// let info = CloseInfo { code: CloseCode::Normal, reason: "bye".into(), was_clean: true };
/// assert_eq!(info.to_string(), "1000 (normal closure) \"bye\", clean");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseInfo {
    /// The code from the peer's Close frame, or 1005/1006/1015 set by the browser.
    pub code: CloseCode,
    /// The reason from the peer's Close frame (empty when there was none).
    pub reason: String,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.code, f)?;
        f.write_str(" ")?;
        text::write_quoted_str(f, &self.reason)?;
        f.write_str(if self.was_clean {
            ", clean"
        } else {
            ", not clean"
        })
    }
}

/// Checks a code and reason against the browser's rules for `close(code, reason)`.
pub(crate) fn validate(code: CloseCode, reason: &str) -> Result<(), Error> {
    if !code.is_sendable() {
        return Err(Error::InvalidCloseCode {
            code: u16::from(code),
        });
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(Error::ReasonTooLong {
            bytes: reason.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_u16_round_trips() {
        for n in 0..=u16::MAX {
            assert_eq!(u16::from(CloseCode::from(n)), n);
        }
    }

    #[test]
    fn ranges_map_to_their_variants() {
        assert_eq!(CloseCode::from(2999), CloseCode::Other(2999));
        assert!(matches!(CloseCode::from(3000), CloseCode::Registered(3000)));
        assert!(matches!(CloseCode::from(3999), CloseCode::Registered(3999)));
        assert!(matches!(CloseCode::from(4000), CloseCode::Private(4000)));
        assert!(matches!(CloseCode::from(4999), CloseCode::Private(4999)));
        assert!(matches!(CloseCode::from(5000), CloseCode::Other(5000)));
        assert!(matches!(CloseCode::from(1004), CloseCode::Other(1004)));
        assert!(matches!(CloseCode::from(1016), CloseCode::Other(1016)));
    }

    #[test]
    fn equality_is_by_number() {
        assert_eq!(CloseCode::Private(1000), CloseCode::Normal);
        assert_ne!(CloseCode::Normal, CloseCode::GoingAway);
    }

    #[test]
    fn only_1000_and_3000_to_4999_are_sendable() {
        for n in 0..=u16::MAX {
            let expected = n == 1000 || (3000..=4999).contains(&n);
            assert_eq!(CloseCode::from(n).is_sendable(), expected, "code {n}");
        }
    }

    #[test]
    fn validate_rejects_unsendable_codes_before_the_reason() {
        for n in [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, 65535] {
            assert_eq!(
                validate(CloseCode::from(n), ""),
                Err(Error::InvalidCloseCode { code: n })
            );
        }
    }

    #[test]
    fn reason_limit_counts_utf8_bytes_not_chars() {
        let at_limit = "a".repeat(MAX_REASON_BYTES);
        assert_eq!(validate(CloseCode::Normal, &at_limit), Ok(()));
        let over = "a".repeat(MAX_REASON_BYTES + 1);
        assert_eq!(
            validate(CloseCode::Normal, &over),
            Err(Error::ReasonTooLong { bytes: 124 })
        );
        // 62 two-byte characters: 62 chars, 124 bytes.
        let wide = "é".repeat(62);
        assert_eq!(
            validate(CloseCode::from(4000), &wide),
            Err(Error::ReasonTooLong { bytes: 124 })
        );
        // 41 three-byte characters: exactly 123 bytes.
        assert_eq!(validate(CloseCode::from(3000), &"€".repeat(41)), Ok(()));
    }

    #[test]
    fn display_names_the_code() {
        assert_eq!(CloseCode::from(4001).to_string(), "4001 (private code)");
        let info = CloseInfo {
            code: CloseCode::Abnormal,
            reason: String::new(),
            was_clean: false,
        };
        assert_eq!(info.to_string(), "1006 (abnormal closure) \"\", not clean");
    }
}
