//! Handshakes and paths a WebSocket client library cannot even send, over raw sockets:
//! - a missing or repeated `Host`, a `Sec-WebSocket-Key` that is missing, repeated, empty, not
//!   base64 or not 16 bytes, a wrong or repeated `Sec-WebSocket-Version`, and two `Origin`
//!   headers are each answered `400` with what is wrong (RFC 6455 section 4.2.1), on `/chat`,
//!   `/echo` and a `/test` endpoint, and no connection is upgraded;
//! - a `test/` folder in the root is never served, however its path is spelled, with the test
//!   endpoints on or off.

mod common;

use common::{Relay, http_get, within};
use duplex_relay::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ENDPOINTS: [&str; 3] = ["/chat", "/echo", "/test/close"];

/// Sends `request` as it is and returns the status and body of the answer.
async fn raw(relay: &Relay, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(relay.addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    // Up to the end of the headers and the plain-text body after them (the relay closes a
    // refused upgrade, or the test reads until a `\n`-terminated body).
    loop {
        let read = within(stream.read(&mut chunk)).await.expect("read");
        answer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&answer);
        if read == 0
            || text
                .split_once("\r\n\r\n")
                .is_some_and(|(_, body)| body.ends_with('\n'))
        {
            break;
        }
        if text.starts_with("HTTP/1.1 101") && text.contains("\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// An upgrade request to `path` with `lines` (each `Name: value`) as its only headers.
fn request(path: &str, lines: &[&str]) -> String {
    let mut request = format!("GET {path} HTTP/1.1\r\n");
    for line in lines {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request + "\r\n"
}

const UPGRADING: [&str; 3] = [
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
];
const KEY: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";

#[tokio::test]
async fn malformed_handshakes_get_400_with_the_reason() {
    let relay = Relay::start().await;
    let host = format!("Host: {}", relay.addr);
    let with = |extra: &[&str]| {
        let mut lines: Vec<&str> = UPGRADING.to_vec();
        lines.extend_from_slice(extra);
        lines.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (with(&[KEY]), "Host"),
        (with(&[&host, &host, KEY]), "one Host"),
        (with(&["Host: a b", KEY]), "host[:port]"),
        (with(&[&host]), "Sec-WebSocket-Key"),
        (with(&[&host, KEY, KEY]), "one Sec-WebSocket-Key"),
        (with(&[&host, "Sec-WebSocket-Key: "]), "16 bytes in base64"),
        (
            with(&[&host, "Sec-WebSocket-Key: not base64!!!!!!!!!!=="]),
            "16 bytes in base64",
        ),
        (
            with(&[&host, "Sec-WebSocket-Key: c2hvcnQ="]),
            "16 bytes in base64",
        ),
        (
            with(&[&host, "Sec-WebSocket-Key: dGhpcyBrZXkgaXMgc2V2ZW50ZWVuIQ=="]),
            "16 bytes in base64",
        ),
        (
            with(&[&host, KEY, "Sec-WebSocket-Version: 13"]),
            "Sec-WebSocket-Version: 13",
        ),
        (
            with(&[
                &host,
                KEY,
                "Origin: http://localhost",
                "Origin: https://evil.example",
            ]),
            "one Origin",
        ),
        (
            with(&[
                &host,
                KEY,
                "Origin: https://evil.example",
                "Origin: http://localhost",
            ]),
            "one Origin",
        ),
    ];
    for path in ENDPOINTS {
        for (lines, reason) in &cases {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let (status, body) = raw(&relay, &request(path, &lines)).await;
            assert_eq!(status, 400, "{path} with {lines:?}: {body}");
            assert!(body.contains(reason), "{path} with {lines:?}: {body}");
        }
        // The same request, well formed, is upgraded.
        let lines = with(&[&host, KEY]);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (status, _) = raw(&relay, &request(path, &lines)).await;
        assert_eq!(status, 101, "{path}");
    }
    // A version the relay does not speak is answered with the one it does.
    let response = within(http_get(
        relay.addr,
        "/chat",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "8"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    ))
    .await;
    assert_eq!(
        (response.status, response.header("sec-websocket-version")),
        (400, Some("13"))
    );
}

const SPELLINGS: [&str; 12] = [
    "/test/secret.txt",
    "/%74est/secret.txt",
    "/%74%65%73%74/secret.txt",
    "/./test/secret.txt",
    "//test/secret.txt",
    "/test%2fsecret.txt",
    "/test%2Fsecret.txt",
    "/%2ftest%2fsecret.txt",
    "/.%2ftest/secret.txt",
    "/x/../test/secret.txt",
    "/x/%2e%2e/test/secret.txt",
    "/TEST/secret.txt",
];

#[tokio::test]
async fn the_roots_test_folder_is_never_served() {
    for test_endpoints in [false, true] {
        let relay = Relay::with_config(Config {
            test_endpoints,
            ..Config::default()
        })
        .await;
        relay.root.write("test/secret.txt", b"not for the web");
        relay.root.write("tests.txt", b"public");
        for path in SPELLINGS {
            let response = within(http_get(relay.addr, path, &[])).await;
            assert_eq!(
                response.status,
                404,
                "{path} (test endpoints {test_endpoints}): {}",
                response.text()
            );
            assert!(!response.text().contains("not for the web"), "{path}");
        }
        let public = within(http_get(relay.addr, "/tests.txt", &[])).await;
        assert_eq!((public.status, public.text().as_str()), (200, "public"));
    }
}
