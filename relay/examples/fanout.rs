//! The chat's fan-out under a steady load, measured from outside over real sockets:
//! `cargo xtask bench --fanout` runs it against the relay's `/chat` and against the Node
//! server of `bench/fanout/`, one fresh server per round.
//!
//! `fanout [--seconds S] [--ticks HZ] WS_URL SERVER_PID SCENARIO...`
//!
//! A SCENARIO is `ROOMSxMEMBERS:POSTERS@RATE`, such as `100x10:2@4`: ROOMS rooms of MEMBERS
//! members each (one connection per member), POSTERS of each room's members posting RATE `say`
//! frames a second each. For each scenario every member connects and joins rooms of their own
//! (named after this process and the scenario, so no post id is ever seen twice by a room: the
//! relay would take it for a re-send); a second after the last welcome, for the `joined`
//! frames still on their way, the posters post for S seconds (default 6) at their fixed rate,
//! their first posts spread evenly over one period so the offered load is steady. Each post's text starts with the instant it was sent, in
//! microseconds since this process started, so every member takes its latency on receipt.
//! Keep RATE at or under 8: the relay allows a connection 10 text frames a second.
//!
//! The server's CPU time (user and system, fields 14 and 15 of `/proc/SERVER_PID/stat`, in
//! ticks of HZ a second, default 100: `getconf CLK_TCK`) is read when posting starts and again
//! once every post has reached every member (or after a drain of at most 5 s), so connecting
//! and joining are not counted. One line per scenario on stdout:
//!
//! `scenario rooms=R members=M posters=P rate=X seconds=S posts=N posts_per_s=X
//! offered_per_s=X delivered=N delivered_per_s=X p50_us=N p99_us=N max_us=N server_cpu_pct=X
//! cpu_us_per_delivery=X load_cpu_pct=X missing=N errors=N closed=N gaps=N`
//!
//! Posts and offered deliveries a second are over the S seconds; delivered ones and CPU
//! percentages over `seconds`, from the first post to the last delivery.
//!
//! A delivery is one post reaching one member (the sender's own copy, its acknowledgement,
//! included), so every post is expected MEMBERS times: `missing` counts those that did not
//! arrive, `errors` the `error` frames received, `closed` the connections that ended early, and
//! `gaps` the posts that did not come in `seq` order. It runs on one thread, leaving the other
//! cores to the server. Exit status: 1 when a scenario had missing deliveries, errors or
//! closed connections (its line is printed anyway), or when anything on the network failed.
//! It needs one file descriptor per member: run it under `ulimit -n` when the limit is low.

#[path = "load/files.rs"]
mod files;

use std::fs;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How many members connect and join at once.
const JOINING_AT_ONCE: usize = 32;
/// The pause after the last welcome, for the `joined` frames still on their way.
const SETTLE: Duration = Duration::from_secs(1);
/// The longest wait, once posting ends, for the posts still on their way.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// The longest wait for the Close frames sent at the end.
const CLOSE_LIMIT: Duration = Duration::from_secs(1);
/// The longest wait for a welcome.
const JOIN_LIMIT: Duration = Duration::from_secs(30);
/// File descriptors beyond one per member: the runtime's own, stdio, `/proc` reads.
const SPARE_FILES: u64 = 64;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Socket, Message>;
type Stream = SplitStream<Socket>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("fanout: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every scenario; `Ok(false)` when one lost deliveries or got errors.
async fn run() -> Result<bool, String> {
    let options = Options::parse();
    let clock = Clock(Instant::now());
    let mut clean = true;
    for (number, scenario) in options.scenarios.iter().enumerate() {
        files::check_file_limit(
            u64::try_from(scenario.connections()).unwrap_or(u64::MAX),
            SPARE_FILES,
        )?;
        let report = measure(&options, scenario, number, clock).await?;
        println!("{}", report.line(scenario));
        if !report.is_clean() {
            eprintln!("fanout: {scenario}: {}", report.trouble());
            clean = false;
        }
    }
    Ok(clean)
}

/// Offers a steady chat load to a server's /chat and prints one line of figures per scenario.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "fanout")]
struct Options {
    /// How long the posters post, in seconds.
    #[arg(long = "seconds", value_name = "S", default_value = "6", value_parser = seconds)]
    window: Duration,
    /// Clock ticks a second of /proc/PID/stat (`getconf CLK_TCK`).
    #[arg(long = "ticks", value_name = "HZ", default_value_t = 100.0, value_parser = positive)]
    ticks_per_s: f64,
    /// The server's /chat, e.g. ws://127.0.0.1:8080/chat.
    #[arg(value_name = "WS_URL")]
    url: String,
    /// The server's process, whose CPU time is read.
    #[arg(value_name = "SERVER_PID")]
    server_pid: u32,
    /// ROOMSxMEMBERS:POSTERS@RATE, such as 100x10:2@4.
    #[arg(value_name = "SCENARIO", required = true)]
    scenarios: Vec<Scenario>,
}

fn positive(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value > 0.0)
        .ok_or_else(|| format!("not a positive number: {text}"))
}

