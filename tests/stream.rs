//! The async layer against the relay: opening, closing, split, `closed()`, send errors and leaks.
//! Conformance: items 40-50 of docs/conformance.md, and the async layer's part of items 6 and 7.
//!
//! 6, 7. `open` of a connection that cannot be established fails with Err(Closed(1006)); a blocked
//!     port gives that or Err(Security)
//! 40. `open` resolves once open; a clean close (1000) ends the stream with `None`
//! 41. invalid URLs and protocols: the same typed errors as `connect`
//! 42. dropping a pending `open` abandons the connection; nothing fires later
//! 43. a send after the server's clean close is Err(NotOpen), not a silent loss
//! 44. an unclean end yields one Err(Closed), then `None`; sends fail
//! 45. the handle closes with a code and reason after a split
//! 46. `closed()` resolves once, with the same information for every waiter, also after a failure
//! 47. dropping the stream (or both halves) closes with 1000; dropping one half keeps the other
//! 48. 200 async cycles leave no connection, closure or timer behind
//! 49. the `Sink` on a connecting socket waits for open
//! 50. JSON values round-trip (feature `json`)
//!
//! Each test's doc comment names its items (`Conformance N`).
#![cfg(target_arch = "wasm32")]

mod common;

use common::{
    Uncaught, assert_nothing_held, close_seen_by_relay, control, number, open_stream, quiet_period,
    relay_connections, unique_tag, within, ws,
};
use duplex_ws::{
    CloseCode, CloseInfo, ConnectOptions, Error, Message, ReadyState, StreamOptions, WsStream,
    live_closures, open,
};
use futures_util::future::join3;
use futures_util::{SinkExt, StreamExt};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn open_path(path: &str) -> WsStream {
    open_stream(path, &ConnectOptions::new(), &StreamOptions::new()).await
}

/// Conformance 40.
#[wasm_bindgen_test]
async fn open_resolves_once_open_and_a_clean_close_ends_the_stream() {
    let tag = unique_tag("async-echo");
    let mut socket = open_path(&format!("/echo?tag={tag}")).await;
    assert_eq!(socket.socket().ready_state(), ReadyState::Open);
    socket.send(Message::from("hello")).await.expect("send");
    socket
        .send(Message::from(vec![1, 2, 3]))
        .await
        .expect("send");
    assert_eq!(socket.next().await, Some(Ok(Message::from("hello"))));
    assert_eq!(socket.next().await, Some(Ok(Message::from(vec![1, 2, 3]))));

    let handle = socket.handle();
    socket.close().await.expect("a clean close");
    assert_eq!(socket.next().await, None, "a clean close ends the stream");
    assert_eq!(socket.next().await, None);
    let info = handle.closed().await;
    assert_eq!((info.code, info.was_clean), (CloseCode::Normal, true));
    let (code, _) = close_seen_by_relay(&tag).await;
    assert_eq!(code.as_f64(), Some(1000.0), "poll_close sends 1000");
    drop((socket, handle));
    assert_nothing_held();
}

/// Conformance 6, 7.
#[wasm_bindgen_test]
async fn a_connection_that_never_opens_fails_with_its_close_information() {
    let port = number(&control("/test/closed-port").await, "port");
    for url in [
        format!("ws://127.0.0.1:{port}/"),
        ws("/test/not-websocket"),
        ws("/test/bad-handshake?kind=accept"),
    ] {
        let failed = within(5_000, open(&url, &ConnectOptions::new()))
            .await
            .expect("settles within 5 s");
        match failed {
            Err(Error::Closed(info)) => {
                assert_eq!(info.code, CloseCode::Abnormal, "{url}");
                assert!(!info.was_clean, "{url}");
            }
            other => panic!("{url}: expected Error::Closed, got {other:?}"),
        }
    }
    let blocked = within(5_000, open("ws://127.0.0.1:6000/", &ConnectOptions::new()))
        .await
        .expect("settles within 5 s");
    assert!(
        matches!(
            &blocked,
            Err(Error::Security { .. })
                | Err(Error::Closed(CloseInfo {
                    code: CloseCode::Abnormal,
                    ..
                }))
        ),
        "a blocked port: {blocked:?}"
    );
    assert_nothing_held();
}

