//! The SQLite engine: one database file under the data folder, held exclusively by this relay.
//!
//! Durability: write-ahead log with `synchronous = FULL`, so a post is on disk when its
//! transaction commits, which is before anyone sees it; a killed relay loses nothing it
//! acknowledged. Each post is one transaction: the duplicate check, the room's next `seq`, the
//! insert, and the deletion of what falls out of retention.

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::{
    DATABASE_FILE, History, Limits, MAX_WELCOME_IMAGE_BYTES, NewPost, OpenError, Posted,
    StoreError, Stored,
};
use crate::protocol::{HISTORY_LEN, RESUME_LIMIT, Since};
use crate::rooms::Rooms;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name     TEXT PRIMARY KEY,
    epoch    TEXT NOT NULL,
    last_seq INTEGER NOT NULL
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

#[derive(Debug)]
pub(crate) struct Sqlite {
    connection: Mutex<Connection>,
    keep_posts: u64,
    rooms: Arc<Rooms>,
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
        Ok(Self {
            connection: Mutex::new(connection),
            keep_posts: u64::try_from(limits.keep_posts).unwrap_or(u64::MAX),
            rooms,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn post(&self, room: &str, new: &NewPost) -> Result<Posted, StoreError> {
        let mut connection = self.lock();
        let inserted = insert(&mut connection, room, new, self.keep_posts).map_err(store_error)?;
        if let Inserted::New(stored) = &inserted {
            // Still under the lock: rooms see posts in seq order.
            self.rooms.deliver(room, stored);
        }
        Ok(match inserted {
            Inserted::New(_) => Posted::New,
            Inserted::Again(original) => Posted::Again(original),
        })
    }

    pub(crate) fn join<R>(
        &self,
        room: &str,
        since: Option<&Since>,
        welcome: impl FnOnce(History) -> R,
    ) -> Result<R, StoreError> {
        let connection = self.lock();
        let history = history(&connection, room, since).map_err(store_error)?;
        // Still under the lock: no post is delivered between this history and the member.
        Ok(welcome(history))
    }
}

enum Inserted {
    New(Stored),
    Again(Stored),
}

fn insert(
    connection: &mut Connection,
    room: &str,
    new: &NewPost,
    keep_posts: u64,
) -> Result<Inserted, Failure> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let original = tx
        .query_row(
            "SELECT post, bytes FROM posts WHERE room = ?1 AND from_key = ?2 AND id = ?3",
            params![room, new.from_key, new.id],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
        )
        .optional()?;
    if let Some(row) = original {
        return Ok(Inserted::Again(stored(row)?));
    }
    room_row(&tx, room)?;
    let seq: u64 = tx.query_row(
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE name = ?1 RETURNING last_seq",
        [room],
        |row| row.get(0),
    )?;
    let Stored { post, bytes } = new.numbered(seq);
    let json = serde_json::to_string(&post).map_err(|error| Failure::Data(error.to_string()))?;
    tx.execute(
        "INSERT INTO posts (room, seq, from_key, id, post, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![room, seq, new.from_key, new.id, json, bytes.as_deref()],
    )?;
    tx.execute(
        "DELETE FROM posts WHERE room = ?1 AND seq <= ?2",
        params![room, seq.saturating_sub(keep_posts)],
    )?;
    tx.commit()?;
    Ok(Inserted::New(Stored { post, bytes }))
}

/// The room's epoch and latest seq, creating the room (with a fresh random epoch) if new.
fn room_row(connection: &Connection, room: &str) -> Result<(String, u64), Failure> {
    let select = "SELECT epoch, last_seq FROM rooms WHERE name = ?1";
    let read = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    if let Some(found) = connection.query_row(select, [room], read).optional()? {
        return Ok(found);
    }
    connection.execute(
        "INSERT INTO rooms (name, epoch, last_seq) VALUES (?1, lower(hex(randomblob(8))), 0)",
        [room],
    )?;
    Ok(connection.query_row(select, [room], read)?)
}

fn history(connection: &Connection, room: &str, since: Option<&Since>) -> Result<History, Failure> {
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
        if image_bytes > MAX_WELCOME_IMAGE_BYTES {
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
