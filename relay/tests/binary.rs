//! The `duplex-relay` binary: its first stdout line, serving, graceful stop (open WebSockets get
//! Close 1012), `--allow-origin`, bad arguments.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, UPGRADE, http_get, read_to_end, within};
use duplex_relay::protocol::{CLOSE_SERVICE_RESTART, REASON_RESTARTING};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const BINARY: &str = env!("CARGO_BIN_EXE_duplex-relay");

/// Kills the child if the test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_with_limit(child: &mut Child) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(started.elapsed() < common::LIMIT, "the relay did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn prints_its_url_first_then_serves_until_sigterm() {
    let root = TempDir::new();
    root.write("index.html", b"<h1>from the binary</h1>");
    let data = TempDir::new();
    let child = Command::new(BINARY)
        .arg("--data")
        .arg(data.path())
        .args([
            "--addr",
            "127.0.0.1:0",
            "--test-endpoints",
            "--allow-origin",
            "https://friend.example",
            "--root",
        ])
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the relay");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let first_line = within(tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read stdout");
        line
    }))
    .await
    .expect("the reader thread");

    let url = first_line.trim_end();
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url:?} is not an http:// URL"))
        .parse()
        .expect("a socket address after http://");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);

    let index = within(http_get(addr, "/", &[])).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), "<h1>from the binary</h1>");
    assert_eq!(
        within(http_get(addr, "/test/connections", &[]))
            .await
            .status,
        200
    );

    let (mut ws, _) = within(tokio_tungstenite::connect_async(format!(
        "ws://{addr}/echo"
    )))
    .await
    .expect("WebSocket handshake");
    within(ws.send(Message::text("hello binary")))
        .await
        .expect("send");
    let echoed = within(futures_util::StreamExt::next(&mut ws)).await;
    assert_eq!(
        echoed.expect("a message").expect("no error"),
        Message::text("hello binary")
    );

    for (origin, status) in [
        ("https://friend.example", 101),
        ("https://evil.example", 403),
    ] {
        let mut headers = UPGRADE.to_vec();
        headers.push(("Origin", origin));
        let response = within(http_get(addr, "/chat", &headers)).await;
        assert_eq!(response.status, status, "{origin}");
    }

    let (mut chat, _) = within(tokio_tungstenite::connect_async(format!(
        "ws://{addr}/chat"
    )))
    .await
    .expect("WebSocket handshake");
    within(chat.send(Message::text(r#"{"type":"join","room":"r","nick":"n"}"#)))
        .await
        .expect("join");
    let welcome = within(futures_util::StreamExt::next(&mut chat)).await;
    assert!(matches!(welcome, Some(Ok(Message::Text(text))) if text.contains("welcome")));

    let pid = running.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    for ws in [&mut ws, &mut chat] {
        let (messages, _) = read_to_end(ws).await;
        match messages.last() {
            Some(Message::Close(Some(frame))) => {
                assert_eq!(u16::from(frame.code), CLOSE_SERVICE_RESTART);
                assert_eq!(frame.reason.as_str(), REASON_RESTARTING);
            }
            other => panic!("expected Close 1012, got {other:?}"),
        }
    }
    let status = within(tokio::task::spawn_blocking(move || {
        wait_with_limit(&mut running.0)
    }))
    .await
    .expect("the waiting thread");
    assert!(
        status.success(),
        "graceful stop should exit 0, got {status:?}"
    );
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    for args in [
        &["--port", "80"][..],
        &["--addr"],
        &["--addr", "a:1", "--addr", "b:2"],
        &["--root", "/no/such/folder/for/duplex-relay"],
        &["--allow-origin", "not-an-origin"],
    ] {
        let output = Command::new(BINARY)
            .args(args)
            .output()
            .expect("run the relay");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("duplex-relay: ") || stderr.starts_with("error: "),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn an_address_in_use_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("local addr").to_string();
    let data = TempDir::new();
    let output = Command::new(BINARY)
        .args(["--addr", &addr, "--data"])
        .arg(data.path())
        .output()
        .expect("run the relay");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen on"));
}

#[test]
fn help_prints_usage() {
    let output = Command::new(BINARY)
        .arg("--help")
        .output()
        .expect("run the relay");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Usage: duplex-relay [OPTIONS]"), "{help}");
    for option in [
        "--addr",
        "--root",
        "--allow-origin",
        "--data",
        "--keep-posts",
        "--max-db-mib",
        "--test-endpoints",
        "--help",
    ] {
        assert!(help.contains(option), "{option} in {help}");
    }
}
