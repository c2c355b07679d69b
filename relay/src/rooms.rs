//! The chat rooms: members and their outgoing queues, sequence numbers, history, and the memory
//! of recent `(from, id)` pairs that makes a re-sent message an acknowledgement instead of a
//! second copy.
//!
//! Everything happens under one lock and nothing in here waits: frames go into each member's
//! bounded queue with `try_send`, and a member whose queue is full is closed (1013) and leaves.

use std::collections::{HashMap, VecDeque};
use std::slice;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};

use crate::protocol::{
    CLOSE_REPLACED, CLOSE_TRY_AGAIN_LATER, DEDUP_LEN, ErrorCode, HISTORY_LEN, ImageMessage, Post,
    REASON_REPLACED, REASON_TOO_SLOW, Rejection, ServerMessage, TextMessage,
};

/// One connection as the rooms see it: its outgoing queue, and the way to close it.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    id: u64,
    outbox: mpsc::Sender<Message>,
    kick: watch::Sender<Option<CloseFrame>>,
}

impl Peer {
    /// A peer that queues into `outbox` and is asked to close through `kick`.
    pub(crate) fn new(
        id: u64,
        outbox: mpsc::Sender<Message>,
        kick: watch::Sender<Option<CloseFrame>>,
    ) -> Self {
        Self { id, outbox, kick }
    }

    /// The number that tells this connection from every other.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Queues `frames` in order; false if the queue is full (the peer is too slow). A peer
    /// whose queue is gone is ending anyway and counts as served.
    pub(crate) fn queue(&self, frames: &[Message]) -> bool {
        frames
            .iter()
            .all(|frame| match self.outbox.try_send(frame.clone()) {
                Ok(()) | Err(TrySendError::Closed(_)) => true,
                Err(TrySendError::Full(_)) => false,
            })
    }

    /// Asks the connection to close with `code` and `reason`; the first request wins.
    pub(crate) fn kick(&self, code: u16, reason: &'static str) {
        self.kick.send_if_modified(|slot| {
            if slot.is_some() {
                return false;
            }
            *slot = Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            });
            true
        });
    }
}

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

/// Every room of the relay.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Mutex<HashMap<String, Room>>,
    next_peer: AtomicU64,
}

