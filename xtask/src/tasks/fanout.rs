//! The chat's fan-out, part of `cargo xtask bench` (alone with `--fanout`): the relay's `fanout`
//! example (`relay/examples/fanout.rs`) offers the same load to the release relay's `/chat` and
//! to a small Node chat server on the `ws` package (`bench/fanout/server.mjs`), in alternating
//! rounds, a fresh server each round. The figures go into the Fan-out section of
//! `BENCHMARKS.md`, and every round's line into `<target>/bench/fanout.txt`.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::benchmarks;
use crate::npm;
use crate::process::{heading, run_teed, say, version_of};
use crate::relay::{self, Output, Relay};
use crate::tasks::throughput;
use crate::workspace::{Profile, Workspace};

/// Measured rounds per scenario and server.
const ROUNDS: usize = 5;

/// How long the posters post in each round, in seconds.
const SECONDS: &str = "5";

/// The scenarios. Each offers the same deliveries a second: 20,000, so 2,000 posts a second in
/// the rooms of 10, each committed to SQLite before it is broadcast (the relay's group commit
/// holds that on this 2-core machine; one commit per post held it near 1,000).
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        rooms: 100,
        members: 10,
        posters: 4,
        rate: 5,
    },
    Scenario {
        rooms: 20,
        members: 50,
        posters: 4,
        rate: 5,
    },
    Scenario {
        rooms: 1,
        members: 1000,
        posters: 20,
        rate: 1,
    },
];

/// One load: `rooms` rooms of `members`, `posters` of each room's members posting `rate` times a
/// second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Rooms, all posted to at once.
    pub rooms: u32,
    /// Members per room, one connection each.
    pub members: u32,
    /// Members per room who post.
    pub posters: u32,
    /// Posts a second per poster: under the relay's limit of 10 text frames a second.
    pub rate: u32,
}

impl Scenario {
    /// The load's argument: `ROOMSxMEMBERS:POSTERS@RATE`.
    fn spec(self) -> String {
        format!(
            "{}x{}:{}@{}",
            self.rooms, self.members, self.posters, self.rate
        )
    }

    /// Deliveries offered a second: every post reaches every member.
    fn offered(self) -> u32 {
        self.rooms * self.posters * self.rate * self.members
    }
}

/// The two servers, in the order of each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Relay,
    Node,
}

impl Server {
    const BOTH: [Self; 2] = [Self::Relay, Self::Node];

    fn name(self) -> &'static str {
        match self {
            Self::Relay => "relay",
            Self::Node => "node",
        }
    }
}

/// What the Node server needs: the program and its copy of `server.mjs`, with `ws` beside it.
#[derive(Debug)]
struct NodeServer {
    node: PathBuf,
    script: PathBuf,
    /// `node --version`.
    version: String,
}

/// One round's figures, from one line of the load.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Round {
    delivered_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_delivery: f64,
    /// Deliveries missing, error frames, connections closed early and posts out of order.
    trouble: f64,
}

