//! Durable rooms: posts, `seq` and re-send memory in SQLite under `--data`, surviving SIGKILL
//! and SIGTERM of the real binary, also when many posts arrive at once and share commits; resuming with `since` inside and beyond the bound and after
//! a history reset; retention; and the bad states (a data folder that cannot be created, a
//! corrupt or locked database, a full one) that fail clearly instead of losing posts.

mod common;

use common::chat::{Chat, picture};
use common::process::{RelayProcess, run_to_exit};
use common::{Relay, TempDir};
use duplex_relay::Config;
use duplex_relay::protocol::{ErrorCode, Post, RESUME_LIMIT, ServerMessage, Since};
use duplex_relay::store::DATABASE_FILE;

/// Posts `count` texts to `room` from fresh connections, each within the burst of 20 frames
/// (its join and 19 posts), one after the other so that nobody's queue fills; returns the acks.
async fn post_many(addr: std::net::SocketAddr, room: &str, count: usize) -> Vec<Post> {
    let mut acks = Vec::with_capacity(count);
    for (batch, ids) in (0..count).collect::<Vec<_>>().chunks(19).enumerate() {
        let mut sender = Chat::connect_to(addr).await;
        sender
            .join_here(room, &format!("bulk-{batch}-{}", acks.len()), None)
            .await;
        for n in ids {
            sender.say(&format!("bulk-{n}"), &format!("post {n}")).await;
        }
        for n in ids {
            acks.push(sender.ack(&format!("bulk-{n}")).await.0);
        }
    }
    acks
}

#[tokio::test]
async fn posts_seq_and_resends_survive_a_sigkill() {
    let data = TempDir::new();
    let relay = RelayProcess::start(data.path(), &[]);
    let (mut ada, first) = {
        let mut ada = Chat::connect_to(relay.addr).await;
        let welcome = ada.join_here("durable", "Ada", None).await;
        (ada, welcome)
    };
    ada.say("t1", "before the crash").await;
    let (text, _) = ada.ack("t1").await;
    let bytes = picture(7, 3000);
    ada.image("i1", "image/png", &bytes).await;
    let (image, _) = ada.ack("i1").await;
    assert_eq!((text.seq(), image.seq()), (1, 2));

    relay.kill();
    let relay = RelayProcess::start(data.path(), &[]);
    let mut bob = Chat::connect_to(relay.addr).await;
    let welcome = bob.join_here("durable", "bob", None).await;
    assert_eq!(welcome.epoch, first.epoch, "the same history");
    assert_eq!(welcome.seq, 2);
    assert_eq!(welcome.history, vec![text.clone(), image.clone()]);
    assert_eq!(welcome.images, vec![bytes.clone()]);
    assert!(welcome.complete);

    // A re-send from before the crash is still an acknowledgement, with the original seq.
    let mut ada = Chat::connect_to(relay.addr).await;
    ada.join_here("durable", "Ada", None).await;
    ada.say("t1", "before the crash").await;
    assert_eq!(ada.ack("t1").await.0, text);
    ada.image("i1", "image/png", &bytes).await;
    assert_eq!(ada.ack("i1").await, (image, Some(bytes)));
    // And seq goes on, never reused.
    ada.say("t2", "after the crash").await;
    assert_eq!(ada.ack("t2").await.0.seq(), 3);

    relay.terminate();
    let relay = RelayProcess::start(data.path(), &[]);
    let mut carol = Chat::connect_to(relay.addr).await;
    let welcome = carol.join_here("durable", "carol", None).await;
    assert_eq!(welcome.seqs(), vec![1, 2, 3], "after a SIGTERM too");
}

/// Rooms and members of the concurrent test, and posts each member sends at once.
const ROOMS: usize = 4;
const MEMBERS: usize = 10;
const POSTS_EACH: usize = 15;

