//! The chat rooms as this relay sees them: the members connected here and their outgoing
//! queues. Posts, `seq` and history live in the [`crate::store`], which hands each stored post
//! to [`Rooms::deliver`].
//!
//! Everything happens under one lock and nothing in here waits: frames go into each member's
//! bounded queue with `try_send`, and a member whose queue is full is closed (1013) and leaves.
//! A welcome goes into a queue of its own, written before anything queued after it, so that
//! resuming a thousand posts does not count as being too slow.

use std::collections::HashMap;
use std::slice;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};

use crate::protocol::{
    CLOSE_REPLACED, CLOSE_TRY_AGAIN_LATER, ErrorCode, Post, REASON_REPLACED, REASON_TOO_SLOW,
    Rejection, ServerMessage,
};
use crate::store::{History, Stored};

/// One connection as the rooms see it: its outgoing queue, and the way to close it.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    id: u64,
    outbox: mpsc::Sender<Message>,
    welcome: mpsc::UnboundedSender<Vec<Message>>,
    kick: watch::Sender<Option<CloseFrame>>,
}

impl Peer {
    /// A peer that queues into `outbox`, gets its welcome through `welcome` (written first) and
    /// is asked to close through `kick`.
    pub(crate) fn new(
        id: u64,
        outbox: mpsc::Sender<Message>,
        welcome: mpsc::UnboundedSender<Vec<Message>>,
        kick: watch::Sender<Option<CloseFrame>>,
    ) -> Self {
        Self {
            id,
            outbox,
            welcome,
            kick,
        }
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
    /// welcome with `history` and the history's images, and tells the other members. When the
    /// nick is held by a connection that joined with the same non-empty `session`, that
    /// connection is closed with 4001 and `peer` takes its place without a word to the others.
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
        history: History,
    ) -> Result<(), Rejection> {
        let mut rooms = self.lock();
        let room = rooms.entry(room_name.to_owned()).or_default();
        let key = nick_key(nick);
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
                let welcome = room.welcome(room_name, &nick, None, history);
                let _ = peer.welcome.send(welcome);
            }
            None => {
                let welcome = room.welcome(room_name, nick, Some(nick), history);
                let _ = peer.welcome.send(welcome);
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

    /// The nick of member `peer` of `room`, as shown and as compared; `None` when it is no
    /// longer a member (it was closed meanwhile).
    pub(crate) fn sender(&self, room_name: &str, peer: u64) -> Option<(String, String)> {
        let rooms = self.lock();
        let member = rooms
            .get(room_name)?
            .members
            .iter()
            .find(|member| member.peer.id == peer)?;
        Some((member.nick.clone(), member.key.clone()))
    }

    /// Sends a newly stored post to every member of `room` here, the sender included.
    pub(crate) fn deliver(&self, room_name: &str, stored: &Stored) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(room_name) {
            room.send(
                Audience::All,
                &post_frames(&stored.post, stored.bytes.as_ref()),
            );
        }
    }

    /// Sends the original of a re-sent post to its sender alone: its acknowledgement.
    pub(crate) fn acknowledge(&self, room_name: &str, peer: u64, original: &Stored) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(room_name) {
            let frames = post_frames(&original.post, original.bytes.as_ref());
            room.send(Audience::Only(peer), &frames);
        }
    }

    /// Removes `peer` from `room` and, if `announce`, tells the others; nothing when it is not
    /// a member (it was replaced or closed as too slow). A room with no members here is
    /// forgotten: its posts stay in the store.
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
        if room.members.is_empty() {
            rooms.remove(room_name);
        }
    }
}

#[derive(Debug)]
struct Member {
    /// As shown to everyone.
    nick: String,
    /// The nick as compared ([`nick_key`]): unique in the room.
    key: String,
    session: Option<String>,
    peer: Peer,
}

#[derive(Debug, Default)]
struct Room {
    members: Vec<Member>,
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
    /// The welcome for `nick` with `history`, then one binary frame per image of it.
    /// `newcomer` is listed among the members although it is not one yet.
    fn welcome(
        &self,
        room_name: &str,
        nick: &str,
        newcomer: Option<&str>,
        history: History,
    ) -> Vec<Message> {
        let mut members: Vec<String> = self
            .members
            .iter()
            .map(|member| member.nick.as_str())
            .chain(newcomer)
            .map(str::to_owned)
            .collect();
        // Case-insensitive order, ties broken by the exact nick.
        members.sort_by_cached_key(|nick| (nick.to_lowercase(), nick.clone()));
        let (posts, images): (Vec<Post>, Vec<Option<Bytes>>) = history
            .posts
            .into_iter()
            .map(|stored| (stored.post, stored.bytes))
            .unzip();
        let welcome = ServerMessage::Welcome {
            nick: nick.to_owned(),
            room: room_name.to_owned(),
            members,
            epoch: history.epoch,
            seq: history.seq,
            history: posts,
            complete: history.complete,
        };
        std::iter::once(text_frame(&welcome))
            .chain(images.into_iter().flatten().map(Message::Binary))
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

/// A nick as a room compares it: lower case.
pub(crate) fn nick_key(nick: &str) -> String {
    nick.to_lowercase()
}
