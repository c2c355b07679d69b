//! The misbehaving WebSocket endpoints under `/test/*`.
//!
//! Covers: /test/close (code, reason, delay, defaults, completes the closing handshake);
//! /test/drop (echoes, then TCP ends without a Close frame); /test/slow (handshake takes at
//! least the delay, then echoes); /test/protocol (the first offered protocol that is accepted,
//! none when nothing matches); /test/bad-handshake (wrong accept, unoffered protocol: both
//! rejected by tungstenite); /test/not-websocket; /test/invalid-frame ("valid" first, then a
//! reserved opcode or invalid UTF-8 is an error; with wait=1 only after the client's first frame); /test/after-close (Close then "late", never
//! delivered); /test/flood (text and binary layout, order, close=1, echo afterwards);
//! /test/blackhole (a valid handshake, then silence until drop-all).

mod common;

use std::time::{Duration, Instant};

use common::{
    Relay, UPGRADE, UPGRADE_ACCEPT, http_get, is_reset_without_close, next_message, read_to_end,
    within,
};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

#[tokio::test]
async fn close_sends_the_code_and_reason_asked_for() {
    let relay = Relay::start().await;
    let mut ws = relay
        .ws("/test/close?code=4321&reason=server%20says%20bye")
        .await;
    let (messages, error) = read_to_end(&mut ws).await;
    assert_eq!(
        messages,
        vec![Message::Close(Some(CloseFrame {
            code: CloseCode::from(4321),
            reason: "server says bye".into(),
        }))]
    );
    assert!(
        error.is_none(),
        "the closing handshake should complete: {error:?}"
    );
}

#[tokio::test]
async fn close_defaults_to_1000_and_waits_for_the_delay() {
    let relay = Relay::start().await;
    let started = Instant::now();
    let mut ws = relay.ws("/test/close?delay_ms=300").await;
    within(ws.send(Message::text("before the close")))
        .await
        .expect("send");
    assert_eq!(
        next_message(&mut ws).await,
        Message::text("before the close")
    );
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        messages,
        vec![Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }))]
    );
    assert!(error.is_none(), "{error:?}");
}

#[tokio::test]
async fn drop_echoes_then_ends_tcp_without_a_close_frame() {
    let relay = Relay::start().await;
    let started = Instant::now();
    let mut ws = relay.ws("/test/drop?delay_ms=300").await;
    within(ws.send(Message::text("until then")))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text("until then"));
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        messages.is_empty(),
        "no Close frame expected, got {messages:?}"
    );
    let error = error.expect("an abrupt end");
    assert!(is_reset_without_close(&error), "{error:?}");
}

#[tokio::test]
async fn drop_without_delay_drops_at_once() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/drop").await;
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(messages.is_empty(), "{messages:?}");
    assert!(is_reset_without_close(&error.expect("an abrupt end")));
}

#[tokio::test]
async fn slow_handshake_takes_the_delay_then_echoes() {
    let relay = Relay::start().await;
    let started = Instant::now();
    let mut ws = relay.ws("/test/slow?delay_ms=400").await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    within(ws.send(Message::binary(vec![1, 2, 3])))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::binary(vec![1, 2, 3]));
}

#[tokio::test]
async fn protocol_selects_the_first_offered_that_is_accepted() {
    let relay = Relay::start().await;
    let (mut ws, response) = relay
        .try_ws(
            "/test/protocol?accept=alpha,beta",
            &["gamma", "beta", "alpha"],
        )
        .await
        .expect("handshake");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|value| value.to_str().ok()),
        Some("beta")
    );
    within(ws.send(Message::text("chosen")))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text("chosen"));
}