fn seconds(text: &str) -> Result<Duration, String> {
    positive(text).map(Duration::from_secs_f64)
}

/// One load: `rooms` rooms of `members`, `posters` of them per room posting `rate` a second.
#[derive(Debug, Clone, PartialEq)]
struct Scenario {
    rooms: usize,
    members: usize,
    posters: usize,
    rate: f64,
}

impl Scenario {
    fn connections(&self) -> usize {
        self.rooms * self.members
    }
}

impl FromStr for Scenario {
    type Err = String;

    /// `ROOMSxMEMBERS:POSTERS@RATE`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad =
            || format!("scenario {text:?} is not ROOMSxMEMBERS:POSTERS@RATE (like 100x10:2@4)");
        let (rooms, rest) = text.split_once('x').ok_or_else(bad)?;
        let (members, rest) = rest.split_once(':').ok_or_else(bad)?;
        let (posters, rate) = rest.split_once('@').ok_or_else(bad)?;
        let count = |text: &str| text.parse::<usize>().ok().filter(|n| *n > 0);
        let scenario = Self {
            rooms: count(rooms).ok_or_else(bad)?,
            members: count(members).ok_or_else(bad)?,
            posters: count(posters).ok_or_else(bad)?,
            rate: rate
                .parse::<f64>()
                .ok()
                .filter(|rate| rate.is_finite() && *rate > 0.0)
                .ok_or_else(bad)?,
        };
        if scenario.posters > scenario.members {
            return Err(format!("scenario {text:?}: more posters than members"));
        }
        Ok(scenario)
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            rooms,
            members,
            posters,
            rate,
        } = self;
        write!(f, "{rooms}x{members}:{posters}@{rate}")
    }
}

/// Microseconds since the process started, on one clock shared by every task.
#[derive(Debug, Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn micros(self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// What one scenario measured.
#[derive(Debug, Clone, Default)]
struct Report {
    /// How long the posters posted.
    window: f64,
    /// From the first post to the last delivery (or the end of the drain): at least `window`.
    seconds: f64,
    posts: u64,
    delivered: u64,
    /// Every delivery's latency, in microseconds, sorted.
    latencies: Vec<u32>,
    server_cpu: Duration,
    load_cpu: Duration,
    missing: u64,
    errors: u64,
    closed: u64,
    gaps: u64,
    /// The first error frame or early end, to show.
    first_trouble: Option<String>,
}

