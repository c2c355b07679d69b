//! The echo page in a real browser (the one `DUPLEX_E2E_BROWSER` names), served by the relay as
//! users get it. Each test opens its own browser.
//!
//! Checklist:
//! - [x] the page's Rust code starts; the server field defaults to this origin's `/echo`
//! - [x] Connect opens the socket: the status reads `open`
//! - [x] Enter in the message field sends; the echo comes back and is shown, and so is the
//!   sent line (screenshot `target/e2e/echo-page-<browser>.png` taken once it shows)
//! - [x] received markup is shown as text, never parsed into elements
//! - [x] Disconnect closes with 1000 "bye", the status reads `closed`; Connect again works and
//!   the Send button sends
//! - [x] `?server=` sets the server field, and Connect uses it
//! - [x] no uncaught error, unhandled rejection or `console.error` in any of the above

use duplex_e2e::EchoPage;
use duplex_e2e::page::ECHO_PAGE;

#[tokio::test]
async fn echo_page_connects_sends_and_shows_the_echo() {
    let page = EchoPage::open("connects-sends-and-shows-the-echo")
        .await
        .expect("open the echo page");
    let browser = page.browser();
    let loaded = page.snapshot().await.expect("read the page");
    let expected_server = page.relay().echo_url();
    assert_eq!(
        loaded.server.as_deref(),
        Some(expected_server.as_str()),
        "the server field should default to this origin's /echo; the page shows:\n{loaded}"
    );
    assert!(
        loaded.status_is("closed"),
        "nothing is connected yet, so the status should read \"closed\"; the page shows:\n{loaded}"
    );

    page.connect().await.expect("connect to the relay's /echo");
    let text = format!("hello from {browser}");
    page.send_with_enter(&text)
        .await
        .expect("type the message and press Enter");
    let seen = page
        .wait_for_entry("received", &text)
        .await
        .expect("the echo comes back and is shown");
    assert!(
        seen.has("sent", &text),
        "the sent message should be in the log too; the page shows:\n{seen}"
    );
    assert!(
        seen.status_is("open"),
        "the socket should stay open after an echo; the page shows:\n{seen}"
    );

    let screenshot = page
        .screenshot(&format!("echo-page-{browser}"))
        .await
        .expect("save a screenshot of the echo");
    eprintln!("screenshot: {}", screenshot.display());
    page.finish().await.expect("no page errors, clean quit");
}

#[tokio::test]
async fn echo_page_shows_markup_as_text() {
    let page = EchoPage::open("shows-markup-as-text")
        .await
        .expect("open the echo page");
    page.connect().await.expect("connect to the relay's /echo");
    let markup = "<img src=x onerror=alert(1)>";
    page.send_with_enter(markup)
        .await
        .expect("type the markup and press Enter");
    let seen = page
        .wait_for_entry("received", markup)
        .await
        .expect("the echoed markup is shown literally");
    assert!(
        seen.has("sent", markup),
        "the sent markup should be shown literally too; the page shows:\n{seen}"
    );
    assert!(
        seen.foreign_elements.is_empty(),
        "the markup must not become elements inside the log; the page shows:\n{seen}"
    );
    // An alert from onerror would also make every WebDriver command after it fail.
    page.finish().await.expect("no page errors, clean quit");
}

#[tokio::test]
async fn echo_page_disconnect_and_reconnect() {
    let page = EchoPage::open("disconnect-and-reconnect")
        .await
        .expect("open the echo page");
    let browser = page.browser();
    page.connect().await.expect("connect to the relay's /echo");

    page.click("disconnect").await.expect("click Disconnect");
    let closed = page
        .wait_until(
            "the status to read \"closed\" and an info entry with 1000 and \"bye\"",
            |page| {
                page.status_is("closed")
                    && page
                        .entries("info")
                        .any(|text| text.contains("1000") && text.contains("bye"))
            },
        )
        .await
        .expect("Disconnect closes with 1000 \"bye\"");
    assert!(
        !closed.entries("error").any(|_| true),
        "a clean close logs no error; the page shows:\n{closed}"
    );

    page.connect().await.expect("connect again");
    let text = format!("again from {browser}");
    page.send_with_button(&text)
        .await
        .expect("type the message and click Send");
    let seen = page
        .wait_for_entry("received", &text)
        .await
        .expect("the echo comes back on the new connection");
    assert!(
        seen.has("sent", &text),
        "the sent message should be in the log; the page shows:\n{seen}"
    );
    page.finish().await.expect("no page errors, clean quit");
}

#[tokio::test]
async fn echo_page_takes_the_server_from_the_query() {
    let page = EchoPage::start("takes-the-server-from-the-query")
        .await
        .expect("start the relay and the browser");
    // Another spelling of the same server, so the field cannot be showing the default.
    let server = format!("ws://localhost:{}/echo", page.relay().addr().port());
    let loaded = page
        .load(&format!("{ECHO_PAGE}?server={server}"))
        .await
        .expect("open the echo page with ?server=");
    assert_eq!(
        loaded.server.as_deref(),
        Some(server.as_str()),
        "the server field should show the ?server= value; the page shows:\n{loaded}"
    );

    let open = page.connect().await.expect("connect to the ?server= URL");
    assert!(
        open.entries("info")
            .any(|text| text == format!("connecting to {server}")),
        "Connect should use the ?server= URL; the page shows:\n{open}"
    );
    page.send_with_enter("via the query")
        .await
        .expect("type the message and press Enter");
    page.wait_for_entry("received", "via the query")
        .await
        .expect("the echo comes back through the ?server= URL");
    page.finish().await.expect("no page errors, clean quit");
}