#[tokio::test]
async fn protocol_selects_none_when_nothing_matches() {
    let relay = Relay::start().await;
    // tungstenite's client fails a handshake without a protocol when it offered some (browsers
    // do not), so this one is made by hand.
    let mut headers = UPGRADE.to_vec();
    headers.push(("Sec-WebSocket-Protocol", "gamma, delta"));
    let response = within(http_get(
        relay.addr,
        "/test/protocol?accept=alpha,beta",
        &headers,
    ))
    .await;
    assert_eq!(response.status, 101);
    assert_eq!(
        response.header("sec-websocket-accept"),
        Some(UPGRADE_ACCEPT)
    );
    assert_eq!(response.header("sec-websocket-protocol"), None);

    // Nothing offered: nothing selected, and tungstenite accepts that.
    let (_ws, response) = relay
        .try_ws("/test/protocol?accept=alpha", &[])
        .await
        .expect("handshake");
    assert!(response.headers().get("sec-websocket-protocol").is_none());
}

#[tokio::test]
async fn bad_handshake_with_a_wrong_accept_is_rejected() {
    let relay = Relay::start().await;
    for path in ["/test/bad-handshake", "/test/bad-handshake?kind=accept"] {
        let response = within(http_get(relay.addr, path, &UPGRADE)).await;
        assert_eq!(response.status, 101);
        let accept = response
            .header("sec-websocket-accept")
            .expect("an accept header");
        assert_ne!(accept, UPGRADE_ACCEPT);

        match relay.try_ws(path, &[]).await {
            Err(Error::Protocol(ProtocolError::SecWebSocketAcceptKeyMismatch)) => {}
            other => panic!("expected an accept mismatch, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn bad_handshake_with_an_unoffered_protocol_is_rejected() {
    let relay = Relay::start().await;
    let path = "/test/bad-handshake?kind=protocol";
    match relay.try_ws(path, &["chat", "not-offered"]).await {
        Err(Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::InvalidSubProtocol,
        ))) => {}
        other => panic!("expected an invalid protocol error, got {other:?}"),
    }
    match relay.try_ws(path, &[]).await {
        Err(Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::ServerSentSubProtocolNoneRequested,
        ))) => {}
        other => panic!("expected an unrequested protocol error, got {other:?}"),
    }
    let response = within(http_get(relay.addr, path, &UPGRADE)).await;
    assert_eq!(response.status, 101);
    assert_eq!(
        response.header("sec-websocket-accept"),
        Some(UPGRADE_ACCEPT)
    );
    assert!(response.header("sec-websocket-protocol").is_some());
}

#[tokio::test]
async fn not_websocket_is_plain_http() {
    let relay = Relay::start().await;
    let response = relay.get("/test/not-websocket").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain"))
    );
    assert!(relay.try_ws("/test/not-websocket", &[]).await.is_err());
}

#[tokio::test]
async fn invalid_frame_sends_valid_then_a_reserved_opcode() {
    let relay = Relay::start().await;
    for path in ["/test/invalid-frame", "/test/invalid-frame?kind=opcode"] {
        let mut ws = relay.ws(path).await;
        assert_eq!(next_message(&mut ws).await, Message::text("valid"));
        match within(ws.next()).await {
            Some(Err(Error::Protocol(ProtocolError::InvalidOpcode(3)))) => {}
            other => panic!("expected an invalid opcode error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn invalid_frame_sends_valid_then_invalid_utf8() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/invalid-frame?kind=utf8").await;
    assert_eq!(next_message(&mut ws).await, Message::text("valid"));
    match within(ws.next()).await {
        Some(Err(Error::Utf8(_))) => {}
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_frame_with_wait_sends_it_only_after_the_clients_first_frame() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/invalid-frame?kind=utf8&wait=1").await;
    assert_eq!(next_message(&mut ws).await, Message::text("valid"));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), ws.next())
            .await
            .is_err(),
        "nothing may follow before the client speaks"
    );
    within(ws.send(Message::text("ack"))).await.expect("send");
    match within(ws.next()).await {
        Some(Err(Error::Utf8(_))) => {}
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

#[tokio::test]
async fn after_close_sends_a_text_frame_after_its_close() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/after-close").await;
    assert_eq!(
        next_message(&mut ws).await,
        Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        }))
    );
    // tungstenite queues its Close reply, then refuses the frame that follows a Close.
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(
        messages.is_empty(),
        "nothing may be delivered after the Close: {messages:?}"
    );
    assert!(
        matches!(
            error,
            Some(Error::Protocol(ProtocolError::ReceivedAfterClosing))
        ),
        "{error:?}"
    );
    // The relay ends TCP once it has the client's Close.
    within(relay.json("/test/connections?wait_for=0")).await;
    assert_eq!(relay.live_connections(), 0);
}

