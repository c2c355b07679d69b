//! [`Relay`]: the real `duplex-relay` service on `127.0.0.1:0`, in this process, serving the pages
//! as users get them (test endpoints only when asked for). It can stop the way the binary does on SIGTERM (Close 1012
//! to every client) and start again on the same port, with the same store.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use duplex_relay::{AppState, Config};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use tracing::Dispatch;

use crate::Error;

/// A relay serving `root` on a free port of 127.0.0.1 until dropped.
///
/// It runs on a thread and runtime of its own, so it keeps serving whatever the test's runtime
/// does (a blocking clean-up in a `Drop`, a current-thread `#[tokio::test]`).
///
/// Each relay keeps its chat store in a fresh data folder of its own (see [`Relay::data`]),
/// kept across [`Relay::restart`] and removed when the relay is dropped. It is under the system's
/// temporary folder, not under `<root>/target/e2e/`: the relay refuses a data folder inside the
/// folder it serves.
///
/// Its log (`RUST_LOG` filters it, as the binary's) goes to a file of its own, [`Relay::log`],
/// under `<root>/target/e2e/logs/`; when the relay is dropped while a test panics, the file's
/// path and last [`duplex_relay::logging::TAIL_LINES`] lines are printed to stderr.
#[derive(Debug)]
#[must_use = "the relay stops when this is dropped"]
pub struct Relay {
    addr: SocketAddr,
    config: Config,
    log: PathBuf,
    log_file: Arc<File>,
    running: Option<Running>,
}

/// The serving thread and the way to stop it.
#[derive(Debug)]
struct Running {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Relay {
    /// Starts the relay: static files from `root` (which holds `index.html` and `www/`), the
    /// echo endpoint at `/echo` and the chat rooms at `/chat`, test endpoints off, and an empty
    /// store in a new data folder.
    ///
    /// # Errors
    /// [`Error::Io`] if no port can be bound, the data folder or the log file cannot be made or
    /// the relay's thread cannot start; [`Error::Store`] if the relay cannot open its store.
    pub fn start(root: &Path) -> Result<Self, Error> {
        Self::with_config(Config {
            root: root.to_path_buf(),
            data: fresh_data_dir()?,
            ..Config::default()
        })
    }

    /// [`Relay::start`] with the `/test/*` endpoints on, as `--test-endpoints` turns them on:
    /// the benchmark page needs the flood and the connection count.
    ///
    /// # Errors
    /// As [`Relay::start`].
    pub fn with_test_endpoints(root: &Path) -> Result<Self, Error> {
        Self::with_config(Config {
            root: root.to_path_buf(),
            test_endpoints: true,
            data: fresh_data_dir()?,
            ..Config::default()
        })
    }

    /// [`Relay::start`] sharing its rooms with every relay given the Redis at `redis_url`.
    ///
    /// # Errors
    /// As [`Relay::start`]; [`Error::Store`] if Redis does not answer.
    pub fn shared(root: &Path, redis_url: &str) -> Result<Self, Error> {
        Self::with_config(Config {
            root: root.to_path_buf(),
            data: fresh_data_dir()?,
            redis: Some(redis_url.to_owned()),
            ..Config::default()
        })
    }

    fn with_config(config: Config) -> Result<Self, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(Error::io("bind the relay to 127.0.0.1:0"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("read the relay's address"))?;
        let log = log_path(&config.root)?;
        let log_file = File::create(&log).map(Arc::new).map_err(Error::io(format!(
            "create the relay's log {}",
            log.display()
        )))?;
        let running = serve(listener, config.clone(), &log_file)?;
        Ok(Self {
            addr,
            config,
            log,
            log_file,
            running: Some(running),
        })
    }

    /// Stops the relay as SIGTERM stops the binary: every client gets Close 1012 (service restart),
    /// then the port is released. Returns once it is.
    pub fn stop(&mut self) {
        if let Some(Running { stop, thread }) = self.running.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }

    /// Starts a stopped relay again on the same port and the same data folder: no connections
    /// and no rooms in memory, but every room's history (and `seq`, and epoch) as stored.
    ///
    /// # Errors
    /// [`Error::Io`] if the port cannot be bound again or the thread cannot start;
    /// [`Error::Store`] if the relay cannot open its store again.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.stop();
        let listener =
            TcpListener::bind(self.addr).map_err(Error::io(format!("bind {} again", self.addr)))?;
        self.running = Some(serve(listener, self.config.clone(), &self.log_file)?);
        Ok(())
    }

    /// The relay's log file, `<root>/target/e2e/logs/relay-<test>-<process id>-<count>.log`,
    /// kept across [`Relay::restart`] and after the relay is dropped.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The relay's data folder, where its SQLite file lives.
    pub fn data(&self) -> &Path {
        &self.config.data
    }

    /// The address the relay listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: append a path such as `/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/echo`: what the echo page's server field shows by default.
    pub fn echo_url(&self) -> String {
        format!("ws://{}/echo", self.addr)
    }

