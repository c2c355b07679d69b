//! The plain-HTTP controls under `/test/*`, and query validation.
//!
//! Covers: JSON answers with `Access-Control-Allow-Origin: *` and `Cache-Control: no-store`;
//! /test/connections (count, wait_for long poll, timeout); /test/close-seen (Close with code,
//! Close without body, drop, drop-all, still open, never seen); /test/drop-all (every endpoint,
//! no Close frame); /test/refuse (503 for every upgrade, plain HTTP unaffected, `ms=0` ends it,
//! upgrades accepted again after the window); /test/refuse-posts (the chat refuses every `say`
//! with the text asked for, with the code asked for, counts them, and stops when asked);
//! /test/closed-port (nothing listens); a 400 with a
//! plain message for every invalid query value.

mod common;

use std::time::{Duration, Instant};

use common::chat::Chat;
use common::{Relay, UPGRADE, http_get, is_reset_without_close, read_to_end, within};
use duplex_relay::protocol::{ErrorCode, ServerMessage};
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

#[tokio::test]
async fn controls_answer_json_to_any_origin_uncached() {
    let relay = Relay::start().await;
    for path in [
        "/test/connections",
        "/test/close-seen?tag=none&timeout_ms=0",
        "/test/drop-all",
        "/test/refuse?ms=0",
        "/test/refuse-posts",
        "/test/closed-port",
    ] {
        let response = relay.get(path).await;
        assert_eq!(response.status, 200, "GET {path}");
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        serde_json::from_slice::<Value>(&response.body).expect("JSON");
    }
    let bad = relay.get("/test/flood?count=x").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.header("access-control-allow-origin"), Some("*"));
    let missing = relay.get("/test/no-such-endpoint").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn connections_counts_and_waits() {
    let relay = Relay::start().await;
    assert_eq!(relay.json("/test/connections").await, json!({ "live": 0 }));

    let waiter = {
        let addr = relay.addr;
        tokio::spawn(async move { http_get(addr, "/test/connections?wait_for=2", &[]).await })
    };
    let first = relay.ws("/echo").await;
    let _second = relay.ws("/test/flood?count=1").await;
    let answer = within(waiter).await.expect("the long poll");
    assert_eq!(answer.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&answer.body).expect("JSON"),
        json!({ "live": 2 })
    );

    drop(first);
    assert_eq!(
        relay.json("/test/connections?wait_for=1").await,
        json!({ "live": 1 })
    );

    let started = Instant::now();
    let timed_out = relay
        .json("/test/connections?wait_for=5&timeout_ms=150")
        .await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(timed_out, json!({ "live": 1 }));
}

#[tokio::test]
async fn close_seen_reports_a_close_with_code_and_reason() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo?tag=coded").await;
    let frame = CloseFrame {
        code: CloseCode::from(4100),
        reason: "tagged close".into(),
    };
    within(ws.send(Message::Close(Some(frame))))
        .await
        .expect("close");
    read_to_end(&mut ws).await;
    assert_eq!(
        relay.json("/test/close-seen?tag=coded").await,
        json!({ "state": "close", "code": 4100, "reason": "tagged close" })
    );
}

#[tokio::test]
async fn close_seen_reports_a_close_without_body() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo?tag=bodiless").await;
    // Asked before the close happens: the long poll answers when the connection ends.
    let seen = {
        let addr = relay.addr;
        tokio::spawn(async move { http_get(addr, "/test/close-seen?tag=bodiless", &[]).await })
    };
    within(ws.send(Message::Close(None))).await.expect("close");
    read_to_end(&mut ws).await;
    let seen = within(seen).await.expect("the long poll");
    assert_eq!(
        serde_json::from_slice::<Value>(&seen.body).expect("JSON"),
        json!({ "state": "close", "code": null, "reason": "" })
    );
}

#[tokio::test]
async fn close_seen_reports_a_drop() {
    let relay = Relay::start().await;
    let ws = relay.ws("/echo?tag=dropped").await;
    drop(ws);
    assert_eq!(
        relay.json("/test/close-seen?tag=dropped").await,
        json!({ "state": "dropped" })
    );

    let _ws = relay.ws("/echo?tag=dropped-by-relay").await;
    relay.json("/test/drop-all").await;
    assert_eq!(
        relay.json("/test/close-seen?tag=dropped-by-relay").await,
        json!({ "state": "dropped" })
    );
}

#[tokio::test]
async fn close_seen_times_out_while_open_or_never_seen() {
    let relay = Relay::start().await;
    let _open = relay.ws("/echo?tag=open").await;
    assert_eq!(
        relay.json("/test/close-seen?tag=open&timeout_ms=100").await,
        json!({ "state": "timeout" })
    );
    assert_eq!(
        relay
            .json("/test/close-seen?tag=never&timeout_ms=100")
            .await,
        json!({ "state": "timeout" })
    );
}

#[tokio::test]
async fn drop_all_drops_every_endpoint_without_a_close_frame() {
    let relay = Relay::start().await;
    let mut sockets = vec![
        relay.ws("/echo").await,
        relay.ws("/test/slow").await,
        relay.ws("/test/protocol").await,
        relay.ws("/test/drop?delay_ms=60000").await,
        relay.ws("/test/close?delay_ms=60000").await,
        relay.ws("/test/flood?count=1").await,
        relay.ws("/test/blackhole").await,
    ];
    assert_eq!(
        relay.json("/test/connections?wait_for=7").await,
        json!({ "live": 7 })
    );
    assert_eq!(relay.json("/test/drop-all").await, json!({ "dropped": 7 }));
    for ws in &mut sockets {
        let (messages, error) = read_to_end(ws).await;
        let unexpected: Vec<&Message> = messages
            .iter()
            .filter(|message| !message.is_text())
            .collect();
        assert!(
            unexpected.is_empty(),
            "no Close frame expected: {unexpected:?}"
        );
        assert!(is_reset_without_close(&error.expect("an abrupt end")));
    }
    assert_eq!(
        relay.json("/test/connections?wait_for=0").await,
        json!({ "live": 0 })
    );

    // Later connections are not affected.
    let mut ws = relay.ws("/echo").await;
    within(ws.send(Message::text("new"))).await.expect("send");
    assert_eq!(common::next_message(&mut ws).await, Message::text("new"));
}