/// Builds the relay and the load, installs the Node server, measures every scenario and writes
/// the Fan-out section; `Ok(false)` when a round lost deliveries or the load failed.
///
/// # Errors
/// When a build or the npm install fails, or a server does not start.
pub fn run_all(workspace: &Workspace) -> Result<bool> {
    heading("fan-out: builds");
    let relay = relay::build(workspace, Profile::Release)?;
    let load = relay::build_example(workspace, "fanout")?;
    let out = workspace.target().join(super::bench::OUT);
    let setup = Setup {
        load,
        relay,
        node: install_node_server(workspace, &out.join("fanout-node"))?,
        ticks: throughput::clock_ticks(workspace)?.to_string(),
        out,
    };

    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for scenario in SCENARIOS {
        let Some([relay, node]) = setup.rounds(workspace, scenario, &mut lines)? else {
            return Ok(false);
        };
        rows.push((scenario, relay, node));
    }
    // Empties the last relay's data folder.
    relay::fresh_data("fanout")?;

    let raw = setup.out.join("fanout.txt");
    fs::write(&raw, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", raw.display()))?;
    let report = render(&setup.node.version, &rows);
    heading("fan-out: results");
    print!("{report}");
    let path = benchmarks::write(workspace, benchmarks::FANOUT, &report)?;
    say(format!(
        "wrote the Fan-out section of {} (every round's line is in {})",
        path.display(),
        raw.display()
    ));
    let clean = rows
        .iter()
        .all(|(_, relay, node)| relay.iter().chain(node).all(|round| round.trouble == 0.0));
    if !clean {
        say("fan-out: some rounds lost deliveries or got errors (see the missing column)");
    }
    Ok(clean)
}

/// What every round needs: the programs, the clock ticks and the output folder.
#[derive(Debug)]
struct Setup {
    /// The `fanout` example.
    load: PathBuf,
    /// The release relay.
    relay: PathBuf,
    node: NodeServer,
    /// `getconf CLK_TCK`, for the load.
    ticks: String,
    /// `<target>/bench`: the servers' logs and the raw lines.
    out: PathBuf,
}

impl Setup {
    /// Every round of `scenario` on both servers, relay first: the relay's figures and Node's,
    /// each round's line added to `lines`; `None` when the load printed no figures.
    fn rounds(
        &self,
        workspace: &Workspace,
        scenario: Scenario,
        lines: &mut Vec<String>,
    ) -> Result<Option<[Vec<Round>; 2]>> {
        let mut rounds = [Vec::new(), Vec::new()];
        for round in 1..=ROUNDS {
            for (server, figures) in Server::BOTH.into_iter().zip(&mut rounds) {
                heading(&format!(
                    "fan-out: {} round {round}/{ROUNDS}: {}",
                    scenario.spec(),
                    server.name()
                ));
                let guard = self.start(workspace, server)?;
                let measured = self.measure(workspace, &guard, scenario)?;
                drop(guard);
                let Some((line, figures_of_round)) = measured else {
                    return Ok(None);
                };
                lines.push(format!("{} round={round} {line}", server.name()));
                figures.push(figures_of_round);
            }
        }
        Ok(Some(rounds))
    }

    /// A fresh `server` on a free port, logging into `<target>/bench/fanout-<server>.log`: the
    /// release relay storing into a fresh SQLite folder, as shipped, or the Node server.
    fn start(&self, workspace: &Workspace, server: Server) -> Result<Relay> {
        let command = match server {
            Server::Relay => relay::with_open_files(workspace, &self.relay)
                .args(["--addr", "127.0.0.1:0", "--root"])
                .arg(workspace.root())
                .arg("--data")
                .arg(relay::fresh_data("fanout")?)
                .args(relay::UNDER_LOAD),
            Server::Node => relay::with_open_files(workspace, &self.node.node)
                .arg(&self.node.script)
                .arg("0"),
        };
        let log = self.out.join(format!("fanout-{}.log", server.name()));
        Relay::start(command, &Output::Log(log))
    }

    /// Runs the load once against `server`; `None` (after saying why) when it printed no
    /// figures.
    fn measure(
        &self,
        workspace: &Workspace,
        server: &Relay,
        scenario: Scenario,
    ) -> Result<Option<(String, Round)>> {
        let url = format!("{}/chat", server.url().replacen("http", "ws", 1));
        let command = relay::with_open_files(workspace, &self.load)
            .args(["--seconds", SECONDS, "--ticks", &self.ticks])
            .arg(&url)
            .arg(server.pid().to_string())
            .arg(scenario.spec());
        let mut lines = Vec::new();
        let status = run_teed(command, &mut io::stdout(), |line| {
            lines.push(line.trim().to_owned());
        })?;
        let found = lines
            .iter()
            .find_map(|line| parse(line).map(|round| (line.clone(), round)));
        if found.is_none() {
            say(format!(
                "fan-out: the load printed no figures ({status}); its messages are above"
            ));
        }
        Ok(found)
    }
}

/// Installs the Node server into `dir`: `server.mjs`, `package.json` and `package-lock.json`
/// from `bench/fanout/`, and `ws` with npm (`npm ci`, skipped when the lock file is the one of
/// the last install). Installs Debian's `nodejs` and `npm` first when they are missing.
fn install_node_server(workspace: &Workspace, dir: &Path) -> Result<NodeServer> {
    heading("fan-out: the Node server");
    npm::ensure(workspace)?;
    let node = workspace
        .find("node")
        .context("installed nodejs, but no `node` is on PATH")?;
    let version = version_of(workspace.cmd(&node).arg("--version"))?;
    let source = workspace.root().join("bench").join("fanout");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let lock = "package-lock.json";
    let installed = fs::read(dir.join(lock)).ok();
    let wanted = fs::read(source.join(lock))
        .with_context(|| format!("cannot read {}", source.join(lock).display()))?;
    for file in ["server.mjs", "package.json", lock] {
        fs::copy(source.join(file), dir.join(file))
            .with_context(|| format!("cannot copy {} into {}", file, dir.display()))?;
    }
    if installed.as_ref() == Some(&wanted) && dir.join("node_modules/ws/package.json").is_file() {
        say(format!(
            "ws: installed in {} (node {version})",
            dir.display()
        ));
    } else {
        // Exactly the lock file's packages.
        npm::run(
            workspace,
            |npm| npm.args(["ci", "--prefer-offline", "--prefix"]).arg(dir),
            &format!("npm ci in {}", dir.display()),
        )?;
    }
    Ok(NodeServer {
        node,
        script: dir.join("server.mjs"),
        version,
    })
}

/// The figures of a `scenario ...` line of the load; `None` for any other line.
fn parse(line: &str) -> Option<Round> {
    let mut words = line.split_whitespace();
    if words.next()? != "scenario" {
        return None;
    }
    let fields: Vec<(&str, f64)> = words
        .filter_map(|word| {
            let (name, value) = word.split_once('=')?;
            Some((name, value.parse().ok()?))
        })
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(found, _)| *found == name)
            .map(|(_, value)| *value)
    };
    let trouble = ["missing", "errors", "closed", "gaps"]
        .iter()
        .map(|name| field(name))
        .sum::<Option<f64>>()?;
    Some(Round {
        delivered_per_s: field("delivered_per_s")?,
        p50_us: field("p50_us")?,
        p99_us: field("p99_us")?,
        cpu_us_per_delivery: field("cpu_us_per_delivery")?,
        trouble,
    })
}

