//! The rooms' throughput, part of `cargo xtask bench`: the same load (the relay's `throughput`
//! example) against three release relays on this machine, one after the other: the in-memory
//! relay of before durable rooms (commit [`BASELINE`], built in a worktree under the target
//! folder), today's relay on SQLite, and today's relay on a `redis-server` started on a free
//! port. The table goes into the Rooms section of `BENCHMARKS.md`, as ratios to the baseline.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::benchmarks;
use crate::process::{heading, say};
use crate::relay::{self, Output, Relay};
use crate::tools;
use crate::workspace::{Profile, Workspace};

/// The last commit whose relay kept rooms in memory only.
pub const BASELINE: &str = "c2b6509";

/// Measured runs per relay; the table shows their median.
const RUNS: &str = "5";

/// One relay's figures: medians of the runs, and the relay's CPU time over all of them.
#[derive(Debug, Clone, PartialEq)]
struct Figures {
    posts_per_s: f64,
    deliveries_per_s: f64,
    runs: usize,
    /// Every delivery of every run.
    deliveries: f64,
    /// The relay process's user and system time, start-up and joins included.
    cpu: Option<Duration>,
}

impl Figures {
    /// Milliseconds of relay CPU per 1,000 deliveries.
    fn cpu_per_thousand(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.deliveries > 0.0).then(|| cpu.as_secs_f64() * 1e6 / self.deliveries)
    }
}

/// Builds the three relays and the load, measures, and writes the Rooms section.
///
/// # Errors
/// When a build fails, redis-server cannot be installed or started, or a relay does not start.
pub fn run_all(workspace: &Workspace) -> Result<bool> {
    heading("rooms throughput: builds");
    tools::ensure_redis_server(workspace)?;
    let today = relay::build(workspace, Profile::Release)?;
    let for_size = build_for_size(workspace)?;
    let baseline = build_baseline(workspace)?;
    let load = relay::build_example(workspace, "throughput")?;

    let out = workspace.target().join(super::bench::OUT);
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let redis = RedisServer::start(workspace)?;
    let sqlite = |name: &str| -> Result<Vec<String>> {
        let data = relay::fresh_data(name)?;
        let mut args = vec!["--data".to_owned(), data.display().to_string()];
        args.extend(relay::UNDER_LOAD.map(str::to_owned));
        Ok(args)
    };
    let cases: [(&str, &Path, Vec<String>); 4] = [
        ("in memory (before durable rooms)", &baseline, Vec::new()),
        (
            "SQLite, relay built for size (opt-level z)",
            &for_size,
            sqlite("throughput-z")?,
        ),
        ("SQLite (synchronous = FULL)", &today, sqlite("throughput")?),
        (
            "Redis (one redis-server)",
            &today,
            [&["--redis", redis.url().as_str()][..], &relay::UNDER_LOAD]
                .concat()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
    ];
    let ticks = clock_ticks(workspace)?;
    let mut rows = Vec::new();
    for (name, program, args) in cases {
        heading(&format!("rooms throughput: {name}"));
        let command = workspace
            .cmd(program)
            .args(["--addr", "127.0.0.1:0", "--root"])
            .arg(workspace.root())
            .args(&args);
        let log = out.join(format!("throughput-{}.log", rows.len()));
        let relay = Relay::start(command, &Output::Log(log))?;
        let url = format!("{}/chat", relay.url().replacen("http", "ws", 1));
        let output = workspace
            .cmd(&load)
            .args([url.as_str(), RUNS])
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run {}", load.display()))?;
        let cpu = relay.cpu_time(ticks);
        drop(relay);
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            say(format!(
                "{name}: the load failed ({}): {}",
                output.status,
                stderr.trim()
            ));
            return Ok(false);
        }
        print!("{stdout}");
        rows.push((name, figures(&stdout, cpu)?));
    }
    let report = render(&rows);
    heading("rooms throughput: results");
    print!("{report}");
    let path = benchmarks::write(workspace, benchmarks::ROOMS, &report)?;
    say(format!("wrote the Rooms section of {}", path.display()));
    Ok(true)
}

/// Today's relay built the way the whole workspace was before the relay got its profile
/// overrides: every `[profile.release.package.*]` of the root manifest set back to
/// `opt-level = "z"`, in a target folder of its own (`<target>/bench/opt-z/`).
fn build_for_size(workspace: &Workspace) -> Result<PathBuf> {
    let manifest = workspace.root().join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("cannot parse {}", manifest.display()))?;
    let overridden: Vec<String> = table
        .get("profile")
        .and_then(|profile| profile.get("release"))
        .and_then(|release| release.get("package"))
        .and_then(toml::Value::as_table)
        .map(|packages| packages.keys().cloned().collect())
        .unwrap_or_default();
    let configs = overridden.iter().flat_map(|name| {
        [
            "--config".to_owned(),
            format!("profile.release.package.{name}.opt-level=\"z\""),
        ]
    });
    let target = workspace.target().join("bench").join("opt-z");
    workspace
        .cargo()
        .args([
            "build",
            "--release",
            "--package",
            "duplex-relay",
            "--bin",
            "duplex-relay",
        ])
        .args(configs)
        .arg("--target-dir")
        .arg(&target)
        .run()
        .context("building the relay for size")?;
    Ok(target
        .join("release")
        .join(format!("duplex-relay{}", std::env::consts::EXE_SUFFIX)))
}

