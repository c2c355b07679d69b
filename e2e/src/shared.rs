//! The parts of the shared-rooms test: a real `redis-server` on a free port (no persistence,
//! killed on drop) and the real `duplex-relay` binary as a child process sharing its rooms
//! through it, so that the test can SIGKILL one relay while a page is on it.
//!
//! The binary is `$DUPLEX_RELAY_BIN` (`cargo xtask test` builds it and sets it), else
//! `duplex-relay` in the target folder this test was built in.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// How long a server may take to start.
const START_LIMIT: Duration = Duration::from_secs(20);

/// A `redis-server` child process on a free loopback port, killed when dropped.
#[derive(Debug)]
#[must_use = "redis-server stops when this is dropped"]
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` (from `PATH`) and waits until it accepts connections.
    ///
    /// # Errors
    /// [`Error::Setup`] when it is not installed (`cargo xtask test` installs it) or does not
    /// start listening in time.
    pub fn start() -> Result<Self, Error> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(Error::io("find a free port for redis-server"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|error| {
                Error::Setup(format!(
                    "cannot start redis-server ({error}): `apt-get install -y redis-server` \
                     (cargo xtask test does)"
                ))
            })?;
        let server = Self { child, port };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if started.elapsed() > START_LIMIT {
                return Err(Error::Setup(format!(
                    "redis-server did not listen on {addr}"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `duplex-relay` binary serving `root` on a free port with `--redis`, killed when dropped.
#[derive(Debug)]
#[must_use = "the relay stops when this is dropped"]
pub struct RelayProcess {
    child: Child,
    addr: SocketAddr,
}

impl RelayProcess {
    /// Starts the binary and waits for the URL it prints first.
    ///
    /// # Errors
    /// [`Error::Setup`] when the binary is missing or does not print its URL.
    pub fn start(root: &Path, redis_url: &str) -> Result<Self, Error> {
        let binary = binary()?;
        let mut child = Command::new(&binary)
            .args(["--addr", "127.0.0.1:0", "--redis", redis_url, "--root"])
            .arg(root)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| Error::Setup(format!("cannot start {}: {error}", binary.display())))?;
        let line = child.stdout.take().and_then(|stdout| {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).ok()?;
            Some(line)
        });
        let addr = line
            .as_deref()
            .and_then(|line| line.trim().strip_prefix("http://"))
            .and_then(|addr| addr.parse().ok());
        match addr {
            Some(addr) => Ok(Self { child, addr }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(Error::Setup(format!(
                    "{} printed {line:?} instead of its URL",
                    binary.display()
                )))
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/chat`.
    pub fn chat_url(&self) -> String {
        format!("ws://{}/chat", self.addr)
    }

    /// `kill -9`: its connections end without a Close frame and it tells nobody it is gone.
    ///
    /// # Errors
    /// [`Error::Io`] when the signal cannot be sent.
    pub fn kill(mut self) -> Result<(), Error> {
        self.child.kill().map_err(Error::io("SIGKILL the relay"))?;
        self.child.wait().map_err(Error::io("reap the relay"))?;
        Ok(())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Result<PathBuf, Error> {
    let name = format!("duplex-relay{}", std::env::consts::EXE_SUFFIX);
    let candidate = match std::env::var_os("DUPLEX_RELAY_BIN") {
        Some(path) => PathBuf::from(path),
        // The test runs from <target>/<profile>/deps/.
        None => std::env::current_exe()
            .map_err(Error::io("find the test's own path"))?
            .parent()
            .and_then(Path::parent)
            .map(|profile| profile.join(&name))
            .unwrap_or_else(|| PathBuf::from(&name)),
    };
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(Error::Setup(format!(
            "no relay binary at {}: run `cargo build -p duplex-relay` or set DUPLEX_RELAY_BIN \
             (cargo xtask test does)",
            candidate.display()
        )))
    }
}