/// The median of one figure over `rounds`, with its range.
fn figure(rounds: &[Round], pick: fn(&Round) -> f64, show: fn(f64) -> String) -> String {
    match benchmarks::spread(rounds.iter().map(pick)) {
        Some((median, low, high)) => format!("{} ({}–{})", show(median), show(low), show(high)),
        None => "n/a".to_owned(),
    }
}

/// `relay / node` of the medians of one figure, such as `2.10x`.
fn ratio(relay: &[Round], node: &[Round], pick: fn(&Round) -> f64) -> String {
    let median =
        |rounds: &[Round]| benchmarks::spread(rounds.iter().map(pick)).map(|(median, ..)| median);
    match (median(relay), median(node)) {
        (Some(relay), Some(node)) if node > 0.0 => format!("{:.2}x", relay / node),
        _ => "n/a".to_owned(),
    }
}

/// Microseconds as milliseconds, with fewer decimals as they grow.
fn ms(us: f64) -> String {
    let ms = us / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// A count with thousands separators, rounded: `7,996`.
fn thousands(value: f64) -> String {
    benchmarks::thousands(value.max(0.0).round() as u64)
}

/// How it was measured, the table of each scenario and server, and the relay-to-Node ratios.
fn render(node_version: &str, rows: &[(Scenario, Vec<Round>, Vec<Round>)]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let offered = rows.first().map_or_else(
        || "n/a".to_owned(),
        |(scenario, ..)| thousands(scenario.offered().into()),
    );
    let mut text = format!(
        "Measured by `cargo xtask bench --fanout` (also part of `cargo xtask bench`) on this \
         machine ({cores} cores): the relay's `fanout` example (`relay/examples/fanout.rs`, one \
         thread) against the release relay's `/chat` (SQLite, `synchronous = FULL`: every post \
         committed before it is broadcast, as shipped) and against `bench/fanout/server.mjs`, \
         the same chat for what the load uses on Node's `ws` package (node {node_version}; \
         posts kept in memory only), on 127.0.0.1. {ROUNDS} rounds per scenario and server, \
         alternating (relay, Node, relay, ...), a fresh server each round. In a round every \
         member connects and joins, then the posters post for {SECONDS} s at a fixed rate, \
         spread evenly, offering {offered} deliveries/s (a delivery: one post reaching one \
         member, the sender's own copy included). Latency: from the post's send to its receipt \
         by each member, over every delivery (nearest rank); the load reads every member on \
         one thread, so in the room of 1,000 it includes the load reading a post's 1,000 copies \
         one after the other. Server CPU: user and system time \
         of the server process (`/proc/<pid>/stat`) from the first post to the last delivery, \
         joins not counted, per delivery. Medians of the rounds, least and greatest in \
         parentheses; missing counts deliveries that never came, error frames, connections \
         closed early and posts out of order, over all rounds.\n\n\
         | rooms × members | posters × posts/s | server | delivered/s | p50 ms | p99 ms | \
         server CPU µs / delivery | missing |\n\
         |---|---|---|--:|--:|--:|--:|--:|\n"
    );
    for (scenario, relay, node) in rows {
        for (name, rounds) in [("duplex-relay", relay), ("Node ws", node)] {
            let missing: f64 = rounds.iter().map(|round| round.trouble).sum();
            let _ = writeln!(
                text,
                "| {} × {} | {} × {} | {name} | {} | {} | {} | {} | {missing:.0} |",
                scenario.rooms,
                thousands(scenario.members.into()),
                scenario.posters,
                scenario.rate,
                figure(rounds, |round| round.delivered_per_s, thousands),
                figure(rounds, |round| round.p50_us, ms),
                figure(rounds, |round| round.p99_us, ms),
                figure(
                    rounds,
                    |round| round.cpu_us_per_delivery,
                    |us| format!("{us:.1}")
                ),
            );
        }
    }
    text.push_str(
        "\n| rooms × members | relay / Node: CPU per delivery | relay / Node: p99 |\n|---|--:|--:|\n",
    );
    for (scenario, relay, node) in rows {
        let _ = writeln!(
            text,
            "| {} × {} | {} | {} |",
            scenario.rooms,
            thousands(scenario.members.into()),
            ratio(relay, node, |round| round.cpu_us_per_delivery),
            ratio(relay, node, |round| round.p99_us),
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "scenario rooms=100 members=10 posters=2 rate=4 seconds=6.003 posts=4800 \
                        posts_per_s=799.6 offered_per_s=7996.2 delivered=48000 \
                        delivered_per_s=7996.2 p50_us=322 p99_us=4308 max_us=17398 \
                        server_cpu_pct=14.5 cpu_us_per_delivery=18.125 load_cpu_pct=15.3 \
                        missing=0 errors=0 closed=0 gaps=0";

    fn round(cpu: f64, p99: f64) -> Round {
        Round {
            delivered_per_s: 8000.0,
            p50_us: 1000.0,
            p99_us: p99,
            cpu_us_per_delivery: cpu,
            trouble: 0.0,
        }
    }

    #[test]
    fn a_line_of_the_load_gives_its_figures() {
        assert_eq!(
            parse(LINE),
            Some(Round {
                delivered_per_s: 7996.2,
                p50_us: 322.0,
                p99_us: 4308.0,
                cpu_us_per_delivery: 18.125,
                trouble: 0.0,
            })
        );
        let troubled = LINE.replace("missing=0 errors=0", "missing=12 errors=3");
        assert_eq!(parse(&troubled).map(|round| round.trouble), Some(15.0));
        assert_eq!(
            parse("fanout: 100x10:2@4: 1000 members joined in 1.2 s"),
            None
        );
        assert_eq!(parse(&LINE.replace(" p99_us=4308", "")), None);
        assert_eq!(parse(&LINE.replace(" gaps=0", "")), None);
    }

    #[test]
    fn figures_are_medians_with_their_range_and_ratios_of_medians() {
        let relay = [
            round(30.0, 9000.0),
            round(20.0, 3000.0),
            round(25.0, 4000.0),
        ];
        let node = [round(10.0, 2000.0), round(12.0, 1000.0), round(8.0, 1500.0)];
        assert_eq!(benchmarks::spread([3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(benchmarks::spread([]), None);
        assert_eq!(figure(&relay, |round| round.p99_us, ms), "4.00 (3.00–9.00)");
        assert_eq!(
            ratio(&relay, &node, |round| round.cpu_us_per_delivery),
            "2.50x"
        );
        assert_eq!(ratio(&relay, &node, |round| round.p99_us), "2.67x");
        assert_eq!(ratio(&relay, &[], |round| round.p99_us), "n/a");
        let text = render("v20.20.2", &[(SCENARIOS[0], relay.to_vec(), node.to_vec())]);
        assert!(text.contains("node v20.20.2"), "{text}");
        assert!(
            text.contains("| 100 × 10 | 4 × 5 | duplex-relay | 8,000 (8,000–8,000) | 1.00 (1.00–1.00) | 4.00 (3.00–9.00) | 25.0 (20.0–30.0) | 0 |"),
            "{text}"
        );
        assert!(text.contains("| 100 × 10 | 2.50x | 2.67x |"), "{text}");
    }

    #[test]
    fn every_scenario_offers_the_same_load_within_the_rate_limit() {
        for scenario in SCENARIOS {
            assert_eq!(scenario.offered(), 20_000, "{scenario:?}");
            assert!(scenario.rate <= 8 && scenario.posters <= scenario.members);
        }
        assert_eq!(SCENARIOS[0].spec(), "100x10:4@5");
    }

    #[test]
    fn numbers_are_shown_for_people() {
        assert_eq!(thousands(7996.2), "7,996");
        assert_eq!(thousands(-3.0), "0");
        assert_eq!(ms(1234.0), "1.23");
        assert_eq!(ms(45678.0), "45.7");
        assert_eq!(ms(294440.0), "294");
    }
}
