//! The Redis engine: every relay given the same Redis shares the rooms. Posts, `seq`, history
//! and re-send memory live in one stream and two hashes per room, presence in a hash of
//! members, each change made and published by one Lua script ([`scripts`]); each relay
//! subscribes to the rooms its members are in ([`subscriber`]) and keeps a heartbeat key so
//! that the members of a relay that dies leave within [`MEMBER_EXPIRY`] ([`heartbeat`]).
//!
//! A post is acknowledged once Redis has applied its script: it is as durable as the Redis
//! server is configured to be (`appendonly yes` with `appendfsync always` for the guarantee of
//! the SQLite engine).

mod heartbeat;
mod scripts;
mod subscriber;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Value};
use tokio::task::AbortHandle;

use self::scripts::Scripts;
use self::subscriber::Channels;
use self::wire::{HEARTBEAT_PREFIX, Keys, MemberRecord};
use super::{History, JoinError, JoinRequest, Limits, NewPost, OpenError, Posted, StoreError};
use crate::budget::WelcomeBudget;
use crate::nick;
use crate::protocol::{ErrorCode, HISTORY_LEN, RESUME_LIMIT, Rejection, Since};
use crate::rooms::{Admission, Peer, Rooms};

/// How long after a relay dies its members leave its rooms on the other relays, at most: its
/// heartbeat key expires after 3 s and every relay sweeps its rooms each second.
pub const MEMBER_EXPIRY: Duration = Duration::from_secs(5);

/// Every command's deadline, so a Redis that stops answering gives errors, not hangs.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a member that went away keeps trying to leave a room's presence in Redis.
const FORGET_FOR: Duration = Duration::from_secs(300);

/// The shortest a room lives in Redis after its last use: the heartbeat gives an occupied
/// room's keys their lifetime again every second, so a shorter one would lose a room in use.
const MIN_ROOM_LIFETIME: Duration = Duration::from_secs(2);

/// Stream entries read per request when a welcome is assembled.
const PAGE: usize = 100;

/// The rooms in Redis, as one relay uses them.
pub(crate) struct Redis {
    connection: ConnectionManager,
    scripts: Arc<Scripts>,
    channels: Arc<Channels>,
    rooms: Arc<Rooms>,
    /// This relay's id among those sharing the Redis.
    relay: String,
    keep_posts: usize,
    /// The most image bytes one welcome carries.
    welcome_images: usize,
    budget: WelcomeBudget,
    /// `--forget-rooms-after` in ms: the expiry every use of a room gives its keys.
    lifetime_ms: u64,
    tasks: Vec<AbortHandle>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("relay", &self.relay)
            .field("keep_posts", &self.keep_posts)
            .finish_non_exhaustive()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Redis {
    /// Connects to `url`, announces this relay alive and starts its subscription and heartbeat.
    pub(crate) async fn open(
        url: &str,
        limits: Limits,
        rooms: Arc<Rooms>,
        budget: WelcomeBudget,
    ) -> Result<Self, OpenError> {
        let client = Client::open(url)
            .map_err(|error| OpenError::at(url, format!("not a Redis URL: {error}")))?;
        // The address without the URL's password, for messages.
        let server = format!("Redis at {}", client.get_connection_info().addr());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1);
        let reach = |error: RedisError| OpenError::at(&server, format!("cannot reach it: {error}"));
        let mut connection = tokio::time::timeout(
            COMMAND_TIMEOUT * 2,
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|_| OpenError::at(&server, "no answer"))?
        .map_err(reach)?;
        let relay = format!("{:016x}", fastrand::u64(..));
        heartbeat::beat(&mut connection, &relay)
            .await
            .map_err(|error| OpenError::at(&server, format!("cannot write to it: {error}")))?;
        let pubsub = subscriber::connect(&client)
            .await
            .map_err(|why| OpenError::at(&server, format!("cannot subscribe: {why}")))?;
        let channels = Arc::new(Channels::default());
        let subscription = tokio::spawn(subscriber::run(
            client,
            connection.clone(),
            Arc::clone(&channels),
            Arc::clone(&rooms),
            relay.clone(),
            channels.connected(pubsub).await,
        ));
        let scripts = Arc::new(Scripts::default());
        let lifetime = limits.forget_after.max(MIN_ROOM_LIFETIME);
        let lifetime_ms = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
        let beating = tokio::spawn(heartbeat::run(
            connection.clone(),
            Arc::clone(&scripts),
            Arc::clone(&rooms),
            relay.clone(),
            lifetime_ms,
        ));
        Ok(Self {
            connection,
            scripts,
            channels,
            rooms,
            relay,
            keep_posts: limits.keep_posts,
            welcome_images: limits.welcome_images(),
            budget,
            lifetime_ms,
            tasks: vec![subscription.abort_handle(), beating.abort_handle()],
        })
    }

