//! The rooms' throughput, part of `cargo xtask bench`: the same load (the relay's `throughput`
//! example) against three release relays on this machine, one after the other: the in-memory
//! relay of before durable rooms (commit [`BASELINE`], built in a worktree under the target
//! folder), today's relay on SQLite, and today's relay on a `redis-server` started on a free
//! port. The table goes into the Rooms section of `BENCHMARKS.md`, as ratios to the baseline.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::benchmarks;
use crate::error::{Context, Error, Result};
use crate::process::{heading, run, say};
use crate::relay::{self, Output, Relay};
use crate::tools;
use crate::workspace::{Profile, Workspace};

/// The last commit whose relay kept rooms in memory only.
pub const BASELINE: &str = "c2b6509";

/// Measured runs per relay; the table shows their median.
const RUNS: &str = "5";

/// One relay's figures, medians of the runs.
#[derive(Debug, Clone, PartialEq)]
struct Figures {
    posts_per_s: f64,
    deliveries_per_s: f64,
    runs: usize,
}

/// Builds the three relays and the load, measures, and writes the Rooms section.
///
/// # Errors
/// When a build fails, redis-server cannot be installed or started, or a relay does not start.
pub fn run_all(workspace: &Workspace) -> Result<bool> {
    heading("rooms throughput: builds");
    tools::ensure_redis_server(workspace)?;
    let today = relay::build(workspace, Profile::Release)?;
    let baseline = build_baseline(workspace)?;
    let status = run(workspace.cargo().args([
        "build",
        "--release",
        "--package",
        "duplex-relay",
        "--example",
        "throughput",
    ]))?;
    if !status.success() {
        return Err(Error::new(format!("building the load failed ({status})")));
    }
    let load = workspace
        .target()
        .join(Profile::Release.dir())
        .join("examples")
        .join(format!("throughput{}", std::env::consts::EXE_SUFFIX));

    let out = workspace.target().join(super::bench::OUT);
    fs::create_dir_all(&out).context(|| format!("cannot create {}", out.display()))?;
    let redis = RedisServer::start(workspace)?;
    let cases: [(&str, &Path, Vec<String>); 3] = [
        ("in memory (before durable rooms)", &baseline, Vec::new()),
        (
            "SQLite (synchronous = FULL)",
            &today,
            vec![
                "--data".to_owned(),
                relay::fresh_data("throughput")?.display().to_string(),
            ],
        ),
        (
            "Redis (one redis-server)",
            &today,
            vec!["--redis".to_owned(), redis.url()],
        ),
    ];
    let mut rows = Vec::new();
    for (name, program, args) in cases {
        heading(&format!("rooms throughput: {name}"));
        let mut command = workspace.command(program);
        command
            .args(["--addr", "127.0.0.1:0", "--root"])
            .arg(workspace.root())
            .args(&args);
        let log = out.join(format!("throughput-{}.log", rows.len()));
        let relay = Relay::start(command, &Output::Log(log))?;
        let url = format!("{}/chat", relay.url().replacen("http", "ws", 1));
        let output = workspace
            .command(&load)
            .args([url.as_str(), RUNS])
            .output()
            .context(|| format!("cannot run {}", load.display()))?;
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
        rows.push((name, figures(&stdout)?));
    }
    let report = render(&rows);
    heading("rooms throughput: results");
    print!("{report}");
    let path = benchmarks::write(workspace, benchmarks::ROOMS, &report)?;
    say(format!("wrote the Rooms section of {}", path.display()));
    Ok(true)
}

/// The relay binary of [`BASELINE`], built once in `<target>/bench/baseline/`.
fn build_baseline(workspace: &Workspace) -> Result<PathBuf> {
    let dir = workspace.target().join("bench").join("baseline");
    let tree = dir.join("tree");
    if !tree.join("Cargo.toml").is_file() {
        let _ = fs::remove_dir_all(&tree);
        let status = run(workspace
            .command("git")
            .arg("-C")
            .arg(workspace.root())
            .args(["worktree", "add", "--force", "--detach"])
            .arg(&tree)
            .arg(BASELINE))?;
        if !status.success() {
            return Err(Error::new(format!(
                "cannot check out {BASELINE} into {} ({status}): the baseline needs the \
                 repository's history",
                tree.display()
            )));
        }
    }
    let target = dir.join("target");
    let status = run(workspace
        .cargo()
        .arg("build")
        .arg("--release")
        .arg("--manifest-path")
        .arg(tree.join("Cargo.toml"))
        .args([
            "--package",
            "duplex-relay",
            "--bin",
            "duplex-relay",
            "--target-dir",
        ])
        .arg(&target))?;
    if !status.success() {
        return Err(Error::new(format!(
            "building the {BASELINE} relay failed ({status})"
        )));
    }
    Ok(target
        .join("release")
        .join(format!("duplex-relay{}", std::env::consts::EXE_SUFFIX)))
}

/// The medians of the load's output lines.
fn figures(output: &str) -> Result<Figures> {
    let field = |line: &str, name: &str| -> Option<f64> {
        let mut words = line.split_whitespace();
        words.find(|word| *word == name)?;
        words.next()?.parse().ok()
    };
    let mut posts: Vec<f64> = Vec::new();
    let mut deliveries: Vec<f64> = Vec::new();
    for line in output.lines() {
        if let (Some(p), Some(d)) = (field(line, "posts_per_s"), field(line, "deliveries_per_s")) {
            posts.push(p);
            deliveries.push(d);
        }
    }
    if posts.is_empty() {
        return Err(Error::new(format!("the load printed no figures: {output}")));
    }
    Ok(Figures {
        runs: posts.len(),
        posts_per_s: median(&mut posts),
        deliveries_per_s: median(&mut deliveries),
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
         the runs; ratios to the in-memory relay of commit {BASELINE}.\n\n\
         | relay | runs | posts/s | deliveries/s | vs in memory |\n|---|--:|--:|--:|--:|\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let baseline = rows.first().map_or(1.0, |(_, figures)| figures.posts_per_s);
    for (name, figures) in rows {
        text.push_str(&format!(
            "| {name} | {} | {:.0} | {:.0} | {:.2}x |\n",
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
            .context(|| "cannot find a free port".to_owned())?
            .port();
        let child = workspace
            .command("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context(|| "cannot start redis-server".to_owned())?;
        let server = Self { child, port };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        Err(Error::new(format!(
            "redis-server did not listen on port {port}"
        )))
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
