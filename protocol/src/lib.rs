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

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// A frame a client sends, as the relay accepts it (see [`ClientMessage::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientMessage {
    /// `{"type":"join","room":R,"nick":N,"session":S}`: the first frame of a connection.
    Join {
        /// 1 to [`MAX_ROOM_CHARS`] characters from `A-Z a-z 0-9 _ . -`; case-sensitive.
        room: String,
        /// 1 to [`MAX_NICK_CHARS`] characters, no control characters, trimmed; unique in the
        /// room regardless of case.
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
    /// ignored; a `join`'s nick comes back trimmed and an empty `session` as `None`.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] with the code to answer: [`ErrorCode::BadJson`] for a frame that is not
    /// a JSON object with a string `type` (or whose `session` is not a string of at most
    /// [`MAX_SESSION_CHARS`] characters), [`ErrorCode::UnknownType`] for any other `type`, and
    /// the field's own code (`bad-room`, `bad-nick`, `bad-id`, `bad-text`, `bad-mime`,
    /// `bad-size`) for a field that is missing, of the wrong JSON type, or out of its limits.
    pub fn parse(frame: &str) -> Result<Self, Rejection> {
        let value: Value = serde_json::from_str(frame)
            .map_err(|error| Rejection::new(ErrorCode::BadJson, format!("not JSON: {error}")))?;
        let Value::Object(fields) = value else {
            return Err(Rejection::new(ErrorCode::BadJson, "expected a JSON object"));
        };
        let Some(Value::String(kind)) = fields.get("type") else {
            return Err(Rejection::new(
                ErrorCode::BadJson,
                "expected a string \"type\" field",
            ));
        };
        let about = |rejection: Rejection| rejection.about(post_id(&fields));
        match kind.as_str() {
            "join" => Ok(Self::Join {
                room: room(&fields)?,
                nick: nick(&fields)?,
                session: session(&fields)?,
                since: since(&fields)?,
            }),
            "say" => Ok(Self::Say {
                id: id(&fields).map_err(about)?,
                text: text(&fields).map_err(about)?,
            }),
            "image" => Ok(Self::Image {
                id: id(&fields).map_err(about)?,
                mime: mime(&fields).map_err(about)?,
                size: size(&fields).map_err(about)?,
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
        match serde_json::from_str(frame) {
            Ok(Value::Object(fields)) => post_id(&fields).map(str::to_owned),
            _ => None,
        }
    }
}

/// The string `id` of a `say` or `image`.
fn post_id(fields: &Map<String, Value>) -> Option<&str> {
    match fields.get("type").and_then(Value::as_str) {
        Some("say" | "image") => fields.get("id").and_then(Value::as_str),
        _ => None,
    }
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
        /// The nick as the relay keeps it (trimmed).
        nick: String,
        /// The room joined.
        room: String,
        /// Every member's nick, this one's included, sorted case-insensitively.
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
    /// `bad-json`: not a JSON object with a string `type`, or a `session` that is not a
    /// string of at most [`MAX_SESSION_CHARS`] characters. Fix the client.
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
    /// `bad-nick`: a nick that is blank, longer than [`MAX_NICK_CHARS`], or has control
    /// characters. Ask the user for another nick.
    BadNick,
    /// `nick-taken`: another member of the room has this nick (regardless of case). Ask the
    /// user for another nick.
    NickTaken,
    /// `bad-id`: an id that is not 1 to [`MAX_ID_CHARS`] characters. Use fresh ids.
    BadId,
    /// `bad-text`: a text that is empty or over [`MAX_TEXT_BYTES`] bytes. Split or shorten it.
    BadText,
    /// `bad-mime`: a mime outside [`IMAGE_MIMES`]. Convert the image or do not send it.
    BadMime,
    /// `bad-size`: an image size of 0 or over [`MAX_IMAGE_BYTES`]. Shrink the image.
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

fn string<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    code: ErrorCode,
) -> Result<&'a str, Rejection> {
    match fields.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(Rejection::new(code, format!("{name} must be a string"))),
        None => Err(Rejection::new(code, format!("{name} is missing"))),
    }
}

fn room(fields: &Map<String, Value>) -> Result<String, Rejection> {
    let room = string(fields, "room", ErrorCode::BadRoom)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if room.is_empty() || room.len() > MAX_ROOM_CHARS || !room.chars().all(allowed) {
        return Err(Rejection::new(
            ErrorCode::BadRoom,
            format!("room must be 1 to {MAX_ROOM_CHARS} characters from A-Z a-z 0-9 _ . -"),
        ));
    }
    Ok(room.to_owned())
}

fn nick(fields: &Map<String, Value>) -> Result<String, Rejection> {
    let nick = string(fields, "nick", ErrorCode::BadNick)?.trim();
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

fn session(fields: &Map<String, Value>) -> Result<Option<String>, Rejection> {
    match fields.get("session") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(session)) if session.chars().count() <= MAX_SESSION_CHARS => {
            Ok(Some(session.clone()).filter(|session| !session.is_empty()))
        }
        Some(_) => Err(Rejection::new(
            ErrorCode::BadJson,
            format!("session must be a string of at most {MAX_SESSION_CHARS} characters"),
        )),
    }
}

fn since(fields: &Map<String, Value>) -> Result<Option<Since>, Rejection> {
    let bad = || {
        Rejection::new(
            ErrorCode::BadJson,
            format!(
                "since must be {{\"seq\": a non-negative integer, \"epoch\": a string of 1 to {MAX_EPOCH_CHARS} characters}}"
            ),
        )
    };
    let since = match fields.get("since") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(since)) => since,
        Some(_) => return Err(bad()),
    };
    let seq = since.get("seq").and_then(Value::as_u64).ok_or_else(bad)?;
    match since.get("epoch") {
        Some(Value::String(epoch))
            if !epoch.is_empty() && epoch.chars().count() <= MAX_EPOCH_CHARS =>
        {
            Ok(Some(Since {
                seq,
                epoch: epoch.clone(),
            }))
        }
        _ => Err(bad()),
    }
}

fn id(fields: &Map<String, Value>) -> Result<String, Rejection> {
    let id = string(fields, "id", ErrorCode::BadId)?;
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(Rejection::new(
            ErrorCode::BadId,
            format!("id must be 1 to {MAX_ID_CHARS} characters"),
        ));
    }
    Ok(id.to_owned())
}

fn text(fields: &Map<String, Value>) -> Result<String, Rejection> {
    let text = string(fields, "text", ErrorCode::BadText)?;
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(Rejection::new(
            ErrorCode::BadText,
            format!(
                "text must be 1 to {MAX_TEXT_BYTES} bytes of UTF-8, got {}",
                text.len()
            ),
        ));
    }
    Ok(text.to_owned())
}

fn mime(fields: &Map<String, Value>) -> Result<String, Rejection> {
    let mime = string(fields, "mime", ErrorCode::BadMime)?;
    if !IMAGE_MIMES.contains(&mime) {
        return Err(Rejection::new(
            ErrorCode::BadMime,
            format!("mime must be one of {}", IMAGE_MIMES.join(", ")),
        ));
    }
    Ok(mime.to_owned())
}

fn size(fields: &Map<String, Value>) -> Result<u64, Rejection> {
    let size = fields.get("size").and_then(Value::as_u64);
    match size {
        Some(size) if (1..=MAX_IMAGE_BYTES as u64).contains(&size) => Ok(size),
        _ => Err(Rejection::new(
            ErrorCode::BadSize,
            format!("size must be an integer from 1 to {MAX_IMAGE_BYTES}"),
        )),
    }
}

#[cfg(test)]
mod tests {
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
