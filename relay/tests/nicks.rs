//! Honest nicks and the JSON limits of a frame, against a real relay over real sockets.
//!
//! Covers, for nicks: zero-width characters, U+FEFF, the bidi overrides and isolates and other
//! Cf characters, fillers and variation selectors are `bad-nick`, the message naming the code
//! point; nicks that compare equal under NFKC_Casefold (`Straße`/`STRASSE`, `ΑΣ`/`ασ`/`ας`,
//! `José` precomposed/decomposed, fullwidth `Ａｄａ`/`ada`) are `nick-taken`, the message
//! naming the nick as the room keeps it; the welcome, `joined` and `from` show the kept (NFC)
//! form; members are ordered by the nicks as compared; a re-send under an equal nick is
//! recognised; the same across two relays sharing a real `redis-server`.
//!
//! For JSON: a `say` with an unknown field holding `1e400`, a 5,000-digit integer, or arrays
//! nested 8,000 deep (as deep as a 16 KiB text frame allows) is accepted and broadcast; an
//! `image` announced with `size: 1e400`, `-1` or `1.5` is `bad-size`, naming the post; a known
//! field given twice is `bad-json`.

mod common;

use common::chat::{Chat, join};
use common::redis::RedisServer;
use common::{Relay, read_to_end, within};
use duplex_relay::Config;
use duplex_relay::protocol::{ErrorCode, MAX_TEXT_FRAME_BYTES, Post, ServerMessage};

/// `José` with a precomposed é (NFC) and with e and a combining acute accent (NFD).
const JOSE_NFC: &str = "Jos\u{E9}";
const JOSE_NFD: &str = "Jose\u{301}";

fn joined(nick: &str) -> ServerMessage {
    ServerMessage::Joined {
        nick: nick.to_owned(),
    }
}

/// Joins `room` as `nick` on a new connection, which must be refused with `code`; returns the
/// error's message.
async fn refused(relay: &Relay, room: &str, nick: &str, code: ErrorCode) -> String {
    let mut chat = Chat::connect(relay).await;
    chat.send(&join(room, nick, None)).await;
    chat.expect_error(code).await
}

/// The next frame must be an error with `code` about post `id`; returns its message.
async fn expect_error_about(chat: &mut Chat, code: ErrorCode, id: &str) -> String {
    match chat.recv().await {
        ServerMessage::Error {
            code: got,
            message,
            id: about,
        } => {
            assert_eq!((got, about.as_deref()), (code, Some(id)), "{message}");
            message
        }
        other => panic!("expected error {code} about {id}, got {other:?}"),
    }
}

/// Pairs of nicks that look alike and must clash.
const EQUAL_NICKS: [(&str, &str); 6] = [
    ("Straße", "STRASSE"),
    ("ΑΣ", "ασ"),
    ("ασ", "ας"),
    (JOSE_NFC, JOSE_NFD),
    (JOSE_NFD, JOSE_NFC),
    ("Ａｄａ", "ada"),
];

#[tokio::test]
async fn invisible_and_bidi_characters_are_bad_nick() {
    let relay = Relay::start().await;
    for (nick, named) in [
        ("Ada\u{200B}", "U+200B"),
        ("\u{FEFF}Ada", "U+FEFF"),
        ("Ad\u{202E}a", "U+202E"),
        ("\u{2066}Ada\u{2069}", "U+2066"),
        ("Ada\u{200D}", "U+200D"),
        ("Ada\u{200E}", "U+200E"),
        ("Ada\u{2060}", "U+2060"),
        ("Ada\u{00AD}", "U+00AD"),
        ("Ada\u{E0041}", "U+E0041"),
        ("\u{3164}", "U+3164"),
        ("Ada\u{FE0F}", "U+FE0F"),
    ] {
        let message = refused(&relay, "hidden", nick, ErrorCode::BadNick).await;
        assert!(message.contains(named), "{nick:?}: {message}");
    }
    // None of them got in.
    let (_, welcome) = Chat::join(&relay, "hidden", "Ada").await;
    assert_eq!(welcome.members, ["Ada"]);
}

#[tokio::test]
async fn nicks_equal_under_nfkc_casefold_are_taken() {
    let relay = Relay::start().await;
    for (room, (first, second)) in EQUAL_NICKS.iter().enumerate() {
        let room = format!("equal-{room}");
        let (mut holder, welcome) = Chat::join(&relay, &room, first).await;
        let kept = welcome.nick;
        let message = refused(&relay, &room, second, ErrorCode::NickTaken).await;
        assert!(
            message.contains(&format!("{kept:?}")),
            "{second:?} after {first:?}: {message}"
        );
        holder.ping().await;
    }
}

