//! The SQLite engine: one database file under the data folder, held exclusively by this relay.
//!
//! Durability: write-ahead log with `synchronous = FULL`, so a post is on disk when its
//! transaction commits, which is before anyone sees it; a killed relay loses nothing it
//! acknowledged.
//!
//! Group commit: posts go to one committer thread, which takes every post waiting (up to
//! [`MAX_BATCH`]) into one transaction, so posts that arrive while a commit waits for the disk
//! share the next commit and its one `fsync`. For each post the transaction checks for a
//! duplicate, takes the room's next `seq`, inserts, and deletes what falls out of retention. When
//! anything in a batch fails, the batch is rolled back and its posts are stored again one
//! transaction each, so only the post that fails is refused. Posts are delivered, and answered,
//! only once their transaction has committed.
//!
//! Forgetting: each room row has `touched`, the time in ms of its last post, or of the last
//! sweep that found someone in it or found it joined since the sweep before. The committer
//! sweeps every quarter of `--forget-rooms-after` (at most hourly) and deletes the rooms, posts
//! and all, touched longer ago than that; the freed pages are reused by later posts.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::slice;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::{
    DATABASE_FILE, History, Limits, NewPost, OpenError, Posted, StoreError, Stored, unix_millis,
};
use crate::protocol::{HISTORY_LEN, RESUME_LIMIT, Since};
use crate::rooms::Rooms;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name     TEXT PRIMARY KEY,
    epoch    TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    touched  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS posts (
    room     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    from_key TEXT NOT NULL,
    id       TEXT NOT NULL,
    post     TEXT NOT NULL,
    bytes    BLOB,
    PRIMARY KEY (room, seq),
    UNIQUE (room, from_key, id)
) STRICT;
";

/// The most posts one transaction takes.
const MAX_BATCH: usize = 256;

/// The longest time between two sweeps for rooms to forget.
const MAX_SWEEP_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub(crate) struct Sqlite {
    shared: Arc<Shared>,
    /// To the committer; `None` once dropping.
    posts: Option<mpsc::Sender<Request>>,
    committer: Option<JoinHandle<()>>,
}

/// What the committer thread and the joins share.
#[derive(Debug)]
struct Shared {
    connection: Mutex<Connection>,
    keep_posts: u64,
    /// The most image bytes one welcome carries.
    welcome_images: usize,
    rooms: Arc<Rooms>,
    /// Rooms untouched this long are forgotten.
    forget_after: Duration,
    /// Rooms joined since the last sweep: they count as used even if everyone left since.
    visited: Mutex<HashSet<String>>,
}

/// One post waiting for the committer, and where its answer goes.
#[derive(Debug)]
struct Request {
    room: String,
    post: NewPost,
    answer: oneshot::Sender<Result<Posted, StoreError>>,
}

