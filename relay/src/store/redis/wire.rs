//! Names of the Redis keys and channels, and the encodings of what goes through them: a
//! member's record, a post's stream fields and the events on a room's channel (as written by
//! [`super::scripts`]).

use std::collections::HashMap;

use axum::body::Bytes;
use serde::Serialize;

use crate::protocol::Post;
use crate::rooms::Event;
use crate::store::Stored;

/// What every key and channel of the relay starts with.
const PREFIX: &str = "duplex:";

/// The keys of one room.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    pub(super) meta: String,
    pub(super) posts: String,
    pub(super) ids: String,
    pub(super) members: String,
    pub(super) channel: String,
}

impl Keys {
    pub(super) fn of(room: &str) -> Self {
        let key = |part: &str| format!("{PREFIX}room:{room}:{part}");
        Self {
            meta: key("meta"),
            posts: key("posts"),
            ids: key("ids"),
            members: key("members"),
            channel: channel(room),
        }
    }
}

/// The channel room `room`'s events are published on.
pub(super) fn channel(room: &str) -> String {
    format!("{PREFIX}room:{room}")
}

/// The room a channel is for.
pub(super) fn room_of(channel: &str) -> Option<&str> {
    channel.strip_prefix(PREFIX)?.strip_prefix("room:")
}

/// The prefix of the relays' heartbeat keys: `duplex:relay:ID` exists while relay ID is alive.
pub(super) const HEARTBEAT_PREFIX: &str = "duplex:relay:";

/// The key of a `(from, id)` pair in a room's re-send memory (nicks hold no control
/// characters, so the NUL cannot be part of one).
pub(super) fn post_key(from_key: &str, id: &str) -> String {
    format!("{from_key}\0{id}")
}

/// A member as the room's members hash holds it.
#[derive(Debug, Serialize)]
pub(super) struct MemberRecord<'a> {
    /// The relay it is connected to.
    pub(super) relay: &'a str,
    /// Its connection: `relay:peer`.
    pub(super) owner: &'a str,
    /// Its session, or empty.
    pub(super) session: &'a str,
    /// The nick as shown.
    pub(super) nick: &'a str,
}

/// Who holds a connection, as the scripts compare it.
pub(super) fn owner(relay: &str, peer: u64) -> String {
    format!("{relay}:{peer}")
}

/// An event on a room's channel, decoded.
#[derive(Debug)]
pub(super) enum Published {
    /// For every member.
    Event(Event),
    /// The connection `owner` was replaced by a new one of its session.
    Replaced { owner: String },
}

/// Decodes a message of a room's channel; `None` if it is not one this relay writes.
pub(super) fn decode(payload: &[u8]) -> Option<Published> {
    let (&tag, rest) = payload.split_first()?;
    if tag == b'r' {
        let owner = std::str::from_utf8(rest).ok()?.to_owned();
        return Some(Published::Replaced { owner });
    }
    let newline = rest.iter().position(|&byte| byte == b'\n')?;
    let number: u64 = std::str::from_utf8(&rest[..newline]).ok()?.parse().ok()?;
    let rest = &rest[newline + 1..];
    let event = match tag {
        b't' => Event::Post(Stored {
            post: post(rest, number)?,
            bytes: None,
        }),
        b'i' => {
            let newline = rest.iter().position(|&byte| byte == b'\n')?;
            Event::Post(Stored {
                post: post(&rest[..newline], number)?,
                bytes: Some(Bytes::copy_from_slice(&rest[newline + 1..])),
            })
        }
        b'j' | b'l' => {
            let nick = std::str::from_utf8(rest).ok()?.to_owned();
            if tag == b'j' {
                Event::Joined { nick, pv: number }
            } else {
                Event::Left { nick, pv: number }
            }
        }
        _ => return None,
    };
    Some(Published::Event(event))
}

/// A post's stored JSON (`seq` 0) with its `seq`.
pub(super) fn post(json: &[u8], seq: u64) -> Option<Post> {
    let mut post: Post = serde_json::from_slice(json).ok()?;
    match &mut post {
        Post::Message(message) => message.seq = seq,
        Post::Image(image) => image.seq = seq,
    }
    Some(post)
}

/// A stream entry's fields as a post under `seq`.
pub(super) fn stored(seq: u64, mut fields: HashMap<String, Vec<u8>>) -> Option<Stored> {
    let post = post(fields.get("p")?, seq)?;
    Some(Stored {
        post,
        bytes: fields.remove("b").map(Bytes::from),
    })
}

/// The `seq` of a stream entry id `seq-0`.
pub(super) fn entry_seq(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TextMessage;

    fn text(seq: u64) -> Post {
        Post::Message(TextMessage {
            seq,
            id: "m1".into(),
            from: "ada".into(),
            text: "hi\nthere".into(),
            ts: 7,
        })
    }

    #[test]
    fn a_text_post_decodes_with_the_seq_of_its_event() {
        let json = serde_json::to_vec(&text(0)).expect("a post encodes");
        let mut payload = b"t42\n".to_vec();
        payload.extend(&json);
        let Some(Published::Event(Event::Post(stored))) = decode(&payload) else {
            panic!("not a post: {payload:?}");
        };
        assert_eq!(stored.post, text(42));
        assert!(stored.bytes.is_none());
    }

    #[test]
    fn an_image_keeps_every_byte_after_its_json() {
        let json =
            br#"{"type":"image","seq":0,"id":"i","from":"ada","mime":"image/png","size":3,"ts":1}"#;
        let mut payload = b"i5\n".to_vec();
        payload.extend(json);
        payload.extend(b"\n\n\x00\n");
        let Some(Published::Event(Event::Post(stored))) = decode(&payload) else {
            panic!("not a post");
        };
        assert_eq!(stored.post.seq(), 5);
        assert_eq!(stored.bytes.as_deref(), Some(&b"\n\x00\n"[..]));
    }

    #[test]
    fn presence_and_replacement_decode() {
        assert!(matches!(
            decode(b"j3\nAda Lovelace"),
            Some(Published::Event(Event::Joined { nick, pv: 3 })) if nick == "Ada Lovelace"
        ));
        assert!(matches!(
            decode(b"l4\nada"),
            Some(Published::Event(Event::Left { pv: 4, .. }))
        ));
        assert!(matches!(
            decode(b"rab12:7"),
            Some(Published::Replaced { owner }) if owner == "ab12:7"
        ));
    }

    #[test]
    fn foreign_or_broken_messages_are_not_events() {
        for payload in [
            &b""[..],
            b"x1\n",
            b"tnot-a-number\n{}",
            b"t1\nnot json",
            b"j1",
        ] {
            assert!(decode(payload).is_none(), "{payload:?}");
        }
    }

    #[test]
    fn keys_and_channels_name_their_room() {
        let keys = Keys::of("lobby");
        assert_eq!(keys.posts, "duplex:room:lobby:posts");
        assert_eq!(room_of(&keys.channel), Some("lobby"));
        assert_eq!(entry_seq("17-0"), Some(17));
    }
}
