//! Where the rooms' posts live: the one boundary between the chat and its storage engine.
//!
//! Every post, its `seq`, and the `(from, id)` memory that turns a re-sent message into an
//! acknowledgement go through [`Store`]. A post is acknowledged only once stored:
//! [`Store::post`] commits it, then hands it to the local rooms ([`Rooms::deliver`]) in `seq`
//! order, so the sender's own copy (its acknowledgement) leaves after the commit. [`Store::join`]
//! reads what a joining page missed and lets the rooms welcome it at a point where no post can
//! fall between the history and the live broadcasts.
//!
//! The engine is SQLite ([`sqlite`]): one file under the data folder, written by this relay
//! alone.

mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;

use crate::protocol::{Post, Since};
use crate::rooms::Rooms;

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

/// The store could not be opened at start-up: its `Display` names the file or folder and says
/// why, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    path: PathBuf,
    why: String,
}

impl OpenError {
    pub(crate) fn new(path: &Path, why: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            why: why.into(),
        }
    }

    /// The file or folder at fault.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.why)
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
}

/// The rooms' storage, cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    engine: Arc<sqlite::Sqlite>,
}

impl Store {
    /// Opens (creating it if needed) the database in `folder`; new posts go to `rooms`.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] naming the folder or the file: the folder cannot be created, the file
    /// cannot be opened for writing, it is locked by another process, or it is not a database.
    pub(crate) fn open(
        folder: &Path,
        limits: Limits,
        rooms: Arc<Rooms>,
    ) -> Result<Self, OpenError> {
        Ok(Self {
            engine: Arc::new(sqlite::Sqlite::open(folder, limits, rooms)?),
        })
    }

    /// Stores `post` in `room` under the room's next `seq` and delivers it to the room, unless
    /// the room already has its `(from, id)`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`]: nothing was stored, delivered or acknowledged.
    pub(crate) async fn post(&self, room: &str, post: NewPost) -> Result<Posted, StoreError> {
        let engine = Arc::clone(&self.engine);
        let room = room.to_owned();
        blocking(move || engine.post(&room, &post)).await
    }

    /// Reads what a page joining `room` gets (the posts after `since`, or the latest ones) and
    /// calls `welcome` with it while no post can be delivered to the room.
    ///
    /// # Errors
    ///
    /// A [`StoreError`]: `welcome` was not called.
    pub(crate) async fn join<R: Send + 'static>(
        &self,
        room: &str,
        since: Option<Since>,
        welcome: impl FnOnce(History) -> R + Send + 'static,
    ) -> Result<R, StoreError> {
        let engine = Arc::clone(&self.engine);
        let room = room.to_owned();
        blocking(move || engine.join(&room, since.as_ref(), welcome)).await
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
