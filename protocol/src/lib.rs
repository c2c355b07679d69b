//! The chat protocol of duplex-relay's `GET /chat`: the JSON frames in both directions, their
//! limits, the error and close codes, and the validation of what a client sends.
//!
//! One definition for every party: the relay (`duplex-relay`), the chat page (`www/`) and the
//! tests build and read their frames with these types, so they cannot drift apart. It needs
//! only serde and serde_json and builds for wasm32 and native targets alike.
//! `docs/protocol.md` is the prose version of this crate. Every frame is a JSON object in a
//! text frame with a string `"type"`; an image's bytes travel in the binary frame right after its
//! JSON announcement.
//!
//! A client in Rust (a test, a bot) builds its frames with [`ClientMessage`] and decodes the
//! relay's with [`ServerMessage`]:
//!
//! ```
//! use duplex_chat_protocol::{ClientMessage, ServerMessage};
//!
//! let join = ClientMessage::Join {
//!     room: "lobby".to_owned(),
//!     nick: "Ada".to_owned(),
//!     session: None,
//!     since: None,
//! };
//! assert_eq!(join.to_json(), r#"{"type":"join","room":"lobby","nick":"Ada"}"#);
//!
//! let pong: ServerMessage = serde_json::from_str(r#"{"type":"pong"}"#)?;
//! assert_eq!(pong, ServerMessage::Pong);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The longest room name, in characters (each one of `A-Z a-z 0-9 _ . -`).
pub const MAX_ROOM_CHARS: usize = 32;
/// The longest nick, in Unicode characters, after trimming.
pub const MAX_NICK_CHARS: usize = 32;
/// The longest `session` of a join, in Unicode characters.
pub const MAX_SESSION_CHARS: usize = 64;
/// The longest client-chosen message `id`, in Unicode characters.
pub const MAX_ID_CHARS: usize = 64;
/// The longest `say` text, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 4096;
/// The largest image, in bytes (2 MiB).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// The image types the relay accepts, as `mime` values.
pub const IMAGE_MIMES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// The largest text frame a client may send, in bytes (16 KiB); a larger one ends the
/// connection with [`CLOSE_POLICY_VIOLATION`].
pub const MAX_TEXT_FRAME_BYTES: usize = 16 * 1024;
/// How many posts a `welcome` carries for a join without [`Since`]: the room's latest.
pub const HISTORY_LEN: usize = 50;
/// The most posts a `welcome` carries for a join with [`Since`]: a page that missed more
/// gets the latest ones of them and `complete: false`.
pub const RESUME_LIMIT: usize = 1000;
/// The fewest posts per room a relay keeps (its `--keep-posts` may only raise it): a page can
/// always resume across [`RESUME_LIMIT`] posts, and a re-sent message among them is recognised.
pub const MIN_KEPT_POSTS: usize = 1000;
/// The longest room `epoch`, in characters.
pub const MAX_EPOCH_CHARS: usize = 64;
/// Text frames per second a connection may send, sustained (the token bucket's refill rate).
pub const RATE_PER_SECOND: u32 = 10;
/// Text frames a connection may send at once (the token bucket's size).
pub const RATE_BURST: u32 = 20;
/// The rate-limited frame that ends a connection with [`CLOSE_POLICY_VIOLATION`] ("flooding").
pub const FLOOD_LIMIT: u32 = 20;
/// The bad request that ends a connection with [`CLOSE_POLICY_VIOLATION`] ("too many bad
/// requests"); every error code except [`ErrorCode::RateLimited`] counts.
pub const BAD_REQUEST_LIMIT: u32 = 10;
/// Frames the relay queues for one connection; a client whose queue is full is too slow and
/// is closed with [`CLOSE_TRY_AGAIN_LATER`].
pub const QUEUE_FRAMES: usize = 256;

/// Close code 1008, policy violation: flooding, an oversized frame, too many bad requests.
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;
/// Close code 1012, service restart: the relay is shutting down; reconnect after a backoff.
pub const CLOSE_SERVICE_RESTART: u16 = 1012;
/// Close code 1013, try again later: the client did not read fast enough ("too slow").
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;
/// Close code 1011, internal error: the relay lost its store (Redis) while the client was
/// connected and may have missed posts for it; reconnect after a backoff and resume.
pub const CLOSE_INTERNAL_ERROR: u16 = 1011;
/// Close code 1001, going away: the connection sent nothing for the relay's idle timeout
/// (`--idle-timeout`, 2 minutes unless changed; a page that pings every 15 s never reaches it).
/// Reconnect after a backoff.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code 4001: a new connection joined with the same nick and session and took this one's
/// place; do not reconnect.
pub const CLOSE_REPLACED: u16 = 4001;

/// The close reason sent with [`CLOSE_POLICY_VIOLATION`] after [`FLOOD_LIMIT`] rate-limited
/// frames.
pub const REASON_FLOODING: &str = "flooding";
/// The close reason sent with [`CLOSE_POLICY_VIOLATION`] after [`BAD_REQUEST_LIMIT`] bad
/// requests.
pub const REASON_BAD_REQUESTS: &str = "too many bad requests";
/// The close reason sent with [`CLOSE_POLICY_VIOLATION`] for a text frame over
/// [`MAX_TEXT_FRAME_BYTES`] or a binary frame over [`MAX_IMAGE_BYTES`].
pub const REASON_TOO_BIG: &str = "message too big";
/// The close reason sent with [`CLOSE_SERVICE_RESTART`].
pub const REASON_RESTARTING: &str = "relay restarting";
/// The close reason sent with [`CLOSE_TRY_AGAIN_LATER`].
pub const REASON_TOO_SLOW: &str = "too slow";
/// The close reason sent with [`CLOSE_INTERNAL_ERROR`].
pub const REASON_STORE_LOST: &str = "store unavailable";
/// The close reason sent with [`CLOSE_REPLACED`].
pub const REASON_REPLACED: &str = "replaced by a new connection";
/// The close reason sent with [`CLOSE_POLICY_VIOLATION`] to a connection that did not join a
/// room within the relay's join timeout (`--join-timeout`, 10 s unless changed).
pub const REASON_NO_JOIN: &str = "no join in time";
/// The close reason sent with [`CLOSE_GOING_AWAY`].
pub const REASON_IDLE: &str = "idle for too long";
/// The close reason sent with [`CLOSE_TRY_AGAIN_LATER`] to a join whose history does not fit in
/// the relay's welcome memory now: the page joins again after its backoff.
pub const REASON_BUSY: &str = "relay busy";