impl Sqlite {
    pub(crate) fn open(
        folder: &Path,
        limits: Limits,
        rooms: Arc<Rooms>,
    ) -> Result<Self, OpenError> {
        fs::create_dir_all(folder).map_err(|error| {
            OpenError::new(folder, format!("cannot create the data folder: {error}"))
        })?;
        let path = folder.join(DATABASE_FILE);
        let fail = |error: rusqlite::Error| OpenError::new(&path, describe(&error));
        let connection = Connection::open(&path).map_err(fail)?;
        // Exclusive locking: a second relay on the same folder would deliver posts that this
        // one never sees; it fails at start instead. It also keeps the WAL index in memory.
        connection
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(fail)?;
        let mode: String = connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::new(
                &path,
                format!("cannot use a write-ahead log (journal mode stays {mode})"),
            ));
        }
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        if let Some(max_bytes) = limits.max_bytes {
            let page: u64 = connection
                .pragma_query_value(None, "page_size", |row| row.get(0))
                .map_err(fail)?;
            connection
                .pragma_update(None, "max_page_count", (max_bytes / page.max(1)).max(1))
                .map_err(fail)?;
        }
        // Writing the schema takes the exclusive lock, and reading it proves the file is a
        // database.
        connection.execute_batch(SCHEMA).map_err(fail)?;
        add_touched(&connection).map_err(fail)?;
        let shared = Arc::new(Shared {
            connection: Mutex::new(connection),
            keep_posts: u64::try_from(limits.keep_posts).unwrap_or(u64::MAX),
            welcome_images: limits.welcome_images(),
            rooms,
            forget_after: limits.forget_after,
            visited: Mutex::new(HashSet::new()),
        });
        let (posts, requests) = mpsc::channel();
        let committer = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("sqlite-commit".to_owned())
                .spawn(move || shared.commit_batches(&requests))
                .map_err(|error| {
                    OpenError::new(&path, format!("cannot start the committer thread: {error}"))
                })?
        };
        Ok(Self {
            shared,
            posts: Some(posts),
            committer: Some(committer),
        })
    }

    /// Stores `new` in `room` in the committer's next transaction and delivers it once that
    /// has committed.
    pub(crate) async fn post(&self, room: &str, new: NewPost) -> Result<Posted, StoreError> {
        let stopped = || StoreError::Failed("the store's committer has stopped".to_owned());
        let (answer, answered) = oneshot::channel();
        let request = Request {
            room: room.to_owned(),
            post: new,
            answer,
        };
        let posts = self.posts.as_ref().ok_or_else(stopped)?;
        posts.send(request).map_err(|_| stopped())?;
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }

    pub(crate) fn join<R>(
        &self,
        room: &str,
        since: Option<&Since>,
        welcome: impl FnOnce(History) -> R,
    ) -> Result<R, StoreError> {
        let connection = self.shared.lock();
        let history =
            history(&connection, room, since, self.shared.welcome_images).map_err(store_error)?;
        self.shared
            .visited
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(room.to_owned());
        // Still under the lock: no post is delivered between this history and the member.
        Ok(welcome(history))
    }
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        // The committer ends with its channel, and closes the database as it does: a relay
        // opened next on the same folder must not find it still locked.
        drop(self.posts.take());
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The committer thread: every post waiting, up to [`MAX_BATCH`], in one transaction, and
    /// between batches the sweep for rooms to forget when it is due, until the store is
    /// dropped.
    fn commit_batches(&self, requests: &mpsc::Receiver<Request>) {
        let every = (self.forget_after / 4).clamp(Duration::from_millis(100), MAX_SWEEP_EVERY);
        let mut next_sweep = Instant::now() + every;
        loop {
            let wait = next_sweep.saturating_duration_since(Instant::now());
            match requests.recv_timeout(wait) {
                Ok(first) => {
                    let mut batch = vec![first];
                    batch.extend(requests.try_iter().take(MAX_BATCH - 1));
                    self.commit(batch);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            if Instant::now() >= next_sweep {
                self.sweep();
                next_sweep = Instant::now() + every;
            }
        }
    }

    /// Touches the rooms in use (someone is in them, or joined since the last sweep), then
    /// deletes the rooms untouched for [`Shared::forget_after`], posts and all.
    fn sweep(&self) {
        let mut connection = self.lock();
        let mut used: HashSet<String> = self.rooms.names().into_iter().collect();
        used.extend(
            self.visited
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain(),
        );
        let now = unix_millis();
        let cutoff =
            now.saturating_sub(u64::try_from(self.forget_after.as_millis()).unwrap_or(u64::MAX));
        match forget(&mut connection, &used, now, cutoff) {
            Ok(0) => {}
            Ok(forgotten) => {
                tracing::info!(forgotten, "forgot rooms nobody used (--forget-rooms-after)")
            }
            Err(failure) => {
                tracing::warn!(error = %store_error(failure), "sweeping rooms to forget failed")
            }
        }
    }

    /// Stores `batch` in one transaction, then, still under the lock so that rooms see posts
    /// in `seq` order and no join falls in between, delivers the new posts and answers each.
    fn commit(&self, batch: Vec<Request>) {
        let mut connection = self.lock();
        let outcomes = store_batch(&mut connection, &batch, self.keep_posts);
        for (request, outcome) in batch.into_iter().zip(outcomes) {
            let answer = outcome.map(|inserted| match inserted {
                Inserted::New(stored) => {
                    self.rooms.deliver(&request.room, &stored);
                    Posted::New
                }
                Inserted::Again(original) => Posted::Again(original),
            });
            // A connection that stopped waiting is gone; its post is stored all the same.
            let _ = request.answer.send(answer);
        }
    }
}

enum Inserted {
    New(Stored),
    Again(Stored),
}

/// The outcome of each post of `batch`, in order: all in one transaction, or, when that fails,
/// each in a transaction of its own.
fn store_batch(
    connection: &mut Connection,
    batch: &[Request],
    keep_posts: u64,
) -> Vec<Result<Inserted, StoreError>> {
    match transaction(connection, batch, keep_posts) {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(failure) if batch.len() == 1 => vec![Err(store_error(failure))],
        Err(_) => batch
            .iter()
            .map(|request| {
                transaction(connection, slice::from_ref(request), keep_posts)
                    .map_err(store_error)
                    .and_then(|mut outcome| {
                        outcome.pop().ok_or_else(|| {
                            StoreError::Failed("a transaction stored nothing".to_owned())
                        })
                    })
            })
            .collect(),
    }
}

/// Every post of `batch` in one transaction: committed, or, on any failure, rolled back.
fn transaction(
    connection: &mut Connection,
    batch: &[Request],
    keep_posts: u64,
) -> Result<Vec<Inserted>, Failure> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = unix_millis();
    let outcomes = batch
        .iter()
        .map(|request| insert(&tx, &request.room, &request.post, keep_posts, now))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(outcomes)
}

