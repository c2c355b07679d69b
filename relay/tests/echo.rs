//! `GET /echo` and the static files, always on.
//!
//! Covers: index.html at `/`, a .wasm file as application/wasm, 404 for a missing file, the
//! cross-origin isolation headers; `/test/*`
//! is 404 without the flag (even when the root has a `test/` folder); text echoed as text and
//! binary as binary, in order; 64 KiB+ and 17 MiB messages (above tungstenite's default frame
//! limit); a ping is answered with a pong and not echoed; Close with code and reason and Close
//! without a body are answered in kind, exactly once, then TCP ends.

mod common;

use common::{Relay, next_message, read_to_end, within};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn static_files_are_served() {
    let relay = Relay::with_test_endpoints(false).await;
    relay
        .root
        .write("www/app.js", b"import init from './pkg/chat.js';");
    relay.root.write("www/pkg/chat_bg.wasm", b"\0asm\x01\0\0\0");

    let index = relay.get("/").await;
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), "<!doctype html><title>duplex</title>");
    assert!(
        index
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );

    let script = relay.get("/www/app.js").await;
    assert_eq!(script.status, 200);
    assert_eq!(script.text(), "import init from './pkg/chat.js';");

    let wasm = relay.get("/www/pkg/chat_bg.wasm").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");

    assert_eq!(relay.get("/missing.html").await.status, 404);
}

#[tokio::test]
async fn pages_are_cross_origin_isolated() {
    let relay = Relay::with_test_endpoints(false).await;
    relay.root.write("www/bench.html", b"<!doctype html>");
    for path in ["/", "/www/bench.html"] {
        let page = relay.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert_eq!(
            page.header("cross-origin-embedder-policy"),
            Some("require-corp")
        );
    }
}

#[tokio::test]
async fn test_endpoints_are_404_without_the_flag() {
    let relay = Relay::with_test_endpoints(false).await;
    relay
        .root
        .write("test/connections", b"a file that must not be served");
    for path in [
        "/test",
        "/test/",
        "/test/connections",
        "/test/drop-all",
        "/test/refuse?ms=1000",
        "/test/closed-port",
        "/test/not-websocket",
        "/test/close-seen?tag=a",
    ] {
        let response = relay.get(path).await;
        assert_eq!(response.status, 404, "GET {path}");
    }
    let refused = relay.try_ws("/test/close", &[]).await;
    assert!(refused.is_err(), "a WebSocket to /test/close must fail");
    // The tag is ignored without the flag, and the echo still works.
    let mut ws = relay.ws("/echo?tag=x").await;
    within(ws.send(Message::text("still echoing")))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text("still echoing"));
}

#[tokio::test]
async fn text_and_binary_come_back_in_kind_and_in_order() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;
    let sent: Vec<Message> = (0..200u32)
        .map(|i| {
            if i % 3 == 0 {
                Message::binary(i.to_be_bytes().to_vec())
            } else {
                Message::text(format!("message {i} é✓"))
            }
        })
        .collect();
    for message in &sent {
        within(ws.feed(message.clone())).await.expect("feed");
    }
    within(ws.flush()).await.expect("flush");
    for expected in &sent {
        assert_eq!(&next_message(&mut ws).await, expected);
    }
    within(ws.send(Message::text(""))).await.expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text(""));
    within(ws.send(Message::binary(Vec::new())))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::binary(Vec::new()));
}

#[tokio::test]
async fn large_messages_come_back_whole() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;

    let text: String = (0..70_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    within(ws.send(Message::text(text.clone())))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text(text));

    // 17 MiB in one frame: above tungstenite's default 16 MiB frame limit.
    let binary: Vec<u8> = (0..17 << 20).map(|i: u32| (i % 251) as u8).collect();
    within(ws.send(Message::binary(binary.clone())))
        .await
        .expect("send");
    match next_message(&mut ws).await {
        Message::Binary(echoed) => assert!(echoed == binary, "the 17 MiB echo differs"),
        other => panic!("expected a binary message, got {other:?}"),
    }
}

#[tokio::test]
async fn ping_is_answered_not_echoed() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;
    within(ws.send(Message::Ping(b"are you there".to_vec().into())))
        .await
        .expect("ping");
    within(ws.send(Message::text("after the ping")))
        .await
        .expect("send");
    assert_eq!(
        next_message(&mut ws).await,
        Message::Pong(b"are you there".to_vec().into())
    );
    assert_eq!(next_message(&mut ws).await, Message::text("after the ping"));
}

#[tokio::test]
async fn close_with_code_and_reason_is_answered_in_kind_once() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;
    let frame = CloseFrame {
        code: CloseCode::from(4001),
        reason: "bye for now".into(),
    };
    within(ws.send(Message::Close(Some(frame.clone()))))
        .await
        .expect("close");
    let (messages, error) = read_to_end(&mut ws).await;
    assert_eq!(messages, vec![Message::Close(Some(frame))]);
    assert!(error.is_none(), "expected a clean end, got {error:?}");
}

#[tokio::test]
async fn close_without_body_is_answered_without_body() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;
    within(ws.send(Message::Close(None))).await.expect("close");
    let (messages, error) = read_to_end(&mut ws).await;
    assert_eq!(messages, vec![Message::Close(None)]);
    assert!(error.is_none(), "expected a clean end, got {error:?}");
}

#[tokio::test]
async fn close_with_a_reserved_code_is_answered_with_1002() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/echo").await;
    // 1006 must never be sent; tungstenite answers such a Close with 1002.
    let frame = CloseFrame {
        code: CloseCode::from(1006),
        reason: "".into(),
    };
    within(ws.send(Message::Close(Some(frame))))
        .await
        .expect("close");
    let (messages, _) = read_to_end(&mut ws).await;
    match messages.as_slice() {
        [Message::Close(Some(reply))] => assert_eq!(reply.code, CloseCode::Protocol),
        other => panic!("expected one Close 1002, got {other:?}"),
    }
}