/// A frame a client sends, as the relay accepts it (see [`ClientMessage::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientMessage {
    /// `{"type":"join","room":R,"nick":N,"session":S}`: the first frame of a connection.
    Join {
        /// 1 to [`MAX_ROOM_CHARS`] characters from `A-Z a-z 0-9 _ . -`; case-sensitive.
        room: String,
        /// 1 to [`MAX_NICK_CHARS`] characters, trimmed, nothing invisible (see
        /// [`ErrorCode::BadNick`]); kept in NFC, and unique in the room by NFKC_Casefold (see
        /// [`ErrorCode::NickTaken`]).
        nick: String,
        /// A random secret of the page, at most [`MAX_SESSION_CHARS`] characters: a join with
        /// the nick and the same non-empty session replaces the connection that holds the nick.
        #[serde(skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Where the page stopped reading the room (its last `seq` and the room's `epoch`): the
        /// welcome then carries every post after it, up to [`RESUME_LIMIT`].
        #[serde(skip_serializing_if = "Option::is_none")]
        since: Option<Since>,
    },
    /// `{"type":"say","id":C,"text":T}`: a text message to the room.
    Say {
        /// Chosen by the client, 1 to [`MAX_ID_CHARS`] characters, unique per sender.
        id: String,
        /// 1 to [`MAX_TEXT_BYTES`] bytes.
        text: String,
    },
    /// `{"type":"image","id":C,"mime":M,"size":S}`, followed by one binary frame of `size` bytes.
    Image {
        /// Chosen by the client, 1 to [`MAX_ID_CHARS`] characters, unique per sender.
        id: String,
        /// One of [`IMAGE_MIMES`].
        mime: String,
        /// The length of the binary frame that follows: 1 to [`MAX_IMAGE_BYTES`].
        size: u64,
    },
    /// `{"type":"ping"}`: answered with [`ServerMessage::Pong`], joined or not.
    Ping,
}

impl ClientMessage {
    /// Parses and checks one text frame from a client. Fields the protocol does not know are
    /// ignored whatever they hold (any JSON value, nested to any depth, numbers of any size);
    /// a `join`'s nick comes back trimmed and an empty `session` as `None`.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] with the code to answer: [`ErrorCode::BadJson`] for a frame that is not
    /// one JSON object (RFC 8259 syntax, checked throughout, unknown fields included), that
    /// gives a known field twice, that has no string `type`, or whose `session` or `since` is
    /// not what the protocol says; [`ErrorCode::UnknownType`] for any other `type`; and the
    /// field's own code (`bad-room`, `bad-nick`, `bad-id`, `bad-text`, `bad-mime`, `bad-size`)
    /// for a field that is missing, of the wrong JSON type, or out of its limits (a `size` of
    /// `1e400` or `1.5` is `bad-size`).
    pub fn parse(frame: &str) -> Result<Self, Rejection> {
        let fields = Fields::read(frame)?;
        let Some(kind) = read::<String>(fields.kind) else {
            return Err(Rejection::new(
                ErrorCode::BadJson,
                "expected a string \"type\" field",
            ));
        };
        let about = |rejection: Rejection| rejection.about(read::<String>(fields.id).as_deref());
        match kind.as_str() {
            "join" => Ok(Self::Join {
                room: room(fields.room)?,
                nick: nick(fields.nick)?,
                session: session(fields.session)?,
                since: since(fields.since)?,
            }),
            "say" => Ok(Self::Say {
                id: id(fields.id).map_err(about)?,
                text: text(fields.text).map_err(about)?,
            }),
            "image" => Ok(Self::Image {
                id: id(fields.id).map_err(about)?,
                mime: mime(fields.mime).map_err(about)?,
                size: size(fields.size).map_err(about)?,
            }),
            "ping" => Ok(Self::Ping),
            other => Err(Rejection::new(
                ErrorCode::UnknownType,
                format!("unknown type {:?}", shorten(other)),
            )),
        }
    }

    /// This frame as JSON text, ready to send.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// The `id` of a `say` or `image` frame, valid or not, without checking anything else:
    /// for an answer about a post the relay did not parse (one over the rate limit).
    ///
    /// ```
    /// use duplex_chat_protocol::ClientMessage;
    ///
    /// let frame = r#"{"type":"say","id":"a-1","text":""}"#;
    /// assert_eq!(ClientMessage::post_id(frame).as_deref(), Some("a-1"));
    /// assert_eq!(ClientMessage::post_id(r#"{"type":"ping"}"#), None);
    /// ```
    pub fn post_id(frame: &str) -> Option<String> {
        let fields = Fields::read(frame).ok()?;
        match read::<String>(fields.kind)?.as_str() {
            "say" | "image" => read(fields.id),
            _ => None,
        }
    }
}

/// A field's value as its JSON text, not read yet; `None` when the frame does not have it.
type Raw<'a> = Option<&'a RawValue>;

/// The fields of a client frame that the protocol knows, as their JSON text.
#[derive(Debug, Clone, Copy)]
struct Fields<'a> {
    kind: Raw<'a>,
    room: Raw<'a>,
    nick: Raw<'a>,
    session: Raw<'a>,
    since: Raw<'a>,
    id: Raw<'a>,
    text: Raw<'a>,
    mime: Raw<'a>,
    size: Raw<'a>,
}

