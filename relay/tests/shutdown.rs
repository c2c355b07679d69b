//! `duplex_relay::serve`'s graceful shutdown.
//!
//! Covers: on the signal every WebSocket (chat, echo, a /test endpoint) gets Close 1012 "relay
//! restarting" after what was queued for it (and no `left` for the others), serve returns as soon as they have answered, the
//! port is closed and can be bound by a new relay at once; clients that never answer (a chat
//! client that does not read, a blackhole) and a long poll hold the stop for at most the grace;
//! serving the same state again keeps the rooms and their history.

mod common;

use std::time::{Duration, Instant};

use common::chat::Chat;
use common::{Relay, read_to_end, within};
use duplex_relay::protocol::{CLOSE_SERVICE_RESTART, REASON_RESTARTING, ServerMessage};
use duplex_relay::{Config, SHUTDOWN_GRACE};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

fn is_restart(message: Option<&Message>) -> bool {
    matches!(
        message,
        Some(Message::Close(Some(frame)))
            if u16::from(frame.code) == CLOSE_SERVICE_RESTART && frame.reason == REASON_RESTARTING
    )
}

#[tokio::test]
async fn clients_get_1012_and_a_new_relay_can_bind_the_port_at_once() {
    let mut relay = Relay::start().await;
    let addr = relay.addr;
    let (mut a, _) = Chat::join(&relay, "r", "a").await;
    let (mut b, _) = Chat::join(&relay, "r", "b").await;
    let mut echo = relay.ws("/echo").await;
    let mut test_close = relay.ws("/test/close?delay_ms=600000").await;
    b.say("last", "queued before the stop").await;
    b.ack("last").await;

    let started = Instant::now();
    let (stopped, a_end, b_end, echo_end, test_end) = tokio::join!(
        relay.stop(),
        read_to_end(&mut a.ws),
        b.closed(),
        read_to_end(&mut echo),
        read_to_end(&mut test_close),
    );
    stopped.expect("serve returns Ok");
    assert!(
        started.elapsed() < SHUTDOWN_GRACE,
        "every client answered: no need to wait out the grace ({:?})",
        started.elapsed()
    );
    assert_eq!(b_end, (CLOSE_SERVICE_RESTART, REASON_RESTARTING.to_owned()));
    for (name, (messages, error)) in [("chat", a_end), ("echo", echo_end), ("test", test_end)] {
        assert!(is_restart(messages.last()), "{name}: {messages:?}");
        assert!(error.is_none(), "{name}: {error:?}");
    }
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens after serve returned"
    );
    let listener = TcpListener::bind(addr).await.expect("bind the same port");
    let relay = Relay::on(
        listener,
        Config {
            test_endpoints: true,
            ..Config::default()
        },
    )
    .await;
    let (_, welcome) = Chat::join(&relay, "r", "a").await;
    assert_eq!(welcome.members, ["a"]);
    assert!(welcome.history.is_empty(), "a new relay, new rooms");
}

#[tokio::test]
async fn what_was_queued_goes_out_before_the_close() {
    let mut relay = Relay::start().await;
    let (mut a, _) = Chat::join(&relay, "r", "a").await;
    let (mut b, _) = Chat::join(&relay, "r", "b").await;
    b.say("m", "hello").await;
    b.ack("m").await;
    let (stopped, (messages, _)) = tokio::join!(relay.stop(), read_to_end(&mut a.ws));
    stopped.expect("serve returns Ok");
    let texts: Vec<ServerMessage> = messages
        .iter()
        .filter_map(|message| match message {
            Message::Text(text) => serde_json::from_str(text).ok(),
            _ => None,
        })
        .collect();
    assert!(matches!(texts.first(), Some(ServerMessage::Joined { nick }) if nick == "b"));
    assert!(
        matches!(texts.get(1), Some(ServerMessage::Message(message)) if message.text == "hello")
    );
    assert!(is_restart(messages.last()), "{messages:?}");
}

#[tokio::test]
async fn clients_that_never_answer_hold_the_stop_for_the_grace_at_most() {
    let mut relay = Relay::start().await;
    let (mut deaf, _) = Chat::join(&relay, "r", "deaf").await;
    let mut hole = relay.ws("/test/blackhole").await;
    let addr = relay.addr;
    let long_poll = tokio::spawn(common::http_get(
        addr,
        "/test/connections?wait_for=99&timeout_ms=600000",
        &[],
    ));
    // A request made after the long poll's is answered: the long poll has most likely been
    // read by now (nothing observable says so).
    assert_eq!(relay.json("/test/connections").await["live"], 2);

    let started = Instant::now();
    relay.stop().await.expect("serve returns Ok");
    let elapsed = started.elapsed();
    assert!(
        elapsed < SHUTDOWN_GRACE + Duration::from_secs(1),
        "stopped after {elapsed:?}"
    );

    let (messages, _) = read_to_end(&mut deaf.ws).await;
    assert!(is_restart(messages.last()), "{messages:?}");
    let (messages, _) = read_to_end(&mut hole).await;
    assert!(messages.is_empty(), "{messages:?}");
    // The long poll ended with the stop; had the stop come before its request was read, its
    // connection was closed unanswered instead (and http_get failed).
    if let Ok(answered) = within(long_poll).await {
        assert_eq!(answered.status, 200);
    }
}

#[tokio::test]
async fn serving_the_same_state_again_keeps_the_rooms() {
    let mut relay = Relay::start().await;
    let (mut a, _) = Chat::join(&relay, "kept", "a").await;
    a.say("before", "said before the restart").await;
    let (before, _) = a.ack("before").await;
    let ((), (messages, _)) = tokio::join!(relay.restart(), read_to_end(&mut a.ws));
    assert!(is_restart(messages.last()), "{messages:?}");

    let (mut again, welcome) = Chat::join(&relay, "kept", "a").await;
    assert_eq!(welcome.members, ["a"], "the old connection left");
    assert_eq!(welcome.history, [before]);
    again.say("after", "and after").await;
    let (after, _) = again.ack("after").await;
    assert_eq!(after.seq(), 2);
}
