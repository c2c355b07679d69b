//! What rooms may hold, against the real relay on a real SQLite file and a real `redis-server`:
//! - the histories sent to joining pages share `welcome_memory_mib`: while one page has not
//!   taken in its welcome, a join whose history does not fit is closed with 1013 "relay busy",
//!   and once the welcome is written the next join gets its history;
//! - a room nobody used for `forget_rooms_after` is forgotten (a new epoch, no history), while a
//!   room someone stays in keeps its history, on SQLite and on Redis.

mod common;

use std::time::{Duration, Instant};

use common::chat::{Chat, join, picture};
use common::redis::RedisServer;
use common::{LIMIT, Relay, next_message};
use duplex_relay::Config;
use duplex_relay::protocol::{CLOSE_TRY_AGAIN_LATER, MAX_IMAGE_BYTES, REASON_BUSY, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// Twelve images of the largest size: 24 MiB, far more than loopback's socket buffers hold, so
/// a page that does not read keeps its welcome in the relay's memory.
const IMAGES: usize = 12;

#[tokio::test]
async fn welcomes_share_a_memory_budget() {
    let relay = Relay::with_config(Config {
        welcome_memory_mib: 24,
        ..Config::default()
    })
    .await;
    let (mut poster, _) = Chat::join(&relay, "gallery", "poster").await;
    for n in 0..IMAGES {
        let id = format!("p{n}");
        let seed = u8::try_from(n).unwrap_or_default();
        poster
            .image(&id, "image/png", &picture(seed, MAX_IMAGE_BYTES))
            .await;
        poster.ack(&id).await;
    }

    // A page that asks for the history and does not read it.
    let mut stalled = Chat::connect(&relay).await;
    stalled.send(&join("gallery", "stalled", None)).await;
    // Its join goes first: the others below must not take the budget before it.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Once the relay holds the stalled welcome (a moment after the join), the next join does
    // not fit; one that came before got its welcome and is tried again.
    let started = Instant::now();
    loop {
        let mut refused = Chat::connect(&relay).await;
        refused.send(&join("gallery", "refused", None)).await;
        match first_answer(&mut refused).await {
            Answer::Closed(code, reason) => {
                assert_eq!(
                    (code, reason.as_str()),
                    (CLOSE_TRY_AGAIN_LATER, REASON_BUSY)
                );
                break;
            }
            Answer::Welcome => assert!(
                started.elapsed() < LIMIT,
                "every join fit while a welcome of {IMAGES} images was not read"
            ),
        }
    }

    let welcome = stalled.welcome().await;
    assert_eq!(
        welcome.images.len(),
        IMAGES,
        "the stalled page got everything"
    );

    // The budget is given back once the welcome is written, a moment after it was read.
    let started = Instant::now();
    loop {
        let mut next = Chat::connect(&relay).await;
        next.send(&join("gallery", "next", None)).await;
        match first_answer(&mut next).await {
            Answer::Welcome => break,
            Answer::Closed(..) => assert!(
                started.elapsed() < LIMIT,
                "the welcome's memory was never given back"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

enum Answer {
    Welcome,
    Closed(u16, String),
}

/// What the relay answered a join with: a welcome (read to its last image) or a Close.
async fn first_answer(chat: &mut Chat) -> Answer {
    match next_message(&mut chat.ws).await {
        Message::Close(Some(frame)) => Answer::Closed(frame.code.into(), frame.reason.to_string()),
        Message::Text(text) => {
            let Ok(ServerMessage::Welcome { history, .. }) = serde_json::from_str(&text) else {
                panic!("expected a welcome or a Close, got {text}");
            };
            assert_eq!(history.len(), IMAGES, "the whole history");
            for _ in 0..IMAGES {
                assert!(matches!(
                    next_message(&mut chat.ws).await,
                    Message::Binary(_)
                ));
            }
            Answer::Welcome
        }
        other => panic!("expected a welcome or a Close, got {other:?}"),
    }
}

/// Posts in `room` and leaves; its epoch.
async fn use_and_leave(relay: &Relay, room: &str) -> String {
    let (mut chat, welcome) = Chat::join(relay, room, "visitor").await;
    chat.say("v1", "was here").await;
    chat.ack("v1").await;
    welcome.epoch
}

async fn forgets_unused_rooms(relay: &Relay, lifetime: Duration) {
    let old_epoch = use_and_leave(relay, "unused").await;
    let (mut stayer, kept) = Chat::join(relay, "occupied", "stayer").await;
    stayer.say("s1", "still here").await;
    stayer.ack("s1").await;

    // Well past the lifetime, the occupied room's member pinging all along.
    let until = Instant::now() + lifetime * 2 + Duration::from_millis(1500);
    while Instant::now() < until {
        stayer.ping().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (_back, welcome) = Chat::join(relay, "unused", "back").await;
    assert_ne!(welcome.epoch, old_epoch, "the unused room starts again");
    assert_eq!(
        (welcome.seq, welcome.history.len()),
        (0, 0),
        "the unused room's history is gone"
    );
    let (_other, occupied) = Chat::join(relay, "occupied", "other").await;
    assert_eq!(
        (occupied.epoch, occupied.seq, occupied.history.len()),
        (kept.epoch, 1, 1),
        "the room someone stayed in keeps its history"
    );
}

#[tokio::test]
async fn sqlite_forgets_rooms_nobody_used() {
    let lifetime = Duration::from_millis(600);
    let relay = Relay::with_config(Config {
        forget_rooms_after: lifetime,
        ..Config::default()
    })
    .await;
    forgets_unused_rooms(&relay, lifetime).await;
}

#[tokio::test]
async fn redis_forgets_rooms_nobody_used() {
    let redis = RedisServer::start();
    // The shortest lifetime the Redis engine gives a room.
    let lifetime = Duration::from_secs(2);
    let relay = Relay::with_config(Config {
        redis: Some(redis.url()),
        forget_rooms_after: lifetime,
        ..Config::default()
    })
    .await;
    forgets_unused_rooms(&relay, lifetime).await;
}

#[tokio::test]
async fn rooms_in_use_are_kept_by_default() {
    let relay = Relay::with_config(Config::default()).await;
    let epoch = use_and_leave(&relay, "room").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_back, welcome) = Chat::join(&relay, "room", "back").await;
    assert_eq!((welcome.epoch, welcome.seq), (epoch, 1));
}
