//! The framework echo consoles, `www/leptos.html` (duplex-ws-leptos) and `www/yew.html`
//! (duplex-ws-yew), in a real browser (the one `DUPLEX_E2E_BROWSER` names), served by a relay with
//! its test controls on. Each test opens its own browser.
//!
//! Checklist, for each page:
//! - [x] the page's Rust code starts, fills the server field with `/echo` (relative) and opens:
//!   the status reads `open`, the outbox `0`
//! - [x] Enter sends a note; its echo comes back decoded and is shown once; markup stays text
//! - [x] the relay drops every connection and refuses new ones for a while: the status shows the
//!   backoff, a note typed meanwhile waits in the outbox (`1`) and is shown once after the
//!   reconnect, the outbox back to `0` (screenshot `target/e2e/<page>-<browser>.png` then)
//! - [x] Disconnect closes with 1000 "bye" (status and log say so); Reconnect opens again
//! - [x] Move points the socket at the server field's new URL: notes go there, and the relay sees
//!   that connection closed by the next Disconnect
//! - [x] no uncaught error, unhandled rejection or `console.error` in any of the above

use duplex_e2e::page::{LEPTOS_PAGE, YEW_PAGE};
use duplex_e2e::{EchoPage, Snapshot};

#[tokio::test]
async fn the_leptos_console_reconnects_and_delivers_queued_notes_once() {
    exercise(LEPTOS_PAGE, "leptos").await;
}

#[tokio::test]
async fn the_yew_console_reconnects_and_delivers_queued_notes_once() {
    exercise(YEW_PAGE, "yew").await;
}

async fn exercise(path: &str, name: &str) {
    let page = EchoPage::start_with_test_endpoints(&format!("{name}-console"))
        .await
        .expect("start the relay and the browser");
    let browser = page.browser();
    let loaded = page.load(path).await.expect("open the console");
    assert_eq!(
        loaded.server.as_deref(),
        Some("/echo"),
        "the server field should default to /echo, relative to the page; it shows:\n{loaded}"
    );
    let open = page
        .wait_for_status("open")
        .await
        .expect("it connects by itself");
    assert_eq!(open.outbox.as_deref(), Some("0"), "{open}");

    let hello = format!("hello from {name} in {browser}");
    page.send_with_enter(&hello)
        .await
        .expect("type and press Enter");
    let seen = page
        .wait_for_entry("received", &hello)
        .await
        .expect("the note comes back decoded");
    assert_eq!(seen.count("sent", &hello), 1, "{seen}");
    let markup = "<img src=x onerror=alert(1)>";
    page.send_with_button(markup)
        .await
        .expect("type and click Send");
    let seen = page
        .wait_for_entry("received", markup)
        .await
        .expect("the markup comes back");
    assert!(
        seen.foreign_elements.is_empty(),
        "markup must stay text; the page shows:\n{seen}"
    );

    page.relay()
        .control("/test/refuse?ms=1500")
        .await
        .expect("refuse new connections");
    page.relay()
        .control("/test/drop-all")
        .await
        .expect("drop every connection");
    page.wait_until("the status to show the backoff", |page| {
        page.status_starts_with("reconnecting")
    })
    .await
    .expect("a backoff after the drop");
    let away = format!("typed while away in {browser}");
    page.send_with_enter(&away).await.expect("type while away");
    let waiting = page
        .wait_until("the note to wait in the outbox", |page| {
            page.outbox.as_deref() == Some("1")
        })
        .await
        .expect("queued, not lost");
    assert_eq!(waiting.count("received", &away), 0, "{waiting}");
    let back = page
        .wait_until(
            "the reconnect and the queued note's echo",
            |page: &Snapshot| page.status_is("open") && page.has("received", &away),
        )
        .await
        .expect("the note arrives after the reconnect");
    assert_eq!(back.outbox.as_deref(), Some("0"), "{back}");
    let screenshot = page
        .screenshot(&format!("{name}-console-{browser}"))
        .await
        .expect("save a screenshot");
    eprintln!("screenshot: {}", screenshot.display());

    page.click("disconnect").await.expect("click Disconnect");
    let closed = page
        .wait_until("a clean close with 1000 \"bye\"", |page| {
            page.status_starts_with("closed: 1000")
                && page.entries("info").any(|text| text.contains("\"bye\""))
        })
        .await
        .expect("Disconnect closes");
    assert!(closed.entries("error").next().is_none(), "{closed}");
    page.click("reconnect").await.expect("click Reconnect");
    page.wait_for_status("open").await.expect("Reconnect opens");

    let moved = format!("{}?tag={name}-moved", page.relay().echo_url());
    page.clear("url").await.expect("clear the server field");
    page.type_into("url", &moved)
        .await
        .expect("type the new server");
    page.click("move").await.expect("click Move");
    page.wait_until("the move and the new connection", |page| {
        page.status_is("open")
            && page
                .entries("info")
                .any(|text| text == format!("moving to {moved}"))
    })
    .await
    .expect("the socket moves");
    page.send_with_enter("after the move")
        .await
        .expect("type after the move");
    let last = page
        .wait_for_entry("received", "after the move")
        .await
        .expect("the echo comes from the new URL");
    assert_eq!(last.count("received", &away), 1, "shown once: {last}");
    page.click("disconnect").await.expect("click Disconnect");
    let seen_by_relay = page
        .relay()
        .control(&format!("/test/close-seen?tag={name}-moved"))
        .await
        .expect("ask the relay how the moved connection ended");
    assert_eq!(
        (
            &seen_by_relay["state"],
            &seen_by_relay["code"],
            &seen_by_relay["reason"]
        ),
        (&"close".into(), &1000.into(), &"bye".into()),
        "the socket that Disconnect closed was the one on the new URL: {seen_by_relay}"
    );
    page.finish().await.expect("no page errors, clean quit");
}