fn insert(
    connection: &Connection,
    room: &str,
    new: &NewPost,
    keep_posts: u64,
    now: u64,
) -> Result<Inserted, Failure> {
    let original = connection
        .prepare_cached(
            "SELECT post, bytes FROM posts WHERE room = ?1 AND from_key = ?2 AND id = ?3",
        )?
        .query_row(params![room, new.from_key, new.id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?))
        })
        .optional()?;
    if let Some(row) = original {
        return Ok(Inserted::Again(stored(row)?));
    }
    room_row(connection, room)?;
    let seq: u64 = connection
        .prepare_cached(
            "UPDATE rooms SET last_seq = last_seq + 1, touched = ?2 WHERE name = ?1 \
             RETURNING last_seq",
        )?
        .query_row(params![room, now], |row| row.get(0))?;
    let Stored { post, bytes } = new.numbered(seq);
    let json = serde_json::to_string(&post).map_err(|error| Failure::Data(error.to_string()))?;
    connection
        .prepare_cached(
            "INSERT INTO posts (room, seq, from_key, id, post, bytes) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            room,
            seq,
            new.from_key,
            new.id,
            json,
            bytes.as_deref()
        ])?;
    connection
        .prepare_cached("DELETE FROM posts WHERE room = ?1 AND seq <= ?2")?
        .execute(params![room, seq.saturating_sub(keep_posts)])?;
    Ok(Inserted::New(Stored { post, bytes }))
}

/// Gives a database made before rooms were forgotten its `touched` column, every room touched
/// now.
fn add_touched(connection: &Connection) -> rusqlite::Result<()> {
    let has: bool = connection.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('rooms') WHERE name = 'touched'",
        [],
        |row| row.get(0),
    )?;
    if !has {
        connection
            .execute_batch("ALTER TABLE rooms ADD COLUMN touched INTEGER NOT NULL DEFAULT 0")?;
        connection.execute("UPDATE rooms SET touched = ?1", [unix_millis()])?;
    }
    Ok(())
}

