//! Several relays, one set of rooms: relays given the same real `redis-server` share posts,
//! `seq`, history, re-send memory and members; a relay that dies has its members leave within
//! `MEMBER_EXPIRY`; a Redis that goes away and comes back is survived.

mod common;

use std::time::{Duration, Instant};

use common::chat::{Chat, picture};
use common::process::{RelayProcess, run_args_to_exit};
use common::redis::RedisServer;
use common::{LIMIT, Relay, next_message};
use duplex_relay::Config;
use duplex_relay::protocol::{
    CLOSE_INTERNAL_ERROR, CLOSE_REPLACED, ErrorCode, Post, ServerMessage,
};
use duplex_relay::store::MEMBER_EXPIRY;
use tokio_tungstenite::tungstenite::Message;

async fn relay_on(redis: &RedisServer) -> Relay {
    Relay::with_config(Config {
        redis: Some(redis.url()),
        ..Config::default()
    })
    .await
}

/// Reads until `nick`'s `joined`, failing on a post or a `left` first.
async fn expect_joined(chat: &mut Chat, nick: &str) {
    match chat.recv().await {
        ServerMessage::Joined { nick: got } => assert_eq!(got, nick),
        other => panic!("expected {nick} to join, got {other:?}"),
    }
}

async fn expect_left(chat: &mut Chat, nick: &str) {
    match chat.recv().await {
        ServerMessage::Left { nick: got } => assert_eq!(got, nick),
        other => panic!("expected {nick} to leave, got {other:?}"),
    }
}

#[tokio::test]
async fn two_relays_chat_in_one_room_with_one_member_list() {
    let redis = RedisServer::start();
    let (a, b) = (relay_on(&redis).await, relay_on(&redis).await);
    let (mut ada, first) = Chat::join(&a, "shared", "Ada").await;
    assert_eq!(
        (first.members.as_slice(), first.seq),
        (&["Ada".to_owned()][..], 0)
    );
    let (mut bob, welcome) = Chat::join(&b, "shared", "bob").await;
    assert_eq!(welcome.members, ["Ada", "bob"]);
    assert_eq!(welcome.epoch, first.epoch, "one room, one history");
    expect_joined(&mut ada, "bob").await;

    ada.say("a1", "hello from relay A").await;
    let (mine, _) = ada.ack("a1").await;
    let (seen, _) = bob.recv_post().await;
    assert_eq!((mine.seq(), &seen), (1, &mine));

    let bytes = picture(3, 40_000);
    bob.image("b1", "image/png", &bytes).await;
    let (image, own) = bob.ack("b1").await;
    let (seen, got) = ada.recv_post().await;
    assert_eq!((image.seq(), &seen), (2, &image));
    assert_eq!((own.as_ref(), got.as_ref()), (Some(&bytes), Some(&bytes)));

    // A third member on relay A sees both posts in its welcome.
    let (mut cy, late) = Chat::join(&a, "shared", "cy").await;
    assert_eq!(late.members, ["Ada", "bob", "cy"]);
    assert_eq!(late.history, vec![mine, image]);
    assert_eq!(late.images, vec![bytes]);
    expect_joined(&mut ada, "cy").await;
    expect_joined(&mut bob, "cy").await;

    drop(bob);
    expect_left(&mut ada, "bob").await;
    expect_left(&mut cy, "bob").await;
    ada.ping().await;
    cy.ping().await;
}

#[tokio::test]
async fn nicks_are_unique_across_relays_and_a_session_moves_between_them() {
    let redis = RedisServer::start();
    let (a, b) = (relay_on(&redis).await, relay_on(&redis).await);
    let (mut ada, _) = Chat::join_with(&a, "nicks", "Ada", Some("s-ada")).await;
    let (mut bob, _) = Chat::join(&b, "nicks", "bob").await;
    expect_joined(&mut ada, "bob").await;

    let mut thief = Chat::connect(&b).await;
    thief.send(&common::chat::join("nicks", "ADA", None)).await;
    thief.expect_error(ErrorCode::NickTaken).await;
    thief
        .send(&common::chat::join("nicks", "ada", Some("other")))
        .await;
    thief.expect_error(ErrorCode::NickTaken).await;

    // Ada's page reconnects to relay B with its session: the old connection on A is replaced
    // (4001) and nobody hears Ada leave or join.
    let (mut moved, welcome) = Chat::join_with(&b, "nicks", "ada", Some("s-ada")).await;
    assert_eq!(welcome.nick, "Ada", "the nick as first shown");
    assert_eq!(welcome.members, ["Ada", "bob"]);
    let (code, _) = ada.closed().await;
    assert_eq!(code, CLOSE_REPLACED);
    moved.say("m1", "moved").await;
    let (post, _) = moved.ack("m1").await;
    assert_eq!(
        bob.recv_post().await.0,
        post,
        "no joined or left before the post"
    );
}

