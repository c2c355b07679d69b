//! `GET /chat` under abuse: limits, closes, and other clients unaffected.
//!
//! Covers: the rate limit (a burst of 20, then `rate-limited` errors that drop the frame) and
//! Close 1008 "flooding" on the 20th rate-limited frame; a text frame of exactly 16 KiB is fine,
//! one byte more is Close 1008 "message too big", as is a binary frame over 2 MiB; the 10th bad
//! request is answered like the others, then Close 1008 "too many bad requests"; every error
//! about a post names the post's `id`, a rate-limited one included; malformed JSON of every kind from one client
//! while two others keep chatting; a client that never reads while others flood the room is
//! closed with 1013 "too slow" and leaves, while every other client receives every post.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::chat::{Chat, image};
use common::{Relay, within};
use duplex_relay::protocol::{
    BAD_REQUEST_LIMIT, CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER, ClientMessage, ErrorCode,
    FLOOD_LIMIT, MAX_IMAGE_BYTES, MAX_TEXT_FRAME_BYTES, Post, RATE_BURST, REASON_BAD_REQUESTS,
    REASON_FLOODING, REASON_TOO_BIG, REASON_TOO_SLOW, ServerMessage,
};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn rate_limited_frames_are_dropped_then_flooding_is_closed() {
    let relay = Relay::start().await;
    let mut c = Chat::connect(&relay).await;
    let ping = Message::text(ClientMessage::Ping.to_json());
    for _ in 0..25 {
        within(c.ws.feed(ping.clone())).await.expect("feed");
    }
    within(c.ws.flush()).await.expect("flush");
    let (mut pongs, mut limited) = (0, 0);
    for _ in 0..25 {
        match c.recv().await {
            ServerMessage::Pong => pongs += 1,
            ServerMessage::Error {
                code: ErrorCode::RateLimited,
                ..
            } => limited += 1,
            other => panic!("expected a pong or rate-limited, got {other:?}"),
        }
    }
    assert!(pongs >= RATE_BURST, "the burst is allowed: {pongs} pongs");
    assert!(limited >= 1, "25 frames at once are over the limit");

    // Keep flooding: the 20th rate-limited frame closes the connection.
    for _ in 0..60 {
        let _ = c.ws.feed(ping.clone()).await;
    }
    let _ = c.ws.flush().await;
    let (messages, _) = common::read_to_end(&mut c.ws).await;
    let mut close = None;
    for message in messages {
        match message {
            Message::Text(text) => {
                if text.contains("rate-limited") {
                    limited += 1;
                }
            }
            Message::Close(Some(frame)) => close = Some(frame),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(limited, FLOOD_LIMIT - 1, "errors before the close");
    let close = close.expect("a Close frame");
    assert_eq!(u16::from(close.code), CLOSE_POLICY_VIOLATION);
    assert_eq!(close.reason.as_str(), REASON_FLOODING);
}

#[tokio::test]
async fn oversized_frames_are_closed_with_1008() {
    let relay = Relay::start().await;
    let (mut c, _) = Chat::join(&relay, "big", "c").await;
    let padded = format!(
        "{:<width$}",
        r#"{"type":"ping"}"#,
        width = MAX_TEXT_FRAME_BYTES
    );
    assert_eq!(padded.len(), MAX_TEXT_FRAME_BYTES);
    c.send_raw(&padded).await;
    assert_eq!(c.recv().await, ServerMessage::Pong);
    c.send_raw(&"x".repeat(MAX_TEXT_FRAME_BYTES + 1)).await;
    assert_eq!(
        c.closed().await,
        (CLOSE_POLICY_VIOLATION, REASON_TOO_BIG.to_owned())
    );

    let (mut d, _) = Chat::join(&relay, "big", "d").await;
    d.send(&image("i", "image/png", MAX_IMAGE_BYTES)).await;
    d.send_binary(vec![0; MAX_IMAGE_BYTES + 1]).await;
    assert_eq!(
        d.closed().await,
        (CLOSE_POLICY_VIOLATION, REASON_TOO_BIG.to_owned())
    );
}

#[tokio::test]
async fn the_tenth_bad_request_is_answered_then_closed_with_1008() {
    let relay = Relay::start().await;
    let mut c = Chat::connect(&relay).await;
    for _ in 1..BAD_REQUEST_LIMIT {
        c.send_raw("nope").await;
        c.expect_error(ErrorCode::BadJson).await;
    }
    c.send_raw("nope").await;
    // The tenth is told like the others, so a client knows which request it was.
    c.expect_error(ErrorCode::BadJson).await;
    assert_eq!(
        c.closed().await,
        (CLOSE_POLICY_VIOLATION, REASON_BAD_REQUESTS.to_owned())
    );
}

/// The next frame, which must be an error: its code and the id it names.
async fn refusal(c: &mut Chat) -> (ErrorCode, Option<String>) {
    match c.recv().await {
        ServerMessage::Error { code, id, .. } => (code, id),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_refused_post_is_named_by_its_id() {
    let relay = Relay::start().await;
    let mut c = Chat::connect(&relay).await;
    c.say("early", "before the join").await;
    assert_eq!(
        refusal(&mut c).await,
        (ErrorCode::NotJoined, Some("early".to_owned()))
    );
    c.join_here("ids", "ada", None).await;

    c.say("long", &"字".repeat(1400)).await;
    assert_eq!(
        refusal(&mut c).await,
        (ErrorCode::BadText, Some("long".to_owned()))
    );
    c.send(&image("svg", "image/svg+xml", 10)).await;
    assert_eq!(
        refusal(&mut c).await,
        (ErrorCode::BadMime, Some("svg".to_owned()))
    );
    c.send(&image("short", "image/png", 10)).await;
    c.send_binary(vec![0; 9]).await;
    assert_eq!(
        refusal(&mut c).await,
        (ErrorCode::SizeMismatch, Some("short".to_owned()))
    );
    c.send(&image("cut", "image/png", 10)).await;
    c.send(&ClientMessage::Ping).await;
    assert_eq!(
        refusal(&mut c).await,
        (ErrorCode::ExpectedBinary, Some("cut".to_owned()))
    );
    assert_eq!(c.recv().await, ServerMessage::Pong);
    c.send_binary(vec![0; 3]).await;
    assert_eq!(refusal(&mut c).await, (ErrorCode::UnexpectedBinary, None));

    // Over the rate limit, the dropped post is named too, though it was not checked.
    for n in 0..RATE_BURST + 5 {
        within(
            c.ws.feed(Message::text(
                ClientMessage::Say {
                    id: format!("r{n}"),
                    text: "fast".to_owned(),
                }
                .to_json(),
            )),
        )
        .await
        .expect("feed");
    }
    within(c.ws.flush()).await.expect("flush");
    let mut limited = Vec::new();
    let mut posted = 0;
    while posted + limited.len() < (RATE_BURST + 5) as usize {
        match c.recv().await {
            ServerMessage::Message(_) => posted += 1,
            ServerMessage::Error {
                code: ErrorCode::RateLimited,
                id,
                ..
            } => limited.push(id.expect("a rate-limited post is named")),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(!limited.is_empty(), "{posted} posted, none limited");
    assert!(limited.iter().all(|id| id.starts_with('r')), "{limited:?}");
}

#[tokio::test]
async fn malformed_json_does_not_disturb_the_others() {
    let relay = Relay::start().await;
    let (mut a, _) = Chat::join(&relay, "calm", "a").await;
    let (mut b, _) = Chat::join(&relay, "calm", "b").await;
    let (mut x, _) = Chat::join(&relay, "calm", "x").await;
    assert!(matches!(a.recv().await, ServerMessage::Joined { .. }));
    assert!(matches!(a.recv().await, ServerMessage::Joined { .. }));
    assert!(matches!(b.recv().await, ServerMessage::Joined { .. }));

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let garbage = [
        String::new(),
        "{".to_owned(),
        "null".to_owned(),
        r#"{"type":null}"#.to_owned(),
        r#"{"type":"say","id":{},"text":[]}"#.to_owned(),
        r#"{"type":"image","id":"1","mime":"image/png","size":1e999}"#.to_owned(),
        "\u{0}\u{1}\u{2}".to_owned(),
        deep,
        r#"{"type":"join","room":"calm","nick":"again"}"#.to_owned(),
        r#"{"type":"say","id":"\ud800","text":"lone surrogate"}"#.to_owned(),
    ];
    let noise = async {
        for frame in &garbage {
            x.send_raw(frame).await;
        }
        x.closed().await
    };
    let chat = async {
        for i in 0..10 {
            a.say(&format!("a{i}"), "from a").await;
            b.say(&format!("b{i}"), "from b").await;
        }
        let mut seen = Vec::new();
        for member in [&mut a, &mut b] {
            let mut posts = Vec::new();
            let mut x_left = false;
            while posts.len() < 20 {
                match member.recv().await {
                    ServerMessage::Message(message) => posts.push(message),
                    ServerMessage::Left { nick } if nick == "x" => x_left = true,
                    other => panic!("unexpected {other:?}"),
                }
            }
            seen.push((posts, x_left));
        }
        seen
    };
    let (closed, seen) = tokio::join!(noise, chat);
    assert_eq!(
        closed,
        (CLOSE_POLICY_VIOLATION, REASON_BAD_REQUESTS.to_owned())
    );
    assert_eq!(seen[0].0, seen[1].0);
    let seqs: Vec<u64> = seen[0].0.iter().map(|message| message.seq).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<u64>>());
    // x left before its Close went out: whoever has not heard it yet hears it next.
    for (member, (_, x_left)) in [&mut a, &mut b].into_iter().zip(&seen) {
        if !x_left {
            assert_eq!(
                member.recv().await,
                ServerMessage::Left {
                    nick: "x".to_owned()
                }
            );
        }
        member.ping().await;
    }
}

/// Senders that flood the room with images, each also reading everything it is sent.
const SENDERS: usize = 8;
/// The bytes of each flooding image.
const IMAGE: usize = 256 * 1024;
/// How many images a sender sends at most before giving up on the slow client.
const MAX_IMAGES: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_does_not_read_is_closed_and_the_others_get_everything() {
    let relay = Relay::start().await;
    let (mut slow, _) = Chat::join(&relay, "busy", "slow").await;
    let mut senders = Vec::new();
    for n in 0..SENDERS {
        senders.push(Chat::join(&relay, "busy", &format!("sender{n}")).await.0);
    }
    let slow_gone = Arc::new(AtomicBool::new(false));
    let kicked = Arc::new(Notify::new());

    // The slow client reads nothing until the relay has closed it.
    let slow_reader = {
        let kicked = kicked.clone();
        tokio::spawn(async move {
            kicked.notified().await;
            slow.closed().await
        })
    };

    let mut tasks = Vec::new();
    for (n, chat) in senders.into_iter().enumerate() {
        let slow_gone = slow_gone.clone();
        let kicked = kicked.clone();
        tasks.push(tokio::spawn(async move {
            let nick = chat.nick.clone();
            let (mut write, mut read) = chat.ws.split();
            let writer = async {
                // Just under the sustained rate: never rate-limited.
                let mut pace = tokio::time::interval(Duration::from_millis(110));
                let mut sent = 0;
                while sent < MAX_IMAGES && !slow_gone.load(Ordering::SeqCst) {
                    pace.tick().await;
                    let announce = image(&format!("{nick}-{sent}"), "image/png", IMAGE);
                    write
                        .feed(Message::text(announce.to_json()))
                        .await
                        .expect("announce");
                    write
                        .send(Message::binary(vec![n as u8; IMAGE]))
                        .await
                        .expect("image");
                    sent += 1;
                }
                let done = ClientMessage::Say {
                    id: "done".to_owned(),
                    text: "done".to_owned(),
                };
                write
                    .send(Message::text(done.to_json()))
                    .await
                    .expect("done");
                sent
            };
            let reader = async {
                let mut seqs = Vec::new();
                let mut left = Vec::new();
                let mut done = 0;
                while done < SENDERS {
                    let message = within(read.next())
                        .await
                        .expect("the stream ended")
                        .expect("a frame");
                    let text = match message {
                        Message::Text(text) => text,
                        other => panic!("{nick}: expected a text frame, got {other:?}"),
                    };
                    match serde_json::from_str::<ServerMessage>(&text).expect("JSON") {
                        ServerMessage::Image(image) => {
                            let bytes = within(read.next())
                                .await
                                .expect("the stream ended")
                                .expect("a frame");
                            match bytes {
                                Message::Binary(bytes) => {
                                    assert_eq!(bytes.len() as u64, image.size)
                                }
                                other => panic!("expected the image's bytes, got {other:?}"),
                            }
                            seqs.push(image.seq);
                        }
                        ServerMessage::Message(message) => {
                            assert_eq!(message.text, "done");
                            seqs.push(message.seq);
                            done += 1;
                        }
                        ServerMessage::Left { nick } => {
                            slow_gone.store(true, Ordering::SeqCst);
                            kicked.notify_one();
                            left.push(nick);
                        }
                        ServerMessage::Joined { .. } => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                (seqs, left)
            };
            let (sent, (seqs, left)) = tokio::join!(writer, reader);
            (sent, seqs, left)
        }));
    }

    let mut results = Vec::new();
    for task in tasks {
        results.push(within(task).await.expect("a sender"));
    }
    let (code, reason) = within(slow_reader).await.expect("the slow reader");
    assert_eq!(
        (code, reason.as_str()),
        (CLOSE_TRY_AGAIN_LATER, REASON_TOO_SLOW)
    );

    let total: usize = results.iter().map(|(sent, _, _)| sent + 1).sum();
    for (sent, seqs, left) in &results {
        assert!(*sent < MAX_IMAGES, "the slow client was never closed");
        assert_eq!(left, &["slow".to_owned()]);
        let expected: Vec<u64> = (1..=total as u64).collect();
        assert!(*seqs == expected, "every post, in order, once");
    }

    // The room still works, and the slow nick is free again.
    let (_, welcome) = Chat::join(&relay, "busy", "slow").await;
    assert!(welcome.members.contains(&"slow".to_owned()));
    assert!(matches!(welcome.history.last(), Some(Post::Message(_))));
}
