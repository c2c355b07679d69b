//! `GET /chat`: one connection of the chat protocol ([`crate::protocol`]): the rate limit,
//! the abuse rules, the pending image, and the outgoing queue that the rooms fill.

use std::ops::ControlFlow;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::AppState;
use crate::bucket::TokenBucket;
use crate::echo::drain;
use crate::logging::{self, Conn};
use crate::protocol::{
    BAD_REQUEST_LIMIT, ClientMessage, ErrorCode, FLOOD_LIMIT, MAX_IMAGE_BYTES,
    MAX_TEXT_FRAME_BYTES, QUEUE_FRAMES, RATE_BURST, RATE_PER_SECOND, REASON_BAD_REQUESTS,
    REASON_BUSY, REASON_FLOODING, REASON_IDLE, REASON_NO_JOIN, REASON_RESTARTING,
    REASON_STORE_LOST, REASON_TOO_BIG, REASON_TOO_SLOW, Rejection, ServerMessage,
};
use crate::rooms::Peer;
use crate::store::{Content, JoinError, JoinRequest, Membership, NewPost, Posted, StoreError};
use crate::violation;
use crate::writer::{Queued, Writer};

/// The transport's message and frame limit: a little above the largest frame the protocol
/// allows, so that the relay itself sees an oversized frame and closes with 1008 (tungstenite
/// would end the connection with an error instead).
const MAX_WS_MESSAGE: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// How much tungstenite reads from the socket at once: the largest text frame the protocol
/// allows. Tungstenite zeroes this much before every read attempt, and a connection's reads are
/// attempted each time its task wakes to write, so its default of 128 KiB made zeroing memory
/// the relay's largest cost per delivery; it is also held by every connection, idle or not.
const READ_BUFFER: usize = MAX_TEXT_FRAME_BYTES;

pub(crate) async fn chat(
    State(state): State<AppState>,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(MAX_WS_MESSAGE)
        .max_frame_size(MAX_WS_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let tracker = state.tracker().clone();
            let peer = conn.id();
            tracker.run(conn, connection(state, socket, peer)).await;
        })
}

/// Runs one connection, known to the rooms as `peer`: reads and answers the client while its
/// [`Writer`] writes what the rooms queue for it, and closes it when the relay or the rooms ask.
async fn connection(state: AppState, socket: WebSocket, peer: u64) {
    let (sink, mut stream) = socket.split();
    let (outbox, queued) = mpsc::channel(QUEUE_FRAMES);
    let (welcome, welcomes) = mpsc::unbounded_channel();
    let (kick, mut kicked) = watch::channel(None);
    let peer = Peer::new(peer, outbox, welcome, kick);
    let mut session = Session::new(state.clone(), peer);
    let mut writer = Writer::spawn(sink, Queued { welcomes, queued });
    let closing = tokio::select! {
        closing = session.read(&mut stream) => closing,
        () = writer.failed() => None,
        closing = close_requested(&mut kicked) => Some(closing),
        () = state.stopping() => Some(close_frame(close_code::RESTART, REASON_RESTARTING)),
    };
    if closing
        .as_ref()
        .is_some_and(|frame| frame.code == close_code::RESTART)
    {
        // Everyone is being closed: a `left` for each would only be noise before the 1012.
        session.leave_quietly();
    }
    // Leave first, so the others hear of it before the closing handshake ends.
    drop(session);
    if let Some(frame) = closing {
        logging::sent_close(frame.code, &frame.reason);
        if writer.close(frame).await {
            drain(&mut stream).await;
        }
    }
}

/// The Close frame the rooms asked for (replaced, too slow).
async fn close_requested(kicked: &mut watch::Receiver<Option<CloseFrame>>) -> CloseFrame {
    let frame = kicked
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|frame| frame.clone());
    match frame {
        Some(frame) => frame,
        // The sender lives in the peer, which outlives this wait.
        None => std::future::pending().await,
    }
}

fn close_frame(code: u16, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }
}

fn policy_violation(reason: &'static str) -> ControlFlow<CloseFrame> {
    ControlFlow::Break(close_frame(close_code::POLICY, reason))
}

/// An image announced and waiting for its binary frame.
#[derive(Debug)]
struct Announced {
    id: String,
    mime: String,
    size: u64,
}

/// What the relay knows about one client: its room, its pending image, its rate and its
/// misdeeds.
#[derive(Debug)]
struct Session {
    state: AppState,
    peer: Peer,
    joined: Option<Membership>,
    pending: Option<Announced>,
    bucket: TokenBucket,
    rate_limited: u32,
    bad_requests: u32,
}