impl Report {
    fn line(&self, scenario: &Scenario) -> String {
        let Scenario {
            rooms,
            members,
            posters,
            rate,
        } = scenario;
        let per_s = |count: f64| count / self.seconds.max(f64::MIN_POSITIVE);
        let offered_per_s = |count: f64| count / self.window.max(f64::MIN_POSITIVE);
        let offered = self.posts as f64 * *members as f64;
        let cpu_per_delivery = if self.delivered == 0 {
            0.0
        } else {
            self.server_cpu.as_secs_f64() * 1e6 / self.delivered as f64
        };
        format!(
            "scenario rooms={rooms} members={members} posters={posters} rate={rate} \
             seconds={:.3} posts={} posts_per_s={:.1} offered_per_s={:.1} delivered={} \
             delivered_per_s={:.1} p50_us={} p99_us={} max_us={} server_cpu_pct={:.1} \
             cpu_us_per_delivery={cpu_per_delivery:.3} load_cpu_pct={:.1} missing={} errors={} \
             closed={} gaps={}",
            self.seconds,
            self.posts,
            offered_per_s(self.posts as f64),
            offered_per_s(offered),
            self.delivered,
            per_s(self.delivered as f64),
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
            self.latencies.last().copied().unwrap_or(0),
            per_s(self.server_cpu.as_secs_f64()) * 100.0,
            per_s(self.load_cpu.as_secs_f64()) * 100.0,
            self.missing,
            self.errors,
            self.closed,
            self.gaps,
        )
    }

    fn is_clean(&self) -> bool {
        self.missing == 0 && self.errors == 0 && self.closed == 0 && self.gaps == 0
    }

    fn trouble(&self) -> String {
        format!(
            "{} deliveries missing, {} error frames, {} connections closed early, {} posts out \
             of order; first: {}",
            self.missing,
            self.errors,
            self.closed,
            self.gaps,
            self.first_trouble.as_deref().unwrap_or("none")
        )
    }
}

/// The nearest-rank percentile `p` (0 to 1) of `sorted`; 0 when it is empty.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0)
}

/// One member's connection: the half it posts on, and its reader.
#[derive(Debug)]
struct Member {
    room: usize,
    /// Its number in the room: the first `posters` post.
    index: usize,
    nick: String,
    sink: Sink,
    reader: JoinHandle<Received>,
}

