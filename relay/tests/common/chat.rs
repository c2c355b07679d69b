//! A client of the chat protocol for the tests: joins, sends, and typed reads that fail the test
//! on anything unexpected.

use duplex_relay::protocol::{ClientMessage, ErrorCode, Post, ServerMessage, Since};
use std::net::SocketAddr;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use super::{Relay, Ws, next_message, read_to_end, within};

/// One chat connection, joined or not.
#[derive(Debug)]
pub struct Chat {
    pub ws: Ws,
    /// The nick the relay welcomed us with (empty before a join).
    pub nick: String,
}

/// A welcome and the bytes of the history's images that followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub nick: String,
    pub room: String,
    pub members: Vec<String>,
    pub epoch: String,
    pub seq: u64,
    pub history: Vec<Post>,
    pub complete: bool,
    pub images: Vec<Vec<u8>>,
}

impl Welcome {
    /// Where a page that read this welcome resumes from.
    pub fn since(&self) -> Since {
        Since {
            seq: self.seq,
            epoch: self.epoch.clone(),
        }
    }

    /// The seq numbers of the history, in order.
    pub fn seqs(&self) -> Vec<u64> {
        self.history.iter().map(Post::seq).collect()
    }
}

impl Chat {
    /// A connection to `/chat` that has not joined.
    pub async fn connect(relay: &Relay) -> Self {
        Self {
            ws: relay.ws("/chat").await,
            nick: String::new(),
        }
    }

    /// A connection to `/chat` of the relay at `addr` that has not joined.
    pub async fn connect_to(addr: SocketAddr) -> Self {
        let (ws, _) = within(tokio_tungstenite::connect_async(format!(
            "ws://{addr}/chat"
        )))
        .await
        .expect("WebSocket handshake");
        Self {
            ws,
            nick: String::new(),
        }
    }

    /// Connects and joins `room` as `nick`, without a session.
    pub async fn join(relay: &Relay, room: &str, nick: &str) -> (Self, Welcome) {
        Self::join_with(relay, room, nick, None).await
    }

    /// Connects and joins `room` as `nick` with `session`.
    pub async fn join_with(
        relay: &Relay,
        room: &str,
        nick: &str,
        session: Option<&str>,
    ) -> (Self, Welcome) {
        let mut chat = Self::connect(relay).await;
        let welcome = chat.join_here(room, nick, session).await;
        (chat, welcome)
    }

    /// Joins on this connection and reads the welcome.
    pub async fn join_here(&mut self, room: &str, nick: &str, session: Option<&str>) -> Welcome {
        self.join_since(room, nick, session, None).await
    }

    /// Joins on this connection, resuming after `since`, and reads the welcome.
    pub async fn join_since(
        &mut self,
        room: &str,
        nick: &str,
        session: Option<&str>,
        since: Option<Since>,
    ) -> Welcome {
        let mut join = join(room, nick, session);
        if let ClientMessage::Join { since: slot, .. } = &mut join {
            *slot = since;
        }
        self.send(&join).await;
        let welcome = self.welcome().await;
        self.nick = welcome.nick.clone();
        welcome
    }

    /// Reads a welcome and the binary frames of its history's images.
    pub async fn welcome(&mut self) -> Welcome {
        let ServerMessage::Welcome {
            nick,
            room,
            members,
            epoch,
            seq,
            history,
            complete,
        } = self.recv().await
        else {
            panic!("expected a welcome");
        };
        let mut images = Vec::new();
        for post in &history {
            if let Post::Image(image) = post {
                let bytes = self.recv_binary().await;
                assert_eq!(
                    bytes.len() as u64,
                    image.size,
                    "history image {}",
                    image.seq
                );
                images.push(bytes);
            }
        }
        Welcome {
            nick,
            room,
            members,
            epoch,
            seq,
            history,
            complete,
            images,
        }
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_raw(&message.to_json()).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        within(self.ws.send(Message::text(text)))
            .await
            .expect("send a text frame");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        within(self.ws.send(Message::binary(bytes)))
            .await
            .expect("send a binary frame");
    }

