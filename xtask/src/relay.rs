//! Building and running `duplex-relay`: it prints its base URL as the first stdout line; the
//! guard stops it by process id when dropped.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{Context as _, Error, Result, anyhow};
use xshell::Cmd;

use crate::process::say;
use crate::workspace::{Profile, Workspace};

/// How long the relay may take to print its URL.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the relay's output goes after its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Into this log file (stdout and stderr), out of the way of test output.
    Log(PathBuf),
    /// To xtask's own stdout and stderr.
    Terminal,
}

/// Flags for a relay under a benchmark's load: every connection comes from 127.0.0.1, past the
/// default cap per address, and members that only listen send nothing for minutes.
pub const UNDER_LOAD: [&str; 6] = [
    "--max-connections",
    "1000000",
    "--max-connections-per-address",
    "1000000",
    "--idle-timeout",
    "1h",
];

/// `program` run by `sh` after raising its soft limit of open files to the hard limit, for a
/// relay or a load that holds thousands of connections. `exec` keeps the process id.
pub fn with_open_files<'a>(workspace: &'a Workspace, program: &Path) -> Cmd<'a> {
    workspace
        .cmd("sh")
        .args([
            "-c",
            r#"ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@""#,
            "sh",
        ])
        .arg(program)
}

/// Builds the relay in `profile` and returns its program.
///
/// # Errors
/// When cargo cannot be run or the build fails.
pub fn build(workspace: &Workspace, profile: Profile) -> Result<PathBuf> {
    workspace
        .cargo()
        .args(["build", "--package", "duplex-relay"])
        .args(profile.cargo_flags())
        .run()
        .context("building duplex-relay")?;
    Ok(workspace
        .target()
        .join(profile.dir())
        .join(format!("duplex-relay{}", std::env::consts::EXE_SUFFIX)))
}

/// Builds the relay's example `name` (a load generator) in release mode and returns its program.
///
/// # Errors
/// When cargo cannot be run or the build fails.
pub fn build_example(workspace: &Workspace, name: &str) -> Result<PathBuf> {
    workspace
        .cargo()
        .args([
            "build",
            "--release",
            "--package",
            "duplex-relay",
            "--example",
            name,
        ])
        .run()
        .with_context(|| format!("building the relay's example {name}"))?;
    Ok(workspace
        .target()
        .join(Profile::Release.dir())
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

/// A running relay; dropping it kills the process and waits for it.
#[derive(Debug)]
#[must_use = "dropping the Relay stops the relay process"]
pub struct Relay {
    child: Child,
    url: String,
    /// Whether the process has been waited for (nothing left to stop).
    exited: bool,
}

impl Relay {
    /// Starts `cmd` (the relay program with its arguments) and waits (up to 30 s) for the
    /// base URL it prints first.
    ///
    /// # Errors
    /// When the relay cannot start, exits, or prints no URL in time; the message includes the
    /// end of its log.
    pub fn start(cmd: Cmd<'_>, output: &Output) -> Result<Self> {
        eprintln!("$ {cmd}");
        let mut command = Command::from(cmd);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let sink: Box<dyn Write + Send> = match output {
            Output::Log(path) => {
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                let log = File::create(path)
                    .with_context(|| format!("cannot create the relay log {}", path.display()))?;
                let stderr = log
                    .try_clone()
                    .with_context(|| format!("cannot share the relay log {}", path.display()))?;
                command.stderr(stderr);
                Box::new(log)
            }
            Output::Terminal => Box::new(io::stdout()),
        };
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", command.get_program().to_string_lossy()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the relay has no stdout pipe"))?;
        // Built before waiting, so that every early return below stops the process.
        let mut relay = Self {
            child,
            url: String::new(),
            exited: false,
        };
        let first_line = forward(stdout, sink);
        match first_line.recv_timeout(START_TIMEOUT) {
            Ok(line) if line.trim().starts_with("http") => {
                relay.url = line.trim().to_owned();
                Ok(relay)
            }
            Ok(line) => Err(relay.failure(
                &format!("printed `{}` instead of its URL", line.trim()),
                output,
            )),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(relay.failure(
                &format!("printed no URL within {} s", START_TIMEOUT.as_secs()),
                output,
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Its stdout closed: it has exited, or is about to; the kill is for the latter.
                let _ = relay.child.kill();
                let status = relay.child.wait().map_or_else(
                    |error| format!("cannot wait for it: {error}"),
                    |status| status.to_string(),
                );
                Err(relay.failure(
                    &format!("exited ({status}) before printing its URL"),
                    output,
                ))
            }
        }
    }

    /// The base URL the relay printed, such as `http://127.0.0.1:43817`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The relay's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The CPU time (user and system) the relay process has used so far, from
    /// `/proc/<pid>/stat` in clock ticks of `ticks_per_s`; `None` where there is no `/proc`.
    pub fn cpu_time(&self, ticks_per_s: f64) -> Option<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces:
        // utime and stime are the 14th and 15th fields, so the 12th and 13th after it.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        (ticks_per_s > 0.0).then(|| Duration::from_secs_f64(ticks / ticks_per_s))
    }

    /// Waits for the relay to exit by itself (Ctrl-C).
    ///
    /// # Errors
    /// When the process cannot be waited for.
    pub fn wait(mut self) -> Result<ExitStatus> {
        let status = self.child.wait().context("cannot wait for the relay")?;
        self.exited = true;
        Ok(status)
    }

    /// An error for a relay that did not start, with the last line of its log.
    fn failure(&mut self, what: &str, output: &Output) -> Error {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.exited = true;
        let log = match output {
            Output::Log(path) => {
                let text = fs::read_to_string(path).unwrap_or_default();
                match last_line(&text) {
                    Some(line) => format!("; its log {} ends with: {line}", path.display()),
                    None => format!("; its log {} is empty", path.display()),
                }
            }
            Output::Terminal => String::new(),
        };
        anyhow!("the relay {what}{log}")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if self.exited {
            return;
        }
        let pid = self.child.id();
        match self.child.try_wait() {
            Ok(Some(status)) => say(format!(
                "the relay (pid {pid}) had exited by itself ({status})"
            )),
            _ => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                say(format!("stopped the relay (pid {pid})"));
            }
        }
    }
}