impl<'a> Fields<'a> {
    const NAMES: [&'static str; 9] = [
        "type", "room", "nick", "session", "since", "id", "text", "mime", "size",
    ];

    /// Reads `frame` as a JSON object, keeping the known fields' values unread.
    fn read(frame: &'a str) -> Result<Self, Rejection> {
        let [kind, room, nick, session, since, id, text, mime, size] = object(frame, &Self::NAMES)
            .map_err(|error| {
                let message = if error.is_data() {
                    error.to_string()
                } else {
                    format!("not JSON: {error}")
                };
                Rejection::new(ErrorCode::BadJson, message)
            })?;
        Ok(Self {
            kind,
            room,
            nick,
            session,
            since,
            id,
            text,
            mime,
            size,
        })
    }
}

/// Reads the JSON object `json`: the values of the fields `names`, in their order, as their
/// JSON text; every other field is skipped unread.
///
/// serde_json skips a value (`IgnoredAny`) and captures one (`RawValue`) with a loop and a
/// stack on the heap, not by recursion, and without converting numbers: neither has a depth
/// limit (its recursion limit of 128 applies to what is parsed into types) nor a range, so
/// only the syntax of those values is checked. The text frame's limit bounds their size.
///
/// # Errors
///
/// Not one JSON object (RFC 8259), or one of `names` given twice.
fn object<'a, const N: usize>(
    json: &'a str,
    names: &'static [&'static str; N],
) -> Result<[Raw<'a>; N], serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let fields = Known(names).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(fields)
}

/// Reads an object for the fields it names (see [`object`]).
struct Known<const N: usize>(&'static [&'static str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for Known<N> {
    type Value = [Raw<'de>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Known<N> {
    type Value = [Raw<'de>; N];

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = [None; N];
        while let Some(name) = map.next_key_seed(Name(self.0))? {
            match name {
                Some(index) if fields[index].is_some() => {
                    return Err(de::Error::duplicate_field(self.0[index]));
                }
                Some(index) => fields[index] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// A field's name, as its place among the known ones (`None` for an unknown field).
struct Name<const N: usize>(&'static [&'static str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for Name<N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<const N: usize> Visitor<'_> for Name<N> {
    type Value = Option<usize>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|known| *known == name))
    }
}

/// A field's value as a `T`; `None` when it is absent or not a `T`.
fn read<'a, T: Deserialize<'a>>(raw: Raw<'a>) -> Option<T> {
    serde_json::from_str(raw?.get()).ok()
}

/// The last post a page has seen of a room: `"since":{"seq":K,"epoch":E}` in a `join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    /// The `seq` of the last post the page has seen.
    pub seq: u64,
    /// The room's `epoch` that `seq` belongs to, from the page's last `welcome`.
    pub epoch: String,
}

/// A `message` as broadcast: `{"type":"message","seq":K,"id":C,"from":N,"text":T,"ts":MS}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Its number in the room: from 1, one more for every message and image, never reused.
    pub seq: u64,
    /// The sender's id for it.
    pub id: String,
    /// The sender's nick.
    pub from: String,
    /// The text, as sent.
    pub text: String,
    /// When the relay received it, in milliseconds since the Unix epoch.
    pub ts: u64,
}

/// An `image` as broadcast:
/// `{"type":"image","seq":K,"id":C,"from":N,"mime":M,"size":S,"ts":MS}`, followed by a binary
/// frame of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMessage {
    /// Its number in the room: from 1, one more for every message and image, never reused.
    pub seq: u64,
    /// The sender's id for it.
    pub id: String,
    /// The sender's nick.
    pub from: String,
    /// One of [`IMAGE_MIMES`].
    pub mime: String,
    /// The length of the binary frame that follows.
    pub size: u64,
    /// When the relay received it, in milliseconds since the Unix epoch.
    pub ts: u64,
}

/// A message or an image as broadcast, and as kept in a room's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Post {
    /// A `message` object.
    Message(TextMessage),
    /// An `image` object (its bytes follow in a binary frame).
    Image(ImageMessage),
}

impl Post {
    /// The room's number for this post.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Message(message) => message.seq,
            Self::Image(image) => image.seq,
        }
    }
}

impl From<Post> for ServerMessage {
    fn from(post: Post) -> Self {
        match post {
            Post::Message(message) => Self::Message(message),
            Post::Image(image) => Self::Image(image),
        }
    }
}

/// A frame the relay sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// `{"type":"welcome","nick":N,"room":R,"members":[..],"history":[..]}`: the answer to a
    /// join. One binary frame follows for each image of `history`, in order.
    Welcome {
        /// The nick as the relay keeps it (trimmed, in NFC).
        nick: String,
        /// The room joined.
        room: String,
        /// Every member's nick, this one's included, sorted by the nicks as compared
        /// (NFKC_Casefold), then exactly.
        members: Vec<String>,
        /// Names this history of the room: it changes only when the room's history is
        /// reset (its store was wiped), and `seq` numbers of two epochs must never be mixed.
        epoch: String,
        /// The `seq` of the room's latest post (0 before the first).
        seq: u64,
        /// Posts, oldest first, as they were broadcast: those after the join's [`Since`] (at
        /// most [`RESUME_LIMIT`], the latest ones), or without one (or with another epoch)
        /// the room's last [`HISTORY_LEN`].
        history: Vec<Post>,
        /// `true` when `history` holds every post after the join's `since` (after seq 0 when
        /// it had none or named another epoch); `false` when older ones were left out.
        complete: bool,
    },
    /// A text message to the room; the sender's own copy is its acknowledgement.
    Message(TextMessage),
    /// An image to the room, followed by its binary frame; the sender's own copy is its
    /// acknowledgement.
    Image(ImageMessage),
    /// `{"type":"joined","nick":N}`: someone else joined the room.
    Joined {
        /// Their nick.
        nick: String,
    },
    /// `{"type":"left","nick":N}`: someone else left the room (or was closed).
    Left {
        /// Their nick.
        nick: String,
    },
    /// `{"type":"pong"}`: the answer to a ping.
    Pong,
    /// `{"type":"error","code":E,"message":M,"id":C}`: a bad request; the connection stays
    /// usable.
    Error {
        /// What was wrong, for programs.
        code: ErrorCode,
        /// What was wrong, for people.
        message: String,
        /// The `id` of the `say` or `image` refused, when the request had one: the client
        /// can tell which of its posts it was (see [`ErrorCode::is_retryable`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// A frame of a type this version does not know: a client ignores it. The relay never
    /// sends it.
    #[serde(other)]
    Unknown,
}

