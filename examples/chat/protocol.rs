//! The chat protocol's frames (docs/protocol.md), as serde types.

use serde::{Deserialize, Serialize};

/// A frame the page sends (the heartbeat's `{"type":"ping"}` aside).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outgoing<'a> {
    Join {
        room: &'a str,
        nick: &'a str,
        session: &'a str,
    },
    Say {
        id: &'a str,
        text: &'a str,
    },
    Image {
        id: &'a str,
        mime: &'a str,
        size: u64,
    },
}

/// A frame the relay sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Incoming {
    Welcome {
        members: Vec<String>,
        history: Vec<Incoming>,
    },
    Message(Said),
    Image(ImageMeta),
    Joined {
        nick: String,
    },
    Left {
        nick: String,
    },
    Pong,
    Error {
        code: String,
        message: String,
    },
    #[serde(other)]
    Unknown,
}

/// A text message as the relay broadcasts it.
#[derive(Debug, Clone, Deserialize)]
pub struct Said {
    pub id: String,
    pub from: String,
    pub text: String,
    pub ts: f64,
}

/// An image's announcement; its bytes follow as the next binary frame.
#[derive(Debug, Clone, Deserialize)]
pub struct ImageMeta {
    pub id: String,
    pub from: String,
    pub ts: f64,
}