#[tokio::test]
async fn refuse_answers_503_to_every_upgrade_until_it_ends() {
    let relay = Relay::start().await;
    assert_eq!(
        relay.json("/test/refuse?ms=60000").await,
        json!({ "refusing_ms": 60000 })
    );
    for path in [
        "/echo",
        "/test/flood",
        "/test/blackhole",
        "/test/bad-handshake",
    ] {
        match relay.try_ws(path, &[]).await {
            Err(Error::Http(response)) => assert_eq!(response.status(), 503, "{path}"),
            other => panic!("{path}: expected a 503, got {other:?}"),
        }
    }
    assert_eq!(relay.get("/").await.status, 200);
    assert_eq!(relay.json("/test/connections").await, json!({ "live": 0 }));

    assert_eq!(
        relay.json("/test/refuse?ms=0").await,
        json!({ "refusing_ms": 0 })
    );
    relay.ws("/echo").await;
}

#[tokio::test]
async fn refuse_window_expires() {
    let relay = Relay::start().await;
    relay.json("/test/refuse?ms=1000").await;
    // The window started before the answer came back, so it is over 1 s after the answer.
    let answered = Instant::now();
    assert!(relay.try_ws("/echo", &[]).await.is_err());
    // The window ends on a timer: there is no event to await instead.
    tokio::time::sleep_until((answered + Duration::from_millis(1000)).into()).await;
    relay.ws("/echo").await;
}

#[tokio::test]
async fn closed_port_refuses_connections() {
    let relay = Relay::start().await;
    let answer = relay.json("/test/closed-port").await;
    let port = answer["port"].as_u64().expect("a port number");
    let port = u16::try_from(port).expect("a u16 port");
    assert_ne!(port, 0);
    let connected = within(TcpStream::connect(("127.0.0.1", port))).await;
    let error = connected.expect_err("nothing listens on the closed port");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn invalid_query_values_are_a_plain_400() {
    let relay = Relay::start().await;
    let upgrade_paths = [
        ("/test/close?code=999", "code"),
        ("/test/close?code=5000", "code"),
        ("/test/close?code=abc", "code"),
        ("/test/close?code=70000", "code"),
        ("/test/close?delay_ms=-1", "delay_ms"),
        ("/test/drop?delay_ms=1.5", "delay_ms"),
        ("/test/slow?delay_ms=600001", "delay_ms"),
        ("/test/flood?count=10000001", "count"),
        ("/test/flood?size=16777217", "size"),
        ("/test/flood?binary=2", "binary"),
        ("/test/flood?close=yes", "close"),
        ("/test/invalid-frame?kind=nope", "kind"),
        ("/test/bad-handshake?kind=nope", "kind"),
    ];
    for (path, parameter) in upgrade_paths {
        let response = within(http_get(relay.addr, path, &UPGRADE)).await;
        assert_eq!(response.status, 400, "{path}");
        assert!(
            response.text().contains(parameter),
            "{path}: {}",
            response.text()
        );
    }
    let reason = "r".repeat(124);
    let response = within(http_get(
        relay.addr,
        &format!("/test/close?reason={reason}"),
        &UPGRADE,
    ))
    .await;
    assert_eq!(response.status, 400);
    assert!(response.text().contains("reason"));

    for (path, parameter) in [
        ("/test/connections?wait_for=x", "wait_for"),
        ("/test/connections?wait_for=1&timeout_ms=x", "timeout_ms"),
        ("/test/close-seen", "tag"),
        ("/test/close-seen?tag=a&timeout_ms=-5", "timeout_ms"),
        ("/test/refuse", "ms"),
        ("/test/refuse?ms=soon", "ms"),
    ] {
        let response = relay.get(path).await;
        assert_eq!(response.status, 400, "{path}");
        assert!(
            response.text().contains(parameter),
            "{path}: {}",
            response.text()
        );
    }
    // Still serving after all that.
    assert_eq!(relay.json("/test/connections").await, json!({ "live": 0 }));
}

#[tokio::test]
async fn refuse_posts_refuses_the_text_asked_for_until_cleared() {
    let relay = Relay::start().await;
    assert_eq!(
        relay
            .json("/test/refuse-posts?containing=POISON&code=bad-text")
            .await,
        json!({ "refused": 0 })
    );
    let (mut ada, _) = Chat::join(&relay, "poison", "ada").await;
    ada.say("p1", "a POISON pill").await;
    match ada.recv().await {
        ServerMessage::Error { code, id, .. } => {
            assert_eq!((code, id.as_deref()), (ErrorCode::BadText, Some("p1")));
        }
        other => panic!("expected bad-text, got {other:?}"),
    }
    ada.say("ok", "harmless").await;
    ada.ack("ok").await;
    assert_eq!(
        relay.json("/test/refuse-posts").await,
        json!({ "refused": 1 })
    );
    ada.say("p2", "POISON, but no longer refused").await;
    ada.ack("p2").await;

    let unknown = relay
        .get("/test/refuse-posts?containing=x&code=no-such-code")
        .await;
    assert_eq!(unknown.status, 400);
}