/// Touches the rooms of `used` at `now`, then deletes every room touched before `cutoff`, its
/// posts with it, in one transaction; how many rooms it deleted.
fn forget(
    connection: &mut Connection,
    used: &HashSet<String>,
    now: u64,
    cutoff: u64,
) -> Result<usize, Failure> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut touch = tx.prepare_cached("UPDATE rooms SET touched = ?2 WHERE name = ?1")?;
        for room in used {
            touch.execute(params![room, now])?;
        }
    }
    tx.prepare_cached(
        "DELETE FROM posts WHERE room IN (SELECT name FROM rooms WHERE touched < ?1)",
    )?
    .execute([cutoff])?;
    let forgotten = tx
        .prepare_cached("DELETE FROM rooms WHERE touched < ?1")?
        .execute([cutoff])?;
    tx.commit()?;
    Ok(forgotten)
}

/// The room's epoch and latest seq, creating the room (with a fresh random epoch) if new.
fn room_row(connection: &Connection, room: &str) -> Result<(String, u64), Failure> {
    let select = "SELECT epoch, last_seq FROM rooms WHERE name = ?1";
    let read = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    let found = connection
        .prepare_cached(select)?
        .query_row([room], read)
        .optional()?;
    if let Some(found) = found {
        return Ok(found);
    }
    connection
        .prepare_cached(
            "INSERT INTO rooms (name, epoch, last_seq) VALUES (?1, lower(hex(randomblob(8))), 0)",
        )?
        .execute([room])?;
    Ok(connection.prepare_cached(select)?.query_row([room], read)?)
}

/// What a page joining `room` gets: the posts after `since` (or the latest), newest first until
/// their images would weigh more than `max_images` bytes.
fn history(
    connection: &Connection,
    room: &str,
    since: Option<&Since>,
    max_images: usize,
) -> Result<History, Failure> {
    let (epoch, seq) = room_row(connection, room)?;
    let resume = since
        .filter(|since| since.epoch == epoch && since.seq <= seq)
        .map(|since| since.seq);
    let (after, limit) = match resume {
        Some(after) => (after, RESUME_LIMIT),
        None => (0, HISTORY_LEN),
    };
    let mut statement = connection.prepare_cached(
        "SELECT post, bytes FROM posts WHERE room = ?1 AND seq > ?2 ORDER BY seq DESC",
    )?;
    let mut rows = statement.query(params![room, after])?;
    let mut posts = Vec::new();
    let mut image_bytes = 0;
    while posts.len() < limit {
        let Some(row) = rows.next()? else { break };
        let bytes: Option<Vec<u8>> = row.get(1)?;
        image_bytes += bytes.as_ref().map_or(0, Vec::len);
        if image_bytes > max_images {
            break;
        }
        posts.push(stored((row.get(0)?, bytes))?);
    }
    posts.reverse();
    let complete = posts.len() as u64 == seq - after;
    Ok(History {
        epoch,
        seq,
        posts,
        complete,
    })
}

fn stored((json, bytes): (String, Option<Vec<u8>>)) -> Result<Stored, Failure> {
    let post = serde_json::from_str(&json)
        .map_err(|error| Failure::Data(format!("a stored post is not valid: {error}")))?;
    Ok(Stored {
        post,
        bytes: bytes.map(Bytes::from),
    })
}

/// A failed statement, or stored data that does not decode.
enum Failure {
    Sql(rusqlite::Error),
    Data(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sql(error)
    }
}

fn store_error(failure: Failure) -> StoreError {
    match failure {
        Failure::Sql(error) if error.sqlite_error_code() == Some(ErrorCode::DiskFull) => {
            StoreError::Full
        }
        Failure::Sql(error) => StoreError::Failed(describe(&error)),
        Failure::Data(why) => StoreError::Failed(why),
    }
}

