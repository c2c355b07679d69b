//! The `Origin` check of every WebSocket upgrade.
//!
//! Covers: 403 with a plain-text body for a foreign origin on /chat, /echo and the /test/*
//! WebSocket endpoints (hand-made handshakes included), and for `null`, a look-alike host, a
//! non-web scheme; 101 without an Origin, for loopback origins (localhost, 127.0.0.1, [::1],
//! any port), for the relay's own origin (http:// or https:// and the Host header, default port
//! spelled out or not) when that Host is loopback, an IP address or a host of an
//! `--allow-origin`, never for a DNS name nobody configured (the shape of DNS rebinding), and for
//! an `--allow-origin` one (exactly); plain HTTP is not checked;
//! tungstenite sees the 403 as a failed handshake.

mod common;

use common::{Relay, UPGRADE, http_get, within};
use duplex_relay::Config;
use tokio_tungstenite::tungstenite::Error;

const ENDPOINTS: [&str; 5] = [
    "/chat",
    "/echo",
    "/test/close",
    "/test/protocol?accept=a",
    "/test/blackhole",
];

async fn allowed_relay() -> Relay {
    Relay::with_config(Config {
        test_endpoints: true,
        allowed_origins: vec![
            "https://friend.example".to_owned(),
            "https://chat.example".to_owned(),
        ],
        ..Config::default()
    })
    .await
}

async fn upgrade(relay: &Relay, path: &str, origin: Option<&str>, host: Option<&str>) -> u16 {
    let mut headers = UPGRADE.to_vec();
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    if let Some(host) = host {
        headers.push(("Host", host));
    }
    let response = within(http_get(relay.addr, path, &headers)).await;
    if response.status == 403 {
        assert!(
            response.text().contains("Origin is not allowed"),
            "{}",
            response.text()
        );
    }
    response.status
}

#[tokio::test]
async fn foreign_origins_are_refused_on_every_websocket_endpoint() {
    let relay = allowed_relay().await;
    let own = format!("http://{}", relay.addr);
    for path in ENDPOINTS {
        for origin in [
            "https://evil.example",
            "null",
            "http://localhost.evil.example",
            "https://friend.example.evil",
            "https://friend.example:443",
            "chrome-extension://abcdef",
        ] {
            assert_eq!(
                upgrade(&relay, path, Some(origin), None).await,
                403,
                "{path} from {origin}"
            );
        }
        // A DNS-rebinding page: its own name, resolved to the relay, in Host and Origin alike.
        for (origin, host) in [
            ("http://evil.example", "evil.example"),
            ("http://evil.example:8080", "evil.example:8080"),
            (
                "https://chat.example.evil.example",
                "chat.example.evil.example",
            ),
        ] {
            assert_eq!(
                upgrade(&relay, path, Some(origin), Some(host)).await,
                403,
                "{path} from {origin} to {host}"
            );
        }
        // The own origin is the Host the client asked for, not any name of the relay.
        assert_eq!(
            upgrade(
                &relay,
                path,
                Some("http://chat.example"),
                Some("relay.example")
            )
            .await,
            403,
            "{path}"
        );
    }
    assert_eq!(
        relay.live_connections(),
        0,
        "no refused upgrade got through"
    );
    for path in ENDPOINTS {
        assert_eq!(upgrade(&relay, path, Some(&own), None).await, 101, "{path}");
    }
}

#[tokio::test]
async fn no_origin_loopback_own_and_listed_origins_are_accepted() {
    let relay = allowed_relay().await;
    for path in ENDPOINTS {
        assert_eq!(upgrade(&relay, path, None, None).await, 101, "{path}");
        for origin in [
            "http://localhost",
            "http://localhost:3000",
            "https://127.0.0.1:9",
            "http://[::1]:8080",
            "https://friend.example",
        ] {
            assert_eq!(
                upgrade(&relay, path, Some(origin), None).await,
                101,
                "{path} from {origin}"
            );
        }
        // The relay's own origin: a Host the operator named (any of its origins), loopback or
        // an IP address, with the Host's port.
        for (origin, host) in [
            ("http://chat.example:8080", "chat.example:8080"),
            ("https://chat.example", "chat.example"),
            ("https://chat.example", "chat.example:443"),
            ("http://Chat.Example", "chat.example"),
            ("http://localhost:8080", "localhost:8080"),
            ("http://192.0.2.7:8080", "192.0.2.7:8080"),
            ("http://[2001:db8::7]", "[2001:db8::7]"),
        ] {
            assert_eq!(
                upgrade(&relay, path, Some(origin), Some(host)).await,
                101,
                "{path} from {origin} to {host}"
            );
        }
    }
}

#[tokio::test]
async fn plain_http_is_not_checked() {
    let relay = Relay::start().await;
    let origin = [("Origin", "https://evil.example")];
    let index = within(http_get(relay.addr, "/", &origin)).await;
    assert_eq!(index.status, 200);
    let connections = within(http_get(relay.addr, "/test/connections", &origin)).await;
    assert_eq!(connections.status, 200);
}

#[tokio::test]
async fn a_websocket_client_sees_the_refusal() {
    let relay = Relay::start().await;
    let refused = relay
        .try_ws_with("/chat", &[("Origin", "https://evil.example")])
        .await;
    match refused {
        Err(Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
    let accepted = relay
        .try_ws_with("/chat", &[("Origin", "http://localhost:5173")])
        .await;
    assert!(accepted.is_ok(), "{accepted:?}");
}