impl ServerMessage {
    /// This frame as JSON text, ready to send.
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

impl From<Rejection> for ServerMessage {
    fn from(rejection: Rejection) -> Self {
        Self::Error {
            code: rejection.code,
            message: rejection.message,
            id: rejection.id,
        }
    }
}

/// The `code` of an `error` frame. Each variant's doc says what the client should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// `bad-json`: not one JSON object with a string `type`, a field the protocol knows given
    /// twice, a `session` that is not a string of at most [`MAX_SESSION_CHARS`] characters, or
    /// a `since` that is not a [`Since`]. Fields the protocol does not know never cause it,
    /// whatever they hold, as long as the frame is JSON. Fix the client.
    BadJson,
    /// `unknown-type`: a `type` other than join, say, image, ping. Fix the client.
    UnknownType,
    /// `not-joined`: a say or image before the join. Join first.
    NotJoined,
    /// `already-joined`: a second join on a joined connection. Open a new connection to
    /// change room or nick.
    AlreadyJoined,
    /// `bad-room`: a room that is not 1 to [`MAX_ROOM_CHARS`] of `A-Z a-z 0-9 _ . -`. Ask the
    /// user for another name.
    BadRoom,
    /// `bad-nick`: a nick that is blank after trimming, longer than [`MAX_NICK_CHARS`]
    /// characters (as sent, and in NFC, the form the room keeps), or that holds a character
    /// that is invisible or a control: general categories Cc, Cf (zero-width characters such as
    /// U+200B and U+200D, U+FEFF, the bidirectional controls U+200E/F, U+202A–U+202E and
    /// U+2066–U+2069), Cs, Co, Cn (unassigned), Zl and Zp, and every
    /// Default_Ignorable_Code_Point (fillers, variation selectors, tags). The message names the
    /// first such character, as `U+202E`. [`ClientMessage::parse`] checks the blank, the length
    /// as sent and Cc; the relay checks the rest. Ask the user for another nick.
    BadNick,
    /// `nick-taken`: another member of the room holds a nick that compares equal to this one,
    /// and not with the same `session`. Nicks compare by NFKC_Casefold (NFKC, full Unicode case
    /// folding, NFKC again): `Straße` and `STRASSE`, `ΑΣ`, `ασ` and `ας`, `José` precomposed and
    /// decomposed, fullwidth `Ａｄａ` and `ada` are one nick. The message names the member's
    /// nick as the room keeps it. Ask the user for another nick.
    NickTaken,
    /// `bad-id`: an id that is not 1 to [`MAX_ID_CHARS`] characters. Use fresh ids.
    BadId,
    /// `bad-text`: a text that is empty or over [`MAX_TEXT_BYTES`] bytes. Split or shorten it.
    BadText,
    /// `bad-mime`: a mime outside [`IMAGE_MIMES`]. Convert the image or do not send it.
    BadMime,
    /// `bad-size`: an image size that is not an integer from 1 to [`MAX_IMAGE_BYTES`] (`0`,
    /// `-1`, `1.5`, `1e400`, a string). Shrink the image.
    BadSize,
    /// `expected-binary`: a text frame came where an announced image's binary frame was due.
    /// The image was dropped (the text frame was handled); announce it again.
    ExpectedBinary,
    /// `unexpected-binary`: a binary frame without an image announcement right before it. It
    /// was dropped.
    UnexpectedBinary,
    /// `size-mismatch`: the binary frame's length differs from the announced size. The image
    /// was dropped; announce it again with the right size.
    SizeMismatch,
    /// `rate-limited`: more than [`RATE_PER_SECOND`] frames per second (after a burst of
    /// [`RATE_BURST`]). The frame was dropped; slow down and send it again.
    RateLimited,
    /// `unavailable`: the relay could not store the post (its disk is full, or its store is
    /// unreachable). Nothing was posted or acknowledged; keep the message and send it again
    /// later (the chat page does so after its next join).
    Unavailable,
}

impl ErrorCode {
    /// Whether the same post, sent again unchanged, can be accepted: `true` for
    /// `not-joined`, `expected-binary`, `rate-limited` and `unavailable`, which refuse it for
    /// the moment it came in; `false` for every code that refuses the post itself (`bad-id`,
    /// `bad-text`, `bad-mime`, `bad-size`, `size-mismatch`, ...), which the client must not
    /// send again as it is.
    ///
    /// ```
    /// use duplex_chat_protocol::ErrorCode;
    ///
    /// assert!(ErrorCode::RateLimited.is_retryable());
    /// assert!(!ErrorCode::BadText.is_retryable());
    /// ```
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::NotJoined | Self::ExpectedBinary | Self::RateLimited | Self::Unavailable
        )
    }

    /// Every code, in the order of the protocol document.
    pub const ALL: [Self; 16] = [
        Self::BadJson,
        Self::UnknownType,
        Self::NotJoined,
        Self::AlreadyJoined,
        Self::BadRoom,
        Self::BadNick,
        Self::NickTaken,
        Self::BadId,
        Self::BadText,
        Self::BadMime,
        Self::BadSize,
        Self::ExpectedBinary,
        Self::UnexpectedBinary,
        Self::SizeMismatch,
        Self::RateLimited,
        Self::Unavailable,
    ];

    /// The code as it appears on the wire, e.g. `"bad-json"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "bad-json",
            Self::UnknownType => "unknown-type",
            Self::NotJoined => "not-joined",
            Self::AlreadyJoined => "already-joined",
            Self::BadRoom => "bad-room",
            Self::BadNick => "bad-nick",
            Self::NickTaken => "nick-taken",
            Self::BadId => "bad-id",
            Self::BadText => "bad-text",
            Self::BadMime => "bad-mime",
            Self::BadSize => "bad-size",
            Self::ExpectedBinary => "expected-binary",
            Self::UnexpectedBinary => "unexpected-binary",
            Self::SizeMismatch => "size-mismatch",
            Self::RateLimited => "rate-limited",
            Self::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bad request: the `error` frame the relay answers it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What was wrong, for programs.
    pub code: ErrorCode,
    /// What was wrong, for people.
    pub message: String,
    /// The `id` of the post refused, when the request had a string `id`.
    pub id: Option<String>,
}

