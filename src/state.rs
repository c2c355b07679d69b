//! [`ReadyState`] and [`BinaryType`]: the socket's lifecycle state and how binary messages arrive.

use core::fmt;

/// The state of a WebSocket connection, read live from the browser.
///
/// See [`WebSocket.readyState` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/readyState).
///
/// ```
/// use duplex_ws::ReadyState;
///
/// assert_eq!(ReadyState::try_from(1), Ok(ReadyState::Open));
/// assert_eq!(u16::from(ReadyState::Closed), 3);
/// assert_eq!(ReadyState::Closing.to_string(), "closing");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// The handshake is in progress (`CONNECTING`, 0). Sending fails with [`Error::InvalidState`](crate::Error::InvalidState).
    Connecting,
    /// The connection is established and messages can be sent (`OPEN`, 1).
    Open,
    /// The closing handshake has started (`CLOSING`, 2). Sending fails with [`Error::NotOpen`](crate::Error::NotOpen).
    Closing,
    /// The connection is closed or could not be opened (`CLOSED`, 3).
    Closed,
}

impl ReadyState {
    /// The lower-case name of the state, as shown by [`Display`](fmt::Display): `"connecting"`, `"open"`,
    /// `"closing"` or `"closed"`.
    ///
    /// ```
    /// assert_eq!(duplex_ws::ReadyState::Open.as_str(), "open");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Closed => "closed",
        }
    }
}

impl fmt::Display for ReadyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<u16> for ReadyState {
    type Error = UnknownReadyState;

    /// Maps the numeric `readyState` constants 0..=3.
    ///
    /// # Errors
    /// [`UnknownReadyState`] for any other number.
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::Connecting),
            1 => Ok(Self::Open),
            2 => Ok(Self::Closing),
            3 => Ok(Self::Closed),
            other => Err(UnknownReadyState(other)),
        }
    }
}

impl From<ReadyState> for u16 {
    fn from(state: ReadyState) -> Self {
        match state {
            ReadyState::Connecting => 0,
            ReadyState::Open => 1,
            ReadyState::Closing => 2,
            ReadyState::Closed => 3,
        }
    }
}

/// A `readyState` number outside 0..=3, returned by [`ReadyState::try_from`].
///
/// ```
/// use duplex_ws::{ReadyState, UnknownReadyState};
///
/// assert_eq!(ReadyState::try_from(7), Err(UnknownReadyState(7)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownReadyState(pub u16);

impl fmt::Display for UnknownReadyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown WebSocket readyState ")?;
        crate::text::write_u64(f, u64::from(self.0))
    }
}

impl std::error::Error for UnknownReadyState {}

/// How the browser hands over binary messages.
///
/// The browser's own default is `Blob`; duplex-ws defaults to [`BinaryType::ArrayBuffer`] so that binary
/// messages arrive as bytes ([`Message::Binary`](crate::Message::Binary)). With [`BinaryType::Blob`] they
/// arrive as an untouched [`web_sys::Blob`] ([`Message::Blob`](crate::Message::Blob)), which never enters
/// wasm memory. The browser reads the setting when each message is dispatched, so a change applies to the
/// next message. See [`WebSocket.binaryType` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/binaryType).
///
/// ```
/// use duplex_ws::BinaryType;
///
/// assert_eq!(BinaryType::default(), BinaryType::ArrayBuffer);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BinaryType {
    /// Binary messages arrive as a [`web_sys::Blob`].
    Blob,
    /// Binary messages arrive as bytes copied out of an `ArrayBuffer`.
    #[default]
    ArrayBuffer,
}

impl From<BinaryType> for web_sys::BinaryType {
    fn from(kind: BinaryType) -> Self {
        match kind {
            BinaryType::Blob => Self::Blob,
            BinaryType::ArrayBuffer => Self::Arraybuffer,
        }
    }
}

impl From<web_sys::BinaryType> for BinaryType {
    fn from(kind: web_sys::BinaryType) -> Self {
        match kind {
            web_sys::BinaryType::Arraybuffer => Self::ArrayBuffer,
            // The attribute only ever holds "blob" or "arraybuffer"; "blob" is the platform default.
            _ => Self::Blob,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_state_round_trips_through_u16() {
        for state in [
            ReadyState::Connecting,
            ReadyState::Open,
            ReadyState::Closing,
            ReadyState::Closed,
        ] {
            assert_eq!(ReadyState::try_from(u16::from(state)), Ok(state));
        }
    }

    #[test]
    fn unknown_ready_state_is_an_error_not_a_panic() {
        for n in [4, 100, u16::MAX] {
            assert_eq!(ReadyState::try_from(n), Err(UnknownReadyState(n)));
        }
        assert_eq!(
            UnknownReadyState(9).to_string(),
            "unknown WebSocket readyState 9"
        );
    }

    #[test]
    fn ready_state_displays_lower_case() {
        assert_eq!(ReadyState::Connecting.to_string(), "connecting");
        assert_eq!(ReadyState::Open.to_string(), "open");
        assert_eq!(ReadyState::Closing.to_string(), "closing");
        assert_eq!(ReadyState::Closed.to_string(), "closed");
    }

    #[test]
    fn binary_type_maps_to_web_sys_and_back() {
        for kind in [BinaryType::Blob, BinaryType::ArrayBuffer] {
            assert_eq!(BinaryType::from(web_sys::BinaryType::from(kind)), kind);
        }
    }
}