    /// `GET path_and_query` of one of the plain-HTTP controls under `/test/` (a relay made by
    /// [`Relay::with_test_endpoints`]), e.g. `/test/refuse-posts?containing=x`: its JSON answer.
    ///
    /// # Errors
    /// [`Error::Page`] if the request fails, the answer is not a 200, or not JSON.
    pub async fn control(&self, path_and_query: &str) -> Result<serde_json::Value, Error> {
        let url = format!("{}{path_and_query}", self.base_url());
        let failed = |what: String| Error::Page(format!("GET {url}: {what}"));
        let uri = url
            .parse::<axum::http::Uri>()
            .map_err(|error| failed(error.to_string()))?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let response = client
            .get(uri)
            .await
            .map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| failed(error.to_string()))?
            .to_bytes();
        if !status.is_success() {
            return Err(failed(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        serde_json::from_slice(&body).map_err(|error| failed(format!("not JSON: {error}")))
    }
}

/// Serves `config` on `listener` from a thread of its own until told to stop, logging to `log`.
fn serve(listener: TcpListener, config: Config, log: &Arc<File>) -> Result<Running, Error> {
    let addr = listener
        .local_addr()
        .map_err(Error::io("read the relay's address"))?;
    listener
        .set_nonblocking(true)
        .map_err(Error::io("make the relay's listener non-blocking"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("start the relay's runtime"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    // The store is opened on the relay's own thread: a test's runtime cannot block on another
    // one, and a shared store's background tasks must live on the runtime that serves.
    let (opened, open_result) = std::sync::mpsc::channel();
    let dispatch = Dispatch::new(duplex_relay::logging::subscriber(Arc::clone(log), false));
    let thread = std::thread::Builder::new()
        .name(format!("e2e-relay-{}", addr.port()))
        .spawn(move || {
            // The log is this thread's default subscriber: the runtime is current-thread, so
            // every task of this relay runs here and logs to this relay's file alone.
            let _log = tracing::dispatcher::set_default(&dispatch);
            runtime.block_on(async move {
                let state = match AppState::open(config).await {
                    Ok(state) => state,
                    Err(error) => return drop(opened.send(Err(error))),
                };
                let _ = opened.send(Ok(()));
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(error) => return eprintln!("e2e relay on {addr} did not start: {error}"),
                };
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(error) = duplex_relay::serve(listener, state, shutdown).await {
                    eprintln!("e2e relay on {addr} stopped: {error}");
                }
            });
            // Ends every connection still open, while the log is still this thread's.
            drop(runtime);
        })
        .map_err(Error::io("start the relay's thread"))?;
    let opened = match open_result.recv() {
        Ok(opened) => opened.map_err(Error::Store),
        // The sender is dropped unsent only if opening the store panicked.
        Err(_) => Err(Error::io("open the relay's store")(std::io::Error::other(
            "the relay's thread panicked",
        ))),
    };
    match opened {
        Ok(()) => Ok(Running { stop, thread }),
        Err(error) => {
            let _ = thread.join();
            Err(error)
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
        // Best effort: a folder left behind is in the temporary folder, and names its process.
        let _ = std::fs::remove_dir_all(&self.config.data);
        if std::thread::panicking() {
            duplex_relay::logging::print_tail(&self.log);
        }
    }
}

/// A new log file's path, `<root>/target/e2e/logs/relay-<test>-<process id>-<count>.log`, its
/// folder created; `<test>` is the name of the thread that starts the relay, which the test
/// harness names after the test.
fn log_path(root: &Path) -> Result<PathBuf, Error> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let folder = root.join("target").join("e2e").join("logs");
    std::fs::create_dir_all(&folder).map_err(Error::io(format!("create {}", folder.display())))?;
    let test: String = std::thread::current()
        .name()
        .unwrap_or("relay")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = format!(
        "relay-{test}-{}-{}.log",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    Ok(folder.join(name))
}

/// A new, empty folder for one relay's store:
/// `<temp>/duplex-e2e/relay-data/<process id>-<time>-<count>`.
fn fresh_data_dir() -> Result<PathBuf, Error> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir()
        .join("duplex-e2e")
        .join("relay-data")
        .join(name);
    std::fs::create_dir_all(&dir).map_err(Error::io(format!(
        "create the relay's data folder {}",
        dir.display()
    )))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    use super::Relay;

    async fn within<F: Future>(future: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(20), future)
            .await
            .expect("timed out: the relay did not answer")
    }

    /// Needs no browser. Assumes `RUST_LOG` is unset or lets `duplex_relay=info` through.
    #[tokio::test]
    async fn each_relay_logs_its_connections_to_a_file_of_its_own() {
        let root = std::env::temp_dir().join(format!("duplex-e2e-log-{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("create the served folder");
        let mut relay = Relay::start(&root).expect("start the relay");
        let other = Relay::start(&root).expect("start another relay");
        let url = format!("{}/echo", relay.base_url().replacen("http", "ws", 1));
        let (mut ws, _) = within(tokio_tungstenite::connect_async(url))
            .await
            .expect("WebSocket handshake");
        let bye = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        within(ws.send(Message::Close(Some(bye))))
            .await
            .expect("send Close");
        within(async { while let Some(Ok(_)) = ws.next().await {} }).await;
        relay.stop();

        let log = std::fs::read_to_string(relay.log()).expect("read the relay's log");
        let has = |pieces: &[&str]| {
            log.lines()
                .any(|line| pieces.iter().all(|piece| line.contains(piece)))
        };
        assert!(has(&["path=/echo", "ws{id=", "opened"]), "{log}");
        assert!(
            has(&["received_code=1000", "received_reason=\"bye\"", "closed"]),
            "{log}"
        );
        let name = relay.log().to_string_lossy().into_owned();
        assert!(
            name.contains("each-relay-logs-its-connections"),
            "named after the test: {name}"
        );
        let other_log = std::fs::read_to_string(other.log()).expect("read the other log");
        assert!(!other_log.contains("/echo"), "{other_log}");
        drop((relay, other));
        let _ = std::fs::remove_dir_all(&root);
    }
}
