//! Two relays share one room through a real `redis-server` (`DUPLEX_E2E_BROWSER`): a page on each
//! chats with the other, and when one relay is SIGKILLed its page moves to the other relay
//! (`?server=` lists both) and catches up, every message shown once on every page.
//!
//! Checklist:
//! - [x] relay A is the `duplex-relay` binary, relay B runs in this process, both with `--redis`
//! - [x] Ada's page lists A then B, Bob's B then A; both pages show both members
//! - [x] a message from each page is shown once on both
//! - [x] relay A is killed with SIGKILL; Bob says something while Ada's page is away
//! - [x] Ada's page reconnects to relay B by itself, shows what it missed, and what it says
//!   afterwards reaches Bob
//! - [x] every message once on both pages, none pending, a second later too; no page errors

use std::time::Duration;

use duplex_e2e::chat::{ChatSnapshot, ChatTab};
use duplex_e2e::relay::Relay;
use duplex_e2e::setup::Setup;
use duplex_e2e::shared::{RedisServer, RelayProcess};

const ADA: &str = "ada";
const BOB: &str = "bob";

/// Every message of `said` shown exactly once, none pending.
fn shows_once(page: &ChatSnapshot, said: &[(&str, &str)]) -> bool {
    said.iter().all(|(from, text)| page.count(from, text) == 1)
        && page.messages.len() == said.len()
        && page.messages.iter().all(|m| !m.pending)
}

#[tokio::test]
async fn pages_on_two_relays_share_a_room_and_move_when_one_relay_dies() {
    let setup = Setup::from_env().expect("the e2e environment");
    let redis = RedisServer::start().expect("start redis-server");
    let a = RelayProcess::start(&setup.root, &redis.url()).expect("start relay A");
    let b = Relay::shared(&setup.root, &redis.url()).expect("start relay B");
    let b_chat = format!("ws://{}/chat", b.addr());
    let room = format!("shared-{}", setup.browser);

    let ada = ChatTab::open_with_servers(
        &setup,
        &a.base_url(),
        &room,
        ADA,
        &[a.chat_url(), b_chat.clone()],
    )
    .await
    .expect("open Ada's page on relay A");
    let bob =
        ChatTab::open_with_servers(&setup, &b.base_url(), &room, BOB, &[b_chat, a.chat_url()])
            .await
            .expect("open Bob's page on relay B");
    ada.join().await.expect("Ada joins on relay A");
    bob.join().await.expect("Bob joins on relay B");
    for tab in [&ada, &bob] {
        tab.wait_until("both members listed", |page| {
            page.has_member(ADA) && page.has_member(BOB)
        })
        .await
        .expect("one member list across the relays");
    }

    let mut said = vec![(ADA, "hello from relay A"), (BOB, "hello from relay B")];
    ada.send_with_enter(said[0].1).await.expect("Ada says");
    bob.send_with_enter(said[1].1).await.expect("Bob says");
    for tab in [&ada, &bob] {
        let expected = said.clone();
        tab.wait_until("both messages once", move |page| {
            shows_once(page, &expected)
        })
        .await
        .expect("messages cross the relays");
    }

    a.kill().expect("SIGKILL relay A");
    said.push((BOB, "said while relay A is gone"));
    bob.send_with_enter(said[2].1).await.expect("Bob says");
    let expected = said.clone();
    ada.wait_until("to reconnect to relay B and catch up", move |page| {
        page.status_has("open") && shows_once(page, &expected)
    })
    .await
    .expect("Ada's page moves to relay B");

    said.push((ADA, "said after the move"));
    ada.send_with_enter(said[3].1)
        .await
        .expect("Ada says again");
    for tab in [&ada, &bob] {
        let expected = said.clone();
        tab.wait_until("every message once", move |page| {
            shows_once(page, &expected) && page.has_member(ADA)
        })
        .await
        .expect("nothing lost or shown twice");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for tab in [&ada, &bob] {
        let page = tab.snapshot().await.expect("read the page");
        assert!(
            shows_once(&page, &said),
            "still once a second later:\n{page}"
        );
    }
    let shot = ada
        .screenshot(&format!("chat-shared-{}", setup.browser))
        .await
        .expect("a screenshot");
    eprintln!("screenshot: {}", shot.display());
    ada.finish().await.expect("no page errors on Ada's page");
    bob.finish().await.expect("no page errors on Bob's page");
}
