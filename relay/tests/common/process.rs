//! The real `duplex-relay` binary as a child process: started on a free port with a data
//! folder, read for its first stdout line, and stopped with SIGTERM or SIGKILL. Its log goes to
//! `target/relay-logs/<test binary>-<pid>-<n>.log`, whose tail is printed if the test fails.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::LIMIT;

pub const BINARY: &str = env!("CARGO_BIN_EXE_duplex-relay");

/// A running relay binary; killed when dropped.
#[derive(Debug)]
pub struct RelayProcess {
    child: Child,
    pub addr: SocketAddr,
    /// Where its stderr (its log) goes.
    pub log: PathBuf,
}

impl RelayProcess {
    /// Starts the binary on 127.0.0.1:0 with `--data data` and `args`, and waits for its URL.
    pub fn start(data: &Path, args: &[&str]) -> Self {
        Self::spawn(command(Some(data), args))
    }

    /// Starts the binary on 127.0.0.1:0 sharing its rooms through the Redis at `url`.
    pub fn shared(url: &str) -> Self {
        Self::spawn(command(None, &["--redis", url]))
    }

    fn spawn(mut command: Command) -> Self {
        let log = log_path();
        let file = File::create(&log).expect("create the relay's log file");
        let mut child = command
            .env("RUST_LOG", "duplex_relay=debug")
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .expect("start the relay");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the relay's first line");
        let addr = line
            .trim_end()
            .strip_prefix("http://")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("the first line should be the URL, got {line:?}"));
        Self { child, addr, log }
    }

    /// `kill -9`: the relay gets no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL the relay");
        self.child.wait().expect("reap the relay");
    }

    /// `kill -TERM` and wait for the graceful exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|status| status.success()), "kill -TERM");
        let started = Instant::now();
        while self.child.try_wait().expect("try_wait").is_none() {
            assert!(
                started.elapsed() < LIMIT,
                "the relay did not exit on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            duplex_relay::logging::print_tail(&self.log);
        }
    }
}

/// `target/relay-logs/<test binary>-<pid>-<n>.log`, its folder created.
pub fn log_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // Cargo's temporary folder for integration tests is `target/tmp`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target folder");
    let folder = target.join("relay-logs");
    std::fs::create_dir_all(&folder).expect("create target/relay-logs");
    let exe = std::env::current_exe().expect("the test binary's path");
    let stem = exe
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("test");
    // Test binaries are named `<test>-<hash>`.
    let test = stem.rsplit_once('-').map_or(stem, |(test, _)| test);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    folder.join(format!("{test}-{}-{n}.log", std::process::id()))
}

/// Runs the binary with `--data data` and `args` until it exits (it should fail at start).
pub fn run_to_exit(data: &Path, args: &[&str]) -> Output {
    exit_of(command(Some(data), args))
}

/// Runs the binary with `args` alone until it exits (it should fail at start).
pub fn run_args_to_exit(args: &[&str]) -> Output {
    exit_of(command(None, args))
}

fn exit_of(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the relay");
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("the relay should have exited at start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("the relay's output")
}

fn command(data: Option<&Path>, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(["--addr", "127.0.0.1:0"]);
    if let Some(data) = data {
        command.arg("--data").arg(data);
    }
    command.args(args);
    command
}
