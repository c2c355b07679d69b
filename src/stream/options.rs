//! [`StreamOptions`]: the async layer's receive bound, overflow policy, high-water mark and Blob handling.

use core::fmt;

/// How many messages, and how many bytes of them, a queue may hold: the async layer's receive queue
/// (then [`Overflow`] applies) and, with the `reconnect` feature, the reconnecting socket's outbox. Text
/// counts its UTF-8 bytes, binary its bytes, a `Blob` its size.
///
/// ```
/// let limit = duplex_ws::QueueLimit { messages: 256, bytes: 4 << 20 };
/// assert_eq!(limit, duplex_ws::QueueLimit::default().messages(256).bytes(4 << 20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueLimit {
    /// The most messages the queue holds.
    pub messages: usize,
    /// The most bytes the queue holds. An empty queue still admits one larger message.
    pub bytes: u64,
}

impl QueueLimit {
    /// This limit with room for `messages` messages (at least one).
    ///
    /// ```
    /// assert_eq!(duplex_ws::QueueLimit::default().messages(0).messages, 1);
    /// ```
    #[must_use]
    pub fn messages(mut self, messages: usize) -> Self {
        self.messages = messages.max(1);
        self
    }

    /// Whether a queue holding `messages` messages of `bytes` bytes can take one more of `incoming` bytes.
    /// An empty queue takes any one message: the browser already holds it, and a size limit is the peer's.
    pub(crate) fn admits(self, messages: usize, bytes: u64, incoming: u64) -> bool {
        messages == 0 || (messages < self.messages && bytes + incoming <= self.bytes)
    }

    /// This limit with room for `bytes` bytes.
    ///
    /// ```
    /// assert_eq!(duplex_ws::QueueLimit::default().bytes(1024).bytes, 1024);
    /// ```
    #[must_use]
    pub fn bytes(mut self, bytes: u64) -> Self {
        self.bytes = bytes;
        self
    }
}

impl Default for QueueLimit {
    /// 1,024 messages and 16 MiB.
    fn default() -> Self {
        Self {
            messages: 1024,
            bytes: 16 << 20,
        }
    }
}

/// What the receive queue does with a message that arrives when it is full.
///
/// A browser cannot slow a WebSocket sender down, so a page that reads slower than the server writes must
/// either drop messages or disconnect. Either way nothing disappears unnoticed: the stream yields
/// [`Error::Overflow`](crate::Error::Overflow) with the number of messages dropped, at the place in the
/// stream where they were dropped.
///
/// ```
/// use duplex_ws::{Overflow, StreamOptions};
///
/// let options = StreamOptions::new().overflow(Overflow::DropOldest);
/// assert_eq!(Overflow::default(), Overflow::Close);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// Keep what is queued, drop the new message, and close the socket with
    /// [`QUEUE_FULL_CODE`](crate::QUEUE_FULL_CODE) and the reason "receive queue full". The stream yields
    /// the queued messages, then the overflow error, then ends. The default: a reader that falls behind
    /// learns it at once and loses nothing it was not told about.
    #[default]
    Close,
    /// Keep what is queued and drop the new message; the connection stays up. For streams where the first
    /// messages matter most.
    DropNewest,
    /// Drop the oldest queued messages to make room; the connection stays up. For streams of updates where
    /// only the latest state matters.
    DropOldest,
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Close => "close",
            Self::DropNewest => "drop newest",
            Self::DropOldest => "drop oldest",
        })
    }
}

/// What the async layer does with binary messages that arrive as a `Blob` (with
/// [`BinaryType::Blob`](crate::BinaryType::Blob)).
///
/// ```
/// use duplex_ws::{BlobHandling, StreamOptions};
///
/// let options = StreamOptions::new().blobs(BlobHandling::ToBytes);
/// assert_eq!(BlobHandling::default(), BlobHandling::Deliver);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum BlobHandling {
    /// Yield [`Message::Blob`](crate::Message::Blob), untouched: its bytes stay outside wasm memory.
    #[default]
    Deliver,
    /// Read each `Blob` into [`Message::Binary`](crate::Message::Binary). Reads run in parallel, but messages
    /// still come out in arrival order: a text message that arrives after a `Blob` waits for it.
    ToBytes,
}

/// Settings of the async layer ([`open_with`](crate::open_with), [`WsStream::new`](crate::WsStream::new)).
///
/// ```
/// use duplex_ws::{Overflow, QueueLimit, StreamOptions};
///
/// let options = StreamOptions::new()
///     .receive_limit(QueueLimit::default().messages(10_000))
///     .overflow(Overflow::DropNewest)
///     .high_water_mark(256 << 10);
/// assert_eq!(options.high_water_mark_bytes(), 256 << 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    pub(crate) receive_limit: QueueLimit,
    pub(crate) overflow: Overflow,
    pub(crate) high_water_mark: u64,
    pub(crate) blobs: BlobHandling,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            receive_limit: QueueLimit::default(),
            overflow: Overflow::default(),
            high_water_mark: 1 << 20,
            blobs: BlobHandling::default(),
        }
    }
}

impl StreamOptions {
    /// The defaults: [`QueueLimit::default`], [`Overflow::Close`], a 1 MiB high-water mark,
    /// [`BlobHandling::Deliver`].
    ///
    /// ```
    /// assert_eq!(duplex_ws::StreamOptions::new().high_water_mark_bytes(), 1 << 20);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Bounds the receive queue.
    ///
    /// ```
    /// let options = duplex_ws::StreamOptions::new().receive_limit(duplex_ws::QueueLimit { messages: 64, bytes: 1 << 20 });
    /// ```
    #[must_use]
    pub fn receive_limit(mut self, limit: QueueLimit) -> Self {
        self.receive_limit = limit.messages(limit.messages);
        self
    }

    /// Chooses what happens when the receive queue is full.
    ///
    /// ```
    /// let options = duplex_ws::StreamOptions::new().overflow(duplex_ws::Overflow::DropOldest);
    /// ```
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The sink accepts a message only while the browser's
    /// [`bufferedAmount`](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/bufferedAmount) is at or
    /// below `bytes`, so the browser never buffers more than this plus one message.
    ///
    /// ```
    /// let options = duplex_ws::StreamOptions::new().high_water_mark(64 << 10);
    /// assert_eq!(options.high_water_mark_bytes(), 64 << 10);
    /// ```
    #[must_use]
    pub fn high_water_mark(mut self, bytes: u64) -> Self {
        self.high_water_mark = bytes;
        self
    }

    /// The sink's high-water mark in bytes.
    ///
    /// ```
    /// assert_eq!(duplex_ws::StreamOptions::new().high_water_mark(0).high_water_mark_bytes(), 0);
    /// ```
    pub fn high_water_mark_bytes(&self) -> u64 {
        self.high_water_mark
    }

    /// Chooses how `Blob` messages are delivered.
    ///
    /// ```
    /// let options = duplex_ws::StreamOptions::new().blobs(duplex_ws::BlobHandling::ToBytes);
    /// ```
    #[must_use]
    pub fn blobs(mut self, blobs: BlobHandling) -> Self {
        self.blobs = blobs;
        self
    }
}
