//! JSON text messages (feature `json`): [`Message::json`], [`Message::decode_json`] and [`JsonError`].

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Message;

/// Why a value could not become a JSON message, or a message could not become a value.
///
/// ```
/// use duplex_ws::{JsonError, Message};
///
/// let error = Message::from("{\"n\": ").decode_json::<serde_json::Value>().unwrap_err();
/// assert!(matches!(error, JsonError::Truncated { line: 1, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The value cannot be written as JSON (a map with non-string keys, or a `Serialize` impl that failed).
    Encode {
        /// serde's message.
        message: String,
    },
    /// The message is binary (bytes or a `Blob`), not text.
    NotText,
    /// The text is not JSON.
    Syntax {
        /// The line of the first error, from 1.
        line: usize,
        /// The column of the first error, from 1.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// The text is JSON but does not fit the type: a missing field, a wrong type, an unknown variant.
    Data {
        /// The line of the first error, from 1.
        line: usize,
        /// The column of the first error, from 1.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// The text ends in the middle of a value.
    Truncated {
        /// The line where the text ends, from 1.
        line: usize,
        /// The column where the text ends.
        column: usize,
        /// serde's message.
        message: String,
    },
}

impl Message {
    /// A text message holding `value` as JSON.
    ///
    /// # Errors
    /// [`JsonError::Encode`] when `value` cannot be written as JSON.
    ///
    /// ```
    /// use duplex_ws::Message;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Say<'a> { text: &'a str }
    ///
    /// let message = Message::json(&Say { text: "hi" })?;
    /// assert_eq!(message.as_text(), Some(r#"{"text":"hi"}"#));
    /// # Ok::<(), duplex_ws::JsonError>(())
    /// ```
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, JsonError> {
        serde_json::to_string(value)
            .map(Self::Text)
            .map_err(|error| JsonError::Encode {
                message: error.to_string(),
            })
    }

    /// Decodes a text message's JSON into a `T`.
    ///
    /// # Errors
    /// [`JsonError::NotText`] for a binary message; [`JsonError::Syntax`], [`JsonError::Data`] or
    /// [`JsonError::Truncated`], with the position, when the text does not decode.
    ///
    /// ```
    /// use duplex_ws::{JsonError, Message};
    ///
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Pong { seq: u32 }
    ///
    /// assert_eq!(Message::from(r#"{"seq":7}"#).decode_json::<Pong>(), Ok(Pong { seq: 7 }));
    /// assert!(matches!(Message::from(r#"{"seq":"x"}"#).decode_json::<Pong>(), Err(JsonError::Data { .. })));
    /// assert_eq!(Message::from(vec![1]).decode_json::<Pong>(), Err(JsonError::NotText));
    /// ```
    pub fn decode_json<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        let text = self.as_text().ok_or(JsonError::NotText)?;
        serde_json::from_str(text).map_err(|error| {
            let (line, column, message) = (error.line(), error.column(), error.to_string());
            match error.classify() {
                serde_json::error::Category::Data => JsonError::Data {
                    line,
                    column,
                    message,
                },
                serde_json::error::Category::Eof => JsonError::Truncated {
                    line,
                    column,
                    message,
                },
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                    JsonError::Syntax {
                        line,
                        column,
                        message,
                    }
                }
            }
        })
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode { message } => write!(f, "cannot encode as JSON: {message}"),
            Self::NotText => f.write_str("a binary message is not JSON text"),
            Self::Syntax { message, .. } => write!(f, "not JSON: {message}"),
            Self::Data { message, .. } => write!(f, "JSON of the wrong shape: {message}"),
            Self::Truncated { message, .. } => write!(f, "JSON cut short: {message}"),
        }
    }
}

impl std::error::Error for JsonError {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "lowercase")]
    enum Chat {
        Say { id: u32, text: String },
        Ping,
    }

    #[test]
    fn round_trips_through_a_text_message() {
        let say = Chat::Say {
            id: 7,
            text: "héllo \"you\"".into(),
        };
        let message = Message::json(&say).expect("encodes");
        assert!(
            message
                .as_text()
                .is_some_and(|t| t.starts_with(r#"{"type":"say""#))
        );
        assert_eq!(message.decode_json::<Chat>(), Ok(say));
    }

    #[test]
    fn each_failure_has_its_own_variant_and_position() {
        let decode = |text: &str| {
            Message::from(text)
                .decode_json::<Chat>()
                .expect_err("fails")
        };
        assert!(matches!(
            decode("{\"type\":\"ping\"}\n}"),
            JsonError::Syntax {
                line: 2,
                column: 1,
                ..
            }
        ));
        assert!(matches!(
            decode(r#"{"type":"shout"}"#),
            JsonError::Data { line: 1, .. }
        ));
        assert!(matches!(
            decode(r#"{"type":"say","id":1"#),
            JsonError::Truncated { .. }
        ));
        assert_eq!(
            Message::from(vec![b'{', b'}']).decode_json::<Chat>(),
            Err(JsonError::NotText)
        );
    }

    #[test]
    fn a_value_json_cannot_hold_is_an_encode_error() {
        let map: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(matches!(Message::json(&map), Err(JsonError::Encode { .. })));
    }

    #[test]
    fn errors_say_what_went_wrong() {
        let error = Message::from("nope")
            .decode_json::<Chat>()
            .expect_err("fails");
        assert!(
            error.to_string().starts_with("not JSON: expected"),
            "{error}"
        );
        assert_eq!(
            JsonError::NotText.to_string(),
            "a binary message is not JSON text"
        );
    }
}
