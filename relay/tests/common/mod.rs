//! Shared helpers: a relay on 127.0.0.1:0, a WebSocket client, a minimal HTTP client, and a
//! timeout around every await so a hang fails fast; `chat` has the chat-protocol client.
#![allow(dead_code)]

pub mod chat;
pub mod process;
pub mod redis;

use std::future::Future;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use duplex_relay::{AppState, Config, serve};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The bound on every single await in the tests.
pub const LIMIT: Duration = Duration::from_secs(20);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Awaits `future`, failing the test if it takes longer than [`LIMIT`].
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("timed out: the relay did not answer")
}

/// A folder under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "duplex-relay-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, contents: &[u8]) {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a folder");
        }
        std::fs::write(path, contents).expect("write a file");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The log of this test binary's in-process relays, `target/relay-logs/<test>-<pid>-<n>.log`:
/// the process's global subscriber, installed by the first relay. Parallel tests share it; each
/// line names its connection. Its tail is printed when a test fails with a relay alive.
fn in_process_log() -> &'static Path {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let path = process::log_path();
        let file = std::fs::File::create(&path).expect("create the relays' log");
        let subscriber = duplex_relay::logging::subscriber(std::sync::Arc::new(file), false);
        // Another subscriber may already be global (none is, in these tests): keep it.
        let _ = tracing::subscriber::set_global_default(subscriber);
        path
    })
}

impl Drop for Relay {
    fn drop(&mut self) {
        if std::thread::panicking() {
            duplex_relay::logging::print_tail(in_process_log());
        }
    }
}

/// A relay served on 127.0.0.1:0 with [`duplex_relay::serve`] until the test ends or
/// [`Relay::stop`].
#[derive(Debug)]
pub struct Relay {
    pub addr: SocketAddr,
    pub state: AppState,
    pub root: TempDir,
    /// The data folder: the SQLite file lives here.
    pub data: TempDir,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<std::io::Result<()>>>,
}

impl Relay {
    /// A relay with the test endpoints on.
    pub async fn start() -> Self {
        Self::with_test_endpoints(true).await
    }

    pub async fn with_test_endpoints(test_endpoints: bool) -> Self {
        Self::with_config(Config {
            test_endpoints,
            ..Config::default()
        })
        .await
    }

    /// A relay with `config`, its root replaced by a temp dir holding an index.html.
    pub async fn with_config(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::on(listener, config).await
    }

    /// A relay with `config` on `listener`, its root and data folder replaced by temp dirs.
    pub async fn on(listener: TcpListener, config: Config) -> Self {
        in_process_log();
        let root = TempDir::new();
        root.write("index.html", b"<!doctype html><title>duplex</title>");
        let data = TempDir::new();
        let state = AppState::open(Config {
            root: root.path().to_owned(),
            data: data.path().to_owned(),
            ..config
        })
        .await
        .expect("open the relay's store");
        let addr = listener.local_addr().expect("local addr");
        let (stop, served) = Self::serve(listener, state.clone());
        Self {
            addr,
            state,
            root,
            data,
            stop: Some(stop),
            served: Some(served),
        }
    }

    fn serve(
        listener: TcpListener,
        state: AppState,
    ) -> (oneshot::Sender<()>, JoinHandle<std::io::Result<()>>) {
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            if stopped.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        (stop, tokio::spawn(serve(listener, state, shutdown)))
    }

    /// Stops, binds the same port again and serves the same state there.
    pub async fn restart(&mut self) {
        self.stop().await.expect("the first run");
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind the same port");
        let (stop, served) = Self::serve(listener, self.state.clone());
        self.stop = Some(stop);
        self.served = Some(served);
    }

    /// Signals the shutdown and waits until `serve` returns.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = self.served.take().expect("stopped once");
        within(served).await.expect("the serving task")
    }

    /// The log file every in-process relay of this test binary writes to.
    pub fn log(&self) -> &'static Path {
        in_process_log()
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Opens a WebSocket to `path`; limits raised like the relay's (64 MiB).
    pub async fn ws(&self, path: &str) -> Ws {
        self.try_ws(path, &[]).await.expect("WebSocket handshake").0
    }

    /// Opens a WebSocket to `path`, offering `protocols` (in that order).
    pub async fn try_ws(
        &self,
        path: &str,
        protocols: &[&str],
    ) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
        let headers: Vec<(&str, String)> = if protocols.is_empty() {
            Vec::new()
        } else {
            vec![("sec-websocket-protocol", protocols.join(", "))]
        };
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        self.try_ws_with(path, &headers).await
    }

    /// Opens a WebSocket to `path` with extra request `headers` (e.g. `Origin`).
    pub async fn try_ws_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
        let mut request = self.ws_url(path).into_client_request()?;
        for (name, value) in headers {
            request.headers_mut().insert(
                tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        within(tokio_tungstenite::connect_async_with_config(
            request,
            Some(config),
            false,
        ))
        .await
    }

    /// A GET over a fresh connection (`Connection: close`).
    pub async fn get(&self, path: &str) -> HttpResponse {
        within(http_get(self.addr, path, &[])).await
    }

    /// A GET whose answer must be a 200 JSON document.
    pub async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        serde_json::from_slice(&response.body).expect("a JSON body")
    }
}

impl Deref for Relay {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.state
    }
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends a GET with `headers` (`Host: addr` unless `headers` has a Host) and reads the answer
/// until the server closes the connection (or, for a `101`, until the end of the headers).
pub async fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("GET {path} HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    let upgrading = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("upgrade"));
    if !upgrading {
        request.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");

    let mut raw = Vec::new();
    let mut chunk = [0; 8192];
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk).await.expect("read response");
        assert!(read > 0, "connection closed before the end of the headers");
        raw.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8(raw[..head_end].to_vec()).expect("UTF-8 headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let headers: Vec<(String, String)> = headers;
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok());
    let mut body = raw[head_end + 4..].to_vec();
    match length {
        _ if status == 101 => {}
        Some(length) => {
            let mut rest = vec![0; length.saturating_sub(body.len())];
            stream.read_exact(&mut rest).await.expect("read body");
            body.extend_from_slice(&rest);
        }
        None => {
            stream.read_to_end(&mut body).await.expect("read body");
        }
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// The headers of a hand-made WebSocket upgrade request (`Sec-WebSocket-Key` from RFC 6455).
pub const UPGRADE: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

/// The `Sec-WebSocket-Accept` that answers [`UPGRADE`]'s key.
pub const UPGRADE_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The next message, failing the test if the stream ends or errors.
pub async fn next_message(ws: &mut Ws) -> Message {
    within(ws.next())
        .await
        .expect("the stream ended")
        .expect("a message, not an error")
}

/// Reads until the stream ends; returns what ended it (`None`: a clean end).
pub async fn read_to_end(ws: &mut Ws) -> (Vec<Message>, Option<tungstenite::Error>) {
    let mut messages = Vec::new();
    loop {
        match within(ws.next()).await {
            Some(Ok(message)) => messages.push(message),
            Some(Err(error)) => return (messages, Some(error)),
            None => return (messages, None),
        }
    }
}

/// True for the error tungstenite reports when TCP ends without a closing handshake.
pub fn is_reset_without_close(error: &tungstenite::Error) -> bool {
    matches!(
        error,
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
        )
    ) || matches!(error, tungstenite::Error::Io(_))
}