#[tokio::test]
async fn posts_made_while_a_member_joins_reach_it_exactly_once() {
    let redis = RedisServer::start();
    let (a, b) = (relay_on(&redis).await, relay_on(&redis).await);
    let (mut ada, _) = Chat::join(&a, "busy", "ada").await;
    // Within the rate limit's burst (the join took one token).
    let total = 15;
    let poster = tokio::spawn(async move {
        for n in 0..total {
            ada.say(&format!("p{n}"), "busy").await;
        }
        for n in 0..total {
            ada.ack(&format!("p{n}")).await;
        }
        ada
    });
    let mut joiners = Vec::new();
    for n in 0..4 {
        joiners.push(Chat::join(&b, "busy", &format!("late{n}")).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ada = common::within(poster).await.expect("the poster");
    for (mut joiner, welcome) in joiners {
        let mut seqs = welcome.seqs();
        assert_eq!(seqs.last().copied().unwrap_or(0), welcome.seq);
        while seqs.len() < total {
            match joiner.recv().await {
                ServerMessage::Message(message) => seqs.push(message.seq),
                ServerMessage::Joined { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        let expected: Vec<u64> = (1..=total as u64).collect();
        assert_eq!(seqs, expected, "every post once, in order");
    }
}

#[tokio::test]
async fn history_seq_and_resends_continue_on_any_relay() {
    let redis = RedisServer::start();
    let (a, b) = (relay_on(&redis).await, relay_on(&redis).await);
    let (mut ada, welcome) = Chat::join_with(&a, "resume", "ada", Some("s-ada")).await;
    let since = welcome.since();
    for n in 1..=5 {
        ada.say(&format!("m{n}"), "text").await;
        ada.ack(&format!("m{n}")).await;
    }
    drop(ada);
    // Ada resumes on relay B (her session takes the nick even if relay A has not yet seen her
    // go): the posts after `since`, and a re-send is an acknowledgement.
    let mut ada = Chat::connect(&b).await;
    let resumed = ada
        .join_since("resume", "ada", Some("s-ada"), Some(since))
        .await;
    assert_eq!(
        (resumed.seqs(), resumed.complete),
        (vec![1, 2, 3, 4, 5], true)
    );
    ada.say("m3", "text").await;
    let (again, _) = ada.ack("m3").await;
    assert_eq!(again.seq(), 3);
    ada.say("m6", "text").await;
    assert_eq!(ada.ack("m6").await.0.seq(), 6);
}

#[tokio::test]
async fn members_of_a_killed_relay_leave_within_the_documented_time() {
    let redis = RedisServer::start();
    let doomed = RelayProcess::shared(&redis.url());
    let b = relay_on(&redis).await;
    let mut ada = Chat::connect_to(doomed.addr).await;
    ada.join_here("expiry", "ada", None).await;
    let (mut bob, welcome) = Chat::join(&b, "expiry", "bob").await;
    assert_eq!(welcome.members, ["ada", "bob"]);

    doomed.kill();
    let killed = Instant::now();
    expect_left(&mut bob, "ada").await;
    let took = killed.elapsed();
    assert!(
        took <= MEMBER_EXPIRY + Duration::from_secs(1),
        "ada left {took:?} after the kill; documented: within {MEMBER_EXPIRY:?}"
    );
    // The nick is free again.
    let (_, again) = Chat::join(&b, "expiry", "ada").await;
    assert_eq!(again.members, ["ada", "bob"]);
}

#[tokio::test]
async fn a_redis_that_goes_away_closes_with_1011_and_is_used_again_when_back() {
    let mut redis = RedisServer::start();
    let a = relay_on(&redis).await;
    let (mut ada, before) = Chat::join(&a, "outage", "ada").await;
    ada.say("m1", "before").await;
    ada.ack("m1").await;

    redis.stop();
    let (code, reason) = ada.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (CLOSE_INTERNAL_ERROR, "store unavailable")
    );
    let mut refused = Chat::connect(&a).await;
    refused
        .send(&common::chat::join("outage", "ada", None))
        .await;
    assert_eq!(refused.closed().await.0, CLOSE_INTERNAL_ERROR);

    redis.start_again();
    let started = Instant::now();
    let welcome = loop {
        assert!(
            started.elapsed() < LIMIT,
            "the relay never used Redis again"
        );
        let mut page = Chat::connect(&a).await;
        page.send(&common::chat::join("outage", "ada", None)).await;
        // Until the relay reaches Redis again, a join is closed with 1011.
        if let Message::Text(text) = next_message(&mut page.ws).await {
            match serde_json::from_str(&text).expect("a server message") {
                ServerMessage::Welcome { epoch, seq, .. } => break (page, epoch, seq),
                other => panic!("unexpected {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (mut page, epoch, seq) = welcome;
    // This Redis kept nothing: a new epoch tells pages the history was reset.
    assert_ne!(epoch, before.epoch);
    assert_eq!(seq, 0);
    page.nick = "ada".to_owned();
    page.say("m2", "after").await;
    assert_eq!(page.ack("m2").await.0.seq(), 1);
}

#[tokio::test]
async fn a_paused_redis_refuses_posts_with_unavailable_and_acknowledges_nothing() {
    let redis = RedisServer::start();
    let a = relay_on(&redis).await;
    let (mut ada, _) = Chat::join(&a, "paused", "ada").await;
    let (mut bob, _) = Chat::join(&a, "paused", "bob").await;
    expect_joined(&mut ada, "bob").await;
    let client = redis::Client::open(redis.url()).expect("url");
    let mut control = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    let _: () = redis::cmd("CLIENT")
        .arg(&["PAUSE", "4000", "WRITE"])
        .query_async(&mut control)
        .await
        .expect("CLIENT PAUSE");

    ada.say("m1", "while paused").await;
    let message = ada.expect_error(ErrorCode::Unavailable).await;
    assert!(message.contains("not acknowledged"), "{message}");
    // Once Redis writes again, the re-send is stored once and acknowledged.
    let resent = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        ada.say("m1", "while paused").await;
        match ada.recv().await {
            ServerMessage::Message(message) => break message,
            ServerMessage::Error {
                code: ErrorCode::Unavailable,
                ..
            } => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(resent.seq, 1);
    assert_eq!(bob.recv_post().await.0, Post::Message(resent));
    bob.ping().await;
}

#[test]
fn an_unreachable_redis_stops_the_relay_at_start_with_a_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let output = run_args_to_exit(&["--redis", &url]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("Redis at 127.0.0.1:{port}")),
        "the message names the server: {stderr}"
    );
    let output = run_args_to_exit(&["--redis", "http://not-redis"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a Redis URL"));
}