/// Connects and joins every member, posts for the window, drains, and collects the figures.
async fn measure(
    options: &Options,
    scenario: &Scenario,
    number: usize,
    clock: Clock,
) -> Result<Report, String> {
    let (stop, stopped) = watch::channel(false);
    let delivered = Arc::new(AtomicU64::new(0));
    let reader = Reader {
        clock,
        stop: stopped,
        delivered: Arc::clone(&delivered),
    };
    let members = join_all(options, scenario, number, &reader).await?;
    tokio::time::sleep(SETTLE).await;

    let (posters, mut members): (Vec<Member>, Vec<Member>) = members
        .into_iter()
        .partition(|member| member.index < scenario.posters);
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let end = start + options.window;
    let period = Duration::from_secs_f64(1.0 / scenario.rate);
    let poster_count = posters.len() as f64;
    let posting: Vec<_> = posters
        .into_iter()
        .enumerate()
        .map(|(index, member)| {
            let first = start + period.mul_f64(index as f64 / poster_count);
            tokio::spawn(post(member, clock, first, period, end))
        })
        .collect();
    tokio::time::sleep_until(start).await;
    let server_before = server_cpu(options)?;
    let load_before = own_cpu(options);
    let mut posts = 0;
    for task in posting {
        let (member, sent) = task
            .await
            .map_err(|error| format!("a poster failed: {error}"))??;
        posts += sent;
        members.push(member);
    }
    let expected = posts * scenario.members as u64;
    let drained = tokio::time::Instant::now() + DRAIN_LIMIT;
    while delivered.load(Ordering::Relaxed) < expected && tokio::time::Instant::now() < drained {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let finished = tokio::time::Instant::now();
    let server_after = server_cpu(options)?;
    let load_after = own_cpu(options);
    let _ = stop.send(true);

    let mut report = Report {
        window: options.window.as_secs_f64(),
        seconds: (finished - start).max(options.window).as_secs_f64(),
        posts,
        server_cpu: server_after.saturating_sub(server_before),
        load_cpu: load_after.saturating_sub(load_before),
        ..Report::default()
    };
    let mut sinks = Vec::new();
    for member in members {
        let received = member
            .reader
            .await
            .map_err(|error| format!("a reader failed: {error}"))?;
        report.add(received);
        sinks.push(member.sink);
    }
    let closes = futures_util::future::join_all(sinks.iter_mut().map(SinkExt::close));
    let _ = tokio::time::timeout(CLOSE_LIMIT, closes).await;
    report.missing = expected.saturating_sub(report.delivered);
    report.latencies.sort_unstable();
    Ok(report)
}

/// Connects and joins every member of the scenario, [`JOINING_AT_ONCE`] at a time, in rooms of
/// its own (named after this process and the scenario's `number`); each member's reader starts
/// with its welcome.
async fn join_all(
    options: &Options,
    scenario: &Scenario,
    number: usize,
    reader: &Reader,
) -> Result<Vec<Member>, String> {
    let started = Instant::now();
    let run = std::process::id();
    let joins =
        (0..scenario.rooms).flat_map(|room| (0..scenario.members).map(move |index| (room, index)));
    let members: Vec<Member> = futures_util::stream::iter(joins)
        .map(|(room, index)| {
            let name = format!("fan-{run}-{number}-{room}");
            join(&options.url, name, (room, index), reader.clone())
        })
        .buffer_unordered(JOINING_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    eprintln!(
        "fanout: {scenario}: {} members joined in {:.1} s",
        members.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(members)
}

impl Report {
    fn add(&mut self, received: Received) {
        self.delivered += received.messages;
        self.latencies.extend(received.latencies);
        self.errors += received.errors;
        self.gaps += received.gaps;
        if let Some(ended) = &received.ended {
            self.closed += 1;
            self.first_trouble.get_or_insert_with(|| ended.clone());
        }
        if let Some(error) = received.first_error {
            self.first_trouble.get_or_insert(error);
        }
    }
}

/// The server's CPU time so far.
fn server_cpu(options: &Options) -> Result<Duration, String> {
    let path = format!("/proc/{}/stat", options.server_pid);
    let stat = fs::read_to_string(&path)
        .map_err(|error| format!("cannot read the server's CPU time from {path}: {error}"))?;
    cpu_time(&stat, options.ticks_per_s).ok_or(format!("{path} has no CPU times: {stat}"))
}

/// This process's CPU time so far; zero where there is no `/proc`.
fn own_cpu(options: &Options) -> Duration {
    fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| cpu_time(&stat, options.ticks_per_s))
        .unwrap_or_default()
}

/// utime plus stime of a `/proc/<pid>/stat` line, in ticks of `ticks_per_s`.
fn cpu_time(stat: &str, ticks_per_s: f64) -> Option<Duration> {
    // After the command name, which is in parentheses and may hold spaces, utime and stime are
    // the 12th and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(ticks / ticks_per_s))
}

/// Connects member `index` of room number `room`, named `name`, and joins as `m<index>`; once
/// welcomed, its reader runs on its own.
async fn join(
    url: &str,
    name: String,
    (room, index): (usize, usize),
    reader: Reader,
) -> Result<Member, String> {
    let nick = format!("m{index}");
    let who = format!("{nick} of {name}");
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|error| format!("{who}: cannot connect to {url}: {error}"))?;
    let (mut sink, mut stream) = socket.split();
    let frame = json!({"type": "join", "room": name, "nick": nick});
    sink.send(Message::text(frame.to_string()))
        .await
        .map_err(|error| format!("{who}: cannot send the join: {error}"))?;
    let welcome = async {
        loop {
            let frame = match stream.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(close))) => return Err(format!("closed: {close:?}")),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err("the connection ended".to_owned()),
            };
            let frame: Frame = serde_json::from_str(frame.as_str())
                .map_err(|error| format!("unreadable frame {frame}: {error}"))?;
            match frame.kind.as_str() {
                "welcome" => return Ok(()),
                "error" => return Err(format!("join refused: {}", frame.describe())),
                _ => {}
            }
        }
    };
    tokio::time::timeout(JOIN_LIMIT, welcome)
        .await
        .map_err(|_| format!("{who}: no welcome within {JOIN_LIMIT:?}"))?
        .map_err(|error| format!("{who}: {error}"))?;
    Ok(Member {
        room,
        index,
        nick,
        sink,
        reader: tokio::spawn(reader.read(stream)),
    })
}