/// The kernel's clock ticks per second, the unit of `/proc/<pid>/stat`'s CPU times.
///
/// # Errors
/// When `getconf CLK_TCK` cannot be run or prints no number.
pub fn clock_ticks(workspace: &Workspace) -> Result<f64> {
    let ticks = workspace
        .cmd("getconf")
        .arg("CLK_TCK")
        .quiet()
        .read()
        .context("cannot read the clock ticks per second")?;
    ticks
        .trim()
        .parse()
        .with_context(|| format!("getconf CLK_TCK printed `{ticks}`"))
}

/// The relay binary of [`BASELINE`], built once in `<target>/bench/baseline/`.
fn build_baseline(workspace: &Workspace) -> Result<PathBuf> {
    let dir = workspace.target().join("bench").join("baseline");
    let tree = dir.join("tree");
    if !tree.join("Cargo.toml").is_file() {
        let _ = fs::remove_dir_all(&tree);
        workspace
            .cmd("git")
            .arg("-C")
            .arg(workspace.root())
            .args(["worktree", "add", "--force", "--detach"])
            .arg(&tree)
            .arg(BASELINE)
            .run()
            .with_context(|| {
                format!(
                    "cannot check out {BASELINE} into {}: the baseline needs the repository's \
                     history",
                    tree.display()
                )
            })?;
    }
    let target = dir.join("target");
    workspace
        .cargo()
        .args(["build", "--release", "--manifest-path"])
        .arg(tree.join("Cargo.toml"))
        .args([
            "--package",
            "duplex-relay",
            "--bin",
            "duplex-relay",
            "--target-dir",
        ])
        .arg(&target)
        .run()
        .with_context(|| format!("building the {BASELINE} relay"))?;
    Ok(target
        .join("release")
        .join(format!("duplex-relay{}", std::env::consts::EXE_SUFFIX)))
}

/// The medians of the load's output lines, with the relay's CPU time over them.
fn figures(output: &str, cpu: Option<Duration>) -> Result<Figures> {
    let field = |line: &str, name: &str| -> Option<f64> {
        let mut words = line.split_whitespace();
        words.find(|word| *word == name)?;
        words.next()?.parse().ok()
    };
    let mut posts: Vec<f64> = Vec::new();
    let mut deliveries: Vec<f64> = Vec::new();
    let mut delivered = 0.0;
    for line in output.lines() {
        if let (Some(p), Some(d)) = (field(line, "posts_per_s"), field(line, "deliveries_per_s")) {
            posts.push(p);
            deliveries.push(d);
            delivered +=
                field(line, "posts").unwrap_or(0.0) * field(line, "listeners").unwrap_or(0.0);
        }
    }
    if posts.is_empty() {
        bail!("the load printed no figures: {output}");
    }
    Ok(Figures {
        runs: posts.len(),
        posts_per_s: median(&mut posts),
        deliveries_per_s: median(&mut deliveries),
        deliveries: delivered,
        cpu,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn render(rows: &[(&str, Figures)]) -> String {
    let mut text = format!(
        "Measured by `cargo xtask bench` (or `cargo xtask bench --rooms` for this table alone) \
         on this machine ({} cores): the relay's `throughput` example against each release \
         relay on 127.0.0.1, one after the other. Load per run: 20 listeners and 50 posters in \
         a fresh room, each poster sending 19 posts (the rate limit's burst), each once the one \
         before is acknowledged; a delivery is one post reaching one listener. Medians of \
         the runs; ratios to the in-memory relay of commit {BASELINE}. Relay CPU: the relay \
         process's user and system time over all runs (start-up and joins included), per \
         1,000 deliveries. The relay is built with `opt-level = 3` for itself and its \
         native-only crates (the `[profile.release.package.*]` overrides of Cargo.toml); the \
         row built for size sets them back to `opt-level = \"z\"`, the wasm's profile.\n\n\
         | relay | runs | posts/s | deliveries/s | vs in memory | relay CPU ms / 1,000 deliveries |\n\
         |---|--:|--:|--:|--:|--:|\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let baseline = rows.first().map_or(1.0, |(_, figures)| figures.posts_per_s);
    for (name, figures) in rows {
        let cpu = figures
            .cpu_per_thousand()
            .map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.1}"));
        text.push_str(&format!(
            "| {name} | {} | {:.0} | {:.0} | {:.2}x | {cpu} |\n",
            figures.runs,
            figures.posts_per_s,
            figures.deliveries_per_s,
            figures.posts_per_s / baseline
        ));
    }
    text
}

/// A `redis-server` on a free loopback port, without persistence, killed when dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start(workspace: &Workspace) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("cannot find a free port")?
            .port();
        let cmd = workspace
            .cmd("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"]);
        eprintln!("$ {cmd}");
        let child = Command::from(cmd)
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start redis-server")?;
        let server = Self { child, port };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        Err(anyhow!("redis-server did not listen on port {port}"))
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_medians_and_cpu_is_per_thousand_deliveries() -> Result<()> {
        let output = "posts 950 listeners 20 seconds 1 posts_per_s 900 deliveries_per_s 18000\n\
                      noise\n\
                      posts 950 listeners 20 seconds 1 posts_per_s 1000 deliveries_per_s 20000\n\
                      posts 950 listeners 20 seconds 1 posts_per_s 1100 deliveries_per_s 22000\n";
        let figures = figures(output, Some(Duration::from_millis(570)))?;
        assert_eq!(figures.runs, 3);
        assert_eq!(figures.posts_per_s, 1000.0);
        assert_eq!(figures.deliveries_per_s, 20000.0);
        assert_eq!(figures.deliveries, 57000.0);
        assert_eq!(figures.cpu_per_thousand().map(|ms| ms.round()), Some(10.0));
        assert!(super::figures("nothing", None).is_err());
        Ok(())
    }
}
