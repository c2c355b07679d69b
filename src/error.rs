//! [`Error`]: every way an operation on a socket can fail, each with what to do about it.

use core::fmt;

use wasm_bindgen::{JsCast, JsValue};

use crate::text;
use crate::{CloseInfo, Overflow, ReadyState};

/// An error from a duplex-ws operation.
///
/// Exceptions thrown by the browser are mapped by their `DOMException` name (`SyntaxError` while
/// connecting is [`InvalidUrl`](Self::InvalidUrl), a `ReferenceError` while connecting, which only a global
/// scope without `WebSocket` throws, is [`Unsupported`](Self::Unsupported), `SecurityError` is [`Security`](Self::Security),
/// `InvalidStateError` is [`InvalidState`](Self::InvalidState), `InvalidAccessError` while closing is
/// [`InvalidCloseCode`](Self::InvalidCloseCode), anything else is [`Js`](Self::Js)) and keep the browser's
/// message, which [`Display`](fmt::Display) includes. Arguments the browser would reject are checked in Rust
/// first, so those errors are identical in every browser.
///
/// ```
/// use duplex_ws::Error;
///
/// let err = Error::InvalidCloseCode { code: 1001 };
/// assert_eq!(err.to_string(), "close code 1001 cannot be sent: a script may send only 1000 or 3000-4999");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// This browser (or worker) has no `WebSocket`. Check [`is_supported`](crate::is_supported) first and
    /// offer a fallback; retrying will not help.
    Unsupported,
    /// The browser rejected the URL (`SyntaxError`): it does not parse, has a fragment (`#...`), or its scheme
    /// is not `ws`, `wss`, `http` or `https`. Fix the URL; retrying will not help.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// The browser's message.
        message: String,
    },
    /// A sub-protocol is empty, repeated, or not an HTTP token (for example it holds a space, `/`, `,`, a
    /// control or non-ASCII character). Checked before the browser is called. Fix the protocol list.
    InvalidProtocol {
        /// The offending protocol.
        protocol: String,
        /// What is wrong with it.
        problem: ProtocolProblem,
    },
    /// The browser refused the connection for security reasons (`SecurityError`), for example a `ws:` URL
    /// from an `https:` page. A blocked port such as 6000 is not refused this way in Chromium 156 or Firefox
    /// 153: the socket fails with close code 1006 instead (docs/conformance.md item 7). Use `wss:`.
    Security {
        /// The browser's message.
        message: String,
    },
    /// The socket is still connecting (`InvalidStateError`), so nothing was sent. Wait for the open
    /// notification, or use the async layer, which waits for you.
    InvalidState {
        /// The browser's message.
        message: String,
    },
    /// The socket is closing or closed, so nothing was sent. (The browser itself would discard the data
    /// silently.) Open a new socket, or use the reconnecting socket, which queues messages for you.
    NotOpen {
        /// The state the socket was in.
        state: ReadyState,
    },
    /// A script may close only with 1000 or 3000-4999; nothing was sent and the socket is unchanged.
    /// Use [`CloseCode::Normal`](crate::CloseCode::Normal) or an application code in 4000-4999.
    InvalidCloseCode {
        /// The rejected code.
        code: u16,
    },
    /// The close reason is longer than [`MAX_REASON_BYTES`](crate::MAX_REASON_BYTES) (123) bytes of UTF-8;
    /// nothing was sent and the socket is unchanged. Shorten the reason.
    ReasonTooLong {
        /// The reason's length in UTF-8 bytes.
        bytes: usize,
    },
    /// The connection closed: before it opened (for [`open`](crate::open)), or without a clean closing
    /// handshake (at the end of a [`WsStream`](crate::WsStream)). Code 1006 means the browser saw the
    /// connection fail or drop; the browser gives no more detail than this.
    Closed(CloseInfo),
    /// The receive queue was full, so `dropped` messages were dropped at this point of the stream, as
    /// `policy` says. Read faster, raise the [`QueueLimit`](crate::QueueLimit), or choose another
    /// [`Overflow`] policy.
    Overflow {
        /// How many messages were dropped here.
        dropped: u64,
        /// The policy that dropped them.
        policy: Overflow,
    },
    /// The reconnecting socket's outbox is full (with
    /// `OutboxOverflow::Reject`), so the message was not queued; you still have it.
    /// Wait for the socket to open, or raise the outbox limit.
    OutboxFull {
        /// How many messages the outbox holds.
        messages: usize,
        /// How many bytes they hold.
        bytes: u64,
    },
    /// Any other exception the browser threw, with its name (for example `TypeError`) and message.
    Js {
        /// The exception's `name`.
        name: String,
        /// The exception's `message`.
        message: String,
    },
}

