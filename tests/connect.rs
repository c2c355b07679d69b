//! Conformance: construction, items 1-9 of docs/conformance.md.
//!
//! 1. a valid URL opens: Connecting -> Open, one open notification, `url()` serialized
//! 2. fragment, non-ws scheme, space or `<` in the host: Err(InvalidUrl) synchronously, and no
//!    listener is left
//! 3. http(s) URLs are passed through and mapped by the browser to ws(s)
//! 4. bad sub-protocols: Err(InvalidProtocol) synchronously; several go to the browser as an array
//! 5. `protocol()` is "" before open and the server's pick after
//! 6. closed port, non-WebSocket server, wrong handshake: no open; error, then close 1006 not clean
//! 7. blocked port 6000: both browsers fail asynchronously with 1006 (no exception)
//! 8. `is_supported()` is true in a browser window
//! 9. a protocol selected when none was offered: Chromium fails, Firefox opens (per browser)
//!
//! Each test's doc comment names its items (`Conformance N`). Items 6 and 7 through the async
//! layer are tested in `stream.rs`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{Browser, Event, Events, browser, control, number, relay_host, ws};
use duplex_ws::{
    CloseCode, ConnectOptions, Error, ProtocolProblem, ReadyState, WebSocket, is_supported,
    live_closures,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Conformance 8.
#[wasm_bindgen_test]
fn websocket_is_supported_in_a_browser_window() {
    assert!(is_supported());
}

/// Conformance 1.
#[wasm_bindgen_test]
async fn valid_url_opens_once_and_reports_its_url() {
    let url = ws("/echo");
    let socket = WebSocket::connect(&url).expect("valid URL");
    assert_eq!(socket.ready_state(), ReadyState::Connecting);
    assert_eq!(socket.url(), url);
    let mut events = Events::record(&socket);
    assert_eq!(events.next().await, Some(Event::Open));
    assert_eq!(socket.ready_state(), ReadyState::Open);
    socket.close().expect("close");
    let (between, info) = events.until_close().await;
    assert_eq!(between, [], "exactly one open and nothing else");
    assert!(info.was_clean);
}

/// Conformance 2.
#[wasm_bindgen_test]
fn invalid_urls_fail_synchronously_with_invalid_url() {
    let before = live_closures();
    let host = relay_host();
    for url in [
        format!("ws://{host}/echo#"),
        format!("ws://{host}/echo#x"),
        "ftp://127.0.0.1/".to_owned(),
        "mailto:someone@example.com".to_owned(),
        "about:blank".to_owned(),
        "ws://exa mple.com/".to_owned(),
        "ws://exa%20mple.com/".to_owned(),
        "ws://a<b/".to_owned(),
    ] {
        match WebSocket::connect(&url) {
            Err(Error::InvalidUrl { url: got, message }) => {
                assert_eq!(got, url);
                assert!(
                    !message.is_empty(),
                    "the browser's message is kept for {url}"
                );
            }
            other => panic!("{url}: expected InvalidUrl, got {other:?}"),
        }
    }
    assert_eq!(
        live_closures(),
        before,
        "a failed constructor leaves no listener"
    );
}

/// Conformance 3.
#[wasm_bindgen_test]
async fn http_and_https_urls_are_mapped_by_the_browser() {
    let host = relay_host();
    let socket = WebSocket::connect(&format!("http://{host}/echo")).expect("http is accepted");
    assert_eq!(socket.url(), format!("ws://{host}/echo"));
    let mut events = Events::record(&socket);
    events.expect_open().await;
    socket.send_text("over http").expect("send");
    assert_eq!(events.expect_text().await, "over http");
    drop(socket);

    let secure = WebSocket::connect("https://example.invalid/chat").expect("https is accepted");
    assert_eq!(secure.url(), "wss://example.invalid/chat");
}

/// Conformance 4.
#[wasm_bindgen_test]
fn invalid_protocols_fail_synchronously_before_the_browser_is_called() {
    let before = live_closures();
    let cases: [(&[&str], &str, ProtocolProblem); 7] = [
        (&["a", "a"], "a", ProtocolProblem::Duplicate),
        (&[""], "", ProtocolProblem::Empty),
        (&["a b"], "a b", ProtocolProblem::InvalidChar(' ')),
        (&["ok", "a/b"], "a/b", ProtocolProblem::InvalidChar('/')),
        (&["a,b"], "a,b", ProtocolProblem::InvalidChar(',')),
        (&["a\u{7}"], "a\u{7}", ProtocolProblem::InvalidChar('\u{7}')),
        (
            &["caf\u{e9}"],
            "caf\u{e9}",
            ProtocolProblem::InvalidChar('\u{e9}'),
        ),
    ];
    for (protocols, bad, problem) in cases {
        let options = ConnectOptions::new().protocols(protocols.iter().copied());
        assert_eq!(
            WebSocket::connect_with(&ws("/echo"), &options).map(|_| ()),
            Err(Error::InvalidProtocol {
                protocol: bad.into(),
                problem
            }),
            "{protocols:?}"
        );
    }
    assert_eq!(live_closures(), before);
}

/// Conformance 4.
#[wasm_bindgen_test]
fn the_browser_agrees_that_those_protocols_are_invalid() {
    for protocols in [
        vec!["a", "a"],
        vec![""],
        vec!["a b"],
        vec!["a/b"],
        vec!["a,b"],
    ] {
        let array: js_sys::Array = protocols
            .iter()
            .map(|p| wasm_bindgen::JsValue::from_str(p))
            .collect();
        let thrown = web_sys::WebSocket::new_with_str_sequence(&ws("/echo"), &array)
            .expect_err("the browser throws");
        let exception: web_sys::DomException =
            wasm_bindgen::JsCast::dyn_into(thrown).expect("a DOMException");
        assert_eq!(exception.name(), "SyntaxError", "{protocols:?}");
    }
}

/// Conformance 4, 5.
#[wasm_bindgen_test]
async fn several_protocols_go_as_an_array_and_the_server_picks_one() {
    let options = ConnectOptions::new().protocols(["one", "two", "three"]);
    let socket = WebSocket::connect_with(&ws("/test/protocol?accept=two"), &options)
        .expect("valid protocols");
    assert_eq!(socket.protocol(), "", "empty before open");
    let mut events = Events::record(&socket);
    events.expect_open().await;
    assert_eq!(socket.protocol(), "two");

    let single = WebSocket::connect_with(
        &ws("/test/protocol?accept=solo"),
        &ConnectOptions::new().protocol("solo"),
    )
    .expect("valid protocol");
    let mut events = Events::record(&single);
    events.expect_open().await;
    assert_eq!(single.protocol(), "solo");
}

/// Every way a connection can fail before open looks the same: error (state already Closed), then 1006.
async fn assert_fails_before_open(url: &str) {
    let socket = WebSocket::connect(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let mut events = Events::record(&socket);
    let (before, info) = events.until_close().await;
    assert_eq!(before, [Event::Error(Some(ReadyState::Closed))], "{url}");
    assert_eq!(info.code, CloseCode::Abnormal, "{url}");
    assert!(!info.was_clean, "{url}");
    assert_eq!(socket.ready_state(), ReadyState::Closed);
    assert_eq!(socket.close_info(), Some(info));
}

/// Conformance 6.
#[wasm_bindgen_test]
async fn a_closed_port_fails_with_1006() {
    let port = number(&control("/test/closed-port").await, "port");
    assert_fails_before_open(&format!("ws://127.0.0.1:{port}/")).await;
}

/// Conformance 6.
#[wasm_bindgen_test]
async fn a_server_that_is_not_a_websocket_server_fails_with_1006() {
    assert_fails_before_open(&ws("/test/not-websocket")).await;
}

/// Conformance 6.
#[wasm_bindgen_test]
async fn a_wrong_accept_key_fails_with_1006() {
    assert_fails_before_open(&ws("/test/bad-handshake?kind=accept")).await;
}

/// Conformance 6.
#[wasm_bindgen_test]
async fn a_protocol_the_client_did_not_offer_fails_with_1006() {
    let options = ConnectOptions::new().protocol("chat");
    let socket = WebSocket::connect_with(&ws("/test/bad-handshake?kind=protocol"), &options)
        .expect("valid protocol");
    let (before, info) = Events::record(&socket).until_close().await;
    assert_eq!(before, [Event::Error(Some(ReadyState::Closed))]);
    assert_eq!((info.code, info.was_clean), (CloseCode::Abnormal, false));
}

/// RFC 6455 §4.1 says a client that offered no protocol must fail when the server selects one. Chromium does;
/// Firefox opens anyway and reports `protocol()` as "".
///
/// Conformance 9.
#[wasm_bindgen_test]
async fn a_protocol_selected_when_none_was_offered_differs_by_browser() {
    let socket = WebSocket::connect(&ws("/test/bad-handshake?kind=protocol")).expect("valid URL");
    let mut events = Events::record(&socket);
    match browser() {
        Browser::Chromium => {
            let (before, info) = events.until_close().await;
            assert_eq!(before, [Event::Error(Some(ReadyState::Closed))]);
            assert_eq!((info.code, info.was_clean), (CloseCode::Abnormal, false));
        }
        Browser::Firefox => {
            events.expect_open().await;
            assert_eq!(socket.protocol(), "");
        }
    }
}

/// Port 6000 (X11) is on the Fetch standard's bad-port list. Chromium 156 and Firefox 153 both let the socket
/// fail asynchronously; an older browser may throw `SecurityError`, which maps to `Error::Security`.
///
/// Conformance 7.
#[wasm_bindgen_test]
async fn a_blocked_port_fails_asynchronously_with_1006() {
    assert_fails_before_open("ws://127.0.0.1:6000/").await;
}