/// What went wrong, in the operator's terms.
fn describe(error: &rusqlite::Error) -> String {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "the database is locked by another process (is another relay using this data folder?)"
                .to_owned()
        }
        Some(ErrorCode::NotADatabase) => "the file is not a SQLite database".to_owned(),
        Some(ErrorCode::DatabaseCorrupt) => "the database is corrupt".to_owned(),
        Some(ErrorCode::CannotOpen) => format!("cannot open the database: {error}"),
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            format!("cannot write the database: {error}")
        }
        Some(ErrorCode::DiskFull) => "the disk or the database quota is full".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Content, MAX_WELCOME_IMAGE_BYTES};

    fn request(room: &str, id: &str) -> (Request, oneshot::Receiver<Result<Posted, StoreError>>) {
        let (answer, answered) = oneshot::channel();
        let post = NewPost {
            from: "Ada".to_owned(),
            from_key: "ada".to_owned(),
            id: id.to_owned(),
            content: Content::Text(format!("text {id}")),
        };
        let room = room.to_owned();
        (Request { room, post, answer }, answered)
    }

    fn open(name: &str, max_bytes: Option<u64>) -> (Sqlite, std::path::PathBuf) {
        let folder =
            std::env::temp_dir().join(format!("duplex-sqlite-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        let limits = Limits {
            keep_posts: 1000,
            max_bytes,
            welcome_memory: 1 << 30,
            forget_after: Duration::from_secs(3600),
        };
        let store = Sqlite::open(&folder, limits, Arc::new(Rooms::default())).expect("open");
        (store, folder)
    }

    #[test]
    fn a_post_that_fails_in_a_batch_is_refused_alone() {
        let (store, folder) = open("fallback", Some(256 * 1024));
        let (first, first_answer) = request("r", "small-1");
        let (mut big, big_answer) = request("r", "big");
        big.post.content = Content::Image {
            mime: "image/png".to_owned(),
            bytes: Bytes::from(vec![7; 1 << 20]),
        };
        let (last, last_answer) = request("r", "small-2");
        store.shared.commit(vec![first, big, last]);
        assert_eq!(answer(first_answer), None);
        assert!(matches!(
            big_answer.blocking_recv().expect("answered"),
            Err(StoreError::Full)
        ));
        assert_eq!(answer(last_answer), None);
        let stored = history(&store.shared.lock(), "r", None, MAX_WELCOME_IMAGE_BYTES)
            .ok()
            .expect("history");
        assert_eq!(stored.seq, 2, "the refused post took no seq");
        drop(store);
        let _ = fs::remove_dir_all(&folder);
    }

    fn answer(mut answered: oneshot::Receiver<Result<Posted, StoreError>>) -> Option<u64> {
        match answered.try_recv().expect("answered") {
            Ok(Posted::New) => None,
            Ok(Posted::Again(original)) => Some(original.post.seq()),
            Err(error) => panic!("not stored: {error}"),
        }
    }

    #[test]
    fn one_transaction_stores_a_batch_in_order_and_knows_its_own_duplicates() {
        let (store, folder) = open("batch", None);
        let (requests, answers): (Vec<_>, Vec<_>) =
            [("a", "1"), ("b", "1"), ("a", "2"), ("a", "1"), ("b", "2")]
                .into_iter()
                .map(|(room, id)| request(room, id))
                .unzip();
        store.shared.commit(requests);
        let answers: Vec<_> = answers.into_iter().map(answer).collect();
        assert_eq!(answers, [None, None, None, Some(1), None]);
        let connection = store.shared.lock();
        for (room, seqs) in [("a", 2), ("b", 2)] {
            let stored = history(&connection, room, None, MAX_WELCOME_IMAGE_BYTES)
                .ok()
                .expect("history");
            assert_eq!(stored.seq, seqs, "room {room}");
            let ids: Vec<_> = stored
                .posts
                .iter()
                .map(|stored| match &stored.post {
                    crate::protocol::Post::Message(message) => message.id.clone(),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(ids, ["1", "2"], "room {room}");
        }
        drop(connection);
        drop(store);
        let _ = fs::remove_dir_all(&folder);
    }
}
