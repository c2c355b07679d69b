//! The chat rooms as this relay sees them: the members connected here and their outgoing
//! queues. Posts, `seq` and history live in the [`crate::store`], which hands each stored post
//! to [`Rooms::deliver`] (SQLite) or [`Rooms::dispatch`] (Redis).
//!
//! Presence is kept here when this relay is alone ([`Rooms::join`], [`Rooms::leave`]). When
//! rooms are shared through Redis, presence lives there and arrives as [`Event`]s; a member
//! that is joining buffers them until its welcome is queued, and each member skips what its
//! welcome already covered (posts up to its `seq`, presence changes up to its `pv`).
//!
//! Everything happens under one lock and nothing in here waits: frames go into each member's
//! bounded queue with `try_send`, and a member whose queue is full is closed (1013) and leaves.
//! A welcome goes into a queue of its own, written before anything queued after it, so that
//! resuming a thousand posts does not count as being too slow.

use std::collections::HashMap;
use std::slice;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, close_code};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};

use crate::budget::Held;
use crate::nick;
use crate::protocol::{
    CLOSE_REPLACED, ErrorCode, Post, REASON_REPLACED, REASON_TOO_SLOW, Rejection, ServerMessage,
};
use crate::store::{History, Stored};
use crate::writer::Greeting;

/// One connection as the rooms see it: its outgoing queue, and the way to close it.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    id: u64,
    outbox: mpsc::Sender<Message>,
    welcome: mpsc::UnboundedSender<Greeting>,
    kick: watch::Sender<Option<CloseFrame>>,
}

impl Peer {
    /// A peer that queues into `outbox`, gets its welcome through `welcome` (written first) and
    /// is asked to close through `kick`.
    pub(crate) fn new(
        id: u64,
        outbox: mpsc::Sender<Message>,
        welcome: mpsc::UnboundedSender<Greeting>,
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

    /// Queues a welcome's `frames`, written before anything queued after them; `held` is given
    /// back once they are written.
    fn greet(&self, frames: Vec<Message>, held: Held) {
        // A connection that is gone has no use for it: dropping it gives `held` back.
        let _ = self.welcome.send(Greeting { frames, held });
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

/// Something that happened in a room shared through Redis, in the order Redis saw it.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A stored post.
    Post(Stored),
    /// `nick` joined; the room's presence version became `pv`.
    Joined { nick: String, pv: u64 },
    /// `nick` left; the room's presence version became `pv`.
    Left { nick: String, pv: u64 },
}

/// What a joining member's welcome covers: posts up to `seq`, presence changes up to `pv`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Covered {
    pub(crate) seq: u64,
    pub(crate) pv: u64,
}

impl Covered {
    fn includes(self, event: &Event) -> bool {
        match event {
            Event::Post(stored) => stored.post.seq() <= self.seq,
            Event::Joined { pv, .. } | Event::Left { pv, .. } => *pv <= self.pv,
        }
    }
}

/// A member admitted to a shared room: who it is and what its welcome holds.
#[derive(Debug)]
pub(crate) struct Admission<'a> {
    pub(crate) nick: &'a str,
    pub(crate) key: &'a str,
    /// Every member of the room, on every relay, this one included.
    pub(crate) members: Vec<String>,
    pub(crate) pv: u64,
    pub(crate) welcome: Welcome,
}

/// What a joining member is welcomed with: the history it gets, and the share of the welcome
/// budget it holds until its connection has written it.
#[derive(Debug)]
pub(crate) struct Welcome {
    history: History,
    held: Held,
}

impl Welcome {
    pub(crate) fn of(history: History, held: Held) -> Self {
        Self { history, held }
    }
}

/// Every room of the relay.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Mutex<HashMap<String, Room>>,
    /// Presence lives in Redis: no `joined` or `left` is made here.
    shared: bool,
}

