//! `GET /echo`: every text and binary message comes back unchanged and in order.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{FutureExt, SinkExt, Stream, StreamExt};

use crate::AppState;
use crate::closes::TagRecorder;
use crate::logging::{self, Conn};
use crate::protocol::{REASON_IDLE, REASON_RESTARTING};
use crate::violation;

/// Frame and message limit: browsers send 16 MiB messages in the tests.
pub(crate) const MAX_MESSAGE: usize = 64 << 20;

/// How long a close started by the relay waits for the client's Close before dropping TCP (and,
/// on `/chat`, to send its own).
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits every WebSocket endpoint uses.
pub(crate) fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE)
}

pub(crate) async fn echo(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Response {
    let tag = params
        .get("tag")
        .filter(|_| state.config().test_endpoints)
        .cloned();
    configure(ws).on_upgrade(move |mut socket| async move {
        let mut recorder = tag.map(|tag| state.closes().open(&tag));
        state
            .tracker()
            .run(
                conn,
                echo_until_stopped(&state, &mut socket, recorder.as_mut()),
            )
            .await;
    })
}

/// Echoes until the connection ends. A received Close is answered by tungstenite itself with
/// the same code and reason (no body for no body); the reply goes out on the next read or
/// flush, which this loop always makes before it returns. A client that breaks the protocol
/// gets every echo already queued, then the Close the RFC asks for ([`violation::close_for`]);
/// one that sends nothing for `idle` gets 1001, "idle for too long".
pub(crate) async fn echo_messages(
    socket: &mut WebSocket,
    mut recorder: Option<&mut TagRecorder>,
    idle: Duration,
) {
    loop {
        // Replies are queued with `feed` and flushed only once no further message is already
        // waiting, so a burst of messages goes out in few writes.
        let next = match socket.next().now_or_never() {
            Some(next) => next,
            None => {
                if let Err(error) = socket.flush().await {
                    return logging::failed(&error);
                }
                match tokio::time::timeout(idle, socket.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        let reason = Utf8Bytes::from_static(REASON_IDLE);
                        return close(socket, close_code::AWAY, reason).await;
                    }
                }
            }
        };
        match next {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                if let Err(error) = socket.feed(message).await {
                    return logging::failed(&error);
                }
            }
            Some(Ok(Message::Close(frame))) => {
                logging::received_close(frame.as_ref());
                if let Some(recorder) = recorder.as_deref_mut() {
                    recorder.close(frame.as_ref());
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Err(error)) => {
                logging::failed(&error);
                if let Some(frame) = violation::close_for(&error) {
                    // What was echoed before the bad frame goes out first.
                    if let Err(error) = socket.flush().await {
                        return logging::failed(&error);
                    }
                    close(socket, frame.code, frame.reason).await;
                }
                return;
            }
            None => return,
        }
    }
}

/// Echoes like [`echo_messages`] until the connection ends or the relay shuts down; on
/// shutdown, closes with 1012 (service restart).
pub(crate) async fn echo_until_stopped(
    state: &AppState,
    socket: &mut WebSocket,
    recorder: Option<&mut TagRecorder>,
) {
    tokio::select! {
        () = echo_messages(socket, recorder, state.config().idle_timeout) => {}
        () = state.stopping() => close_restarting(socket).await,
    }
}

/// Closes with 1012 (service restart), "relay restarting", and completes the handshake.
pub(crate) async fn close_restarting(socket: &mut WebSocket) {
    let reason = Utf8Bytes::from_static(REASON_RESTARTING);
    close(socket, close_code::RESTART, reason).await;
}

/// Sends Close(`code`, `reason`) and completes the closing handshake with [`drain`].
pub(crate) async fn close(socket: &mut WebSocket, code: u16, reason: Utf8Bytes) {
    logging::sent_close(code, &reason);
    if let Err(error) = socket
        .send(Message::Close(Some(CloseFrame { code, reason })))
        .await
    {
        return logging::failed(&error);
    }
    drain(socket).await;
}

/// Reads (and discards) until the client's Close, bounded by [`CLOSE_TIMEOUT`], after the
/// relay's Close was sent.
pub(crate) async fn drain<S>(stream: &mut S)
where
    S: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let drain = async {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Close(frame) = message {
                logging::received_close(frame.as_ref());
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, drain).await;
}
