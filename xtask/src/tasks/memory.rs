//! The relay's memory per connection and the most connections it holds, part of
//! `cargo xtask bench` (alone with `--memory`): the relay's `memory` example
//! (`relay/examples/memory.rs`) holds connections to a fresh release relay's `/chat`, idle and
//! then joined, and stops after each phase for the relay's memory to be read from
//! `/proc/<pid>/status`; then it opens connections until the relay refuses one, once with the
//! default caps and once with the caps raised far above what the machine allows. The figures
//! go into the Memory section of `BENCHMARKS.md`, and every line of the load into
//! `<target>/bench/memory.txt`.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use xshell::Cmd;

use crate::benchmarks;
use crate::process::{heading, say};
use crate::relay::{self, Output, Relay};
use crate::workspace::{Profile, Workspace};

/// The connection counts measured, idle then joined.
const SIZES: [u32; 2] = [1_000, 5_000];

/// Runs per count; the table shows their median.
const REPEATS: usize = 3;

/// Members per room in the joined phase.
const ROOM_SIZE: u32 = 100;

/// The most connections the phases open from one source address: under the relay's default
/// cap per address, so the relay runs as shipped.
const PER_ADDRESS: u32 = 200;

/// The relay's default caps (`DEFAULT_MAX_CONNECTIONS` and
/// `DEFAULT_MAX_CONNECTIONS_PER_ADDRESS` in relay/src/lib.rs): the run with the default caps
/// must be refused at exactly these.
const DEFAULT_MAX: u64 = 10_000;
const DEFAULT_PER_ADDRESS: u64 = 256;

/// Source addresses for the run with the default caps: 50 × 256 is more than the cap overall.
const CAP_ADDRESSES: &str = "50";

/// The caps of the run that looks for the machine's limit: far above it.
const RAISED: u64 = 1_000_000;

/// Long enough that the relay closes no connection, joined or not, while it is measured.
const TIMEOUTS: [&str; 4] = ["--join-timeout", "1h", "--idle-timeout", "1h"];

/// What `/proc/<pid>/status` says of a process's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Memory {
    /// `VmRSS`: resident memory, file-backed pages (the program's code) included.
    rss: u64,
    /// `RssAnon`: the anonymous part of it (heap, stacks).
    anon: u64,
}

impl Memory {
    /// Bytes per connection of `self` over `before`, over `count` connections.
    fn per(self, before: Self, count: u32) -> PerConnection {
        let per = |now: u64, then: u64| (now as f64 - then as f64) / f64::from(count);
        PerConnection {
            rss: per(self.rss, before.rss),
            anon: per(self.anon, before.anon),
        }
    }
}

/// Bytes per connection.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct PerConnection {
    rss: f64,
    anon: f64,
}

/// One run of the phases: the relay's memory at each point.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PhaseRun {
    connections: u32,
    baseline: Memory,
    idle: Memory,
    joined: Memory,
}

impl PhaseRun {
    fn per_idle(&self) -> PerConnection {
        self.idle.per(self.baseline, self.connections)
    }

    fn join_adds(&self) -> PerConnection {
        self.joined.per(self.idle, self.connections)
    }

    fn per_joined(&self) -> PerConnection {
        self.joined.per(self.baseline, self.connections)
    }
}

/// The two runs that open connections until one is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caps {
    /// `--max-connections` and `--max-connections-per-address` left at their defaults.
    Default,
    /// Both raised to [`RAISED`].
    Raised,
}

/// What a run until refusal found.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    connections: u64,
    /// How many the first source address held.
    first_address: u64,
    /// `cap-total`, `cap-address`, `no-answer`, `load-files`, `ports`, `most` or `error`.
    stop: String,
    /// The load's account of the failure that stopped it.
    why: String,
    /// The relay's memory once the load held them.
    memory: Memory,
    /// Open file descriptors, and the limit, of the relay and of the load then.
    relay_files: Option<(u64, u64)>,
    load_files: Option<(u64, u64)>,
    /// Whether the relay logged that it was out of file descriptors.
    relay_out_of_files: bool,
    /// The relay closed some of the connections while they were held.
    closed: u64,
}

/// The machine, as the report describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Machine {
    cores: usize,
    memory: String,
    kernel: String,
    /// The soft and hard limits of open files for xtask's children.
    open_files: String,
    ports: String,
}