impl Rooms {
    /// Rooms whose presence and posts arrive as [`Event`]s from a shared store.
    pub(crate) fn shared() -> Self {
        Self {
            shared: true,
            ..Self::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Room>> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `peer` a member of `room` as `nick` (trimmed and checked already), queues its
    /// `welcome` (its history and the history's images), and tells the other members. When the
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
        welcome: Welcome,
    ) -> Result<(), Rejection> {
        let mut rooms = self.lock();
        let room = rooms
            .entry(room_name.to_owned())
            .or_insert_with(|| Room::new(self.shared));
        let key = nick::key(nick);
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
                let frames = welcome_frames(room_name, &nick, room.nicks(None), welcome.history);
                peer.greet(frames, welcome.held);
            }
            None => {
                let frames =
                    welcome_frames(room_name, nick, room.nicks(Some(nick)), welcome.history);
                peer.greet(frames, welcome.held);
                room.members.push(Member {
                    nick: nick.to_owned(),
                    key,
                    session: session.map(str::to_owned),
                    peer: peer.clone(),
                    covered: Covered::default(),
                });
                let joined = text_frame(&ServerMessage::Joined {
                    nick: nick.to_owned(),
                });
                room.send(Audience::AllBut(peer.id), slice::from_ref(&joined));
            }
        }
        Ok(())
    }

    /// Starts `peer`'s join of shared `room`: until [`Rooms::admit`], the room's events are
    /// kept for it, so none falls between its welcome and what follows.
    pub(crate) fn reserve(&self, room_name: &str, peer: &Peer) {
        let mut rooms = self.lock();
        let room = rooms
            .entry(room_name.to_owned())
            .or_insert_with(|| Room::new(self.shared));
        room.joining.push(Joining {
            peer: peer.clone(),
            kept: Vec::new(),
        });
    }

    /// Queues the welcome of `peer`, reserved in `room`, then the events kept for it that the
    /// welcome does not cover, and makes it a member. False when it is no longer joining (its
    /// connection is closing, or the store was lost meanwhile).
    pub(crate) fn admit(&self, room_name: &str, peer: u64, admission: Admission<'_>) -> bool {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_name) else {
            return false;
        };
        let Some(index) = room
            .joining
            .iter()
            .position(|joining| joining.peer.id == peer)
        else {
            return false;
        };
        let joining = room.joining.remove(index);
        let covered = Covered {
            seq: admission.welcome.history.seq,
            pv: admission.pv,
        };
        let frames = welcome_frames(
            room_name,
            admission.nick,
            admission.members,
            admission.welcome.history,
        );
        joining.peer.greet(frames, admission.welcome.held);
        room.members.push(Member {
            nick: admission.nick.to_owned(),
            key: admission.key.to_owned(),
            session: None,
            peer: joining.peer,
            covered,
        });
        for event in joining.kept {
            room.send_event(Audience::Only(peer), &event);
        }
        true
    }

    /// Takes `peer` out of `room` (a member or still joining) without a word to anyone; the
    /// nick it held, if it was a member. True in the second place when the room has no one
    /// here any more.
    pub(crate) fn remove(&self, room_name: &str, peer: u64) -> (Option<String>, bool) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_name) else {
            return (None, true);
        };
        room.joining.retain(|joining| joining.peer.id != peer);
        let key = room
            .members
            .iter()
            .position(|member| member.peer.id == peer)
            .map(|index| room.members.remove(index).key);
        let empty = room.is_empty();
        if empty {
            rooms.remove(room_name);
        }
        (key, empty)
    }

    /// Whether anyone here is in `room`, joined or joining.
    pub(crate) fn is_here(&self, room_name: &str) -> bool {
        self.lock().contains_key(room_name)
    }

    /// The rooms someone here is in.
    pub(crate) fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Hands `event` of shared `room` to each member here whose welcome does not cover it,
    /// and keeps it for those still joining.
    pub(crate) fn dispatch(&self, room_name: &str, event: &Event) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(room_name) {
            for joining in &mut room.joining {
                joining.kept.push(event.clone());
            }
            room.send_event(Audience::All, event);
        }
    }

    /// Closes connection `peer` of `room` with `code` and `reason`, if it is here.
    pub(crate) fn kick(&self, room_name: &str, peer: u64, code: u16, reason: &'static str) {
        let rooms = self.lock();
        if let Some(room) = rooms.get(room_name) {
            let peers = room.members.iter().map(|member| &member.peer);
            let joining = room.joining.iter().map(|joining| &joining.peer);
            for found in peers.chain(joining).filter(|found| found.id == peer) {
                found.kick(code, reason);
            }
        }
    }

    /// Closes every connection in every room with `code` and `reason`, and forgets those still
    /// joining: they cannot be admitted any more.
    pub(crate) fn kick_all(&self, code: u16, reason: &'static str) {
        let mut rooms = self.lock();
        for room in rooms.values_mut() {
            for joining in room.joining.drain(..) {
                joining.peer.kick(code, reason);
            }
            for member in &room.members {
                member.peer.kick(code, reason);
            }
        }
        rooms.retain(|_, room| !room.is_empty());
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
        if room.is_empty() {
            rooms.remove(room_name);
        }
    }
}