#[tokio::test]
async fn flood_sends_numbered_text_in_order() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/flood?count=5000&size=8&close=1").await;
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(messages.len(), 5001);
    for (i, message) in messages[..5000].iter().enumerate() {
        let expected = format!("{i:.<8}");
        assert_eq!(message, &Message::text(expected));
    }
    assert_eq!(
        messages[5000],
        Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "flood done".into(),
        }))
    );
}

#[tokio::test]
async fn flood_text_is_never_shorter_than_the_digits() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/flood?count=12&size=0&close=1").await;
    let (messages, _) = read_to_end(&mut ws).await;
    let texts: Vec<String> = messages[..12]
        .iter()
        .map(|message| message.to_text().expect("text").to_owned())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    assert_eq!(texts, expected);
}

#[tokio::test]
async fn flood_sends_numbered_binary_then_echoes() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/flood?count=300&size=100&binary=1").await;
    for i in 0..300u32 {
        let mut expected = vec![0; 100];
        expected[..4].copy_from_slice(&i.to_be_bytes());
        assert_eq!(next_message(&mut ws).await, Message::binary(expected));
    }
    within(ws.send(Message::text("echo after the flood")))
        .await
        .expect("send");
    assert_eq!(
        next_message(&mut ws).await,
        Message::text("echo after the flood")
    );

    let mut ws = relay
        .ws("/test/flood?count=2&size=1&binary=1&close=1")
        .await;
    assert_eq!(
        next_message(&mut ws).await,
        Message::binary(vec![0, 0, 0, 0])
    );
    assert_eq!(
        next_message(&mut ws).await,
        Message::binary(vec![0, 0, 0, 1])
    );
}

#[tokio::test]
async fn flood_defaults_are_1000_messages_of_16_bytes() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/flood").await;
    for i in 0..1000 {
        assert_eq!(
            next_message(&mut ws).await,
            Message::text(format!("{i:.<16}"))
        );
    }
    within(ws.send(Message::text("then echo")))
        .await
        .expect("send");
    assert_eq!(next_message(&mut ws).await, Message::text("then echo"));
}

#[tokio::test]
async fn blackhole_accepts_then_never_answers() {
    let relay = Relay::start().await;
    let mut ws = relay.ws("/test/blackhole").await;
    within(ws.send(Message::text("anyone?")))
        .await
        .expect("send");
    within(ws.send(Message::Ping(b"ping".to_vec().into())))
        .await
        .expect("ping");
    within(ws.send(Message::Close(None))).await.expect("close");
    // Silence cannot be awaited as an event: give it a fixed window.
    let silence = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(silence.is_err(), "the blackhole answered: {silence:?}");
    assert_eq!(relay.json("/test/connections?wait_for=1").await["live"], 1);

    assert_eq!(relay.json("/test/drop-all").await["dropped"], 1);
    let (messages, error) = read_to_end(&mut ws).await;
    assert!(messages.is_empty(), "{messages:?}");
    // drop-all ends the TCP connection: no Close frame, so the client sees a reset.
    assert!(
        error.as_ref().is_some_and(is_reset_without_close),
        "expected the connection to end without a Close frame, got {error:?}"
    );
    assert_eq!(relay.json("/test/connections?wait_for=0").await["live"], 0);
}