    pub async fn say(&mut self, id: &str, text: &str) {
        self.send(&say(id, text)).await;
    }

    /// Announces an image and sends its bytes.
    pub async fn image(&mut self, id: &str, mime: &str, bytes: &[u8]) {
        self.send(&image(id, mime, bytes.len())).await;
        self.send_binary(bytes.to_vec()).await;
    }

    /// The next frame, which must be a text frame of the protocol.
    pub async fn recv(&mut self) -> ServerMessage {
        match next_message(&mut self.ws).await {
            Message::Text(text) => serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{text} is not a server message: {error}")),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame, which must be a binary frame.
    pub async fn recv_binary(&mut self) -> Vec<u8> {
        match next_message(&mut self.ws).await {
            Message::Binary(bytes) => bytes.to_vec(),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// The next post (a message, or an image and its bytes).
    pub async fn recv_post(&mut self) -> (Post, Option<Vec<u8>>) {
        match self.recv().await {
            ServerMessage::Message(message) => (Post::Message(message), None),
            ServerMessage::Image(image) => {
                let bytes = self.recv_binary().await;
                assert_eq!(bytes.len() as u64, image.size);
                (Post::Image(image), Some(bytes))
            }
            other => panic!("expected a post, got {other:?}"),
        }
    }

    /// Reads (skipping everything else) until our own post with `id`: its acknowledgement.
    pub async fn ack(&mut self, id: &str) -> (Post, Option<Vec<u8>>) {
        loop {
            let (post, bytes) = match self.recv().await {
                ServerMessage::Message(message) => (Post::Message(message), None),
                ServerMessage::Image(image) => {
                    let bytes = self.recv_binary().await;
                    (Post::Image(image), Some(bytes))
                }
                _ => continue,
            };
            let (from, post_id) = match &post {
                Post::Message(message) => (&message.from, &message.id),
                Post::Image(image) => (&image.from, &image.id),
            };
            if *from == self.nick && post_id == id {
                return (post, bytes);
            }
        }
    }

    /// The next frame must be an error with `code`; returns its message.
    pub async fn expect_error(&mut self, code: ErrorCode) -> String {
        match self.recv().await {
            ServerMessage::Error {
                code: got, message, ..
            } => {
                assert_eq!(got, code, "{message}");
                message
            }
            other => panic!("expected error {code}, got {other:?}"),
        }
    }

    /// Pings and expects the very next frame to be the pong: nothing else was queued for us
    /// before it.
    pub async fn ping(&mut self) {
        self.send(&ClientMessage::Ping).await;
        assert_eq!(self.recv().await, ServerMessage::Pong);
    }

    /// Reads to the end; returns the Close frame's code and reason (the last frame).
    pub async fn closed(&mut self) -> (u16, String) {
        let (messages, _) = read_to_end(&mut self.ws).await;
        match messages.last() {
            Some(Message::Close(Some(frame))) => (u16::from(frame.code), frame.reason.to_string()),
            other => panic!("expected a Close frame last, got {other:?}"),
        }
    }
}

pub fn join(room: &str, nick: &str, session: Option<&str>) -> ClientMessage {
    ClientMessage::Join {
        room: room.to_owned(),
        nick: nick.to_owned(),
        session: session.map(str::to_owned),
        since: None,
    }
}

pub fn say(id: &str, text: &str) -> ClientMessage {
    ClientMessage::Say {
        id: id.to_owned(),
        text: text.to_owned(),
    }
}

pub fn image(id: &str, mime: &str, size: usize) -> ClientMessage {
    ClientMessage::Image {
        id: id.to_owned(),
        mime: mime.to_owned(),
        size: size as u64,
    }
}

/// `len` bytes that differ from one image to the next.
pub fn picture(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}