#[derive(Debug)]
struct Member {
    /// As shown to everyone.
    nick: String,
    /// The nick as compared ([`nick::key`]): unique in the room.
    key: String,
    session: Option<String>,
    peer: Peer,
    /// What its welcome covered: events up to here are not sent again.
    covered: Covered,
}

#[derive(Debug)]
struct Joining {
    peer: Peer,
    /// The room's events since the join began.
    kept: Vec<Event>,
}

#[derive(Debug, Default)]
struct Room {
    members: Vec<Member>,
    joining: Vec<Joining>,
    /// Presence lives in a shared store: a slow member's `left` comes from there.
    shared: bool,
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
    fn new(shared: bool) -> Self {
        Self {
            shared,
            ..Self::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty() && self.joining.is_empty()
    }

    /// The members' nicks, and `newcomer`, which is not a member yet.
    fn nicks(&self, newcomer: Option<&str>) -> Vec<String> {
        self.members
            .iter()
            .map(|member| member.nick.as_str())
            .chain(newcomer)
            .map(str::to_owned)
            .collect()
    }

    /// Sends `event` to the members of `audience` whose welcome did not cover it.
    fn send_event(&mut self, audience: Audience, event: &Event) {
        let frames = match event {
            Event::Post(stored) => post_frames(&stored.post, stored.bytes.as_ref()),
            Event::Joined { nick, .. } => {
                vec![text_frame(&ServerMessage::Joined { nick: nick.clone() })]
            }
            Event::Left { nick, .. } => {
                vec![text_frame(&ServerMessage::Left { nick: nick.clone() })]
            }
        };
        let slow: Vec<u64> = self
            .members
            .iter()
            .filter(|member| audience.includes(member.peer.id) && !member.covered.includes(event))
            .filter(|member| !member.peer.queue(&frames))
            .map(|member| member.peer.id)
            .collect();
        self.drop_slow(slow);
    }

    /// Queues `frames` for `audience`. A member whose queue is full is closed with 1013 and
    /// removed, and the others are told it left (which may find more slow members).
    fn send(&mut self, audience: Audience, frames: &[Message]) {
        let slow = self.deliver(audience, frames);
        self.drop_slow(slow);
    }

    /// Closes the `slow` members with 1013. Alone, the relay removes them and tells the others
    /// (which may find more slow members); shared, each stays until its connection ends and
    /// leaves through the store, which announces it on every relay.
    fn drop_slow(&mut self, mut slow: Vec<u64>) {
        if self.shared {
            for member in self.members.iter().filter(|m| slow.contains(&m.peer.id)) {
                member.peer.kick(close_code::AGAIN, REASON_TOO_SLOW);
            }
            return;
        }
        while !slow.is_empty() {
            let mut gone = Vec::new();
            self.members.retain(|member| {
                if slow.contains(&member.peer.id) {
                    member.peer.kick(close_code::AGAIN, REASON_TOO_SLOW);
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

/// The welcome for `nick` with `members` and `history`, then one binary frame per image of it.
fn welcome_frames(
    room_name: &str,
    nick: &str,
    mut members: Vec<String>,
    history: History,
) -> Vec<Message> {
    // In the order of the nicks as compared, ties broken by the exact nick.
    members.sort_by_cached_key(|nick| (nick::key(nick), nick.clone()));
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