/// Builds the relay and the load, measures, and writes the Memory section; `Ok(false)` when a
/// run failed or found other than expected (what was measured is written anyway).
///
/// # Errors
/// When a build fails, a relay does not start, or the load cannot be run.
pub fn run_all(workspace: &Workspace) -> Result<bool> {
    heading("memory: builds");
    let setup = Setup {
        relay: relay::build(workspace, Profile::Release)?,
        load: relay::build_example(workspace, "memory")?,
        out: workspace.target().join(super::bench::OUT),
    };
    fs::create_dir_all(&setup.out)
        .with_context(|| format!("cannot create {}", setup.out.display()))?;
    let started = Instant::now();
    let mut lines = Vec::new();
    let mut runs = Vec::new();
    for repeat in 1..=REPEATS {
        for connections in SIZES {
            heading(&format!(
                "memory: {connections} connections, run {repeat}/{REPEATS}"
            ));
            match setup.phases(workspace, connections, &mut lines) {
                Ok(run) => runs.push(run),
                Err(error) => {
                    say(format!("memory: {error:#}"));
                    return Ok(false);
                }
            }
        }
    }
    let mut limits = Vec::new();
    for caps in [Caps::Default, Caps::Raised] {
        heading(&format!("memory: connections until refused, {caps:?} caps"));
        let held = setup.hold(workspace, caps, &mut lines);
        if let Err(error) = &held {
            say(format!("memory: {error:#}"));
        }
        limits.push((caps, held.map_err(|error| format!("{error:#}"))));
    }
    let took = started.elapsed();
    // Empties the last relay's data folder.
    relay::fresh_data("memory")?;

    let raw = setup.out.join("memory.txt");
    fs::write(&raw, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", raw.display()))?;
    let report = render(&machine(), &runs, &limits, took);
    heading("memory: results");
    print!("{report}");
    let path = benchmarks::write(workspace, benchmarks::MEMORY, &report)?;
    say(format!(
        "wrote the Memory section of {} (every line of the load is in {})",
        path.display(),
        raw.display()
    ));
    let mut expected = true;
    for (caps, held) in &limits {
        match (caps, held) {
            (_, Err(_)) => expected = false,
            (_, Ok(held)) if held.closed > 0 => {
                say(format!(
                    "memory: {caps:?} caps: the relay closed {} held connections",
                    held.closed
                ));
                expected = false;
            }
            (Caps::Default, Ok(held))
                if (held.connections, held.first_address, held.stop.as_str())
                    != (DEFAULT_MAX, DEFAULT_PER_ADDRESS, "cap-total") =>
            {
                say(format!(
                    "memory: with the default caps the relay held {} connections ({} from one \
                     address) and stopped with {}, not {DEFAULT_MAX} ({DEFAULT_PER_ADDRESS}) and \
                     its cap",
                    held.connections, held.first_address, held.stop
                ));
                expected = false;
            }
            _ => {}
        }
    }
    Ok(expected)
}

/// The programs and the output folder.
#[derive(Debug)]
struct Setup {
    relay: PathBuf,
    /// The `memory` example.
    load: PathBuf,
    /// `<target>/bench`: the relays' logs and the raw lines.
    out: PathBuf,
}

impl Setup {
    /// A fresh relay with a fresh data folder, its open-files limit raised as far as allowed,
    /// [`TIMEOUTS`] and `caps`.
    fn start(&self, workspace: &Workspace, log: &str, caps: &[String]) -> Result<(Relay, PathBuf)> {
        let log = self.out.join(format!("memory-{log}.log"));
        let command = relay::with_open_files(workspace, &self.relay)
            .args(["--addr", "127.0.0.1:0", "--root"])
            .arg(workspace.root())
            .arg("--data")
            .arg(relay::fresh_data("memory")?)
            .args(TIMEOUTS)
            .args(caps);
        Ok((Relay::start(command, &Output::Log(log.clone()))?, log))
    }

    /// One run of the phases with `connections`: the relay's memory at start, idle and joined.
    fn phases(
        &self,
        workspace: &Workspace,
        connections: u32,
        lines: &mut Vec<String>,
    ) -> Result<PhaseRun> {
        let (relay, _) = self.start(workspace, &format!("{connections}"), &[])?;
        let baseline = memory_of(relay.pid())?;
        let addresses = connections.div_ceil(PER_ADDRESS).to_string();
        let command = relay::with_open_files(workspace, &self.load)
            .arg("phases")
            .arg(ws_url(&relay))
            .args(["--connections", &connections.to_string()])
            .args(["--room-size", &ROOM_SIZE.to_string()])
            .args(["--addresses", &addresses]);
        let mut load = Load::start(command)?;
        let idle_line = load.expect("idle", lines)?;
        let idle = memory_of(relay.pid())?;
        load.go()?;
        let joined_line = load.expect("joined", lines)?;
        let joined = memory_of(relay.pid())?;
        let status = load.finish()?;
        drop(relay);
        for line in [&idle_line, &joined_line] {
            if field(line, "closed") != Some("0") {
                bail!("the relay closed connections: {line}");
            }
        }
        if !status.success() {
            bail!("the load failed ({status}); its messages are above");
        }
        Ok(PhaseRun {
            connections,
            baseline,
            idle,
            joined,
        })
    }

    /// Opens connections until the relay with `caps` refuses one.
    fn hold(&self, workspace: &Workspace, caps: Caps, lines: &mut Vec<String>) -> Result<Held> {
        let (flags, addresses) = match caps {
            Caps::Default => (Vec::new(), CAP_ADDRESSES),
            Caps::Raised => (
                vec![
                    "--max-connections".to_owned(),
                    RAISED.to_string(),
                    "--max-connections-per-address".to_owned(),
                    RAISED.to_string(),
                ],
                "1",
            ),
        };
        let name = format!("{caps:?}-caps").to_lowercase();
        let (relay, log) = self.start(workspace, &name, &flags)?;
        let command = relay::with_open_files(workspace, &self.load)
            .arg("hold")
            .arg(ws_url(&relay))
            .args(["--addresses", addresses]);
        let mut load = Load::start(command)?;
        let line = load.expect("held", lines)?;
        let memory = memory_of(relay.pid())?;
        let relay_files = open_files(relay.pid());
        let load_files = open_files(load.child.id());
        let status = load.finish()?;
        drop(relay);
        let log = fs::read_to_string(&log).unwrap_or_default();
        let number = |name: &str| field(&line, name).and_then(|value| value.parse::<u64>().ok());
        let held = Held {
            connections: number("connections")
                .ok_or_else(|| anyhow!("no connections= in `{line}`"))?,
            first_address: number("first_address").unwrap_or(0),
            stop: field(&line, "stop").unwrap_or("?").to_owned(),
            why: line
                .split_once(" why=")
                .map_or("", |(_, why)| why)
                .to_owned(),
            memory,
            relay_files,
            load_files,
            relay_out_of_files: log.contains("Too many open files"),
            closed: number("closed").unwrap_or(0),
        };
        if !status.success() && held.closed == 0 {
            bail!("the load failed ({status}); its messages are above");
        }
        Ok(held)
    }
}

/// The relay's `/chat` as a ws:// URL.
fn ws_url(relay: &Relay) -> String {
    format!("{}/chat", relay.url().replacen("http", "ws", 1))
}

/// The running load: its stdin, which lets it go on, and its stdout, read line by line.
#[derive(Debug)]
#[must_use = "dropping the Load kills the load process"]
struct Load {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    /// Whether the process has been waited for.
    exited: bool,
}

impl Load {
    fn start(cmd: Cmd<'_>) -> Result<Self> {
        eprintln!("$ {cmd}");
        let mut command = Command::from(cmd);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the memory load")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let mut load = Self {
            child,
            stdin,
            lines: match stdout {
                Some(stdout) => BufReader::new(stdout).lines(),
                None => bail!("the memory load has no stdout pipe"),
            },
            exited: false,
        };
        if load.stdin.is_none() {
            load.kill();
            bail!("the memory load has no stdin pipe");
        }
        Ok(load)
    }

    /// The next line whose first word is `word`; every line read is shown and kept in `lines`.
    fn expect(&mut self, word: &str, lines: &mut Vec<String>) -> Result<String> {
        for line in self.lines.by_ref() {
            let line = line.context("cannot read the memory load's output")?;
            println!("{line}");
            lines.push(line.clone());
            if line.split_whitespace().next() == Some(word) {
                return Ok(line);
            }
        }
        let status = self
            .child
            .wait()
            .context("cannot wait for the memory load")?;
        self.exited = true;
        bail!("the load ended ({status}) before its `{word}` line; its messages are above")
    }

    /// Lets the load go on to its next phase.
    fn go(&mut self) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| anyhow!("the memory load's stdin is closed"))?;
        stdin
            .write_all(b"go\n")
            .and_then(|()| stdin.flush())
            .context("cannot tell the memory load to go on")
    }

    /// Lets the load end (it closes every connection) and waits for it.
    fn finish(mut self) -> Result<ExitStatus> {
        self.go()?;
        self.stdin = None;
        for _ in self.lines.by_ref() {}
        let status = self
            .child
            .wait()
            .context("cannot wait for the memory load")?;
        self.exited = true;
        Ok(status)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.exited = true;
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        if !self.exited {
            self.kill();
        }
    }
}

