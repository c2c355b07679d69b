//! `GET /chat`: the chat rooms, with several clients at once.
//!
//! Covers: join -> welcome (nick trimmed, members sorted case-insensitively, empty history),
//! joined/left to the others (Close and a dropped TCP alike), rooms are case-sensitive and
//! separate; say reaches everyone, the sender included, with seq 1, 2, 3.. and a Unix-ms ts;
//! images reach everyone with their exact bytes, 2 MiB included; the history keeps the last 50
//! posts, an image's bytes following the welcome; every error code, each leaving the connection
//! usable (expected-binary then handles the text frame); a re-sent (from, id) is acknowledged to
//! its sender with the original and not broadcast again (say and image, across a reconnect,
//! under another case of the nick, after the original image left the history); a join with the
//! same nick and session replaces the old connection (4001) without joined/left; a different or
//! missing session is nick-taken.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::chat::{Chat, Welcome, image, join, picture, say};
use common::{Relay, read_to_end, within};
use duplex_relay::protocol::{
    CLOSE_REPLACED, ClientMessage, ErrorCode, HISTORY_LEN, ImageMessage, MAX_IMAGE_BYTES, Post,
    REASON_REPLACED, ServerMessage,
};

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    u64::try_from(since.as_millis()).expect("ms fit in u64")
}

fn joined(nick: &str) -> ServerMessage {
    ServerMessage::Joined {
        nick: nick.to_owned(),
    }
}