impl Rooms {
    /// A number no other connection has.
    pub(crate) fn next_peer_id(&self) -> u64 {
        self.next_peer.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Room>> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `peer` a member of `room` as `nick` (trimmed and checked already), queues its
    /// welcome and the history's images, and tells the other members. When the nick is held by
    /// a connection that joined with the same non-empty `session`, that connection is closed
    /// with 4001 and `peer` takes its place without a word to the others.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::NickTaken`] when another member holds the nick, regardless of case.
    pub(crate) fn join(
        &self,
        room_name: &str,
        nick: &str,
        session: Option<&str>,
        peer: &Peer,
    ) -> Result<(), Rejection> {
        let mut rooms = self.lock();
        let room = rooms.entry(room_name.to_owned()).or_default();
        let key = nick.to_lowercase();
        match room.members.iter().position(|member| member.key == key) {
            Some(index) => {
                let member = &mut room.members[index];
                if session.is_none() || member.session.as_deref() != session {
                    return Err(Rejection::new(
                        ErrorCode::NickTaken,
                        format!("{:?} is already in room {room_name}", member.nick),
                    ));
                }
                member.peer.kick(CLOSE_REPLACED, REASON_REPLACED);
                member.peer = peer.clone();
                let nick = member.nick.clone();
                let welcome = room.welcome(room_name, &nick, None);
                room.send(Audience::Only(peer.id), &welcome);
            }
            None => {
                let welcome = room.welcome(room_name, nick, Some(nick));
                if !peer.queue(&welcome) {
                    peer.kick(CLOSE_TRY_AGAIN_LATER, REASON_TOO_SLOW);
                    return Ok(());
                }
                room.members.push(Member {
                    nick: nick.to_owned(),
                    key,
                    session: session.map(str::to_owned),
                    peer: peer.clone(),
                });
                let joined = text_frame(&ServerMessage::Joined {
                    nick: nick.to_owned(),
                });
                room.send(Audience::AllBut(peer.id), slice::from_ref(&joined));
            }
        }
        Ok(())
    }

    /// Posts `content` from the member `peer` under the sender's `id`: a new post gets the
    /// next seq and goes to every member, the sender included; a `(from, id)` the room has
    /// seen already is answered to the sender alone with the original post. Nothing happens
    /// when `peer` is no longer a member (it was closed meanwhile).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::BadId`] for an image re-sent under an id whose original had another size
    /// and is no longer in the history.
    pub(crate) fn post(
        &self,
        room_name: &str,
        peer: &Peer,
        id: String,
        content: Content,
    ) -> Result<(), Rejection> {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_name) else {
            return Ok(());
        };
        let Some(member) = room.members.iter().find(|member| member.peer.id == peer.id) else {
            return Ok(());
        };
        let from = member.nick.clone();
        let seen_key = (member.key.clone(), id);
        if let Some(original) = room.seen.get(&seen_key) {
            let frames = room.acknowledgement(original, &content)?;
            room.send(Audience::Only(peer.id), &frames);
            return Ok(());
        }
        room.last_seq += 1;
        let seq = room.last_seq;
        let ts = unix_millis();
        let id = seen_key.1.clone();
        let (post, bytes) = match content {
            Content::Text(text) => (
                Post::Message(TextMessage {
                    seq,
                    id,
                    from,
                    text,
                    ts,
                }),
                None,
            ),
            Content::Image { mime, bytes } => (
                Post::Image(ImageMessage {
                    seq,
                    id,
                    from,
                    mime,
                    size: bytes.len() as u64,
                    ts,
                }),
                Some(bytes),
            ),
        };
        let frames = post_frames(&post, bytes.as_ref());
        room.send(Audience::All, &frames);
        room.remember(seen_key, post, bytes);
        Ok(())
    }

    /// Removes `peer` from `room` and, if `announce`, tells the others; nothing when it is not
    /// a member (it was replaced or closed as too slow). A room that empties before anything
    /// was posted in it is forgotten; one with posts keeps its history and seq for the relay's
    /// lifetime.
    pub(crate) fn leave(&self, room_name: &str, peer: u64, announce: bool) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_name) else {
            return;
        };
        if let Some(index) = room
            .members
            .iter()
            .position(|member| member.peer.id == peer)
        {
            let member = room.members.remove(index);
            if announce {
                let left = text_frame(&ServerMessage::Left { nick: member.nick });
                room.send(Audience::All, slice::from_ref(&left));
            }
        }
        if room.members.is_empty() && room.last_seq == 0 {
            rooms.remove(room_name);
        }
    }
}

#[derive(Debug)]
struct Member {
    /// As shown to everyone.
    nick: String,
    /// The nick in lower case: unique in the room.
    key: String,
    session: Option<String>,
    peer: Peer,
}

/// A post in the history, with an image's bytes.
#[derive(Debug)]
struct Kept {
    post: Post,
    bytes: Option<Bytes>,
}

#[derive(Debug, Default)]
struct Room {
    members: Vec<Member>,
    /// The seq of the last post; 0 before the first.
    last_seq: u64,
    history: VecDeque<Kept>,
    /// The original post of each remembered (lower-case nick, id).
    seen: HashMap<(String, String), Post>,
    /// The keys of `seen`, oldest first.
    seen_order: VecDeque<(String, String)>,
}

#[derive(Debug, Clone, Copy)]
enum Audience {
    All,
    AllBut(u64),
    Only(u64),
}

impl Audience {
    fn includes(self, peer: u64) -> bool {
        match self {
            Self::All => true,
            Self::AllBut(other) => peer != other,
            Self::Only(one) => peer == one,
        }
    }
}