#[tokio::test]
async fn concurrent_posts_share_commits_and_every_acknowledged_one_survives_a_sigkill() {
    let data = TempDir::new();
    let relay = RelayProcess::start(data.path(), &[]);
    let mut senders = tokio::task::JoinSet::new();
    for member in 0..ROOMS * MEMBERS {
        let addr = relay.addr;
        senders.spawn(async move {
            let room = format!("burst-{}", member % ROOMS);
            let mut chat = Chat::connect_to(addr).await;
            let epoch = chat
                .join_here(&room, &format!("m{member}"), None)
                .await
                .epoch;
            // Every post at once: they arrive while others' commits wait for the disk.
            for n in 0..POSTS_EACH {
                chat.say(&format!("p{n}"), &format!("{member}/{n}")).await;
            }
            let mut acks = Vec::new();
            for n in 0..POSTS_EACH {
                acks.push(chat.ack(&format!("p{n}")).await.0);
            }
            (room, epoch, acks)
        });
    }
    let mut acknowledged: Vec<(String, String, Post)> = Vec::new();
    while let Some(sent) = senders.join_next().await {
        let (room, epoch, acks) = sent.expect("a sender");
        acknowledged.extend(
            acks.into_iter()
                .map(|ack| (room.clone(), epoch.clone(), ack)),
        );
    }
    assert_eq!(acknowledged.len(), ROOMS * MEMBERS * POSTS_EACH);

    relay.kill();
    let relay = RelayProcess::start(data.path(), &[]);
    for room in 0..ROOMS {
        let room = format!("burst-{room}");
        let epoch = acknowledged
            .iter()
            .find(|(r, ..)| *r == room)
            .map(|(_, epoch, _)| epoch.clone())
            .expect("posts in the room");
        let mut reader = Chat::connect_to(relay.addr).await;
        let since = Since { seq: 0, epoch };
        let welcome = reader.join_since(&room, "reader", None, Some(since)).await;
        let total = (MEMBERS * POSTS_EACH) as u64;
        assert_eq!(welcome.seqs(), (1..=total).collect::<Vec<_>>(), "{room}");
        for (_, _, ack) in acknowledged.iter().filter(|(r, ..)| *r == room) {
            assert!(
                welcome.history.contains(ack),
                "{room}: acknowledged {ack:?} is stored"
            );
        }
    }
}

#[tokio::test]
async fn a_join_with_since_gets_exactly_what_it_missed() {
    let relay = Relay::start().await;
    let (mut reader, welcome) = Chat::join(&relay, "resume", "reader").await;
    let posted = post_many(relay.addr, "resume", 30).await;
    let seqs: Vec<u64> = posted.iter().map(Post::seq).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
    drop(reader.ws);

    let since = |seq| {
        Some(Since {
            seq,
            epoch: welcome.epoch.clone(),
        })
    };
    reader = Chat::connect(&relay).await;
    let resumed = reader.join_since("resume", "reader", None, since(10)).await;
    assert_eq!(
        resumed.history,
        posted[10..].to_vec(),
        "posts 11 to 30, as broadcast"
    );
    assert!(resumed.complete);
    assert_eq!(resumed.seq, 30);

    // Up to date: nothing to resume, and complete.
    let mut current = Chat::connect(&relay).await;
    let welcome = current
        .join_since("resume", "current", None, since(30))
        .await;
    assert!(welcome.history.is_empty() && welcome.complete);

    // Another epoch (or a seq the room never reached) is a fresh join: the latest posts, from
    // seq 1 when they all fit.
    // A nick each: the relay may not have seen the previous stranger's connection end yet.
    for (nick, since) in [
        (
            "stranger",
            Some(Since {
                seq: 10,
                epoch: "0123456789abcdef".to_owned(),
            }),
        ),
        ("stranger-2", since(31)),
    ] {
        let mut stranger = Chat::connect(&relay).await;
        let welcome = stranger.join_since("resume", nick, None, since).await;
        assert_eq!(welcome.seqs(), (1..=30).collect::<Vec<_>>());
        assert!(welcome.complete);
    }
}

#[tokio::test]
async fn a_resume_beyond_the_bound_says_it_is_incomplete_and_retention_drops_the_oldest() {
    let relay = Relay::with_config(Config {
        keep_posts: 1000,
        ..Config::default()
    })
    .await;
    let (mut first, welcome) = Chat::join(&relay, "big", "first").await;
    first.say("very-first", "the first post").await;
    let original = first.ack("very-first").await.0;
    drop(first);
    let total = 1100;
    let posted = post_many(relay.addr, "big", total - 1).await;
    assert_eq!(posted.last().map(Post::seq), Some(1100));
    let since = |seq| {
        Some(Since {
            seq,
            epoch: welcome.epoch.clone(),
        })
    };

    let mut late = Chat::connect(&relay).await;
    let resumed = late.join_since("big", "late", None, since(50)).await;
    assert_eq!(resumed.history.len(), RESUME_LIMIT);
    assert_eq!(
        resumed.seqs(),
        (101..=1100).collect::<Vec<u64>>(),
        "the latest {RESUME_LIMIT}, in order"
    );
    assert!(!resumed.complete, "posts 51 to 100 are missing");

    let mut exact = Chat::connect(&relay).await;
    let resumed = exact.join_since("big", "exact", None, since(100)).await;
    assert_eq!(resumed.seqs(), (101..=1100).collect::<Vec<u64>>());
    assert!(resumed.complete);

    // Post 1 was deleted by retention (1,000 kept), and so was its re-send memory: posting it
    // again makes a new post.
    let mut first = Chat::connect(&relay).await;
    first.join_here("big", "first", None).await;
    first.say("very-first", "the first post").await;
    let again = first.ack("very-first").await.0;
    assert_ne!(again, original);
    assert_eq!(again.seq(), 1101);
}