impl Rejection {
    /// A rejection with `code` and `message`, about no post in particular.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            id: None,
        }
    }

    /// This rejection, about the post `id` (when there is one).
    #[must_use]
    pub fn about(mut self, id: Option<&str>) -> Self {
        self.id = id.map(str::to_owned);
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Rejection {}

fn to_json(value: &impl Serialize) -> String {
    // Only strings, integers, lists and enums: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_else(|error| {
        serde_json::json!({
            "type": "error",
            "code": ErrorCode::BadJson,
            "message": format!("cannot serialise: {error}"),
        })
        .to_string()
    })
}

/// At most 40 characters of client input, for an error message.
fn shorten(input: &str) -> String {
    input.chars().take(40).collect()
}

fn string(raw: Raw<'_>, name: &str, code: ErrorCode) -> Result<String, Rejection> {
    let raw = raw.ok_or_else(|| Rejection::new(code, format!("{name} is missing")))?;
    serde_json::from_str(raw.get())
        .map_err(|_| Rejection::new(code, format!("{name} must be a string")))
}

fn room(raw: Raw<'_>) -> Result<String, Rejection> {
    let room = string(raw, "room", ErrorCode::BadRoom)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if room.is_empty() || room.len() > MAX_ROOM_CHARS || !room.chars().all(allowed) {
        return Err(Rejection::new(
            ErrorCode::BadRoom,
            format!("room must be 1 to {MAX_ROOM_CHARS} characters from A-Z a-z 0-9 _ . -"),
        ));
    }
    Ok(room)
}

fn nick(raw: Raw<'_>) -> Result<String, Rejection> {
    let nick = string(raw, "nick", ErrorCode::BadNick)?;
    let nick = nick.trim();
    if nick.is_empty() {
        return Err(Rejection::new(ErrorCode::BadNick, "nick must not be blank"));
    }
    if nick.chars().count() > MAX_NICK_CHARS {
        return Err(Rejection::new(
            ErrorCode::BadNick,
            format!("nick must be at most {MAX_NICK_CHARS} characters"),
        ));
    }
    if nick.chars().any(char::is_control) {
        return Err(Rejection::new(
            ErrorCode::BadNick,
            "nick must not contain control characters",
        ));
    }
    Ok(nick.to_owned())
}

fn session(raw: Raw<'_>) -> Result<Option<String>, Rejection> {
    let bad = || {
        Rejection::new(
            ErrorCode::BadJson,
            format!("session must be a string of at most {MAX_SESSION_CHARS} characters"),
        )
    };
    let session: Option<String> = match raw {
        None => None,
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| bad())?,
    };
    match session {
        Some(session) if session.chars().count() > MAX_SESSION_CHARS => Err(bad()),
        session => Ok(session.filter(|session| !session.is_empty())),
    }
}

fn since(raw: Raw<'_>) -> Result<Option<Since>, Rejection> {
    let bad = || {
        Rejection::new(
            ErrorCode::BadJson,
            format!(
                "since must be {{\"seq\": a non-negative integer, \"epoch\": a string of 1 to {MAX_EPOCH_CHARS} characters}}"
            ),
        )
    };
    let Some(raw) = raw.filter(|raw| raw.get() != "null") else {
        return Ok(None);
    };
    let [seq, epoch] = object(raw.get(), &["seq", "epoch"]).map_err(|_| bad())?;
    let seq = read::<u64>(seq).ok_or_else(bad)?;
    let epoch = read::<String>(epoch)
        .filter(|epoch| !epoch.is_empty() && epoch.chars().count() <= MAX_EPOCH_CHARS)
        .ok_or_else(bad)?;
    Ok(Some(Since { seq, epoch }))
}

fn id(raw: Raw<'_>) -> Result<String, Rejection> {
    let id = string(raw, "id", ErrorCode::BadId)?;
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(Rejection::new(
            ErrorCode::BadId,
            format!("id must be 1 to {MAX_ID_CHARS} characters"),
        ));
    }
    Ok(id)
}

fn text(raw: Raw<'_>) -> Result<String, Rejection> {
    let text = string(raw, "text", ErrorCode::BadText)?;
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(Rejection::new(
            ErrorCode::BadText,
            format!(
                "text must be 1 to {MAX_TEXT_BYTES} bytes of UTF-8, got {}",
                text.len()
            ),
        ));
    }
    Ok(text)
}

fn mime(raw: Raw<'_>) -> Result<String, Rejection> {
    let mime = string(raw, "mime", ErrorCode::BadMime)?;
    if !IMAGE_MIMES.contains(&mime.as_str()) {
        return Err(Rejection::new(
            ErrorCode::BadMime,
            format!("mime must be one of {}", IMAGE_MIMES.join(", ")),
        ));
    }
    Ok(mime)
}