fn left(nick: &str) -> ServerMessage {
    ServerMessage::Left {
        nick: nick.to_owned(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[tokio::test]
async fn join_welcomes_with_the_members_and_tells_the_others() {
    let relay = Relay::start().await;
    let (mut bob, welcome) = Chat::join(&relay, "lobby", "bob").await;
    assert_eq!(
        welcome,
        Welcome {
            nick: "bob".to_owned(),
            room: "lobby".to_owned(),
            members: strings(&["bob"]),
            epoch: welcome.epoch.clone(),
            seq: 0,
            history: Vec::new(),
            complete: true,
            images: Vec::new(),
        }
    );
    assert_eq!(welcome.epoch.len(), 16, "a random epoch: {}", welcome.epoch);

    let (mut alice, welcome) = Chat::join(&relay, "lobby", " \tAlice  ").await;
    assert_eq!(welcome.nick, "Alice", "the nick is trimmed");
    assert_eq!(welcome.members, strings(&["Alice", "bob"]));
    assert_eq!(bob.recv().await, joined("Alice"));

    let (mut zed, welcome) = Chat::join(&relay, "lobby", "Zed").await;
    assert_eq!(welcome.members, strings(&["Alice", "bob", "Zed"]));
    assert_eq!(bob.recv().await, joined("Zed"));
    assert_eq!(alice.recv().await, joined("Zed"));

    // Room names are case-sensitive: "Lobby" is another room, and hears nothing of "lobby".
    let (mut other, welcome) = Chat::join(&relay, "Lobby", "bob").await;
    assert_eq!(welcome.members, strings(&["bob"]));

    // Leaving with a Close, and with a dropped TCP connection, are both `left`.
    within(alice.ws.close(None)).await.expect("close");
    let _ = read_to_end(&mut alice.ws).await;
    assert_eq!(bob.recv().await, left("Alice"));
    assert_eq!(zed.recv().await, left("Alice"));
    drop(zed);
    assert_eq!(bob.recv().await, left("Zed"));
    bob.ping().await;
    other.ping().await;

    // The nick is free again.
    let (_, welcome) = Chat::join(&relay, "lobby", "alice").await;
    assert_eq!(welcome.members, strings(&["alice", "bob"]));
}

#[tokio::test]
async fn say_reaches_everyone_with_increasing_seq() {
    let relay = Relay::start().await;
    let (mut a, _) = Chat::join(&relay, "room", "a").await;
    let (mut b, _) = Chat::join(&relay, "room", "b").await;
    let (mut c, _) = Chat::join(&relay, "room", "c").await;
    assert_eq!(a.recv().await, joined("b"));
    assert_eq!(a.recv().await, joined("c"));
    assert_eq!(b.recv().await, joined("c"));

    let before = now_ms();
    a.say("a-1", "hello").await;
    a.say("a-2", "é✓ \"quoted\" \n newline").await;
    let first = a.recv_post().await;
    let second = a.recv_post().await;
    b.say("b-1", "from b").await;
    let third = a.recv_post().await;
    let after = now_ms();

    let expected = [
        ("a-1", "a", "hello"),
        ("a-2", "a", "é✓ \"quoted\" \n newline"),
        ("b-1", "b", "from b"),
    ];
    let seen_by_a = [first, second, third];
    for (index, (post, bytes)) in seen_by_a.iter().enumerate() {
        assert!(bytes.is_none());
        let Post::Message(message) = post else {
            panic!("expected a message, got {post:?}");
        };
        let (id, from, text) = expected[index];
        assert_eq!(message.seq, index as u64 + 1);
        assert_eq!((message.id.as_str(), message.from.as_str()), (id, from));
        assert_eq!(message.text, text);
        assert!((before..=after).contains(&message.ts), "ts {}", message.ts);
    }
    for other in [&mut b, &mut c] {
        for expected in &seen_by_a {
            assert_eq!(&other.recv_post().await, expected);
        }
        other.ping().await;
    }
    a.ping().await;
}

#[tokio::test]
async fn images_reach_everyone_with_their_exact_bytes() {
    let relay = Relay::start().await;
    let (mut a, _) = Chat::join(&relay, "pics", "a").await;
    let (mut b, _) = Chat::join(&relay, "pics", "b").await;
    let (mut c, _) = Chat::join(&relay, "pics", "c").await;
    assert_eq!(a.recv().await, joined("b"));
    assert_eq!(a.recv().await, joined("c"));
    assert_eq!(b.recv().await, joined("c"));

    let small = picture(7, 300_000);
    a.image("pic-1", "image/webp", &small).await;
    let (post, bytes) = a.recv_post().await;
    let Post::Image(announced) = &post else {
        panic!("expected an image, got {post:?}");
    };
    assert_eq!(
        (
            announced.seq,
            announced.id.as_str(),
            announced.from.as_str(),
            announced.mime.as_str(),
            announced.size
        ),
        (1, "pic-1", "a", "image/webp", 300_000)
    );
    assert!(bytes.as_deref() == Some(&small[..]));
    for other in [&mut b, &mut c] {
        let (got, got_bytes) = other.recv_post().await;
        assert_eq!(got, post);
        assert!(got_bytes.as_deref() == Some(&small[..]), "the bytes differ");
    }

    // The largest image allowed, from another member.
    let largest = picture(9, MAX_IMAGE_BYTES);
    b.image("pic-2", "image/png", &largest).await;
    for member in [&mut a, &mut b, &mut c] {
        let (got, got_bytes) = member.recv_post().await;
        let Post::Image(image) = got else {
            panic!("expected an image");
        };
        assert_eq!((image.seq, image.from.as_str()), (2, "b"));
        assert_eq!(image.size, MAX_IMAGE_BYTES as u64);
        assert!(
            got_bytes.as_deref() == Some(&largest[..]),
            "the bytes differ"
        );
        member.ping().await;
    }
}

#[tokio::test]
async fn the_history_keeps_the_last_50_posts_with_their_images() {
    let relay = Relay::start().await;
    // Four senders: each stays within the burst of 20 frames (its join and 14 posts).
    let mut senders = Vec::new();
    for n in 0..4 {
        senders.push(Chat::join(&relay, "history", &format!("s{n}")).await.0);
    }
    let mut broadcast = Vec::new();
    for n in 1..=55u8 {
        let sender = &mut senders[usize::from(n) % 4];
        let id = format!("post-{n}");
        if n == 3 || n == 10 || n == 53 {
            let bytes = picture(n, 1000 + usize::from(n));
            sender.image(&id, "image/gif", &bytes).await;
        } else {
            sender.say(&id, &format!("message {n}")).await;
        }
        broadcast.push(sender.ack(&id).await);
    }
    let seqs: Vec<u64> = broadcast.iter().map(|(post, _)| post.seq()).collect();
    assert_eq!(seqs, (1..=55).collect::<Vec<u64>>());

    let (mut newcomer, welcome) = Chat::join(&relay, "history", "newcomer").await;
    let kept = &broadcast[55 - HISTORY_LEN..];
    let history: Vec<Post> = kept.iter().map(|(post, _)| post.clone()).collect();
    assert_eq!(welcome.history.len(), HISTORY_LEN);
    assert_eq!(
        welcome.history, history,
        "the history is the posts as broadcast"
    );
    assert_eq!(welcome.history[0].seq(), 6);
    let images: Vec<Vec<u8>> = kept.iter().filter_map(|(_, bytes)| bytes.clone()).collect();
    assert_eq!(images.len(), 2, "posts 10 and 53 are images; 3 is too old");
    assert_eq!(welcome.images, images);
    assert_eq!(images[0], picture(10, 1010));
    newcomer.ping().await;
}

#[tokio::test]
async fn every_error_code_leaves_the_connection_usable() {
    let relay = Relay::start().await;

    // Before a join.
    let mut c = Chat::connect(&relay).await;
    for (frame, code) in [
        ("{".to_owned(), ErrorCode::BadJson),
        (r#"{"type":"shout"}"#.to_owned(), ErrorCode::UnknownType),
        (say("1", "too early").to_json(), ErrorCode::NotJoined),
        (image("2", "image/png", 3).to_json(), ErrorCode::NotJoined),
        (join("bad room!", "n", None).to_json(), ErrorCode::BadRoom),
        (join("errors", " \t ", None).to_json(), ErrorCode::BadNick),
    ] {
        c.send_raw(&frame).await;
        c.expect_error(code).await;
        c.ping().await;
    }
    c.join_here("errors", "first", None).await;
    c.send(&join("elsewhere", "other", None)).await;
    c.expect_error(ErrorCode::AlreadyJoined).await;
    c.ping().await;
    c.say("ok", "still here").await;
    let (post, _) = c.ack("ok").await;
    assert_eq!(post.seq(), 1);

    // The nick is taken regardless of case, and without the holder's session.
    let (_holder, _) = Chat::join(&relay, "errors", "Taken").await;
    let mut d = Chat::connect(&relay).await;
    d.send(&join("errors", "TAKEN", None)).await;
    d.expect_error(ErrorCode::NickTaken).await;
    d.ping().await;
    d.send(&join("errors", "taken", Some("session"))).await;
    d.expect_error(ErrorCode::NickTaken).await;
    d.ping().await;
    d.join_here("errors", "d", None).await;
    for (message, code) in [
        (say("", "no id"), ErrorCode::BadId),
        (say(&"i".repeat(65), "long id"), ErrorCode::BadId),
        (say("i", ""), ErrorCode::BadText),
        (image("i", "image/svg+xml", 3), ErrorCode::BadMime),
        (image("i", "image/png", 0), ErrorCode::BadSize),
    ] {
        d.send(&message).await;
        d.expect_error(code).await;
        d.ping().await;
    }
    // A text frame where the image's bytes were due: the image is dropped, the frame handled.
    d.send(&image("e", "image/png", 3)).await;
    d.send(&ClientMessage::Ping).await;
    d.expect_error(ErrorCode::ExpectedBinary).await;
    assert_eq!(d.recv().await, ServerMessage::Pong);
    d.say("after", "fine").await;
    d.ack("after").await;

    // Binary frames without their announcement, or of the wrong length.
    let (mut e, _) = Chat::join(&relay, "errors", "e").await;
    e.send_binary(vec![1, 2, 3]).await;
    e.expect_error(ErrorCode::UnexpectedBinary).await;
    e.ping().await;
    e.send(&image("m", "image/png", 10)).await;
    e.send_binary(vec![0; 5]).await;
    e.expect_error(ErrorCode::SizeMismatch).await;
    e.ping().await;
    // The dropped image's bytes are not waited for any more.
    e.send_binary(vec![0; 10]).await;
    e.expect_error(ErrorCode::UnexpectedBinary).await;
    e.image("m", "image/png", &[5; 10]).await;
    let (post, bytes) = e.ack("m").await;
    assert!(matches!(post, Post::Image(ImageMessage { size: 10, .. })));
    assert_eq!(bytes, Some(vec![5; 10]));
}

#[tokio::test]
async fn a_resent_message_is_acknowledged_not_repeated() {
    let relay = Relay::start().await;
    let (mut alice, _) = Chat::join(&relay, "dedup", "Alice").await;
    let (mut bob, _) = Chat::join(&relay, "dedup", "bob").await;
    assert_eq!(alice.recv().await, joined("bob"));

    alice.say("x", "once").await;
    let original = alice.recv_post().await;
    assert_eq!(bob.recv_post().await, original);
    alice.say("x", "once").await;
    assert_eq!(alice.recv_post().await, original, "the same seq and ts");
    bob.ping().await;

    let bytes = picture(1, 4096);
    alice.image("pic", "image/jpeg", &bytes).await;
    let original_image = alice.recv_post().await;
    assert_eq!(bob.recv_post().await, original_image);
    alice.image("pic", "image/jpeg", &bytes).await;
    assert_eq!(alice.recv_post().await, original_image);
    bob.ping().await;

    // After a reconnect, and under another case of the nick.
    within(alice.ws.close(None)).await.expect("close");
    let _ = read_to_end(&mut alice.ws).await;
    assert_eq!(bob.recv().await, left("Alice"));
    let (mut again, _) = Chat::join(&relay, "dedup", "ALICE").await;
    assert_eq!(bob.recv().await, joined("ALICE"));
    again.say("x", "once").await;
    assert_eq!(again.recv_post().await, original);
    again.image("pic", "image/jpeg", &bytes).await;
    assert_eq!(again.recv_post().await, original_image);
    bob.ping().await;

    // Another sender may use the same id; a new id is a new post.
    bob.say("x", "bob's x").await;
    let (post, _) = bob.recv_post().await;
    assert_eq!(again.recv_post().await.0, post);
    assert_eq!(post.seq(), 3);
    again.say("y", "new").await;
    let (post, _) = again.recv_post().await;
    assert_eq!(post.seq(), 4);
    assert_eq!(bob.recv_post().await.0, post);
}

#[tokio::test]
async fn a_resent_image_older_than_the_welcome_history_is_acknowledged_with_its_stored_bytes() {
    let relay = Relay::start().await;
    let (mut old, _) = Chat::join(&relay, "old", "old").await;
    let bytes = picture(3, 100);
    old.image("old-pic", "image/png", &bytes).await;
    let original = old.ack("old-pic").await;

    // Push the image out of a new joiner's history: three senders within their bursts.
    let mut senders = Vec::new();
    for n in 0..3 {
        senders.push(Chat::join(&relay, "old", &format!("s{n}")).await.0);
    }
    for n in 0..HISTORY_LEN {
        let sender = &mut senders[n % 3];
        let id = format!("m{n}");
        sender.say(&id, "filler").await;
        sender.ack(&id).await;
    }
    let (_, welcome) = Chat::join(&relay, "old", "check").await;
    assert!(welcome.history.iter().all(|post| post.seq() > 1));
    assert!(!welcome.complete, "post 1 is not in this welcome");

    old.image("old-pic", "image/png", &bytes).await;
    assert_eq!(old.ack("old-pic").await, original);
    // The store still has the original: a copy of another size is acknowledged with it.
    old.image("old-pic", "image/png", &bytes[..50]).await;
    assert_eq!(old.ack("old-pic").await, original);
    old.ping().await;
}

#[tokio::test]
async fn the_same_session_replaces_the_old_connection_silently() {
    let relay = Relay::start().await;
    let (mut old, _) = Chat::join_with(&relay, "s", "Ada", Some("secret-1")).await;
    let (mut bob, _) = Chat::join(&relay, "s", "bob").await;
    assert_eq!(old.recv().await, joined("bob"));

    let mut thief = Chat::connect(&relay).await;
    thief.send(&join("s", "ada", Some("another-secret"))).await;
    thief.expect_error(ErrorCode::NickTaken).await;
    thief.send(&join("s", "Ada", None)).await;
    thief.expect_error(ErrorCode::NickTaken).await;

    let (mut new, welcome) = Chat::join_with(&relay, "s", "ada", Some("secret-1")).await;
    assert_eq!(welcome.nick, "Ada", "the nick as the room knows it");
    assert_eq!(welcome.members, strings(&["Ada", "bob"]));
    assert_eq!(
        old.closed().await,
        (CLOSE_REPLACED, REASON_REPLACED.to_owned())
    );
    // No left, no joined: the next frame bob gets is the pong.
    bob.ping().await;

    new.say("back", "I am back").await;
    let (post, _) = bob.recv_post().await;
    let Post::Message(message) = post else {
        panic!("expected a message");
    };
    assert_eq!(
        (message.from.as_str(), message.text.as_str()),
        ("Ada", "I am back")
    );

    // The new connection leaving is a normal leave.
    drop(new);
    assert_eq!(bob.recv().await, left("Ada"));
}
