//! The relay binary's log on stderr, filtered by `RUST_LOG`.
//!
//! Covers: stdout's first line is still the URL (the harness reads it); one `opened` line per
//! WebSocket connection with its path, peer address and id, and one `closed` line with the
//! Close frames received and sent (codes and reasons), on /chat and a fault endpoint; a refused
//! handshake logged with its status and reason.

mod common;

use common::chat::Chat;
use common::process::RelayProcess;
use common::{TempDir, UPGRADE, http_get, read_to_end, within};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The one line of `log` that contains every piece of `wanted`.
fn line<'a>(log: &'a str, wanted: &[&str]) -> &'a str {
    log.lines()
        .find(|line| wanted.iter().all(|piece| line.contains(piece)))
        .unwrap_or_else(|| panic!("no line with {wanted:?} in the log:\n{log}"))
}

#[tokio::test]
async fn connections_their_closes_and_refusals_are_logged() {
    let data = TempDir::new();
    let relay = RelayProcess::start(data.path(), &["--test-endpoints"]);
    let log_path = relay.log.clone();

    let mut chat = Chat::connect_to(relay.addr).await;
    chat.join_here("logged", "ann", None).await;
    let bye = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    within(chat.ws.send(Message::Close(Some(bye))))
        .await
        .expect("send Close");
    within(read_to_end(&mut chat.ws)).await;

    let (mut closing, _) = within(tokio_tungstenite::connect_async(format!(
        "ws://{}/test/close?code=4000&reason=done",
        relay.addr
    )))
    .await
    .expect("WebSocket handshake");
    within(read_to_end(&mut closing)).await;

    let mut headers = UPGRADE.to_vec();
    headers.push(("Origin", "https://evil.example"));
    assert_eq!(
        within(http_get(relay.addr, "/echo", &headers)).await.status,
        403
    );

    relay.terminate();
    let log = std::fs::read_to_string(&log_path).expect("read the relay's log");
    let opened = line(&log, &["path=/chat", "ws{id=", "opened"]);
    assert!(opened.contains("peer=127.0.0.1:"), "{opened}");
    line(
        &log,
        &[
            "path=/chat",
            "received_code=1000",
            "received_reason=\"bye\"",
            "closed",
        ],
    );
    line(
        &log,
        &[
            "path=/test/close",
            "sent_code=4000",
            "sent_reason=\"done\"",
            "closed",
        ],
    );
    line(
        &log,
        &[
            "path=/echo",
            "origin=\"https://evil.example\"",
            "status=403",
            "this Origin is not allowed",
            "WebSocket handshake refused",
        ],
    );
}