#[tokio::test]
async fn a_wiped_history_has_a_new_epoch() {
    let data = TempDir::new();
    let relay = RelayProcess::start(data.path(), &[]);
    let mut ada = Chat::connect_to(relay.addr).await;
    let before = ada.join_here("wiped", "Ada", None).await;
    ada.say("a", "old history").await;
    ada.ack("a").await;
    relay.terminate();

    for file in std::fs::read_dir(data.path()).expect("the data folder") {
        std::fs::remove_file(file.expect("an entry").path()).expect("wipe the database");
    }
    let relay = RelayProcess::start(data.path(), &[]);
    let mut ada = Chat::connect_to(relay.addr).await;
    let after = ada
        .join_since(
            "wiped",
            "Ada",
            None,
            Some(Since {
                seq: 1,
                epoch: before.epoch.clone(),
            }),
        )
        .await;
    assert_ne!(
        after.epoch, before.epoch,
        "a page can tell the histories apart"
    );
    assert_eq!(after.seq, 0);
    assert!(after.history.is_empty());
    ada.say("b", "new history").await;
    assert_eq!(ada.ack("b").await.0.seq(), 1);
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_data_folder_that_cannot_be_created_stops_the_relay_at_start() {
    let parent = TempDir::new();
    parent.write("file", b"not a folder");
    let data = parent.path().join("file").join("data");
    let output = run_to_exit(&data, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains(&data.display().to_string()), "{stderr}");
    assert!(stderr.contains("cannot create the data folder"), "{stderr}");
    assert!(output.stdout.is_empty(), "no URL: it never listened");
}

#[test]
fn a_corrupt_database_stops_the_relay_at_start_naming_the_file() {
    let data = TempDir::new();
    data.write(DATABASE_FILE, &[0x42; 8192]);
    let output = run_to_exit(data.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    let file = data.path().join(DATABASE_FILE);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("not a SQLite database"), "{stderr}");
}

#[test]
fn a_second_relay_on_the_same_data_folder_is_refused() {
    let data = TempDir::new();
    let _first = RelayProcess::start(data.path(), &[]);
    let output = run_to_exit(data.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    let file = data.path().join(DATABASE_FILE);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("locked by another process"), "{stderr}");
}

#[test]
fn a_data_folder_inside_the_served_root_is_refused() {
    let root = TempDir::new();
    root.write("index.html", b"page");
    let data = root.path().join("data");
    let output = run_to_exit(&data, &["--root", &root.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("inside the served folder"));
    assert!(!data.exists(), "nothing was created");
}

#[test]
fn keep_posts_below_the_minimum_is_refused() {
    let data = TempDir::new();
    let output = run_to_exit(data.path(), &["--keep-posts", "999"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("at least 1000"));
}

#[tokio::test]
async fn a_full_database_refuses_posts_and_acknowledges_only_what_it_stored() {
    let relay = Relay::with_config(Config {
        max_db_mib: Some(1),
        ..Config::default()
    })
    .await;
    let (mut ada, _) = Chat::join(&relay, "full", "Ada").await;
    let mut stored = Vec::new();
    let refused = loop {
        let id = format!("img-{}", stored.len());
        ada.image(&id, "image/png", &picture(1, 200_000)).await;
        match ada.recv().await {
            ServerMessage::Image(image) => {
                assert_eq!(ada.recv_binary().await.len(), 200_000);
                stored.push(image.seq);
            }
            ServerMessage::Error {
                code,
                message,
                id: refused,
            } => {
                assert_eq!(code, ErrorCode::Unavailable, "{message}");
                assert!(message.contains("full"), "{message}");
                assert_eq!(refused.as_deref(), Some(id.as_str()), "names the post");
                break id;
            }
            other => panic!("expected an image or an error, got {other:?}"),
        }
        assert!(
            stored.len() < 10,
            "a 1 MiB quota holds fewer than ten 200 kB images"
        );
    };
    assert!(!stored.is_empty());
    // Still usable, and text that fits is still stored.
    ada.ping().await;
    let (mut bob, welcome) = Chat::join(&relay, "full", "bob").await;
    assert_eq!(welcome.seqs(), stored, "exactly the acknowledged posts");
    assert!(
        welcome.history.iter().all(|post| match post {
            Post::Image(image) => image.id != refused,
            Post::Message(_) => true,
        }),
        "the refused image was not stored"
    );
    bob.ping().await;
}