fn size(raw: Raw<'_>) -> Result<u64, Rejection> {
    match read::<u64>(raw) {
        Some(size) if (1..=MAX_IMAGE_BYTES as u64).contains(&size) => Ok(size),
        _ => Err(Rejection::new(
            ErrorCode::BadSize,
            format!("size must be an integer from 1 to {MAX_IMAGE_BYTES}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn code(frame: &str) -> ErrorCode {
        match ClientMessage::parse(frame) {
            Ok(message) => panic!("{frame} should be rejected, got {message:?}"),
            Err(rejection) => rejection.code,
        }
    }

    #[test]
    fn every_client_message_parses() {
        assert_eq!(
            ClientMessage::parse(
                r#"{"type":"join","room":"a-b_c.1","nick":"  Ada Lovelace ","session":"s1","x":1}"#
            ),
            Ok(ClientMessage::Join {
                room: "a-b_c.1".to_owned(),
                nick: "Ada Lovelace".to_owned(),
                session: Some("s1".to_owned()),
                since: None,
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"join","room":"r","nick":"é✓","session":""}"#),
            Ok(ClientMessage::Join {
                room: "r".to_owned(),
                nick: "é✓".to_owned(),
                session: None,
                since: None,
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"say","id":"1","text":" hi "}"#),
            Ok(ClientMessage::Say {
                id: "1".to_owned(),
                text: " hi ".to_owned(),
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"image","id":"i","mime":"image/webp","size":2097152}"#),
            Ok(ClientMessage::Image {
                id: "i".to_owned(),
                mime: "image/webp".to_owned(),
                size: 2_097_152,
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping"}"#),
            Ok(ClientMessage::Ping)
        );
    }

    #[test]
    fn serialising_then_parsing_is_the_identity() {
        for message in [
            ClientMessage::Join {
                room: "r".to_owned(),
                nick: "n".to_owned(),
                session: Some("s".to_owned()),
                since: Some(Since {
                    seq: 7,
                    epoch: "e1".to_owned(),
                }),
            },
            ClientMessage::Say {
                id: "1".to_owned(),
                text: "\"quoted\"\n".to_owned(),
            },
            ClientMessage::Image {
                id: "2".to_owned(),
                mime: "image/png".to_owned(),
                size: 3,
            },
            ClientMessage::Ping,
        ] {
            assert_eq!(ClientMessage::parse(&message.to_json()), Ok(message));
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let nick = "ñ".repeat(MAX_NICK_CHARS);
        let room = "r".repeat(MAX_ROOM_CHARS);
        let join = format!(r#"{{"type":"join","room":"{room}","nick":"{nick}"}}"#);
        assert!(ClientMessage::parse(&join).is_ok());
        let text = "é".repeat(MAX_TEXT_BYTES / 2);
        let say = format!(
            r#"{{"type":"say","id":"{}","text":"{text}"}}"#,
            "✓".repeat(64)
        );
        assert!(ClientMessage::parse(&say).is_ok());
    }

    #[test]
    fn a_refused_post_is_named_by_its_id() {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        for (frame, code, id) in [
            (
                format!(r#"{{"type":"say","id":"p-1","text":"{long}"}}"#),
                ErrorCode::BadText,
                Some("p-1"),
            ),
            (
                r#"{"type":"say","id":"","text":"hi"}"#.to_owned(),
                ErrorCode::BadId,
                Some(""),
            ),
            (
                r#"{"type":"image","id":"p-2","mime":"image/svg+xml","size":1}"#.to_owned(),
                ErrorCode::BadMime,
                Some("p-2"),
            ),
            (
                r#"{"type":"image","id":"p-3","mime":"image/png","size":0}"#.to_owned(),
                ErrorCode::BadSize,
                Some("p-3"),
            ),
            (
                r#"{"type":"say","id":7,"text":"hi"}"#.to_owned(),
                ErrorCode::BadId,
                None,
            ),
            (
                r#"{"type":"join","id":"p-4","room":"!","nick":"n"}"#.to_owned(),
                ErrorCode::BadRoom,
                None,
            ),
        ] {
            let rejection = ClientMessage::parse(&frame).expect_err("refused");
            assert_eq!((rejection.code, rejection.id.as_deref()), (code, id));
            let error = ServerMessage::from(rejection).to_json();
            let parsed: Value = serde_json::from_str(&error).expect("JSON");
            assert_eq!(parsed.get("id").and_then(Value::as_str), id, "{error}");
        }
    }

    #[test]
    fn only_codes_about_the_moment_are_retryable() {
        let retryable: Vec<_> = ErrorCode::ALL
            .into_iter()
            .filter(|code| code.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                ErrorCode::NotJoined,
                ErrorCode::ExpectedBinary,
                ErrorCode::RateLimited,
                ErrorCode::Unavailable
            ]
        );
    }

    #[test]
    fn an_error_without_id_still_decodes() {
        let frame = r#"{"type":"error","code":"bad-json","message":"m"}"#;
        let decoded: ServerMessage = serde_json::from_str(frame).expect("decodes");
        assert_eq!(
            decoded,
            ServerMessage::Error {
                code: ErrorCode::BadJson,
                message: "m".to_owned(),
                id: None
            }
        );
    }

    #[test]
    fn each_bad_field_has_its_code() {
        for (frame, expected) in [
            ("{", ErrorCode::BadJson),
            ("[1]", ErrorCode::BadJson),
            (r#"{"type":1}"#, ErrorCode::BadJson),
            (r#"{"room":"r"}"#, ErrorCode::BadJson),
            (r#"{"type":"shout"}"#, ErrorCode::UnknownType),
            (r#"{"type":"join","nick":"n"}"#, ErrorCode::BadRoom),
            (
                r#"{"type":"join","room":"","nick":"n"}"#,
                ErrorCode::BadRoom,
            ),
            (
                r#"{"type":"join","room":"a b","nick":"n"}"#,
                ErrorCode::BadRoom,
            ),
            (
                r#"{"type":"join","room":"é","nick":"n"}"#,
                ErrorCode::BadRoom,
            ),
            (
                &format!(
                    r#"{{"type":"join","room":"{}","nick":"n"}}"#,
                    "r".repeat(33)
                ),
                ErrorCode::BadRoom,
            ),
            (r#"{"type":"join","room":"r"}"#, ErrorCode::BadNick),
            (
                r#"{"type":"join","room":"r","nick":"   "}"#,
                ErrorCode::BadNick,
            ),
            (
                r#"{"type":"join","room":"r","nick":"a\u0007b"}"#,
                ErrorCode::BadNick,
            ),
            (r#"{"type":"join","room":"r","nick":5}"#, ErrorCode::BadNick),
            (
                &format!(
                    r#"{{"type":"join","room":"r","nick":"{}"}}"#,
                    "n".repeat(33)
                ),
                ErrorCode::BadNick,
            ),
            (
                r#"{"type":"join","room":"r","nick":"n","session":7}"#,
                ErrorCode::BadJson,
            ),
            (
                &format!(
                    r#"{{"type":"join","room":"r","nick":"n","session":"{}"}}"#,
                    "s".repeat(65)
                ),
                ErrorCode::BadJson,
            ),
            (
                r#"{"type":"join","room":"r","nick":"n","since":3}"#,
                ErrorCode::BadJson,
            ),
            (
                r#"{"type":"join","room":"r","nick":"n","since":{"seq":-1,"epoch":"e"}}"#,
                ErrorCode::BadJson,
            ),
            (
                r#"{"type":"join","room":"r","nick":"n","since":{"seq":1,"epoch":""}}"#,
                ErrorCode::BadJson,
            ),
            (
                r#"{"type":"join","room":"r","nick":"n","since":{"seq":1}}"#,
                ErrorCode::BadJson,
            ),
            (r#"{"type":"say","text":"t"}"#, ErrorCode::BadId),
            (r#"{"type":"say","id":"","text":"t"}"#, ErrorCode::BadId),
            (
                &format!(r#"{{"type":"say","id":"{}","text":"t"}}"#, "i".repeat(65)),
                ErrorCode::BadId,
            ),
            (r#"{"type":"say","id":"1","text":""}"#, ErrorCode::BadText),
            (r#"{"type":"say","id":"1"}"#, ErrorCode::BadText),
            (
                &format!(r#"{{"type":"say","id":"1","text":"{}"}}"#, "t".repeat(4097)),
                ErrorCode::BadText,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/svg+xml","size":1}"#,
                ErrorCode::BadMime,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/png","size":0}"#,
                ErrorCode::BadSize,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/png","size":2097153}"#,
                ErrorCode::BadSize,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/png","size":-1}"#,
                ErrorCode::BadSize,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/png","size":1.5}"#,
                ErrorCode::BadSize,
            ),
            (
                r#"{"type":"image","id":"1","mime":"image/png"}"#,
                ErrorCode::BadSize,
            ),
        ] {
            assert_eq!(code(frame), expected, "{frame}");
        }
    }

    #[test]
    fn unknown_server_frames_are_tolerated() {
        assert_eq!(
            serde_json::from_str::<ServerMessage>(r#"{"type":"typing","nick":"Ada"}"#).ok(),
            Some(ServerMessage::Unknown)
        );
    }

    #[test]
    fn deep_nesting_is_bad_json_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code(&deep), ErrorCode::BadJson);
    }

    /// `depth` nested arrays around `inner`.
    fn nested(depth: usize, inner: &str) -> String {
        format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn unknown_fields_are_ignored_whatever_they_hold() {
        let huge = format!("1{}", "0".repeat(5000));
        for extra in [
            "1e400".to_owned(),
            "-1e400".to_owned(),
            "1e-400".to_owned(),
            huge.clone(),
            format!("{huge}.5e99999"),
            nested(100_000, "1e400"),
            format!("{}1e400{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000)),
            r#""\ud800 a lone surrogate""#.to_owned(),
        ] {
            let say = format!(r#"{{"type":"say","x":{extra},"id":"1","text":"hi","y":{extra}}}"#);
            assert_eq!(
                ClientMessage::parse(&say),
                Ok(ClientMessage::Say {
                    id: "1".to_owned(),
                    text: "hi".to_owned(),
                }),
                "{}",
                shorten(&extra)
            );
            assert_eq!(ClientMessage::post_id(&say).as_deref(), Some("1"));
            let since = format!(
                r#"{{"type":"join","room":"r","nick":"n","since":{{"x":{extra},"seq":2,"epoch":"e"}}}}"#
            );
            assert_eq!(
                ClientMessage::parse(&since).map(|join| match join {
                    ClientMessage::Join { since, .. } => since,
                    _ => None,
                }),
                Ok(Some(Since {
                    seq: 2,
                    epoch: "e".to_owned()
                }))
            );
        }
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping","type2":1,"x":1,"x":[2]}"#),
            Ok(ClientMessage::Ping),
            "an unknown field may repeat"
        );
    }

    #[test]
    fn a_known_field_of_the_wrong_kind_gets_its_own_code() {
        let deep = nested(10_000, "1");
        // An image whose `field` is `value`, the other fields valid.
        let image = |field: &str, value: &str| {
            let fields = [("id", r#""p""#), ("mime", r#""image/png""#), ("size", "1")].map(
                |(name, valid)| {
                    format!(r#""{name}":{}"#, if name == field { value } else { valid })
                },
            );
            format!(r#"{{"type":"image",{}}}"#, fields.join(","))
        };
        for (field, value, expected) in [
            ("size", "1e400", ErrorCode::BadSize),
            ("size", "-1e400", ErrorCode::BadSize),
            ("size", "1e3", ErrorCode::BadSize),
            ("size", "18446744073709551616", ErrorCode::BadSize),
            ("size", "\"5\"", ErrorCode::BadSize),
            ("size", "null", ErrorCode::BadSize),
            ("size", &deep, ErrorCode::BadSize),
            ("mime", &deep, ErrorCode::BadMime),
            ("mime", "1e400", ErrorCode::BadMime),
            ("id", "1e400", ErrorCode::BadId),
            ("id", &deep, ErrorCode::BadId),
        ] {
            let rejection = ClientMessage::parse(&image(field, value)).expect_err("refused");
            assert_eq!(rejection.code, expected, "{field}: {}", rejection.message);
            if field != "id" {
                assert_eq!(rejection.id.as_deref(), Some("p"), "{field}");
            }
        }
        let text = format!(r#"{{"type":"say","id":"1","text":{deep}}}"#);
        assert_eq!(code(&text), ErrorCode::BadText);
        for join in [
            r#"{"type":"join","room":1e400,"nick":"n"}"#.to_owned(),
            format!(r#"{{"type":"join","room":{deep},"nick":"n"}}"#),
        ] {
            assert_eq!(code(&join), ErrorCode::BadRoom);
        }
        for join in [
            r#"{"type":"join","room":"r","nick":1e400}"#.to_owned(),
            format!(r#"{{"type":"join","room":"r","nick":{deep}}}"#),
        ] {
            assert_eq!(code(&join), ErrorCode::BadNick);
        }
        for since in [
            deep.clone(),
            "1e400".to_owned(),
            r#"{"seq":1e400,"epoch":"e"}"#.to_owned(),
            format!(r#"{{"seq":1,"epoch":{deep}}}"#),
            r#"{"seq":1,"seq":2,"epoch":"e"}"#.to_owned(),
        ] {
            let join = format!(r#"{{"type":"join","room":"r","nick":"n","since":{since}}}"#);
            let rejection = ClientMessage::parse(&join).expect_err("refused");
            assert_eq!(rejection.code, ErrorCode::BadJson, "{}", shorten(&since));
            assert!(
                rejection.message.starts_with("since must be"),
                "{rejection}"
            );
        }
        let session = format!(r#"{{"type":"join","room":"r","nick":"n","session":{deep}}}"#);
        let rejection = ClientMessage::parse(&session).expect_err("refused");
        assert!(
            rejection.message.starts_with("session must be"),
            "{rejection}"
        );
        let kind = format!(r#"{{"type":{deep}}}"#);
        assert_eq!(code(&kind), ErrorCode::BadJson);
    }

    #[test]
    fn a_known_field_given_twice_is_bad_json() {
        for frame in [
            r#"{"type":"say","id":"1","text":"a","text":"b"}"#,
            r#"{"type":"ping","type":"ping"}"#,
            r#"{"type":"image","id":"1","mime":"image/png","size":1,"size":1}"#,
            r#"{"type":"say","id":"1","text":"a","\u0074ext":"b"}"#,
        ] {
            let rejection = ClientMessage::parse(frame).expect_err("refused");
            assert_eq!(rejection.code, ErrorCode::BadJson, "{frame}");
            assert!(rejection.message.contains("duplicate field"), "{rejection}");
        }
    }

    #[test]
    fn the_whole_frame_must_be_one_json_object() {
        for frame in [
            r#"["say","1","hi"]"#,
            r#"{"type":"ping"} {}"#,
            r#"{"type":"ping","x":[1,}"#,
            r#"{"type":"ping","x":01}"#,
            r#"{"type":"ping","x":NaN}"#,
            "null",
            "1e400",
        ] {
            assert_eq!(code(frame), ErrorCode::BadJson, "{frame}");
        }
        assert_eq!(
            ClientMessage::parse(" {\"\\u0074ype\" : \"ping\" } \n"),
            Ok(ClientMessage::Ping),
            "names are compared unescaped; white space is allowed around values"
        );
    }

    #[test]
    fn server_messages_have_the_documented_shape() {
        let message = ServerMessage::Message(TextMessage {
            seq: 1,
            id: "c1".to_owned(),
            from: "Ada".to_owned(),
            text: "hi".to_owned(),
            ts: 5,
        });
        assert_eq!(
            message.to_json(),
            r#"{"type":"message","seq":1,"id":"c1","from":"Ada","text":"hi","ts":5}"#
        );
        let image = Post::Image(ImageMessage {
            seq: 2,
            id: "c2".to_owned(),
            from: "Ada".to_owned(),
            mime: "image/png".to_owned(),
            size: 3,
            ts: 6,
        });
        assert_eq!(
            ServerMessage::from(image.clone()).to_json(),
            r#"{"type":"image","seq":2,"id":"c2","from":"Ada","mime":"image/png","size":3,"ts":6}"#
        );
        let welcome = ServerMessage::Welcome {
            nick: "Ada".to_owned(),
            room: "r".to_owned(),
            members: vec!["Ada".to_owned()],
            epoch: "e1".to_owned(),
            seq: 2,
            history: vec![image],
            complete: true,
        };
        assert_eq!(
            welcome.to_json(),
            r#"{"type":"welcome","nick":"Ada","room":"r","members":["Ada"],"epoch":"e1","seq":2,"history":[{"type":"image","seq":2,"id":"c2","from":"Ada","mime":"image/png","size":3,"ts":6}],"complete":true}"#
        );
        assert_eq!(
            ServerMessage::from(Rejection::new(ErrorCode::SizeMismatch, "m")).to_json(),
            r#"{"type":"error","code":"size-mismatch","message":"m"}"#
        );
        assert_eq!(
            ServerMessage::Joined {
                nick: "B".to_owned()
            }
            .to_json(),
            r#"{"type":"joined","nick":"B"}"#
        );
        assert_eq!(ServerMessage::Pong.to_json(), r#"{"type":"pong"}"#);
    }

    #[test]
    fn error_codes_are_kebab_case_on_the_wire() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_string(&code).ok(),
                Some(format!("\"{}\"", code.as_str()))
            );
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&format!("\"{code}\"")).ok(),
                Some(code)
            );
        }
    }
}