/// The value of `name=value` among the words of `line`.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
}

/// The memory of process `pid`, from `/proc/<pid>/status`.
fn memory_of(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_status(&status).ok_or_else(|| anyhow!("{path} has no VmRSS or RssAnon"))
}

/// `VmRSS` and `RssAnon` of a `/proc/<pid>/status`, whose sizes are in kB (1,024 bytes).
fn parse_status(status: &str) -> Option<Memory> {
    let bytes = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some(Memory {
        rss: bytes("VmRSS:")?,
        anon: bytes("RssAnon:")?,
    })
}

/// How many file descriptors process `pid` has open, and its soft limit.
fn open_files(pid: u32) -> Option<(u64, u64)> {
    let open = fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    Some((open, open_files_limit(&limits)?.0))
}

/// The soft and hard `Max open files` of a `/proc/<pid>/limits`.
fn open_files_limit(limits: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut numbers = line.split_whitespace().skip(3);
    Some((numbers.next()?.parse().ok()?, numbers.next()?.parse().ok()?))
}

/// This machine, from `/proc`.
fn machine() -> Machine {
    let read = |path: &str| fs::read_to_string(path).unwrap_or_default();
    let memory = read("/proc/meminfo")
        .lines()
        .find(|line| line.starts_with("MemTotal:"))
        .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let open_files = match open_files_limit(&read("/proc/self/limits")) {
        Some((soft, hard)) if soft == hard => benchmarks::thousands(hard),
        Some((soft, hard)) => format!(
            "{} (soft; hard {})",
            benchmarks::thousands(soft),
            benchmarks::thousands(hard)
        ),
        None => "unknown".to_owned(),
    };
    let ports = read("/proc/sys/net/ipv4/ip_local_port_range")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("–");
    Machine {
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        memory,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        open_files,
        ports,
    }
}