/// What is wrong with a sub-protocol, in [`Error::InvalidProtocol`].
///
/// ```
/// use duplex_ws::ProtocolProblem;
///
/// assert_eq!(ProtocolProblem::Duplicate.to_string(), "it is offered twice");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolProblem {
    /// The protocol is the empty string.
    Empty,
    /// The protocol appears more than once in the list.
    Duplicate,
    /// The protocol holds a character that is not allowed in an HTTP token.
    InvalidChar(char),
}

impl fmt::Display for ProtocolProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::Duplicate => f.write_str("it is offered twice"),
            Self::InvalidChar(c) => {
                text::write_quoted_char(f, *c)?;
                f.write_str(" is not allowed in a protocol token")
            }
        }
    }
}

// Written piece by piece rather than with `write!`, so that a client that shows an error does not link
// `core::fmt`'s integer and `Debug` machinery (see `text`).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("this browser has no WebSocket"),
            Self::InvalidUrl { url, message } => {
                f.write_str("invalid WebSocket URL ")?;
                text::write_quoted_str(f, url)?;
                f.write_str(": ")?;
                f.write_str(message)
            }
            Self::InvalidProtocol { protocol, problem } => {
                f.write_str("invalid sub-protocol ")?;
                text::write_quoted_str(f, protocol)?;
                f.write_str(": ")?;
                fmt::Display::fmt(problem, f)
            }
            Self::Security { message } => {
                f.write_str("refused for security reasons: ")?;
                f.write_str(message)
            }
            Self::InvalidState { message } => {
                f.write_str("the socket is still connecting: ")?;
                f.write_str(message)
            }
            Self::NotOpen { state } => {
                f.write_str("the socket is ")?;
                f.write_str(state.as_str())?;
                f.write_str(", so nothing was sent")
            }
            Self::InvalidCloseCode { code } => {
                f.write_str("close code ")?;
                text::write_u64(f, u64::from(*code))?;
                f.write_str(" cannot be sent: a script may send only 1000 or 3000-4999")
            }
            Self::ReasonTooLong { bytes } => {
                f.write_str("the close reason is ")?;
                text::write_u64(f, *bytes as u64)?;
                f.write_str(" bytes of UTF-8; at most ")?;
                text::write_u64(f, crate::MAX_REASON_BYTES as u64)?;
                f.write_str(" are allowed")
            }
            Self::Closed(info) => {
                f.write_str("the connection closed: ")?;
                fmt::Display::fmt(info, f)
            }
            Self::Overflow { dropped, policy } => {
                f.write_str("the receive queue was full: ")?;
                text::write_u64(f, *dropped)?;
                f.write_str(" message(s) dropped (policy: ")?;
                fmt::Display::fmt(policy, f)?;
                f.write_str(")")
            }
            Self::OutboxFull { messages, bytes } => {
                f.write_str("the outbox is full (")?;
                text::write_u64(f, *messages as u64)?;
                f.write_str(" message(s), ")?;
                text::write_u64(f, *bytes)?;
                f.write_str(" bytes), so the message was not queued")
            }
            Self::Js { name, message } => {
                f.write_str(name)?;
                f.write_str(": ")?;
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for Error {}

/// The operation during which the browser threw, to give its exception a precise variant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op<'a> {
    Connect { url: &'a str },
    Send,
    Close { code: u16 },
    Listen,
    ReadBlob,
}

impl Error {
    /// Maps a value thrown by the browser, by its `DOMException` name.
    pub(crate) fn thrown(value: &JsValue, op: Op<'_>) -> Self {
        let (name, message) = name_and_message(value);
        Self::from_exception(name, message, op)
    }

    fn from_exception(name: String, message: String, op: Op<'_>) -> Self {
        match (name.as_str(), op) {
            // Only a global scope without `WebSocket` makes `new WebSocket(...)` throw a ReferenceError;
            // mapping the name spares every client the global-object lookup of `is_supported`.
            ("ReferenceError", Op::Connect { .. }) => Self::Unsupported,
            ("SyntaxError", Op::Connect { url }) => Self::InvalidUrl {
                url: url.to_owned(),
                message,
            },
            ("SecurityError", _) => Self::Security { message },
            ("InvalidStateError", _) => Self::InvalidState { message },
            ("InvalidAccessError", Op::Close { code }) => Self::InvalidCloseCode { code },
            _ => Self::Js { name, message },
        }
    }
}

fn name_and_message(value: &JsValue) -> (String, String) {
    // A `DOMException` is an `Error` too (its prototype chain goes through `Error.prototype`), with the
    // same `name` and `message`.
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return (error.name().into(), error.message().into());
    }
    // `String(value)` is the string itself for a string.
    let message =
        js_string(value).unwrap_or_else(|_| "a value that cannot be shown as text".to_owned());
    ("Error".to_owned(), message)
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// JS `String(value)`, for a thrown value that is neither an `Error` nor a string. It throws only for an
    /// object without a usable `toString`.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string(value: &JsValue) -> Result<String, JsValue>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CloseCode;

    fn from(name: &str, op: Op<'_>) -> Error {
        Error::from_exception(name.into(), "the browser's words".into(), op)
    }

    #[test]
    fn each_dom_exception_name_has_its_own_variant() {
        let message = || "the browser's words".to_owned();
        let connect = Op::Connect { url: "ws://x" };
        assert_eq!(
            from("SyntaxError", connect),
            Error::InvalidUrl {
                url: "ws://x".into(),
                message: message()
            }
        );
        assert_eq!(
            from("SecurityError", connect),
            Error::Security { message: message() }
        );
        assert_eq!(
            from("InvalidStateError", Op::Send),
            Error::InvalidState { message: message() }
        );
        assert_eq!(
            from("InvalidAccessError", Op::Close { code: 1001 }),
            Error::InvalidCloseCode { code: 1001 }
        );
        assert_eq!(from("ReferenceError", connect), Error::Unsupported);
        for (name, op) in [
            ("ReferenceError", Op::Send),
            ("TypeError", connect),
            ("NotSupportedError", Op::Send),
            ("SyntaxError", Op::Close { code: 1000 }),
            ("InvalidAccessError", Op::Listen),
        ] {
            assert_eq!(
                from(name, op),
                Error::Js {
                    name: name.into(),
                    message: message()
                }
            );
        }
    }

    #[test]
    fn display_keeps_the_browsers_message() {
        for error in [
            from("SyntaxError", Op::Connect { url: "u" }),
            from("SecurityError", Op::Send),
            from("InvalidStateError", Op::Send),
            from("OperationError", Op::Send),
        ] {
            assert!(error.to_string().contains("the browser's words"), "{error}");
        }
    }

    #[test]
    fn display_tells_what_happened() {
        let cases = [
            (Error::Unsupported, "this browser has no WebSocket"),
            (
                Error::InvalidUrl {
                    url: "ws://x/#a".into(),
                    message: "The URL contains a fragment identifier".into(),
                },
                "invalid WebSocket URL \"ws://x/#a\": The URL contains a fragment identifier",
            ),
            (
                Error::InvalidProtocol {
                    protocol: "a b".into(),
                    problem: ProtocolProblem::InvalidChar(' '),
                },
                "invalid sub-protocol \"a b\": ' ' is not allowed in a protocol token",
            ),
            (
                Error::NotOpen {
                    state: ReadyState::Closed,
                },
                "the socket is closed, so nothing was sent",
            ),
            (
                Error::ReasonTooLong { bytes: 124 },
                "the close reason is 124 bytes of UTF-8; at most 123 are allowed",
            ),
            (
                Error::Closed(CloseInfo {
                    code: CloseCode::Abnormal,
                    reason: String::new(),
                    was_clean: false,
                }),
                "the connection closed: 1006 (abnormal closure) \"\", not clean",
            ),
            (
                Error::Overflow {
                    dropped: 3,
                    policy: Overflow::DropNewest,
                },
                "the receive queue was full: 3 message(s) dropped (policy: drop newest)",
            ),
            (
                Error::Js {
                    name: "TypeError".into(),
                    message: "boom".into(),
                },
                "TypeError: boom",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