#[tokio::test]
async fn the_room_keeps_and_shows_the_nick_in_nfc() {
    let relay = Relay::start().await;
    let (mut bob, _) = Chat::join(&relay, "kept", "bob").await;
    let (mut jose, welcome) = Chat::join(&relay, "kept", &format!("  {JOSE_NFD} ")).await;
    assert_eq!(welcome.nick, JOSE_NFC);
    assert_eq!(welcome.members, ["bob", JOSE_NFC]);
    assert_eq!(bob.recv().await, joined(JOSE_NFC));

    jose.say("j1", "hola").await;
    let (post, _) = jose.ack("j1").await;
    let Post::Message(message) = &post else {
        panic!("expected a message, got {post:?}");
    };
    assert_eq!(message.from, JOSE_NFC);
    assert_eq!(bob.recv_post().await.0, post);

    // Members are in the order of their nicks as compared: fullwidth Ｂｏｂ sorts as "bob",
    // É after z (U+00E9 > U+007A).
    let (_cy, welcome) = Chat::join(&relay, "kept", "Ｃｙ").await;
    let (_eo, welcome_too) = Chat::join(&relay, "kept", "Éo").await;
    assert_eq!(welcome.members, ["bob", "Ｃｙ", JOSE_NFC]);
    assert_eq!(welcome_too.members, ["bob", "Ｃｙ", JOSE_NFC, "Éo"]);
}

#[tokio::test]
async fn a_resend_under_an_equal_nick_is_recognised() {
    let relay = Relay::start().await;
    let (mut bob, _) = Chat::join(&relay, "dedup", "bob").await;
    let (mut first, _) = Chat::join(&relay, "dedup", "Straße").await;
    assert_eq!(bob.recv().await, joined("Straße"));
    first.say("x", "once").await;
    let (original, _) = first.ack("x").await;
    assert_eq!(bob.recv_post().await.0, original);

    within(first.ws.close(None)).await.expect("close");
    let _ = read_to_end(&mut first.ws).await;
    assert_eq!(
        bob.recv().await,
        ServerMessage::Left {
            nick: "Straße".to_owned()
        }
    );
    let (mut again, _) = Chat::join(&relay, "dedup", "STRASSE").await;
    assert_eq!(bob.recv().await, joined("STRASSE"));
    again.say("x", "once").await;
    assert_eq!(
        again.recv_post().await.0,
        original,
        "acknowledged with the original"
    );
    bob.ping().await;
}

#[tokio::test]
async fn relays_sharing_redis_compare_and_keep_nicks_alike() {
    let redis = RedisServer::start();
    let on = |redis: &RedisServer| {
        Relay::with_config(Config {
            redis: Some(redis.url()),
            ..Config::default()
        })
    };
    let (a, b) = (on(&redis).await, on(&redis).await);
    let (mut ada, _) = Chat::join(&a, "shared-nicks", "Ａｄａ").await;
    for (first, second) in EQUAL_NICKS {
        if first == "Ａｄａ" {
            continue;
        }
        let (holder, _) = Chat::join(&a, "shared-nicks", first).await;
        let kept = holder.nick.clone();
        match ada.recv().await {
            ServerMessage::Joined { nick } => assert_eq!(nick, kept),
            other => panic!("expected {kept} to join, got {other:?}"),
        }
        let message = refused(&b, "shared-nicks", second, ErrorCode::NickTaken).await;
        assert!(message.contains(&format!("{kept:?}")), "{message}");
        drop(holder);
        match ada.recv().await {
            ServerMessage::Left { nick } => assert_eq!(nick, kept),
            other => panic!("expected {kept} to leave, got {other:?}"),
        }
    }
    refused(&b, "shared-nicks", "ADA", ErrorCode::NickTaken).await;

    let (_jose, welcome) = Chat::join(&b, "shared-nicks", JOSE_NFD).await;
    assert_eq!(welcome.nick, JOSE_NFC);
    assert_eq!(welcome.members, ["Ａｄａ", JOSE_NFC]);
    assert_eq!(ada.recv().await, joined(JOSE_NFC));
}

#[tokio::test]
async fn unknown_fields_are_ignored_whatever_they_hold() {
    let relay = Relay::start().await;
    let (mut ada, _) = Chat::join(&relay, "json", "ada").await;
    let (mut bob, _) = Chat::join(&relay, "json", "bob").await;
    assert_eq!(ada.recv().await, joined("bob"));

    let depth = 8_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let digits = format!("1{}", "0".repeat(5_000));
    for (id, extra) in [("huge", "1e400"), ("digits", &digits), ("deep", &deep)] {
        let frame = format!(r#"{{"type":"say","id":"{id}","x":{extra},"text":"t"}}"#);
        assert!(frame.len() <= MAX_TEXT_FRAME_BYTES, "{} bytes", frame.len());
        ada.send_raw(&frame).await;
        let (post, _) = ada.ack(id).await;
        assert_eq!(bob.recv_post().await.0, post, "{id} is broadcast");
    }
}

#[tokio::test]
async fn a_size_that_is_no_integer_in_range_is_bad_size() {
    let relay = Relay::start().await;
    let (mut ada, _) = Chat::join(&relay, "json", "ada").await;
    for (id, size) in [("big", "1e400"), ("negative", "-1"), ("fraction", "1.5")] {
        let frame = format!(r#"{{"type":"image","id":"{id}","mime":"image/png","size":{size}}}"#);
        ada.send_raw(&frame).await;
        expect_error_about(&mut ada, ErrorCode::BadSize, id).await;
    }
    ada.send_raw(r#"{"type":"say","id":"twice","text":"a","text":"b"}"#)
        .await;
    let message = ada.expect_error(ErrorCode::BadJson).await;
    assert!(message.contains("duplicate field"), "{message}");
    ada.ping().await;
}