/// Sends the first line of `stdout` back through the returned channel and copies the rest to
/// `sink`, on a thread of its own, so the relay never blocks on a full pipe.
fn forward(
    stdout: impl io::Read + Send + 'static,
    mut sink: Box<dyn Write + Send>,
) -> mpsc::Receiver<String> {
    let (first_line, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = first_line.send(line);
        }
        drop(first_line);
        for line in lines.map_while(Result::ok) {
            let _ = writeln!(sink, "{line}").and_then(|()| sink.flush());
        }
    });
    receiver
}

/// The last line of `text` that is not blank.
fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|line| !line.is_empty())
}

/// An empty data folder (`--data`) for a relay that `name` starts and whose rooms need not
/// outlive the run: in the system's temp folder, since the relay refuses one inside the folder
/// it serves (the repository).
///
/// # Errors
/// When the folder of an earlier run cannot be removed.
pub fn fresh_data(name: &str) -> Result<PathBuf> {
    let data = std::env::temp_dir().join(format!("duplex-xtask-{name}-{}", std::process::id()));
    match fs::remove_dir_all(&data) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot empty {}", data.display()))
        }
        _ => Ok(data),
    }
}

/// The log file of the relay that `cargo xtask test` starts.
pub fn test_log(workspace: &Workspace) -> PathBuf {
    workspace.scratch().join("relay.log")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log path of this test's own.
    fn log_path(test: &str) -> PathBuf {
        std::env::temp_dir().join(format!("xtask-{test}-{}.log", std::process::id()))
    }

    #[cfg(unix)]
    #[test]
    fn a_relay_that_exits_early_is_reported_with_its_log() -> Result<()> {
        let workspace = Workspace::locate()?;
        let log = log_path("early-exit");
        let command = workspace
            .cmd("/bin/sh")
            .args(["-c", "echo 'cannot listen on 127.0.0.1:1' >&2; exit 3"]);
        let started = Relay::start(command, &Output::Log(log.clone()));
        let _ = fs::remove_file(&log);
        let message = started.err().map(|error| error.to_string());
        assert!(
            message.as_deref().is_some_and(|message| message
                .starts_with("the relay exited (exit status: 3) before printing its URL")
                && message.ends_with("ends with: cannot listen on 127.0.0.1:1")),
            "{message:?}"
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn the_guard_reads_the_url_and_stops_the_process() -> Result<()> {
        let workspace = Workspace::locate()?;
        let log = log_path("guard");
        let command = workspace
            .cmd("/bin/sh")
            .args(["-c", "echo http://127.0.0.1:9; echo later; exec sleep 60"]);
        let relay = Relay::start(command, &Output::Log(log.clone()))?;
        assert_eq!(relay.url(), "http://127.0.0.1:9");
        assert!(relay.cpu_time(100.0).is_some(), "no CPU time in /proc");
        let pid = relay.child.id();
        drop(relay);
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        let _ = fs::remove_file(&log);
        assert!(!alive, "pid {pid} still exists");
        Ok(())
    }

    #[test]
    fn last_line_skips_blank_lines() {
        assert_eq!(last_line("a\nb\n\n  \n"), Some("b"));
        assert_eq!(last_line("only"), Some("only"));
        assert_eq!(last_line("\n"), None);
    }
}
