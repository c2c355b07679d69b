//! Clients that would wear the relay down, over real sockets:
//! - a client that sends its request headers a byte at a time is cut off at the header timeout;
//! - a `/chat` connection that never joins is closed with 1008 at the join timeout;
//! - a connection that sends nothing is closed with 1001 at the idle timeout, and one that pings
//!   is kept;
//! - connections over the per-address cap or the global cap are answered 503 with
//!   `Retry-After`, and a freed slot can be taken again;
//! - at the defaults, with no flag: a `/chat` connection that never joins is closed, slow
//!   headers are cut off, and the 257th connection from one address gets 503;
//! - a client that breaks RFC 6455 (text that is not UTF-8, reserved bits, an unmasked frame)
//!   gets the RFC's Close code (1007, 1002; 1009 for a frame over the transport's limit) on
//!   `/chat` and `/echo`, after every echo `/echo` had queued.

mod common;

use std::time::Duration;

use common::chat::Chat;
use common::{LIMIT, Relay, http_get, within};
use duplex_relay::protocol::{
    CLOSE_GOING_AWAY, CLOSE_POLICY_VIOLATION, ClientMessage, REASON_IDLE, REASON_NO_JOIN,
    ServerMessage,
};
use duplex_relay::{
    Config, DEFAULT_HEADER_TIMEOUT, DEFAULT_JOIN_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

const SHORT: Duration = Duration::from_millis(400);

async fn relay(config: Config) -> Relay {
    Relay::with_config(Config {
        test_endpoints: true,
        ..config
    })
    .await
}

/// The next message, or the Close that ended the connection (`None` when it ended without).
async fn next(ws: &mut common::Ws) -> Option<Message> {
    match within(ws.next()).await {
        Some(Ok(message)) => Some(message),
        _ => None,
    }
}

/// Reads until the relay's Close and returns it.
async fn close_of(ws: &mut common::Ws) -> CloseFrame {
    loop {
        match next(ws).await {
            Some(Message::Close(Some(frame))) => return frame,
            Some(Message::Close(None)) | None => panic!("the connection ended without a code"),
            Some(_) => {}
        }
    }
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let relay = relay(Config {
        header_timeout: SHORT,
        ..Config::default()
    })
    .await;
    let mut tcp = TcpStream::connect(relay.addr).await.expect("connect");
    let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let dribble = async {
        for byte in request.iter().cycle() {
            if tcp.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    within(dribble).await;
    // Cut off: nothing was answered with a page.
    let mut answer = Vec::new();
    let _ = within(tcp.read_to_end(&mut answer)).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "{answer:?}"
    );
    // A prompt client is still served.
    assert_eq!(relay.get("/").await.status, 200);
}

#[tokio::test]
async fn a_chat_connection_that_never_joins_is_closed_with_1008() {
    let relay = relay(Config {
        join_timeout: SHORT,
        ..Config::default()
    })
    .await;
    let mut ws = relay.ws("/chat").await;
    // Pings keep it from being idle, but not from having to join.
    ws.send(Message::text(r#"{"type":"ping"}"#))
        .await
        .expect("ping");
    let frame = close_of(&mut ws).await;
    assert_eq!(u16::from(frame.code), CLOSE_POLICY_VIOLATION);
    assert_eq!(frame.reason.as_str(), REASON_NO_JOIN);

    // One that joins in time stays past the deadline.
    let (mut chat, _) = Chat::join(&relay, "lobby", "Ada").await;
    tokio::time::sleep(SHORT * 2).await;
    chat.ping().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_with_1001_and_a_pinging_one_is_kept() {
    let relay = relay(Config {
        idle_timeout: SHORT,
        ..Config::default()
    })
    .await;
    let (mut pinging, _) = Chat::join(&relay, "lobby", "Grace").await;
    let (mut silent, _) = Chat::join(&relay, "lobby", "Ada").await;
    let mut echo = relay.ws("/echo").await;
    // Ada joined: Grace hears it, then pings through twice the idle timeout.
    assert!(matches!(pinging.recv().await, ServerMessage::Joined { .. }));
    let mut heard = Vec::new();
    for _ in 0..8 {
        tokio::time::sleep(SHORT / 4).await;
        pinging.send(&ClientMessage::Ping).await;
        loop {
            match pinging.recv().await {
                ServerMessage::Pong => break,
                other => heard.push(other),
            }
        }
    }
    for ws in [&mut silent.ws, &mut echo] {
        let frame = close_of(ws).await;
        assert_eq!(u16::from(frame.code), CLOSE_GOING_AWAY);
        assert_eq!(frame.reason.as_str(), REASON_IDLE);
    }
    // Ada's departure reached Grace, who is still connected.
    assert_eq!(
        heard,
        [ServerMessage::Left {
            nick: "Ada".to_owned()
        }]
    );
    pinging.ping().await;
}

/// Opens WebSockets to `/echo` until one is refused; returns those open and the refusal.
async fn open_until_refused(relay: &Relay, at_most: usize) -> (Vec<common::Ws>, String) {
    let mut open = Vec::new();
    for _ in 0..at_most {
        match relay.try_ws("/echo", &[]).await {
            Ok((ws, _)) => open.push(ws),
            Err(error) => return (open, error.to_string()),
        }
    }
    panic!("{at_most} connections were all accepted");
}

#[tokio::test]
async fn connections_over_a_cap_get_503_with_retry_after() {
    let relay = relay(Config {
        max_connections_per_address: 3,
        ..Config::default()
    })
    .await;
    let (mut open, refused) = open_until_refused(&relay, 10).await;
    assert_eq!(open.len(), 3, "{refused}");
    let answer = http_get(relay.addr, "/", &[]).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert!(answer.text().contains("--max-connections-per-address"));

    // A freed slot is taken again once the relay has seen the connection end.
    let mut freed = open.pop().expect("one open");
    freed.close(None).await.expect("close");
    while next(&mut freed).await.is_some() {}
    let reopened = within(async {
        loop {
            if let Ok((ws, _)) = relay.try_ws("/echo", &[]).await {
                return ws;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    drop((open, reopened));

    let relay = self::relay(Config {
        max_connections: 2,
        ..Config::default()
    })
    .await;
    let (open, _) = open_until_refused(&relay, 10).await;
    assert_eq!(open.len(), 2);
    let answer = http_get(relay.addr, "/", &[]).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert!(answer.text().contains("--max-connections"));
    assert_eq!(relay.state.held_connections(), 2);
}

/// A WebSocket opened by hand, to send what no client library will.
struct Raw(TcpStream);

impl Raw {
    async fn open(relay: &Relay, path: &str) -> Self {
        let mut tcp = TcpStream::connect(relay.addr).await.expect("connect");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            relay.addr
        );
        tcp.write_all(request.as_bytes()).await.expect("handshake");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            within(tcp.read_exact(&mut byte)).await.expect("read");
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        Self(tcp)
    }

    /// A client frame: `first` is FIN, RSV and opcode; masked unless `unmasked`.
    fn frame(first: u8, payload: &[u8], unmasked: bool) -> Vec<u8> {
        let key = [0x12, 0x34, 0x56, 0x78];
        let mask_bit = if unmasked { 0 } else { 0x80 };
        let length = u8::try_from(payload.len()).expect("a short frame");
        assert!(length < 126);
        let mut frame = vec![first, mask_bit | length];
        if unmasked {
            frame.extend_from_slice(payload);
        } else {
            frame.extend_from_slice(&key);
            frame.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        frame
    }

    /// The head of a masked client frame announcing `length` bytes (64-bit length form).
    fn head(first: u8, length: u64) -> Vec<u8> {
        let mut head = vec![first, 0x80 | 127];
        head.extend_from_slice(&length.to_be_bytes());
        head.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        head
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.0.write_all(bytes).await.expect("write");
    }

    /// The relay's frames until the connection ends: (opcode, payload) each.
    async fn frames(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut bytes = Vec::new();
        let _ = tokio::time::timeout(LIMIT, self.0.read_to_end(&mut bytes)).await;
        let mut frames = Vec::new();
        let mut rest = &bytes[..];
        while rest.len() >= 2 {
            let (opcode, length) = (rest[0] & 0x0f, usize::from(rest[1] & 0x7f));
            assert!(length < 126, "a short frame from the relay");
            if rest.len() < 2 + length {
                break;
            }
            frames.push((opcode, rest[2..2 + length].to_vec()));
            rest = &rest[2 + length..];
        }
        frames
    }

    /// The code of the relay's Close, after `before` other frames.
    async fn close_code(&mut self) -> (Vec<(u8, Vec<u8>)>, Option<u16>) {
        let mut frames = self.frames().await;
        let code = match frames.pop() {
            Some((0x8, payload)) if payload.len() >= 2 => {
                Some(u16::from_be_bytes([payload[0], payload[1]]))
            }
            Some(other) => {
                frames.push(other);
                None
            }
            None => None,
        };
        (frames, code)
    }
}

const TEXT: u8 = 0x81;

#[tokio::test]
async fn protocol_violations_get_the_rfc_close_code() {
    let relay = relay(Config::default()).await;
    let cases: [(&str, Vec<u8>, u16); 3] = [
        ("invalid UTF-8", Raw::frame(TEXT, b"\xff\xfe", false), 1007),
        (
            "a reserved bit",
            Raw::frame(TEXT | 0x40, b"hi", false),
            1002,
        ),
        ("an unmasked frame", Raw::frame(TEXT, b"hi", true), 1002),
    ];
    for path in ["/echo", "/chat"] {
        for (what, frame, expected) in &cases {
            let mut raw = Raw::open(&relay, path).await;
            raw.send(frame).await;
            let (_, code) = raw.close_code().await;
            assert_eq!(code, Some(*expected), "{what} on {path}");
        }
    }
    // A frame over the transport's limit (2 MiB + 64 KiB on /chat, 64 MiB on /echo), refused
    // from its head.
    for (path, length) in [("/chat", 3 << 20), ("/echo", 100 << 20)] {
        let mut raw = Raw::open(&relay, path).await;
        raw.send(&Raw::head(0x82, length)).await;
        let (_, code) = raw.close_code().await;
        assert_eq!(code, Some(1009), "a frame of {length} bytes on {path}");
    }
}

#[tokio::test]
async fn echo_sends_what_it_queued_before_a_violation_in_the_same_read() {
    let relay = relay(Config::default()).await;
    let mut raw = Raw::open(&relay, "/echo").await;
    let mut burst = Raw::frame(TEXT, b"first", false);
    burst.extend(Raw::frame(TEXT, b"second", false));
    burst.extend(Raw::frame(TEXT | 0x40, b"bad", false));
    raw.send(&burst).await;
    let (frames, code) = raw.close_code().await;
    assert_eq!(
        frames,
        vec![(0x1, b"first".to_vec()), (0x1, b"second".to_vec())]
    );
    assert_eq!(code, Some(1002));
}

/// The default, and the margin a test waits past it.
fn past(default: Duration) -> Duration {
    default + Duration::from_secs(5)
}

#[tokio::test]
async fn at_the_defaults_a_chat_connection_that_never_joins_is_closed() {
    let relay = relay(Config::default()).await;
    let mut ws = relay.ws("/chat").await;
    let next = tokio::time::timeout(past(DEFAULT_JOIN_TIMEOUT), ws.next()).await;
    match next {
        Ok(Some(Ok(Message::Close(Some(frame))))) => assert_eq!(
            (u16::from(frame.code), frame.reason.as_str()),
            (CLOSE_POLICY_VIOLATION, REASON_NO_JOIN)
        ),
        other => panic!("not closed with 1008: {other:?}"),
    }
}

#[tokio::test]
async fn at_the_defaults_slow_headers_are_cut_off() {
    let relay = relay(Config::default()).await;
    let mut tcp = TcpStream::connect(relay.addr).await.expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    let mut answer = [0; 64];
    let read = tokio::time::timeout(past(DEFAULT_HEADER_TIMEOUT), tcp.read(&mut answer)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "still open, or answered: {read:?}"
    );
}

#[tokio::test]
async fn at_the_defaults_one_address_holds_256_connections() {
    let relay = relay(Config::default()).await;
    let mut held = Vec::new();
    for _ in 0..DEFAULT_MAX_CONNECTIONS_PER_ADDRESS {
        held.push(TcpStream::connect(relay.addr).await.expect("connect"));
    }
    // Every one of them is counted once the relay has accepted it.
    let started = std::time::Instant::now();
    while relay.state.held_connections() < DEFAULT_MAX_CONNECTIONS_PER_ADDRESS {
        assert!(
            started.elapsed() < LIMIT,
            "the relay did not accept them all"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = within(http_get(relay.addr, "/", &[])).await;
    assert_eq!(response.status, 503);
    assert_eq!(response.header("retry-after"), Some("5"));
    drop(held);
}
