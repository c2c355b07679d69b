//! A post the relay refuses never locks the chat page out (`DUPLEX_E2E_BROWSER`).
//!
//! Checklist:
//! - [x] a message of 1,400 CJK characters (4,200 bytes of UTF-8: under the input's `maxlength`,
//!   which counts UTF-16 units, but over the relay's 4,096 bytes) is not sent: the page says why,
//!   keeps the text in the input and nothing enters the outbox
//! - [x] ten messages the relay refuses with `bad-text` (through `/test/refuse-posts`, which makes
//!   the real chat refuse every text holding a marker, as it refuses a text it finds invalid) are
//!   each shown failed with the relay's reason, none stays in the outbox; the tenth bad request
//!   closes the connection with 1008 and the page reconnects on its own
//! - [x] a message typed afterwards is acknowledged at once, and the refused ones are never sent
//!   again: after the reconnect the relay has refused exactly ten posts
//! - [x] a failed message's Edit button puts its text back into the input (the failed entry goes),
//!   and the edited text is sent and acknowledged; its Remove button takes it off the page
//! - [x] screenshot `target/e2e/chat-<browser>-refused.png` of the failed posts; no page errors
//!
//! On the page of before (it kept every refused post pending and sent all of them again after each
//! join), the ten were sent again after every reconnect, each reconnect ended in the same 1008, and
//! the message typed afterwards was never acknowledged.

use std::time::Duration;

use duplex_chat_protocol::MAX_TEXT_BYTES;
use duplex_e2e::chat::{ChatSnapshot, ChatTab};
use duplex_e2e::relay::Relay;
use duplex_e2e::setup::Setup;
use serde_json::json;

/// The marker `/test/refuse-posts` refuses.
const POISON: &str = "POISON";
/// As many refused posts as it takes the relay to close a connection (its bad-request limit).
const REFUSED: usize = 10;
const AFTER: &str = "typed after the refusals";
const EDITED: &str = "the first one, edited";

fn settled(page: &ChatSnapshot) -> bool {
    page.messages.iter().all(|m| !m.pending) && page.outbox.as_deref() == Some("0")
}

#[tokio::test]
async fn refused_posts_are_marked_failed_and_never_lock_the_page_out() {
    let setup = Setup::from_env().expect("the e2e environment");
    let relay = Relay::with_test_endpoints(&setup.root).expect("start the relay");
    let room = format!("refused-{}", setup.browser);
    let ada = ChatTab::open(&setup, &relay.base_url(), &room, "ada")
        .await
        .expect("open the page");
    ada.join().await.expect("ada joins");

    let cjk = "字".repeat(1400);
    assert!(cjk.len() > MAX_TEXT_BYTES && cjk.encode_utf16().count() < MAX_TEXT_BYTES);
    ada.send_with_enter(&cjk).await.expect("type the long text");
    let page = ada
        .wait_until("the page to say the text is too long", |page| {
            page.notice.as_deref().is_some_and(|n| n.contains("bytes"))
        })
        .await
        .expect("a notice");
    assert_eq!(page.input.as_deref(), Some(cjk.as_str()), "{page}");
    assert!(page.messages.is_empty() && settled(&page), "{page}");
    ada.clear_input().await.expect("clear the input");

    let refusing = relay
        .control(&format!(
            "/test/refuse-posts?containing={POISON}&code=bad-text"
        ))
        .await
        .expect("refuse the marker");
    assert_eq!(refusing, json!({ "refused": 0 }));
    for n in 0..REFUSED {
        ada.send_with_enter(&format!("{POISON} {n}"))
            .await
            .expect("type a refused text");
    }
    let page = ada
        .wait_until("every refused post shown failed", |page| {
            page.failed().count() == REFUSED && settled(page)
        })
        .await
        .expect("the refusals arrive");
    assert!(
        page.failed()
            .all(|m| m.failure.as_deref().is_some_and(|f| f.contains("bad-text"))),
        "{page}"
    );
    ada.screenshot(&format!("chat-{}-refused", setup.browser))
        .await
        .expect("a screenshot");

    ada.send_with_enter(AFTER).await.expect("type");
    ada.wait_until("the later message acknowledged", |page| {
        page.count("ada", AFTER) == 1 && settled(page) && page.status_has("open")
    })
    .await
    .expect("the page is not locked out");
    // Long enough for a replay after the 1008's reconnect to have reached the relay.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        relay
            .control("/test/refuse-posts")
            .await
            .expect("read the count"),
        json!({ "refused": REFUSED }),
        "a refused post was sent again"
    );

    ada.take_back_failed(true).await.expect("click Edit");
    let page = ada
        .wait_until("the text back in the input", |page| {
            page.input.as_deref() == Some(&format!("{POISON} 0")) && page.failed().count() == 9
        })
        .await
        .expect("edit takes the post back");
    assert_eq!(page.count("ada", &format!("{POISON} 0")), 0, "{page}");
    ada.clear_input().await.expect("clear the input");
    ada.send_with_enter(EDITED).await.expect("send the edit");
    ada.take_back_failed(false).await.expect("click Remove");
    let page = ada
        .wait_until(
            "the edit acknowledged and one failed post removed",
            |page| page.count("ada", EDITED) == 1 && settled(page) && page.failed().count() == 8,
        )
        .await
        .expect("edit and remove");
    assert_eq!(page.count("ada", &format!("{POISON} 1")), 0, "{page}");
    ada.finish().await.expect("no page errors");
}