    /// Stores `new` under the room's next `seq` and publishes it, unless its `(from, id)` is
    /// known; every relay (this one too) delivers it from its subscription.
    pub(crate) async fn post(&self, room: &str, new: &NewPost) -> Result<Posted, StoreError> {
        let keys = Keys::of(room);
        let template = new.numbered(0);
        let json = serde_json::to_vec(&template.post)
            .map_err(|error| StoreError::Failed(error.to_string()))?;
        let (kind, bytes) = match &template.bytes {
            Some(bytes) => ("i", &bytes[..]),
            None => ("t", &[][..]),
        };
        let reply: Vec<Value> = self
            .scripts
            .post
            .key(&keys.meta)
            .key(&keys.posts)
            .key(&keys.ids)
            .arg(wire::post_key(&new.from_key, &new.id))
            .arg(json)
            .arg(kind)
            .arg(bytes)
            .arg(self.keep_posts)
            .arg(fresh_epoch())
            .arg(&keys.channel)
            .arg(self.lifetime_ms)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|error| store_error(&error))?;
        match reply.as_slice() {
            [Value::Int(1), Value::Int(_)] => Ok(Posted::New),
            [Value::Int(0), Value::Int(seq), fields] => {
                let fields: HashMap<String, Vec<u8>> = redis::from_redis_value_ref(fields)
                    .map_err(|error| StoreError::Failed(error.to_string()))?;
                let seq = u64::try_from(*seq).unwrap_or_default();
                wire::stored(seq, fields)
                    .map(Posted::Again)
                    .ok_or_else(|| invalid("a stored post"))
            }
            _ => Err(invalid("the post script's answer")),
        }
    }

    /// Joins `peer` to the room: subscribes, enters presence, reads history, then queues the
    /// welcome and what happened meanwhile.
    pub(crate) async fn join(&self, request: JoinRequest, peer: &Peer) -> Result<(), JoinError> {
        self.rooms.reserve(&request.room, peer);
        let joined = self.enter(&request, peer).await;
        if joined.is_err() {
            // The presence script may have run: leave it (a no-op unless this peer holds it).
            let (_, empty) = self.rooms.remove(&request.room, peer.id());
            let key = nick::key(&request.nick);
            self.forget(&request.room, peer.id(), Some(key), empty);
        }
        joined
    }

    async fn enter(&self, request: &JoinRequest, peer: &Peer) -> Result<(), JoinError> {
        let room = request.room.as_str();
        self.channels.ensure(room).await.map_err(JoinError::Store)?;
        let keys = Keys::of(room);
        let key = nick::key(&request.nick);
        let owner = wire::owner(&self.relay, peer.id());
        let record = MemberRecord {
            relay: &self.relay,
            owner: &owner,
            session: request.session.as_deref().unwrap_or_default(),
            nick: &request.nick,
        };
        let record = serde_json::to_string(&record)
            .map_err(|error| JoinError::Store(StoreError::Failed(error.to_string())))?;
        let reply: Vec<Value> = self
            .scripts
            .join
            .key(&keys.members)
            .key(&keys.meta)
            .arg(&key)
            .arg(record)
            .arg(request.session.as_deref().unwrap_or_default())
            .arg(HEARTBEAT_PREFIX)
            .arg(&keys.channel)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|error| JoinError::Store(store_error(&error)))?;
        let parse = || JoinError::Store(invalid("the join script's answer"));
        let (pv, nick, members) = match reply.as_slice() {
            [Value::Int(0), held] => {
                let held: String = redis::from_redis_value_ref(held).map_err(|_| parse())?;
                return Err(JoinError::Rejected(Rejection::new(
                    ErrorCode::NickTaken,
                    format!("{held:?} is already in room {room}"),
                )));
            }
            [Value::Int(1), Value::Int(pv), nick, members] => (
                u64::try_from(*pv).unwrap_or_default(),
                redis::from_redis_value_ref::<String>(nick).map_err(|_| parse())?,
                redis::from_redis_value_ref::<Vec<String>>(members).map_err(|_| parse())?,
            ),
            _ => return Err(parse()),
        };
        let history = self
            .history(&keys, request.since.as_ref())
            .await
            .map_err(JoinError::Store)?;
        let welcome = self.budget.welcome(history).ok_or(JoinError::Busy)?;
        let admission = Admission {
            nick: &nick,
            key: &key,
            members,
            pv,
            welcome,
        };
        if self.rooms.admit(room, peer.id(), admission) {
            Ok(())
        } else {
            Err(JoinError::Store(StoreError::Failed(
                "the connection closed while joining".to_owned(),
            )))
        }
    }

    /// The room's epoch and latest seq, and the posts after `since` (or the latest ones), read
    /// newest first a page at a time so that the image budget stops the reading.
    async fn history(&self, keys: &Keys, since: Option<&Since>) -> Result<History, StoreError> {
        let mut connection = self.connection.clone();
        let (epoch, seq): (String, u64) = self
            .scripts
            .room
            .key(&keys.meta)
            .key(&keys.posts)
            .key(&keys.ids)
            .arg(fresh_epoch())
            .arg(self.lifetime_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(|error| store_error(&error))?;
        let resume = since
            .filter(|since| since.epoch == epoch && since.seq <= seq)
            .map(|since| since.seq);
        let (after, limit) = match resume {
            Some(after) => (after, RESUME_LIMIT),
            None => (0, HISTORY_LEN),
        };
        let mut posts = Vec::new();
        let (mut end, mut image_bytes) = (seq, 0);
        'pages: while posts.len() < limit && end > after {
            let page: Vec<(String, HashMap<String, Vec<u8>>)> = redis::cmd("XREVRANGE")
                .arg(&keys.posts)
                .arg(format!("{end}-0"))
                .arg(format!("{}-0", after + 1))
                .arg("COUNT")
                .arg(PAGE.min(limit - posts.len()))
                .query_async(&mut connection)
                .await
                .map_err(|error| store_error(&error))?;
            if page.is_empty() {
                break;
            }
            for (id, fields) in page {
                let stored = wire::entry_seq(&id)
                    .and_then(|seq| wire::stored(seq, fields))
                    .ok_or_else(|| invalid("a stored post"))?;
                image_bytes += stored.bytes.as_ref().map_or(0, |bytes| bytes.len());
                if image_bytes > self.welcome_images {
                    break 'pages;
                }
                end = stored.post.seq().saturating_sub(1);
                posts.push(stored);
            }
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

    /// Takes `peer` out of the room here and out of the room's presence (the others hear
    /// `left`), in the background: this runs when a membership is dropped.
    pub(crate) fn leave(&self, room: &str, peer: u64) {
        let (key, empty) = self.rooms.remove(room, peer);
        self.forget(room, peer, key, empty);
    }

    /// Takes `peer`'s hold on nick `key` out of the room's presence, trying again each second
    /// while Redis does not answer (for up to [`FORGET_FOR`]: a nick must not stay held by a
    /// connection that is gone), and unsubscribes if nobody here is in the room (`empty`).
    fn forget(&self, room: &str, peer: u64, key: Option<String>, empty: bool) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (mut connection, scripts) = (self.connection.clone(), Arc::clone(&self.scripts));
        let (channels, rooms) = (Arc::clone(&self.channels), Arc::clone(&self.rooms));
        let (room, owner) = (room.to_owned(), wire::owner(&self.relay, peer));
        runtime.spawn(async move {
            if let Some(key) = key {
                let keys = Keys::of(&room);
                let started = tokio::time::Instant::now();
                loop {
                    let left: Result<i64, _> = scripts
                        .leave
                        .key(&keys.members)
                        .key(&keys.meta)
                        .arg(&key)
                        .arg(&owner)
                        .arg(&keys.channel)
                        .invoke_async(&mut connection)
                        .await;
                    match left {
                        Ok(_) => break,
                        Err(error) if started.elapsed() < FORGET_FOR => {
                            tracing::debug!(%room, %error, "leaving the room in Redis; trying again");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        Err(error) => {
                            tracing::warn!(%room, %error, "could not leave the room in Redis");
                            break;
                        }
                    }
                }
            }
            if empty {
                channels.release(&room, &rooms).await;
            }
        });
    }
}

/// A new room's epoch: random, so a room whose history was lost is told apart.
fn fresh_epoch() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// What a Redis error means for a post or a join.
fn store_error(error: &RedisError) -> StoreError {
    if error.code() == Some("OOM") {
        StoreError::Full
    } else {
        StoreError::Failed(format!("Redis: {error}"))
    }
}

fn unreachable(why: &str) -> StoreError {
    StoreError::Failed(format!("Redis is unreachable ({why})"))
}

fn invalid(what: &str) -> StoreError {
    StoreError::Failed(format!("{what} in Redis is not valid"))
}