/// Bytes as KiB with one decimal.
fn kib(bytes: f64) -> String {
    format!("{:.1}", bytes / 1024.0)
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

/// The median of one figure over `runs` in KiB, with its range.
fn figure(runs: &[&PhaseRun], pick: impl Fn(&PhaseRun) -> f64) -> String {
    match benchmarks::spread(runs.iter().map(|run| pick(run))) {
        Some((median, low, high)) => format!("{} ({}–{})", kib(median), kib(low), kib(high)),
        None => "n/a".to_owned(),
    }
}

/// How it was measured, the table per connection and the table of limits.
fn render(
    machine: &Machine,
    runs: &[PhaseRun],
    limits: &[(Caps, Result<Held, String>)],
    took: Duration,
) -> String {
    let Machine {
        cores,
        memory,
        kernel,
        open_files,
        ports,
    } = machine;
    let mut text = format!(
        "Measured by `cargo xtask bench --memory` (also part of `cargo xtask bench`) on this \
         machine: {cores} cores, {memory} of RAM, Linux {kernel}, {open_files} open files per \
         process (`ulimit -n`), local ports {ports}; the whole run took {:.0} s. The load is the \
         relay's `memory` example (`relay/examples/memory.rs`, one thread) against a release \
         relay's `/chat` on 127.0.0.1 (SQLite store in a fresh `--data` folder, started with \
         `{}` so that it closes nothing while measured), a fresh relay per run. The relay's \
         memory is its resident set, `VmRSS` of `/proc/<pid>/status` (`RssAnon`, its anonymous \
         part: heap and stacks, without the program's code), read once the relay has printed \
         its URL (baseline), once N connections are open and idle (upgraded, nothing sent), \
         and once every one of them has joined a room of {ROOM_SIZE} with a nick of its own \
         (every welcome received and no frame for 250 ms). Per idle connection: (idle − \
         baseline) / N; joining adds: (joined − idle) / N; per joined member: (joined − \
         baseline) / N. The connections come from N / {PER_ADDRESS} source addresses \
         (127.0.0.x), under the default cap of {DEFAULT_PER_ADDRESS} per address. {REPEATS} \
         runs per N, alternating; medians, least and greatest in parentheses; KiB of 1,024 \
         bytes. The kernel's memory for each socket (TCP state and buffers) is not in the \
         relay's RSS and is not counted.\n\n\
         | connections | runs | per idle connection, KiB | of it anonymous | joining adds, KiB \
         per member | per joined member, KiB | RSS joined |\n\
         |--:|--:|--:|--:|--:|--:|--:|\n",
        took.as_secs_f64(),
        TIMEOUTS.join(" ")
    );
    for size in SIZES {
        let of_size: Vec<&PhaseRun> = runs.iter().filter(|run| run.connections == size).collect();
        let rss_joined = benchmarks::spread(of_size.iter().map(|run| run.joined.rss as f64))
            .map_or_else(|| "n/a".to_owned(), |(median, ..)| mib(median as u64));
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {rss_joined} |",
            benchmarks::thousands(size.into()),
            of_size.len(),
            figure(&of_size, |run| run.per_idle().rss),
            figure(&of_size, |run| run.per_idle().anon),
            figure(&of_size, |run| run.join_adds().rss),
            figure(&of_size, |run| run.per_joined().rss),
        );
    }
    if let Some(marginal) = marginal(runs) {
        let _ = writeln!(
            text,
            "| {} more ({} − {}, medians) | | {} | {} | {} | {} | |",
            benchmarks::thousands((SIZES[1] - SIZES[0]).into()),
            benchmarks::thousands(SIZES[1].into()),
            benchmarks::thousands(SIZES[0].into()),
            kib(marginal[0].rss),
            kib(marginal[0].anon),
            kib(marginal[1].rss),
            kib(marginal[2].rss),
        );
    }
    let _ = write!(
        text,
        "\nThe most connections: the load opens connections, 32 at a time, each from the first \
         source address that the relay has not refused yet, until the relay refuses one or one \
         fails; the relay's RSS and both processes' open file descriptors (`/proc/<pid>/fd`) \
         are read then. Once with the default caps (`--max-connections {}`, \
         `--max-connections-per-address {DEFAULT_PER_ADDRESS}`; {CAP_ADDRESSES} source \
         addresses), once with both raised to {} (one source address, 127.0.0.1). The relay \
         and the load run with their soft limit of open files raised to the hard one.\n\n\
         | relay | connections held | stopped by | relay RSS then | open files: relay, load |\n\
         |---|--:|---|--:|--:|\n",
        benchmarks::thousands(DEFAULT_MAX),
        benchmarks::thousands(RAISED)
    );
    for (caps, held) in limits {
        let relay = match caps {
            Caps::Default => "default caps".to_owned(),
            Caps::Raised => format!("caps raised to {}", benchmarks::thousands(RAISED)),
        };
        match held {
            Ok(held) => {
                let files = |files: Option<(u64, u64)>| {
                    files.map_or_else(
                        || "n/a".to_owned(),
                        |(open, limit)| {
                            format!(
                                "{} of {}",
                                benchmarks::thousands(open),
                                benchmarks::thousands(limit)
                            )
                        },
                    )
                };
                let _ = writeln!(
                    text,
                    "| {relay} | {} ({} from the first address) | {} | {} | {}; {} |",
                    benchmarks::thousands(held.connections),
                    benchmarks::thousands(held.first_address),
                    stopped_by(held),
                    mib(held.memory.rss),
                    files(held.relay_files),
                    files(held.load_files),
                );
            }
            Err(error) => {
                let _ = writeln!(
                    text,
                    "| {relay} | not measured | {} | | |",
                    error.replace('|', "/")
                );
            }
        }
    }
    text
}

