//! [`Relay`]: the real `duplex-relay` service on `127.0.0.1:0`, in this process, serving the page
//! as users get it (no test endpoints).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::thread::JoinHandle;

use duplex_relay::{AppState, Config, app};
use tokio::sync::oneshot;

use crate::Error;

/// A relay serving `root` on a free port of 127.0.0.1 until dropped.
///
/// It runs on a thread and runtime of its own, so it keeps serving whatever the test's runtime
/// does (a blocking clean-up in a `Drop`, a current-thread `#[tokio::test]`).
#[derive(Debug)]
#[must_use = "the relay stops when this is dropped"]
pub struct Relay {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Starts the relay: static files from `root` (which holds `index.html` and `www/`), the
    /// echo endpoint at `/echo`, test endpoints off.
    ///
    /// # Errors
    /// [`Error::Io`] if no port can be bound or the relay's thread cannot start.
    pub fn start(root: &Path) -> Result<Self, Error> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(Error::io("bind the relay to 127.0.0.1:0"))?;
        listener
            .set_nonblocking(true)
            .map_err(Error::io("make the relay's listener non-blocking"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("read the relay's address"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::io("start the relay's runtime"))?;
        let router = app(AppState::new(Config {
            root: root.to_path_buf(),
            test_endpoints: false,
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("e2e-relay-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            return eprintln!("e2e relay on {addr} did not start: {error}");
                        }
                    };
                    tokio::select! {
                        result = axum::serve(listener, router) => {
                            if let Err(error) = result {
                                eprintln!("e2e relay on {addr} stopped: {error}");
                            }
                        }
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here ends every connection still open.
            })
            .map_err(Error::io("start the relay's thread"))?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the relay listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: append a path such as `/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/echo`: what the page's server field shows by default.
    pub fn echo_url(&self) -> String {
        format!("ws://{}/echo", self.addr)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