impl Room {
    /// The welcome for `nick`, then one binary frame per image of the history. `newcomer` is
    /// listed among the members although it is not one yet.
    fn welcome(&self, room_name: &str, nick: &str, newcomer: Option<&str>) -> Vec<Message> {
        let mut members: Vec<String> = self
            .members
            .iter()
            .map(|member| member.nick.as_str())
            .chain(newcomer)
            .map(str::to_owned)
            .collect();
        // Case-insensitive order, ties broken by the exact nick.
        members.sort_by_cached_key(|nick| (nick.to_lowercase(), nick.clone()));
        let welcome = ServerMessage::Welcome {
            nick: nick.to_owned(),
            room: room_name.to_owned(),
            members,
            history: self.history.iter().map(|kept| kept.post.clone()).collect(),
        };
        let images = self
            .history
            .iter()
            .filter_map(|kept| kept.bytes.clone().map(Message::Binary));
        std::iter::once(text_frame(&welcome))
            .chain(images)
            .collect()
    }

    /// Queues `frames` for `audience`. A member whose queue is full is closed with 1013 and
    /// removed, and the others are told it left (which may find more slow members).
    fn send(&mut self, audience: Audience, frames: &[Message]) {
        let mut slow = self.deliver(audience, frames);
        while !slow.is_empty() {
            let mut gone = Vec::new();
            self.members.retain(|member| {
                if slow.contains(&member.peer.id) {
                    member.peer.kick(CLOSE_TRY_AGAIN_LATER, REASON_TOO_SLOW);
                    gone.push(member.nick.clone());
                    false
                } else {
                    true
                }
            });
            slow.clear();
            for nick in gone {
                let left = text_frame(&ServerMessage::Left { nick });
                slow.extend(self.deliver(Audience::All, slice::from_ref(&left)));
            }
        }
    }

    /// Queues `frames` for `audience`; returns the members whose queue was full.
    fn deliver(&self, audience: Audience, frames: &[Message]) -> Vec<u64> {
        self.members
            .iter()
            .filter(|member| audience.includes(member.peer.id))
            .filter(|member| !member.peer.queue(frames))
            .map(|member| member.peer.id)
            .collect()
    }

    /// The frames that acknowledge a re-sent post: the original object and, for an image,
    /// its bytes: from the history, or else the re-sent copy's when the size matches.
    fn acknowledgement(
        &self,
        original: &Post,
        resent: &Content,
    ) -> Result<Vec<Message>, Rejection> {
        let Post::Image(image) = original else {
            return Ok(post_frames(original, None));
        };
        let kept = self
            .history
            .iter()
            .find(|kept| kept.post.seq() == image.seq)
            .and_then(|kept| kept.bytes.clone());
        let bytes = match (kept, resent) {
            (Some(bytes), _) => bytes,
            (None, Content::Image { bytes, .. }) if bytes.len() as u64 == image.size => {
                bytes.clone()
            }
            (None, _) => {
                return Err(Rejection::new(
                    ErrorCode::BadId,
                    format!(
                        "id {:?} was used for an image of {} bytes",
                        image.id, image.size
                    ),
                ));
            }
        };
        Ok(post_frames(original, Some(&bytes)))
    }

    fn remember(&mut self, key: (String, String), post: Post, bytes: Option<Bytes>) {
        self.history.push_back(Kept {
            post: post.clone(),
            bytes,
        });
        while self.history.len() > HISTORY_LEN {
            self.history.pop_front();
        }
        self.seen_order.push_back(key.clone());
        self.seen.insert(key, post);
        while self.seen_order.len() > DEDUP_LEN {
            if let Some(oldest) = self.seen_order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
    }
}

/// A post as broadcast: its object, then an image's bytes.
fn post_frames(post: &Post, bytes: Option<&Bytes>) -> Vec<Message> {
    let object = text_frame(&ServerMessage::from(post.clone()));
    std::iter::once(object)
        .chain(bytes.cloned().map(Message::Binary))
        .collect()
}

fn text_frame(message: &ServerMessage) -> Message {
    Message::Text(message.to_json().into())
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}