/// Posts from `first` on, one every `period`, while before `end`; returns the member and its
/// count as soon as the last post is sent.
async fn post(
    mut member: Member,
    clock: Clock,
    first: tokio::time::Instant,
    period: Duration,
    end: tokio::time::Instant,
) -> Result<(Member, u64), String> {
    let count = (end.saturating_duration_since(first).as_secs_f64() / period.as_secs_f64()).ceil();
    let mut ticks = tokio::time::interval_at(first, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut posts = 0;
    while (posts as f64) < count {
        if ticks.tick().await >= end {
            break;
        }
        let id = format!("{}-{posts}", member.nick);
        let text = format!("{} fan-out benchmark post", clock.micros());
        let frame = json!({"type": "say", "id": id, "text": text});
        member
            .sink
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|error| {
                format!(
                    "{} of room {}: cannot post: {error}",
                    member.nick, member.room
                )
            })?;
        posts += 1;
    }
    Ok((member, posts))
}

/// A frame from the server, as loose as the checks need.
#[derive(Debug, Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    seq: Option<u64>,
    text: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

impl Frame {
    fn describe(&self) -> String {
        format!(
            "{} {}",
            self.code.as_deref().unwrap_or("?"),
            self.message.as_deref().unwrap_or("")
        )
    }
}

/// What a member's reader shares with the run.
#[derive(Debug, Clone)]
struct Reader {
    clock: Clock,
    stop: watch::Receiver<bool>,
    /// Every member's `message` frames so far.
    delivered: Arc<AtomicU64>,
}

/// What one member received.
#[derive(Debug, Default)]
struct Received {
    messages: u64,
    latencies: Vec<u32>,
    errors: u64,
    gaps: u64,
    first_error: Option<String>,
    /// Why the connection ended before the run did.
    ended: Option<String>,
}

impl Reader {
    /// Reads until told to stop or the connection ends.
    async fn read(mut self, mut stream: Stream) -> Received {
        let mut received = Received::default();
        let mut last_seq = None;
        loop {
            let next = tokio::select! {
                _ = self.stop.wait_for(|stop| *stop) => return received,
                next = stream.next() => next,
            };
            let text = match next {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(close))) => {
                    received.ended = Some(format!("closed by the server: {close:?}"));
                    return received;
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => {
                    received.ended = Some(format!("connection failed: {error}"));
                    return received;
                }
                None => {
                    received.ended = Some("the connection ended".to_owned());
                    return received;
                }
            };
            let now = self.clock.micros();
            let frame = match serde_json::from_str::<Frame>(text.as_str()) {
                Ok(frame) => frame,
                Err(error) => {
                    received.error(format!("unreadable frame {text}: {error}"));
                    continue;
                }
            };
            match frame.kind.as_str() {
                "message" => {
                    let sent = frame
                        .text
                        .as_deref()
                        .and_then(|text| text.split(' ').next())
                        .and_then(|sent| sent.parse::<u64>().ok());
                    let Some(sent) = sent else {
                        received.error(format!("a message without its send time: {text}"));
                        continue;
                    };
                    received.messages += 1;
                    self.delivered.fetch_add(1, Ordering::Relaxed);
                    let latency = now.saturating_sub(sent);
                    received
                        .latencies
                        .push(u32::try_from(latency).unwrap_or(u32::MAX));
                    if let (Some(last), Some(seq)) = (last_seq, frame.seq)
                        && seq != last + 1
                    {
                        received.gaps += 1;
                    }
                    last_seq = frame.seq.or(last_seq);
                }
                "error" => received.error(format!("error frame: {}", frame.describe())),
                _ => {}
            }
        }
    }
}

impl Received {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}