/// The marginal bytes per connection from the smaller count to the larger, of the medians:
/// idle, joining, joined. The relay's fixed costs of its first connections cancel out here.
fn marginal(runs: &[PhaseRun]) -> Option<[PerConnection; 3]> {
    let [small, large] = SIZES;
    let median = |size: u32, pick: &dyn Fn(&PhaseRun) -> Memory| -> Option<Memory> {
        let of_size = || runs.iter().filter(|run| run.connections == size);
        let rss = benchmarks::spread(of_size().map(|run| pick(run).rss as f64))?.0;
        let anon = benchmarks::spread(of_size().map(|run| pick(run).anon as f64))?.0;
        Some(Memory {
            rss: rss as u64,
            anon: anon as u64,
        })
    };
    let between = |pick: &dyn Fn(&PhaseRun) -> Memory, before: &dyn Fn(&PhaseRun) -> Memory| {
        let grown = |size| -> Option<Memory> {
            let (now, then) = (median(size, pick)?, median(size, before)?);
            Some(Memory {
                rss: now.rss.saturating_sub(then.rss),
                anon: now.anon.saturating_sub(then.anon),
            })
        };
        Some(grown(large)?.per(grown(small)?, large - small))
    };
    Some([
        between(&|run| run.idle, &|run| run.baseline)?,
        between(&|run| run.joined, &|run| run.idle)?,
        between(&|run| run.joined, &|run| run.baseline)?,
    ])
}