/// Conformance 41.
#[wasm_bindgen_test]
async fn bad_urls_and_protocols_fail_with_typed_errors() {
    let bad_url = open("ws://example.com/#fragment", &ConnectOptions::new()).await;
    assert!(
        matches!(bad_url, Err(Error::InvalidUrl { .. })),
        "{bad_url:?}"
    );
    let bad_protocol = open(&ws("/echo"), &ConnectOptions::new().protocol("a b")).await;
    assert!(
        matches!(bad_protocol, Err(Error::InvalidProtocol { .. })),
        "{bad_protocol:?}"
    );
    assert_nothing_held();
}

/// Conformance 42.
#[wasm_bindgen_test]
async fn dropping_a_pending_open_closes_it_and_nothing_fires_later() {
    let uncaught = Uncaught::watch();
    assert_eq!(relay_connections(0).await, 0);
    let opening = open(&ws("/test/slow?delay_ms=1500"), &ConnectOptions::new());
    assert_eq!(live_closures(), 4, "the pending socket's listeners");
    assert!(
        within(300, opening).await.is_none(),
        "still connecting after 300 ms"
    );
    assert_nothing_held();
    quiet_period(2_000).await;
    assert_eq!(relay_connections(0).await, 0, "no connection left open");
    assert_eq!(uncaught.messages(), Vec::<String>::new());
    assert_nothing_held();
}

/// Conformance 43.
#[wasm_bindgen_test]
async fn a_send_after_the_server_closed_is_an_error_not_a_silent_loss() {
    let mut socket = open_path("/test/close?code=4001&reason=bye&delay_ms=50").await;
    assert_eq!(socket.next().await, None, "the server's clean close");
    let sent = socket.send(Message::from("too late")).await;
    assert_eq!(
        sent,
        Err(Error::NotOpen {
            state: ReadyState::Closed
        })
    );
    let info = socket.handle().closed().await;
    assert_eq!((u16::from(info.code), info.reason.as_str()), (4001, "bye"));
    drop(socket);
    assert_nothing_held();
}

/// Conformance 44.
#[wasm_bindgen_test]
async fn a_dropped_connection_yields_one_error_then_ends_and_sends_fail() {
    let mut socket = open_path("/test/drop?delay_ms=50").await;
    match socket.next().await {
        Some(Err(Error::Closed(info))) => {
            assert_eq!(info.code, CloseCode::Abnormal);
            assert!(!info.was_clean);
        }
        other => panic!("expected one Error::Closed, got {other:?}"),
    }
    assert_eq!(socket.next().await, None);
    assert!(matches!(
        socket.send(Message::from("lost?")).await,
        Err(Error::NotOpen { .. })
    ));
    assert!(
        matches!(socket.close().await, Err(Error::Closed(_))),
        "closing reports the unclean end"
    );
    drop(socket);
    assert_nothing_held();
}

/// Conformance 45.
#[wasm_bindgen_test]
async fn the_handle_closes_after_a_split() {
    let tag = unique_tag("split-close");
    let socket = open_path(&format!("/echo?tag={tag}")).await;
    let handle = socket.handle();
    let (mut sender, mut receiver) = socket.split();
    sender.send(Message::from("before")).await.expect("send");
    assert_eq!(receiver.next().await, Some(Ok(Message::from("before"))));

    handle.close_with(4000, "split").expect("close");
    assert_eq!(handle.ready_state(), ReadyState::Closing);
    assert_eq!(receiver.next().await, None);
    let info = handle.closed().await;
    assert_eq!(
        (u16::from(info.code), info.reason.as_str(), info.was_clean),
        (4000, "split", true)
    );
    let (code, reason) = close_seen_by_relay(&tag).await;
    assert_eq!((code.as_f64(), reason.as_str()), (Some(4000.0), "split"));
    assert!(matches!(
        sender.send(Message::from("after")).await,
        Err(Error::NotOpen { .. })
    ));
    drop((sender, receiver, handle));
    assert_nothing_held();
}

/// Conformance 46.
#[wasm_bindgen_test]
async fn closed_resolves_once_with_the_same_information_for_every_waiter() {
    let socket = open_path("/test/close?code=4002&reason=done&delay_ms=200").await;
    let handle = socket.handle();
    let (first, second, third) = join3(
        handle.closed(),
        handle.clone().closed(),
        socket.handle().closed(),
    )
    .await;
    assert_eq!(first, second);
    assert_eq!(second, third);
    assert_eq!((u16::from(first.code), first.was_clean), (4002, true));
    assert_eq!(
        within(100, handle.closed()).await,
        Some(first),
        "at once, afterwards"
    );
    drop((socket, handle));
    assert_nothing_held();
}

