//! The chat page in two browsers of the same kind at once (`DUPLEX_E2E_BROWSER`), served by the relay
//! as users get it.
//!
//! Checklist:
//! - [x] both pages start with the room from `?room=`, join with a nickname, and see each other in the
//!   member list; the status reads `open`
//! - [x] text both ways (Enter on one side, the Send button on the other), each shown once on both pages
//! - [x] an image picked in one page is shown in both, from an object URL (`blob:`), decoded at its size
//! - [x] `<img src=x onerror=alert(1)>` shows literally: no element is parsed inside any message text
//! - [x] the relay stops (Close 1012 to every client) and starts again on the same port: both pages
//!   show `reconnecting`, messages typed meanwhile wait in the outbox, and after the pages reconnect on
//!   their own every message, old and new, is shown exactly once on both sides
//! - [x] screenshots `target/e2e/chat-<browser>-alice.png` and `-bob.png`; no page errors
//! - [x] at 390×844 (a phone) the page fits its width: screenshot `chat-<browser>-phone.png`

use std::time::Duration;

use duplex_e2e::chat::{ChatSnapshot, ChatTab};
use duplex_e2e::png::write_test_image;
use duplex_e2e::relay::Relay;
use duplex_e2e::setup::Setup;

const INJECTION: &str = "<img src=x onerror=alert(1)>";

/// Every text message the test sends, with its sender.
const TEXTS: [(&str, &str); 3] = [
    ("alice", "hello bob"),
    ("bob", "hi alice, how are you?"),
    ("bob", INJECTION),
];

const OUTAGE: [(&str, &str); 2] = [
    ("alice", "typed by alice while the relay was down"),
    ("bob", "typed by bob while the relay was down"),
];

fn each_once(page: &ChatSnapshot, texts: &[(&str, &str)]) -> bool {
    texts.iter().all(|(from, text)| page.count(from, text) == 1)
        && page.messages.iter().all(|m| !m.pending)
}

#[tokio::test]
async fn two_people_chat_and_survive_a_relay_restart_seeing_every_message_once() {
    let setup = Setup::from_env().expect("the e2e environment");
    let mut relay = Relay::start(&setup.root).expect("start the relay");
    let room = format!("e2e-{}", setup.browser);
    let alice = ChatTab::open(&setup, &relay.base_url(), &room, "alice")
        .await
        .expect("open alice's page");
    let bob = ChatTab::open(&setup, &relay.base_url(), &room, "bob")
        .await
        .expect("open bob's page");
    alice.join().await.expect("alice joins");
    bob.join().await.expect("bob joins");
    alice
        .wait_until("bob to be listed", |page| page.has_member("bob"))
        .await
        .expect("alice sees bob join");

    alice
        .send_with_enter(TEXTS[0].1)
        .await
        .expect("alice sends");
    bob.send_with_button(TEXTS[1].1).await.expect("bob sends");
    bob.send_with_enter(TEXTS[2].1)
        .await
        .expect("bob sends markup");
    for tab in [&alice, &bob] {
        let page = tab
            .wait_until("every text once", |page| each_once(page, &TEXTS))
            .await
            .expect("the texts arrive");
        assert!(
            page.markup_in_text.is_empty(),
            "markup was parsed inside a message:\n{page}"
        );
        assert!(page.status_has("open"), "{page}");
    }

    let image = write_test_image(&setup.artifacts(), "chat-test-image", 48).expect("a PNG");
    alice
        .send_image(&image)
        .await
        .expect("alice picks an image");
    for tab in [&alice, &bob] {
        let page = tab
            .wait_until("alice's image, decoded", |page| {
                let images: Vec<_> = page.images_from("alice").collect();
                images.len() == 1
                    && images[0].src.starts_with("blob:")
                    && images[0].width == 48
                    && page.messages.iter().all(|m| !m.pending)
            })
            .await
            .expect("the image is shown once");
        assert_eq!(page.images_from("bob").count(), 0, "{page}");
    }

    relay.stop();
    for tab in [&alice, &bob] {
        tab.wait_until("to notice the restart", |page| {
            page.status_has("reconnecting")
        })
        .await
        .expect("the page shows it is reconnecting");
    }
    alice.send_with_enter(OUTAGE[0].1).await.expect("type");
    bob.send_with_enter(OUTAGE[1].1).await.expect("type");
    for tab in [&alice, &bob] {
        tab.wait_until("the outbox to hold the message", |page| {
            page.outbox.as_deref() == Some("1")
        })
        .await
        .expect("the message waits in the outbox");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.restart().expect("restart the relay on the same port");

    let everything: Vec<_> = TEXTS.iter().chain(&OUTAGE).copied().collect();
    for tab in [&alice, &bob] {
        tab.wait_until("to rejoin and show everything once", |page| {
            page.status_has("open")
                && page.outbox.as_deref() == Some("0")
                && each_once(page, &everything)
        })
        .await
        .expect("every message once after the restart");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for tab in [&alice, &bob] {
        let page = tab.snapshot().await.expect("read the page");
        assert!(
            each_once(&page, &everything),
            "nothing shown twice later:\n{page}"
        );
        assert_eq!(page.images_from("alice").count(), 1, "{page}");
        assert!(page.has_member("alice") && page.has_member("bob"), "{page}");
        let shot = tab
            .screenshot(&format!("chat-{}-{}", setup.browser, tab.nick()))
            .await
            .expect("a screenshot");
        eprintln!("screenshot: {}", shot.display());
    }
    assert!(
        bob.fits_width(390, 844).await.expect("resize"),
        "on a phone-sized window the page should not scroll sideways"
    );
    bob.screenshot(&format!("chat-{}-phone", setup.browser))
        .await
        .expect("a phone-sized screenshot");
    alice.finish().await.expect("no page errors for alice");
    bob.finish().await.expect("no page errors for bob");
}