/// What ended a run until refusal, for people.
fn stopped_by(held: &Held) -> String {
    let why = held.why.replace('|', "/");
    match held.stop.as_str() {
        "cap-total" => format!("the cap overall, exactly: {why}"),
        "cap-address" => format!("the cap per address on every source address: {why}"),
        "no-answer" => match held.relay_files {
            Some((open, limit)) if held.relay_out_of_files || open >= limit => format!(
                "the relay's limit of open files ({}, with {} descriptors not connections): \
                 it logged `Too many open files` and left new connections unanswered in its \
                 listen backlog; {why}",
                benchmarks::thousands(limit),
                open.saturating_sub(held.connections)
            ),
            _ => format!("no answer from the relay: {why}"),
        },
        "load-files" => match held.relay_files {
            Some((open, limit)) if open >= limit => format!(
                "the limit of open files per process ({}), reached by the load and the relay \
                 alike (one descriptor per connection on each side): {why}",
                benchmarks::thousands(limit)
            ),
            _ => format!(
                "the load's own limit of open files (one per connection; the relay had not \
                 reached its own): {why}"
            ),
        },
        "ports" => format!("no local port left on 127.0.0.1 for another connection: {why}"),
        _ => format!("{}: {why}", held.stop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(rss_kib: u64, anon_kib: u64) -> Memory {
        Memory {
            rss: rss_kib * 1024,
            anon: anon_kib * 1024,
        }
    }

    fn run(connections: u32, idle_kib: u64, joined_kib: u64) -> PhaseRun {
        PhaseRun {
            connections,
            baseline: memory(10_000, 2_000),
            idle: memory(10_000 + idle_kib, 2_000 + idle_kib),
            joined: memory(10_000 + joined_kib, 2_000 + joined_kib),
        }
    }

    #[test]
    fn status_and_limits_are_read_from_proc_text() {
        let status = "Name:\tduplex-relay\nVmHWM:\t  9000 kB\nVmRSS:\t  8192 kB\nRssAnon:\t  \
                      4096 kB\nRssFile:\t  4096 kB\n";
        assert_eq!(parse_status(status), Some(memory(8192, 4096)));
        assert_eq!(parse_status("VmRSS:\t1 kB\n"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 20000                files\n";
        assert_eq!(open_files_limit(limits), Some((1024, 20000)));
        assert_eq!(open_files_limit("Max processes 1 2 processes\n"), None);
        assert!(memory_of(std::process::id()).is_ok_and(|memory| memory.rss > 0));
        assert!(open_files(std::process::id()).is_some_and(|(open, limit)| open <= limit));
    }

    #[test]
    fn fields_are_read_from_the_load_lines() {
        let line = "held connections=10000 addresses=40 first_address=256 seconds=3.200 closed=0 \
                    stop=cap-total why=HTTP 503 Service Unavailable (Retry-After: 5): full";
        assert_eq!(field(line, "connections"), Some("10000"));
        assert_eq!(field(line, "first_address"), Some("256"));
        assert_eq!(field(line, "stop"), Some("cap-total"));
        assert_eq!(field(line, "address"), None);
        assert_eq!(field(line, "missing"), None);
    }

    #[test]
    fn figures_are_per_connection_medians_and_the_marginal_cancels_fixed_costs() {
        // 1,000 connections: 30,000 KiB idle (30 KiB each), 40,000 joined; 5,000: a fixed
        // 2,000 KiB plus 28 KiB each idle, and 10 KiB each more joined.
        let runs = [
            run(1_000, 30_000, 40_000),
            run(5_000, 142_000, 192_000),
            run(1_000, 31_000, 41_000),
            run(5_000, 142_000, 192_000),
            run(1_000, 29_000, 39_000),
        ];
        assert_eq!(runs[0].per_idle().rss, 30.0 * 1024.0);
        assert_eq!(runs[0].join_adds().rss, 10.0 * 1024.0);
        assert_eq!(runs[0].per_joined().anon, 40.0 * 1024.0);
        let more = marginal(&runs).expect("both sizes");
        assert_eq!(kib(more[0].rss), "28.0");
        assert_eq!(kib(more[1].rss), "10.0");
        assert_eq!(kib(more[2].rss), "38.0");
        assert_eq!(marginal(&runs[..1]), None);

        let of_size: Vec<&PhaseRun> = runs.iter().filter(|run| run.connections == 1_000).collect();
        assert_eq!(
            figure(&of_size, |run| run.per_idle().rss),
            "30.0 (29.0–31.0)"
        );
    }

    #[test]
    fn the_report_has_both_tables_and_says_what_stopped_each_run() {
        let machine = Machine {
            cores: 2,
            memory: "23.5 GiB".to_owned(),
            kernel: "6.1.0".to_owned(),
            open_files: "20,000".to_owned(),
            ports: "32768–60999".to_owned(),
        };
        let held = Held {
            connections: 10_000,
            first_address: 256,
            stop: "cap-total".to_owned(),
            why: "HTTP 503 Service Unavailable (Retry-After: 5): full".to_owned(),
            memory: memory(300 * 1024, 290 * 1024),
            relay_files: Some((10_012, 20_000)),
            load_files: Some((10_040, 20_000)),
            relay_out_of_files: false,
            closed: 0,
        };
        let out_of_files = Held {
            connections: 19_987,
            first_address: 19_987,
            stop: "no-answer".to_owned(),
            why: "no answer within 5 s".to_owned(),
            relay_out_of_files: true,
            relay_files: Some((20_000, 20_000)),
            ..held.clone()
        };
        let runs = [run(1_000, 30_000, 40_000), run(5_000, 142_000, 192_000)];
        let text = render(
            &machine,
            &runs,
            &[(Caps::Default, Ok(held)), (Caps::Raised, Ok(out_of_files))],
            Duration::from_secs(95),
        );
        assert!(text.contains("2 cores, 23.5 GiB of RAM, Linux 6.1.0, 20,000 open files"));
        assert!(text.contains("the whole run took 95 s"), "{text}");
        assert!(
            text.contains("| 1,000 | 1 | 30.0 (30.0–30.0) | 30.0 (30.0–30.0) | 10.0 (10.0–10.0) | 40.0 (40.0–40.0) | 48.8 MiB |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 4,000 more (5,000 − 1,000, medians) | | 28.0 | 28.0 | 10.0 | 38.0 | |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| default caps | 10,000 (256 from the first address) | the cap overall, exactly: HTTP 503"),
            "{text}"
        );
        assert!(
            text.contains("| caps raised to 1,000,000 | 19,987 (19,987 from the first address) | the relay's limit of open files (20,000, with 13 descriptors not connections)"),
            "{text}"
        );
        assert!(text.contains("| 300.0 MiB | 20,000 of 20,000; 10,040 of 20,000 |"));
        let failed = render(
            &machine,
            &runs,
            &[(Caps::Raised, Err("the relay | did not start".to_owned()))],
            Duration::from_secs(1),
        );
        assert!(failed.contains(
            "| caps raised to 1,000,000 | not measured | the relay / did not start | | |"
        ));
    }
}
