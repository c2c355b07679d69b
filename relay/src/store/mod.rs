//! Where the rooms' posts live: the one boundary between the chat and its storage engine.
//!
//! Every post, its `seq`, and the `(from, id)` memory that turns a re-sent message into an
//! acknowledgement go through [`Store`]. A post is acknowledged only once stored:
//! [`Store::post`] commits it, then hands it to the local rooms ([`Rooms::deliver`]) in `seq`
//! order, so the sender's own copy (its acknowledgement) leaves after the commit. [`Store::join`]
//! reads what a joining page missed and lets the rooms welcome it at a point where no post can
//! fall between the history and the live broadcasts.
//!
//! Two engines: SQLite ([`sqlite`]), one file under the data folder written by this relay
//! alone, with presence kept in [`Rooms`]; and Redis ([`redis`]), shared by every relay given
//! the same server, which also holds presence and fans posts out to every relay.

mod redis;
mod sqlite;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;

use crate::budget::WelcomeBudget;
use crate::protocol::{ImageMessage, Post, Rejection, Since, TextMessage};
use crate::rooms::{Peer, Rooms};

pub use self::redis::MEMBER_EXPIRY;

/// The most image bytes one welcome carries (less when the welcome budget is smaller): a page
/// that missed more images than this gets the latest ones and `complete: false`, so a resume
/// never holds gigabytes in memory.
pub(crate) const MAX_WELCOME_IMAGE_BYTES: usize = 64 * 1024 * 1024;

/// The file the relay keeps its rooms in, inside the data folder.
pub const DATABASE_FILE: &str = "chat.sqlite3";

/// What a member posts.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// The text of a `say`.
    Text(String),
    /// An announced image and the bytes of its binary frame.
    Image {
        /// One of the accepted types.
        mime: String,
        /// Exactly the announced size.
        bytes: Bytes,
    },
}

/// A post on its way into the store.
#[derive(Debug, Clone)]
pub(crate) struct NewPost {
    /// The sender's nick as the room shows it.
    pub(crate) from: String,
    /// The sender's nick as the room compares it: `(from_key, id)` is remembered.
    pub(crate) from_key: String,
    /// The sender's id for it.
    pub(crate) id: String,
    pub(crate) content: Content,
}

/// A post as stored: its broadcast object and an image's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) post: Post,
    pub(crate) bytes: Option<Bytes>,
}

/// What [`Store::post`] did.
#[derive(Debug)]
pub(crate) enum Posted {
    /// Stored under the next `seq` and delivered to the room.
    New,
    /// The room already had this `(from, id)`: the original, to acknowledge to the sender alone.
    Again(Stored),
}

/// What a joining page gets: the room's epoch and latest seq, and the posts it missed.
#[derive(Debug, Clone)]
pub(crate) struct History {
    pub(crate) epoch: String,
    pub(crate) seq: u64,
    pub(crate) posts: Vec<Stored>,
    pub(crate) complete: bool,
}

/// Why the store could not do what was asked; nothing was stored or acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// The disk, or the `--max-db-mib` quota, is full.
    Full,
    /// Any other failure of the engine, for the log and the error frame.
    Failed(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("the relay's store is full"),
            Self::Failed(why) => write!(f, "the relay's store failed: {why}"),
        }
    }
}

/// The store could not be opened at start-up: its `Display` names the file, folder or Redis
/// server and says why, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    place: String,
    why: String,
}

impl OpenError {
    pub(crate) fn new(path: &Path, why: impl Into<String>) -> Self {
        Self::at(path.display(), why)
    }

    pub(crate) fn at(place: impl fmt::Display, why: impl Into<String>) -> Self {
        Self {
            place: place.to_string(),
            why: why.into(),
        }
    }

    /// The file, folder or server at fault.
    pub fn place(&self) -> &str {
        &self.place
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.why)
    }
}

impl std::error::Error for OpenError {}

/// How the store is set up: [`crate::Config`]'s storage options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Posts kept per room; older ones are deleted as new ones come.
    pub(crate) keep_posts: usize,
    /// The largest the database file may grow, in bytes.
    pub(crate) max_bytes: Option<u64>,
    /// The memory all welcomes being written may hold at once, in bytes.
    pub(crate) welcome_memory: u64,
    /// How long a room nobody uses keeps its history.
    pub(crate) forget_after: Duration,
}

impl Limits {
    /// The most image bytes one welcome carries: [`MAX_WELCOME_IMAGE_BYTES`], or the whole
    /// welcome budget when that is smaller.
    pub(crate) fn welcome_images(&self) -> usize {
        let budget = usize::try_from(self.welcome_memory).unwrap_or(usize::MAX);
        MAX_WELCOME_IMAGE_BYTES.min(budget)
    }
}

/// A join as the page asked for it, its nick checked and trimmed.
#[derive(Debug, Clone)]
pub(crate) struct JoinRequest {
    pub(crate) room: String,
    pub(crate) nick: String,
    pub(crate) session: Option<String>,
    pub(crate) since: Option<Since>,
}

/// Why a join did not happen.
#[derive(Debug)]
pub(crate) enum JoinError {
    /// The page asked for something it may not have (a nick in use).
    Rejected(Rejection),
    /// The store could not be read or written.
    Store(StoreError),
    /// The welcome does not fit in the welcome budget now: come back later.
    Busy,
}

/// Membership of a room; the member leaves it when this is dropped (the others hear `left`
/// if `announce`, or always when presence is shared).
#[must_use = "the connection leaves the room when this is dropped"]
#[derive(Debug)]
pub(crate) struct Membership {
    store: Store,
    room: String,
    peer: u64,
    announce: bool,
}