impl Session {
    fn new(state: AppState, peer: Peer) -> Self {
        Self {
            state,
            peer,
            joined: None,
            pending: None,
            bucket: TokenBucket::new(RATE_PER_SECOND, RATE_BURST),
            rate_limited: 0,
            bad_requests: 0,
        }
    }

    /// Makes leaving the room (when this is dropped) silent: no `left` for the others.
    fn leave_quietly(&mut self) {
        if let Some(joined) = &mut self.joined {
            joined.leave_quietly();
        }
    }

    /// Handles frames until the client goes away (`None`) or must be closed (the frame to
    /// close with): it broke the protocol, did not join within the join timeout, or sent
    /// nothing for the idle timeout.
    async fn read(&mut self, stream: &mut SplitStream<WebSocket>) -> Option<CloseFrame> {
        let config = self.state.config();
        let (join_timeout, idle_timeout) = (config.join_timeout, config.idle_timeout);
        let join_by = Instant::now() + join_timeout;
        // A received Close is answered by tungstenite on the next read, which then ends.
        loop {
            let idle_by = Instant::now() + idle_timeout;
            let must_join = self.joined.is_none() && join_by < idle_by;
            let deadline = if must_join { join_by } else { idle_by };
            let Ok(next) = tokio::time::timeout_at(deadline, stream.next()).await else {
                return Some(if must_join {
                    close_frame(close_code::POLICY, REASON_NO_JOIN)
                } else {
                    close_frame(close_code::AWAY, REASON_IDLE)
                });
            };
            let flow = match next? {
                Ok(Message::Text(text)) => self.on_text(&text).await,
                Ok(Message::Binary(bytes)) => self.on_binary(bytes).await,
                Ok(Message::Close(frame)) => {
                    logging::received_close(frame.as_ref());
                    ControlFlow::Continue(())
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => ControlFlow::Continue(()),
                Err(error) => {
                    logging::failed(&error);
                    return violation::close_for(&error);
                }
            };
            if let ControlFlow::Break(frame) = flow {
                return Some(frame);
            }
        }
    }

    async fn on_text(&mut self, text: &str) -> ControlFlow<CloseFrame> {
        if text.len() > MAX_TEXT_FRAME_BYTES {
            return policy_violation(REASON_TOO_BIG);
        }
        if let Some(image) = self.pending.take() {
            let message = format!(
                "expected the binary frame of image {:?}, got a text frame: the image was dropped",
                image.id
            );
            self.bad(Rejection::new(ErrorCode::ExpectedBinary, message).about(Some(&image.id)))?;
        }
        if !self.bucket.take() {
            self.rate_limited += 1;
            if self.rate_limited >= FLOOD_LIMIT {
                return policy_violation(REASON_FLOODING);
            }
            let rejection = Rejection::new(
                ErrorCode::RateLimited,
                format!("over {RATE_PER_SECOND} frames a second: this one was dropped"),
            );
            let id = ClientMessage::post_id(text);
            self.reply(&ServerMessage::from(rejection.about(id.as_deref())));
            return ControlFlow::Continue(());
        }
        match ClientMessage::parse(text) {
            Ok(message) => self.handle(message).await,
            Err(rejection) => self.bad(rejection),
        }
    }

    async fn handle(&mut self, message: ClientMessage) -> ControlFlow<CloseFrame> {
        match message {
            ClientMessage::Ping => {
                self.reply(&ServerMessage::Pong);
                ControlFlow::Continue(())
            }
            ClientMessage::Join {
                room,
                nick,
                session,
                since,
            } => {
                if let Some(joined) = &self.joined {
                    let message = format!("already joined room {}", joined.room());
                    return self.bad(Rejection::new(ErrorCode::AlreadyJoined, message));
                }
                let nick = match crate::nick::keep(&nick) {
                    Ok(kept) => kept,
                    Err(rejection) => return self.bad(rejection),
                };
                self.join(JoinRequest {
                    room,
                    nick,
                    session,
                    since,
                })
                .await
            }
            ClientMessage::Say { id, text } => self.post(id, Content::Text(text)).await,
            ClientMessage::Image { id, mime, size } => {
                if self.joined.is_none() {
                    return self.bad(not_joined().about(Some(&id)));
                }
                self.pending = Some(Announced { id, mime, size });
                ControlFlow::Continue(())
            }
        }
    }

    async fn on_binary(&mut self, bytes: Bytes) -> ControlFlow<CloseFrame> {
        if bytes.len() > MAX_IMAGE_BYTES {
            return policy_violation(REASON_TOO_BIG);
        }
        let Some(image) = self.pending.take() else {
            return self.bad(Rejection::new(
                ErrorCode::UnexpectedBinary,
                "a binary frame must come right after an image announcement",
            ));
        };
        if bytes.len() as u64 != image.size {
            let message = format!(
                "image {:?} was announced as {} bytes, got {}: it was dropped",
                image.id,
                image.size,
                bytes.len()
            );
            return self
                .bad(Rejection::new(ErrorCode::SizeMismatch, message).about(Some(&image.id)));
        }
        let content = Content::Image {
            mime: image.mime,
            bytes,
        };
        self.post(image.id, content).await
    }

    /// Joins the room through the store: the welcome carries what the page missed since
    /// `since`. A store that cannot be read closes the connection with 1011, and a welcome that
    /// does not fit in the welcome memory now with 1013, so the page retries later.
    async fn join(&mut self, request: JoinRequest) -> ControlFlow<CloseFrame> {
        match self.state.store().join(request, &self.peer).await {
            Ok(membership) => {
                self.joined = Some(membership);
                ControlFlow::Continue(())
            }
            Err(JoinError::Rejected(rejection)) => self.bad(rejection),
            Err(JoinError::Store(error)) => {
                tracing::warn!(%error, "a join failed: closing the connection with 1011");
                ControlFlow::Break(close_frame(close_code::ERROR, REASON_STORE_LOST))
            }
            Err(JoinError::Busy) => {
                tracing::info!("a welcome does not fit in --welcome-memory-mib: closing with 1013");
                ControlFlow::Break(close_frame(close_code::AGAIN, REASON_BUSY))
            }
        }
    }

    /// Posts through the store; the sender's copy of the broadcast is its acknowledgement, and
    /// a post the store did not take gets `unavailable` and no acknowledgement.
    async fn post(&mut self, id: String, content: Content) -> ControlFlow<CloseFrame> {
        let Some(joined) = &self.joined else {
            return self.bad(not_joined().about(Some(&id)));
        };
        if let Some(rejection) = self.state.refused_post(&id, &content) {
            return self.bad(rejection);
        }
        let room = joined.room().to_owned();
        let rooms = self.state.rooms();
        let Some((from, from_key)) = rooms.sender(&room, self.peer.id()) else {
            return ControlFlow::Continue(());
        };
        let answer = id.clone();
        let post = NewPost {
            from,
            from_key,
            id,
            content,
        };
        match self.state.store().post(&room, post).await {
            Ok(Posted::New) => {}
            Ok(Posted::Again(original)) => rooms.acknowledge(&room, self.peer.id(), &original),
            Err(error) => {
                tracing::warn!(%error, %room, "a post was not stored: answered unavailable");
                self.unavailable(&error, &answer);
            }
        }
        ControlFlow::Continue(())
    }

    /// Tells the client its post was not stored; not a bad request.
    fn unavailable(&self, error: &StoreError, id: &str) {
        let rejection = Rejection::new(
            ErrorCode::Unavailable,
            format!(
                "{error}: the post was not acknowledged; send it again later (a re-send is never stored twice)"
            ),
        );
        self.reply(&ServerMessage::from(rejection.about(Some(id))));
    }

    /// Answers a bad request with its error, and on the [`BAD_REQUEST_LIMIT`]th closes the
    /// connection after it: every refused post is told, so a client never sends it again.
    fn bad(&mut self, rejection: Rejection) -> ControlFlow<CloseFrame> {
        self.bad_requests += 1;
        self.reply(&ServerMessage::from(rejection));
        if self.bad_requests >= BAD_REQUEST_LIMIT {
            return policy_violation(REASON_BAD_REQUESTS);
        }
        ControlFlow::Continue(())
    }

    /// Queues an answer for this client alone; a client too slow to take it is closed.
    fn reply(&self, message: &ServerMessage) {
        if !self.peer.queue(&[Message::Text(message.to_json().into())]) {
            self.peer.kick(close_code::AGAIN, REASON_TOO_SLOW);
        }
    }
}

fn not_joined() -> Rejection {
    Rejection::new(ErrorCode::NotJoined, "join a room first")
}
