//! [`Codec`]: values of the caller's own type as messages, and back. [`Raw`] keeps messages as they are;
//! [`Json`] (feature `json`) carries serde values as JSON text.

use core::fmt;
#[cfg(feature = "json")]
use core::marker::PhantomData;

use crate::{Error, Message};

/// Turns values into messages and messages back into values, so a socket's user can send and receive its
/// own types: [`Outgoing`](Self::Outgoing) values are encoded, received messages decoded as
/// [`Incoming`](Self::Incoming) ones (most protocols send one type and receive another). The codec chooses
/// the kind of frame: text for JSON, binary for MessagePack, CBOR or bincode.
///
/// [`Json`] is built in (feature `json`); any other format is a few lines. Here a counter as four
/// little-endian bytes in a binary frame; MessagePack is the same shape, with `rmp_serde::to_vec` and
/// `rmp_serde::from_slice` (CBOR: `ciborium`, bincode: `bincode::serde`) in place of the byte conversions:
///
/// ```
/// use duplex_ws::{Codec, Message};
///
/// struct Counter;
///
/// impl Codec for Counter {
///     type Outgoing = u32;
///     type Incoming = u32;
///     type Error = &'static str;
///
///     fn encode(&self, value: &u32) -> Result<Message, Self::Error> {
///         Ok(Message::from(&value.to_le_bytes()[..]))
///     }
///
///     fn decode(&self, message: &Message) -> Result<u32, Self::Error> {
///         let bytes = message.as_bytes().ok_or("a counter is a binary message")?;
///         bytes.try_into().map(u32::from_le_bytes).map_err(|_| "a counter is 4 bytes")
///     }
/// }
///
/// assert_eq!(Counter.decode(&Counter.encode(&7)?)?, 7);
/// assert_eq!(Counter.decode(&Message::from("7")), Err("a counter is a binary message"));
/// # Ok::<(), &'static str>(())
/// ```
pub trait Codec {
    /// The type sent.
    type Outgoing;
    /// The type received.
    type Incoming;
    /// Why a value could not be encoded, or a message decoded.
    type Error: fmt::Debug + fmt::Display;

    /// The message that carries `value`.
    ///
    /// # Errors
    /// When `value` cannot be written in this format.
    fn encode(&self, value: &Self::Outgoing) -> Result<Message, Self::Error>;

    /// The value `message` carries.
    ///
    /// # Errors
    /// When `message` is not a value of this format: the wrong kind of frame, bad syntax, or data that does
    /// not fit [`Incoming`](Self::Incoming).
    fn decode(&self, message: &Message) -> Result<Self::Incoming, Self::Error>;
}

/// Messages as they are: [`Message`] in, the same [`Message`] out, never an error.
///
/// ```
/// use duplex_ws::{Codec, Message, Raw};
///
/// let message = Message::from("hi");
/// assert_eq!(Raw.decode(&message), Ok(message));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Raw;

impl Codec for Raw {
    type Outgoing = Message;
    type Incoming = Message;
    type Error = core::convert::Infallible;

    fn encode(&self, value: &Message) -> Result<Message, Self::Error> {
        Ok(value.clone())
    }

    fn decode(&self, message: &Message) -> Result<Message, Self::Error> {
        Ok(message.clone())
    }
}

/// Values as JSON text messages, through serde (feature `json`): `Out` values are sent, `In` values received
/// (the same type unless given), with [`Message::json`] and [`Message::decode_json`] and their
/// [`JsonError`](crate::JsonError).
///
/// ```
/// use duplex_ws::{Codec, Json, JsonError, Message};
///
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Say { text: String }
///
/// let codec = Json::<Say>::new();
/// let message = codec.encode(&Say { text: "hi".into() })?;
/// assert_eq!(message.as_text(), Some(r#"{"text":"hi"}"#));
/// assert_eq!(codec.decode(&message)?, Say { text: "hi".into() });
/// assert_eq!(codec.decode(&Message::from(&[1u8][..])), Err(JsonError::NotText));
///
/// // A protocol that sends one type and receives another:
/// #[derive(serde::Serialize)]
/// enum Request { Ping }
/// #[derive(serde::Deserialize)]
/// enum Reply { Pong }
/// let codec = Json::<Request, Reply>::new();
/// # Ok::<(), JsonError>(())
/// ```
#[cfg(feature = "json")]
pub struct Json<Out, In = Out>(PhantomData<fn(&Out) -> In>);

#[cfg(feature = "json")]
impl<Out, In> Json<Out, In> {
    /// The JSON codec that sends `Out` and receives `In`.
    ///
    /// ```
    /// let codec = duplex_ws::Json::<serde_json::Value>::new();
    /// ```
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

#[cfg(feature = "json")]
impl<Out, In> Default for Json<Out, In> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "json")]
impl<Out, In> Clone for Json<Out, In> {
    fn clone(&self) -> Self {
        *self
    }
}

#[cfg(feature = "json")]
impl<Out, In> Copy for Json<Out, In> {}

#[cfg(feature = "json")]
impl<Out, In> fmt::Debug for Json<Out, In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Json")
    }
}

#[cfg(feature = "json")]
impl<Out: serde::Serialize, In: serde::de::DeserializeOwned> Codec for Json<Out, In> {
    type Outgoing = Out;
    type Incoming = In;
    type Error = crate::JsonError;

    fn encode(&self, value: &Out) -> Result<Message, Self::Error> {
        Message::json(value)
    }

    fn decode(&self, message: &Message) -> Result<In, Self::Error> {
        message.decode_json()
    }
}

/// Why a typed value was not sent: it could not be encoded (nothing was sent or queued), or the socket
/// refused the encoded message (as its `send` says).
///
/// ```
/// use duplex_ws::{Error, ReadyState, SendValueError};
///
/// let error: SendValueError<String> = SendValueError::Send(Error::NotOpen { state: ReadyState::Closed });
/// assert!(error.to_string().starts_with("not sent: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendValueError<E> {
    /// The codec could not encode the value; fix the value or the codec.
    Encode(E),
    /// The socket did not take the message: see [`Error`] for what to do.
    Send(Error),
}

impl<E: fmt::Display> fmt::Display for SendValueError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode(error) => write!(f, "not encoded: {error}"),
            Self::Send(error) => write!(f, "not sent: {error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for SendValueError<E> {}

impl<E> From<Error> for SendValueError<E> {
    fn from(error: Error) -> Self {
        Self::Send(error)
    }
}