impl Membership {
    /// The room joined.
    pub(crate) fn room(&self) -> &str {
        &self.room
    }

    /// Makes leaving (when this is dropped) silent for the members of this relay.
    pub(crate) fn leave_quietly(&mut self) {
        self.announce = false;
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        match &self.store.engine {
            Engine::Sqlite(_) => self.store.rooms.leave(&self.room, self.peer, self.announce),
            Engine::Redis(redis) => redis.leave(&self.room, self.peer),
        }
    }
}

/// The rooms' storage and the rooms it delivers to, cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    engine: Engine,
    rooms: Arc<Rooms>,
    budget: WelcomeBudget,
}

#[derive(Debug, Clone)]
enum Engine {
    Sqlite(Arc<sqlite::Sqlite>),
    Redis(Arc<redis::Redis>),
}

impl Store {
    /// Opens (creating it if needed) the database in `folder`, with presence kept here.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] naming the folder or the file: the folder cannot be created, the file
    /// cannot be opened for writing, it is locked by another process, or it is not a database.
    pub(crate) fn sqlite(folder: &Path, limits: Limits) -> Result<Self, OpenError> {
        let rooms = Arc::new(Rooms::default());
        let engine = sqlite::Sqlite::open(folder, limits, Arc::clone(&rooms))?;
        Ok(Self {
            engine: Engine::Sqlite(Arc::new(engine)),
            rooms,
            budget: WelcomeBudget::new(limits.welcome_memory),
        })
    }

    /// Connects to the Redis server at `url`, shared with every relay given the same one.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] naming the server: the URL is not valid or the server does not answer.
    pub(crate) async fn redis(url: &str, limits: Limits) -> Result<Self, OpenError> {
        let rooms = Arc::new(Rooms::shared());
        let budget = WelcomeBudget::new(limits.welcome_memory);
        let engine = redis::Redis::open(url, limits, Arc::clone(&rooms), budget.clone()).await?;
        Ok(Self {
            engine: Engine::Redis(Arc::new(engine)),
            rooms,
            budget,
        })
    }

    /// The rooms this store delivers to.
    pub(crate) fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    /// Stores `post` in `room` under the room's next `seq` and delivers it to the room, unless
    /// the room already has its `(from, id)`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`]: nothing was stored, delivered or acknowledged.
    pub(crate) async fn post(&self, room: &str, post: NewPost) -> Result<Posted, StoreError> {
        match &self.engine {
            Engine::Sqlite(engine) => engine.post(room, post).await,
            Engine::Redis(engine) => engine.post(room, &post).await,
        }
    }

    /// Makes `peer` a member of the room it asks for and queues its welcome, which carries
    /// what it missed since `since`. Once started it runs to the end even if the caller stops
    /// waiting; a membership nobody takes is dropped, and so left.
    ///
    /// # Errors
    ///
    /// [`JoinError::Rejected`] when the nick is taken; [`JoinError::Store`] when the store
    /// failed: nothing was queued.
    pub(crate) async fn join(
        &self,
        request: JoinRequest,
        peer: &Peer,
    ) -> Result<Membership, JoinError> {
        let store = self.clone();
        let peer = peer.clone();
        match &self.engine {
            Engine::Sqlite(engine) => {
                let engine = Arc::clone(engine);
                let joined = blocking(move || {
                    let since = request.since.clone();
                    engine.join(&request.room, since.as_ref(), |history| {
                        let welcome = store.budget.welcome(history).ok_or(JoinError::Busy)?;
                        store
                            .rooms
                            .join(
                                &request.room,
                                &request.nick,
                                request.session.as_deref(),
                                &peer,
                                welcome,
                            )
                            .map_err(JoinError::Rejected)?;
                        // Made under the store's lock: if this connection ends meanwhile,
                        // dropping the membership still takes the member out of the room.
                        Ok(store.membership(request.room.clone(), peer.id()))
                    })
                })
                .await;
                joined.map_err(JoinError::Store)?
            }
            Engine::Redis(engine) => {
                let engine = Arc::clone(engine);
                let task = tokio::spawn(async move {
                    let room = request.room.clone();
                    engine.join(request, &peer).await?;
                    Ok(store.membership(room, peer.id()))
                });
                task.await.unwrap_or_else(|error| {
                    Err(JoinError::Store(StoreError::Failed(format!(
                        "the join's task ended: {error}"
                    ))))
                })
            }
        }
    }

    fn membership(&self, room: String, peer: u64) -> Membership {
        Membership {
            store: self.clone(),
            room,
            peer,
            announce: true,
        }
    }
}

/// Milliseconds since the Unix epoch, for a post's `ts`.
pub(super) fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

impl NewPost {
    /// The post as broadcast under `seq`, stamped now, and an image's bytes.
    fn numbered(&self, seq: u64) -> Stored {
        let (id, from, ts) = (self.id.clone(), self.from.clone(), unix_millis());
        match &self.content {
            Content::Text(text) => Stored {
                post: Post::Message(TextMessage {
                    seq,
                    id,
                    from,
                    text: text.clone(),
                    ts,
                }),
                bytes: None,
            },
            Content::Image { mime, bytes } => Stored {
                post: Post::Image(ImageMessage {
                    seq,
                    id,
                    from,
                    mime: mime.clone(),
                    size: bytes.len() as u64,
                    ts,
                }),
                bytes: Some(bytes.clone()),
            },
        }
    }
}

/// Runs `work` on tokio's blocking pool: SQLite waits for the disk. Once started it runs to the
/// end even if the caller stops waiting, so a committed post is always delivered.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| {
            Err(StoreError::Failed(format!(
                "the store's task ended: {error}"
            )))
        })
}
