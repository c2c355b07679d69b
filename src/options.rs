//! [`ConnectOptions`]: sub-protocols and binary type for a new socket, checked before the browser sees them.

use crate::error::ProtocolProblem;
use crate::{BinaryType, Error};

/// How to open a socket: the sub-protocols to offer and the binary type to use from the first message.
///
/// See [`WebSocket()` constructor on MDN](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/WebSocket).
///
/// ```no_run
/// use duplex_ws::{BinaryType, ConnectOptions, WebSocket};
///
/// let options = ConnectOptions::new()
///     .protocols(["chat.v2", "chat.v1"])
///     .binary_type(BinaryType::Blob);
/// let socket = WebSocket::connect_with("wss://example.com/chat", &options)?;
/// # Ok::<(), duplex_ws::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    protocols: Vec<String>,
    binary_type: BinaryType,
}

impl ConnectOptions {
    /// No sub-protocols, binary messages as bytes ([`BinaryType::ArrayBuffer`]).
    ///
    /// ```
    /// assert!(duplex_ws::ConnectOptions::new().offered_protocols().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one sub-protocol to offer. The server picks at most one; read it with
    /// [`WebSocket::protocol`](crate::WebSocket::protocol) once open.
    ///
    /// ```
    /// let options = duplex_ws::ConnectOptions::new().protocol("chat");
    /// assert_eq!(options.offered_protocols(), ["chat"]);
    /// ```
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Adds several sub-protocols to offer, in order of preference. They reach the browser as an array.
    ///
    /// ```
    /// let options = duplex_ws::ConnectOptions::new().protocols(["a", "b"]);
    /// assert_eq!(options.offered_protocols(), ["a", "b"]);
    /// ```
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// Sets how binary messages arrive; applied before any message can.
    ///
    /// ```
    /// use duplex_ws::{BinaryType, ConnectOptions};
    ///
    /// let options = ConnectOptions::new().binary_type(BinaryType::Blob);
    /// assert_eq!(options.initial_binary_type(), BinaryType::Blob);
    /// ```
    pub fn binary_type(mut self, binary_type: BinaryType) -> Self {
        self.binary_type = binary_type;
        self
    }

    /// The sub-protocols to offer, in order.
    ///
    /// ```
    /// assert!(duplex_ws::ConnectOptions::default().offered_protocols().is_empty());
    /// ```
    pub fn offered_protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The binary type the socket will start with.
    ///
    /// ```
    /// use duplex_ws::{BinaryType, ConnectOptions};
    ///
    /// assert_eq!(ConnectOptions::new().initial_binary_type(), BinaryType::ArrayBuffer);
    /// ```
    pub fn initial_binary_type(&self) -> BinaryType {
        self.binary_type
    }

    /// Checks the sub-protocols as the browser would: each a non-empty HTTP token, none repeated.
    ///
    /// # Errors
    /// [`Error::InvalidProtocol`] naming the first bad protocol.
    ///
    /// ```
    /// use duplex_ws::{ConnectOptions, Error, ProtocolProblem};
    ///
    /// let options = ConnectOptions::new().protocols(["a", "a"]);
    /// assert_eq!(
    ///     options.validate(),
    ///     Err(Error::InvalidProtocol { protocol: "a".into(), problem: ProtocolProblem::Duplicate })
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        for (index, protocol) in self.protocols.iter().enumerate() {
            let problem = if protocol.is_empty() {
                Some(ProtocolProblem::Empty)
            } else if let Some(c) = protocol.chars().find(|&c| !is_token_char(c)) {
                Some(ProtocolProblem::InvalidChar(c))
            } else if self
                .protocols
                .get(..index)
                .is_some_and(|earlier| earlier.contains(protocol))
            {
                Some(ProtocolProblem::Duplicate)
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(Error::InvalidProtocol {
                    protocol: protocol.clone(),
                    problem,
                });
            }
        }
        Ok(())
    }
}

/// `tchar` of RFC 9110 §5.6.2, which `Sec-WebSocket-Protocol` values must consist of.
fn is_token_char(c: char) -> bool {
    // A `char` match, not `str::contains`: for a non-ASCII `char` that would link the substring searcher.
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '.'
                | '^'
                | '_'
                | '`'
                | '|'
                | '~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(protocols: &[&str]) -> Option<(String, ProtocolProblem)> {
        match ConnectOptions::new()
            .protocols(protocols.iter().copied())
            .validate()
        {
            Ok(()) => None,
            Err(Error::InvalidProtocol { protocol, problem }) => Some((protocol, problem)),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn tokens_are_accepted() {
        assert_eq!(problem(&[]), None);
        assert_eq!(problem(&["chat", "v2.json", "a!#$%&'*+-.^_`|~z"]), None);
    }

    #[test]
    fn empty_separators_controls_and_non_ascii_are_rejected() {
        assert_eq!(problem(&[""]), Some(("".into(), ProtocolProblem::Empty)));
        for (bad, c) in [
            ("a b", ' '),
            ("a/b", '/'),
            ("a,b", ','),
            ("a\u{1}", '\u{1}'),
            ("a\u{7f}", '\u{7f}'),
            ("é", 'é'),
            ("a\"", '"'),
            ("{a}", '{'),
        ] {
            assert_eq!(
                problem(&["ok", bad]),
                Some((bad.into(), ProtocolProblem::InvalidChar(c)))
            );
        }
    }

    #[test]
    fn duplicates_are_rejected() {
        assert_eq!(
            problem(&["a", "b", "a"]),
            Some(("a".into(), ProtocolProblem::Duplicate))
        );
    }
}