/// Conformance 47.
#[wasm_bindgen_test]
async fn closed_resolves_after_the_stream_is_dropped() {
    let tag = unique_tag("dropped-stream");
    let socket = open_path(&format!("/echo?tag={tag}")).await;
    let handle = socket.handle();
    drop(socket);
    assert_eq!(handle.ready_state(), ReadyState::Closing);
    let info = within(5_000, handle.closed())
        .await
        .expect("closed within 5 s");
    assert_eq!((info.code, info.was_clean), (CloseCode::Normal, true));
    assert_eq!(close_seen_by_relay(&tag).await.0.as_f64(), Some(1000.0));
    drop(handle);
    assert_nothing_held();
}

/// Conformance 46.
#[wasm_bindgen_test]
async fn closed_resolves_after_a_failure() {
    let opened = open(&ws("/test/drop?delay_ms=0"), &ConnectOptions::new()).await;
    let info = match opened {
        Ok(socket) => socket.handle().closed().await,
        Err(Error::Closed(info)) => info,
        Err(other) => panic!("{other}"),
    };
    assert_eq!(info.code, CloseCode::Abnormal);
    assert_nothing_held();
}

/// Conformance 47.
#[wasm_bindgen_test]
async fn dropping_one_half_keeps_the_other_working() {
    let socket = open_path("/echo").await;
    let handle = socket.handle();
    let (mut sender, receiver) = socket.split();
    drop(receiver);
    assert_eq!(handle.ready_state(), ReadyState::Open);
    sender
        .send(Message::from("nobody reads this"))
        .await
        .expect("send");
    drop(sender);
    let info = handle.closed().await;
    assert_eq!((info.code, info.was_clean), (CloseCode::Normal, true));
    drop(handle);
    assert_nothing_held();
}

/// Conformance 48.
#[wasm_bindgen_test]
async fn two_hundred_async_cycles_leave_nothing_behind() {
    let uncaught = Uncaught::watch();
    for i in 0..200 {
        let mut socket = open_path("/echo").await;
        let text = format!("cycle {i}");
        socket
            .send(Message::from(text.as_str()))
            .await
            .expect("send");
        assert_eq!(socket.next().await, Some(Ok(Message::Text(text))));
        if i % 2 == 0 {
            socket.close().await.expect("clean close");
        }
    }
    assert_eq!(relay_connections(0).await, 0);
    assert_eq!(uncaught.messages(), Vec::<String>::new());
    assert_nothing_held();
}

/// Conformance 49.
#[wasm_bindgen_test]
async fn a_sink_on_a_connecting_socket_waits_for_open() {
    let socket = duplex_ws::WebSocket::connect(&ws("/test/slow?delay_ms=300")).expect("valid URL");
    let mut stream = WsStream::new(socket, &StreamOptions::new());
    assert_eq!(stream.socket().ready_state(), ReadyState::Connecting);
    let sent = within(5_000, stream.send(Message::from("waited")))
        .await
        .expect("sent within 5 s");
    assert_eq!(sent, Ok(()));
    assert_eq!(stream.next().await, Some(Ok(Message::from("waited"))));
    drop(stream);
    assert_nothing_held();
}

/// Conformance 50.
#[cfg(feature = "json")]
#[wasm_bindgen_test]
async fn json_values_round_trip_through_the_relay() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Say {
        id: u32,
        text: String,
    }
    let mut socket = open_path("/echo").await;
    let say = Say {
        id: 9,
        text: "naïve \u{1f980}".into(),
    };
    socket
        .send(Message::json(&say).expect("encodes"))
        .await
        .expect("send");
    let echoed = socket.next().await.expect("a reply").expect("not an error");
    assert_eq!(echoed.decode_json::<Say>(), Ok(say));
    socket
        .send(Message::from(r#"{"id":"x"}"#))
        .await
        .expect("send");
    let wrong = socket.next().await.expect("a reply").expect("not an error");
    assert!(matches!(
        wrong.decode_json::<Say>(),
        Err(duplex_ws::JsonError::Data { .. })
    ));
}
