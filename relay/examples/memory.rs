//! The relay's memory per connection and the most connections it holds, measured from outside
//! over real sockets: `cargo xtask bench --memory` runs it against a release relay's `/chat`
//! and reads the relay's memory from `/proc` whenever it prints a line.
//!
//! `memory phases WS_URL --connections N [--room-size R] [--addresses A]`: opens N WebSocket
//! connections and keeps them idle (no frame sent), prints
//! `idle connections=N addresses=A seconds=S closed=C`, and waits for a line on stdin; then
//! every connection joins a room (rooms of R members, default 100, each member with its own
//! nick), and once every welcome has come and no frame has arrived for 250 ms (the `joined`
//! frames of the last joins still on their way) it prints
//! `joined members=N rooms=K seconds=S frames=F closed=C` and waits for another line.
//!
//! `memory hold WS_URL [--addresses A] [--most M]`: opens connections, 32 at a time, until the
//! relay refuses one or one fails, then prints
//! `held connections=N addresses=A first_address=F seconds=S closed=C stop=KIND why=TEXT` and
//! waits for a line on stdin. It fills one source address before the next: a 503 for the cap
//! per address moves it on to the next address, any other failure ends the filling. KIND is
//! `cap-total` or `cap-address` (a 503 whose body names `--max-connections` or
//! `--max-connections-per-address`), `no-answer` (the upgrade got no answer within
//! `--answer-within` seconds, default 5: a relay out of file descriptors leaves new
//! connections in its listen backlog), `load-files` (this process is out of file descriptors),
//! `ports` (no local port left for another connection), `most` (M connections held, default
//! 1,000,000), or `error`; F is how many the first address held.
//!
//! Source addresses are 127.0.0.1 to 127.0.0.A (every 127/8 address is the loopback), the
//! connections spread over them in turn in `phases`. `closed` counts the connections that the
//! relay ended while held. The program ends at end of input or after the last line it reads;
//! every connection is then reset (`SO_LINGER` 0), so no port of this run is left in
//! TIME_WAIT for the next one. It runs on one thread, leaving the other cores to the relay,
//! and needs one file descriptor per connection: run it under `ulimit -n` when the limit is
//! low. Exit status 1 when anything failed or a connection was closed by the relay.

#[path = "load/files.rs"]
mod files;

use std::io::BufRead as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures_util::stream::{FuturesUnordered, SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message};

/// How many connections are opened at once.
const OPENING_AT_ONCE: usize = 32;
/// How many joins wait for their welcome at once.
const JOINING_AT_ONCE: usize = 64;
/// The longest wait for a welcome.
const WELCOME_LIMIT: Duration = Duration::from_secs(60);
/// How long no frame must arrive before the joined phase is taken as settled.
const QUIET: Duration = Duration::from_millis(250);
/// The longest wait for that quiet.
const QUIET_LIMIT: Duration = Duration::from_secs(10);
/// File descriptors beyond one per connection: the runtime's own, stdio.
const SPARE_FILES: u64 = 32;
/// `EMFILE`: this process has no file descriptor left.
const EMFILE: i32 = 24;
/// `EADDRNOTAVAIL`: no local port is left for the connection.
const EADDRNOTAVAIL: i32 = 99;

type Socket = WebSocketStream<TcpStream>;
type Sink = SplitSink<Socket, Message>;
type Stream = SplitStream<Socket>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Options::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("memory: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Holds connections to a relay's /chat, idle or joined, and says when, for its memory to be read.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "memory")]
struct Options {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Clone, PartialEq, Subcommand)]
enum What {
    /// N connections idle, then all joined; a line and a wait for stdin after each.
    Phases(Phases),
    /// Connections until the relay refuses one; a line and a wait for stdin.
    Hold(Hold),
}

/// Where to connect, from which addresses.
#[derive(Debug, Clone, PartialEq, Args)]
struct Target {
    /// The relay's /chat, e.g. ws://127.0.0.1:8080/chat.
    #[arg(value_name = "WS_URL")]
    url: String,
    /// Source addresses 127.0.0.1 to 127.0.0.A.
    #[arg(long, value_name = "A", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=254))]
    addresses: u8,
    /// Seconds the relay may take to answer an upgrade.
    #[arg(long, value_name = "S", default_value_t = 5)]
    answer_within: u64,
}

#[derive(Debug, Clone, PartialEq, Args)]
struct Phases {
    #[command(flatten)]
    target: Target,
    /// Connections to open and join.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// Members per room.
    #[arg(long, value_name = "R", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    room_size: u32,
}

#[derive(Debug, Clone, PartialEq, Args)]
struct Hold {
    #[command(flatten)]
    target: Target,
    /// Stop after this many connections.
    #[arg(long, value_name = "M", default_value_t = 1_000_000)]
    most: usize,
}

async fn run(options: Options) -> Result<bool, String> {
    let mut go = stdin_lines();
    match options.what {
        What::Phases(phases) => {
            files::check_file_limit(u64::from(phases.connections), SPARE_FILES)?;
            run_phases(&phases, &mut go).await
        }
        What::Hold(hold) => run_hold(&hold, &mut go).await,
    }
}

/// Every line of stdin, from a thread of its own (the relay's tokio has no async stdin).
fn stdin_lines() -> mpsc::UnboundedReceiver<()> {
    let (lines, received) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() || lines.send(()).is_err() {
                break;
            }
        }
    });
    received
}

/// Waits for the go-ahead on stdin.
async fn wait_for(go: &mut mpsc::UnboundedReceiver<()>, what: &str) -> Result<(), String> {
    go.recv()
        .await
        .ok_or_else(|| format!("stdin ended before {what}"))
}

/// The idle phase, then the joined phase.
async fn run_phases(phases: &Phases, go: &mut mpsc::UnboundedReceiver<()>) -> Result<bool, String> {
    let target = Endpoint::of(&phases.target).await?;
    let shared = Arc::new(Shared::new());
    let count = usize::try_from(phases.connections).map_err(|error| error.to_string())?;
    let started = Instant::now();
    let mut connections: Vec<Connection> = futures_util::stream::iter(0..count)
        .map(|index| target.open(target.source(index), &shared))
        .buffer_unordered(OPENING_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, Failure>>()
        .map_err(|failure| format!("cannot open {count} connections: {}", failure.why))?;
    println!(
        "idle connections={count} addresses={} seconds={:.3} closed={}",
        target.addresses,
        started.elapsed().as_secs_f64(),
        shared.closed()
    );
    wait_for(go, "the joins").await?;

    let started = Instant::now();
    let room_size = usize::try_from(phases.room_size).map_err(|error| error.to_string())?;
    let run = std::process::id();
    let joins = connections
        .iter_mut()
        .enumerate()
        .map(|(index, connection)| {
            let room = format!("mem-{run}-{}", index / room_size);
            let nick = format!("m{}", index % room_size);
            connection.join(room, nick)
        });
    futures_util::stream::iter(joins)
        .buffer_unordered(JOINING_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, String>>()?;
    let joined = started.elapsed().as_secs_f64();
    shared.quiet().await;
    println!(
        "joined members={count} rooms={} seconds={joined:.3} frames={} closed={}",
        count.div_ceil(room_size),
        shared.frames.load(Ordering::Relaxed),
        shared.closed()
    );
    wait_for(go, "the end").await?;
    Ok(shared.report_closes())
}

/// Opens connections until one fails or is refused, filling each source address in turn.
async fn run_hold(hold: &Hold, go: &mut mpsc::UnboundedReceiver<()>) -> Result<bool, String> {
    let target = Endpoint::of(&hold.target).await?;
    let shared = Arc::new(Shared::new());
    let started = Instant::now();
    let mut held: Vec<Connection> = Vec::new();
    let mut first_address = None;
    let mut used = 0;
    let mut stop = Failure {
        kind: "most",
        why: format!("held the {} connections asked for", hold.most),
    };
    for address in 0..usize::from(target.addresses) {
        used = address + 1;
        let budget = hold.most.saturating_sub(held.len());
        let (opened, failure) = target
            .open_until_failure(target.source(address), budget, &shared)
            .await;
        first_address.get_or_insert(opened.len());
        held.extend(opened);
        eprintln!("memory: {} connections held, {used} addresses", held.len());
        match failure {
            Some(failure) if failure.kind == "cap-address" => stop = failure,
            Some(failure) => {
                stop = failure;
                break;
            }
            None => break,
        }
    }
    println!(
        "held connections={} addresses={used} first_address={} seconds={:.3} closed={} stop={} \
         why={}",
        held.len(),
        first_address.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        shared.closed(),
        stop.kind,
        stop.why.replace('\n', " ")
    );
    wait_for(go, "the end").await?;
    Ok(shared.report_closes())
}

/// The relay's address and the source addresses to connect from.
#[derive(Debug)]
struct Endpoint {
    url: String,
    server: SocketAddr,
    addresses: u8,
    answer_within: Duration,
}

impl Endpoint {
    async fn of(target: &Target) -> Result<Self, String> {
        let authority = target
            .url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("not a ws:// URL: {}", target.url))?;
        let server = tokio::net::lookup_host(authority)
            .await
            .map_err(|error| format!("cannot resolve {authority}: {error}"))?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| format!("{authority} has no IPv4 address"))?;
        if target.addresses > 1 && !server.ip().is_loopback() {
            return Err(format!(
                "--addresses {} needs a relay on 127.0.0.1, not {server}",
                target.addresses
            ));
        }
        Ok(Self {
            url: target.url.clone(),
            server,
            addresses: target.addresses,
            answer_within: Duration::from_secs(target.answer_within),
        })
    }

    /// The source address of connection number `index`: the addresses in turn.
    fn source(&self, index: usize) -> Ipv4Addr {
        let offset = u8::try_from(index % usize::from(self.addresses)).unwrap_or(0);
        Ipv4Addr::new(127, 0, 0, 1 + offset)
    }

    /// Opens one connection from `source`, its reader started.
    async fn open(&self, source: Ipv4Addr, shared: &Arc<Shared>) -> Result<Connection, Failure> {
        let (sink, stream) = tokio::time::timeout(self.answer_within, self.connect(source))
            .await
            .map_err(|_| Failure {
                kind: "no-answer",
                why: format!(
                    "the relay did not answer a connection's upgrade within {} s: it accepts no \
                     more connections",
                    self.answer_within.as_secs()
                ),
            })??
            .split();
        let (welcome, welcomed) = oneshot::channel();
        tokio::spawn(read(stream, welcome, Arc::clone(shared)));
        Ok(Connection { sink, welcomed })
    }

    /// Connects from `source` and upgrades to a WebSocket.
    async fn connect(&self, source: Ipv4Addr) -> Result<Socket, Failure> {
        let socket = TcpSocket::new_v4().map_err(Failure::io)?;
        // A reset at the end instead of a FIN: this side keeps no TIME_WAIT, whose ports a
        // later run's binds would have to avoid.
        socket.set_zero_linger().map_err(Failure::io)?;
        if source != Ipv4Addr::LOCALHOST {
            // The kernel's default source needs no bind; any other must be bound first, which
            // takes its port now rather than at connect.
            socket
                .bind(SocketAddr::new(IpAddr::V4(source), 0))
                .map_err(Failure::io)?;
        }
        let tcp = socket.connect(self.server).await.map_err(Failure::io)?;
        tcp.set_nodelay(true).map_err(Failure::io)?;
        let (socket, _) = tokio_tungstenite::client_async(self.url.as_str(), tcp)
            .await
            .map_err(Failure::handshake)?;
        Ok(socket)
    }

    /// Opens connections from `source`, [`OPENING_AT_ONCE`] at a time, until one fails or
    /// `budget` are open; the failure is the first one, the connections every one that opened.
    async fn open_until_failure(
        &self,
        source: Ipv4Addr,
        budget: usize,
        shared: &Arc<Shared>,
    ) -> (Vec<Connection>, Option<Failure>) {
        let mut opening = FuturesUnordered::new();
        let mut opened = Vec::new();
        let mut failure = None;
        let mut started = 0;
        loop {
            while failure.is_none() && started < budget && opening.len() < OPENING_AT_ONCE {
                opening.push(self.open(source, shared));
                started += 1;
            }
            match opening.next().await {
                Some(Ok(connection)) => opened.push(connection),
                Some(Err(failed)) => {
                    failure.get_or_insert(failed);
                }
                None => return (opened, failure),
            }
        }
    }
}

/// Why a connection did not open: a short kind and the whole story.
#[derive(Debug)]
struct Failure {
    kind: &'static str,
    why: String,
}

impl Failure {
    fn io(error: std::io::Error) -> Self {
        let kind = match error.raw_os_error() {
            Some(EMFILE) => "load-files",
            Some(EADDRNOTAVAIL) => "ports",
            _ => "error",
        };
        Self {
            kind,
            why: format!("the load could not connect: {error}"),
        }
    }

    fn handshake(error: tungstenite::Error) -> Self {
        match error {
            tungstenite::Error::Http(response) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let retry = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("none")
                    .to_owned();
                let kind = match (response.status().as_u16(), body.as_str()) {
                    (503, body) if body.contains("--max-connections-per-address") => "cap-address",
                    (503, body) if body.contains("--max-connections") => "cap-total",
                    _ => "error",
                };
                Self {
                    kind,
                    why: format!("HTTP {} (Retry-After: {retry}): {body}", response.status()),
                }
            }
            tungstenite::Error::Io(error) => Self::io(error),
            other => Self {
                kind: "error",
                why: format!("the upgrade failed: {other}"),
            },
        }
    }
}

/// One open connection: the half that sends, and its reader's news of the welcome.
#[derive(Debug)]
struct Connection {
    sink: Sink,
    welcomed: oneshot::Receiver<Result<(), String>>,
}

impl Connection {
    /// Joins `room` as `nick` and waits for the welcome.
    async fn join(&mut self, room: String, nick: String) -> Result<(), String> {
        let who = format!("{nick} of {room}");
        let frame = json!({"type": "join", "room": room, "nick": nick});
        self.sink
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|error| format!("{who}: cannot send the join: {error}"))?;
        tokio::time::timeout(WELCOME_LIMIT, &mut self.welcomed)
            .await
            .map_err(|_| format!("{who}: no welcome within {WELCOME_LIMIT:?}"))?
            .map_err(|_| format!("{who}: the reader ended"))?
            .map_err(|error| format!("{who}: {error}"))
    }
}

/// What every connection's reader shares with the run.
#[derive(Debug)]
struct Shared {
    started: Instant,
    /// Frames received, every kind.
    frames: AtomicU64,
    /// When the last frame came, in milliseconds since `started`.
    last_frame_ms: AtomicU64,
    closed: AtomicU64,
    first_close: Mutex<Option<String>>,
}

impl Shared {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            frames: AtomicU64::new(0),
            last_frame_ms: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            first_close: Mutex::new(None),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn closed(&self) -> u64 {
        self.closed.load(Ordering::Relaxed)
    }

    fn close(&self, why: String) {
        self.closed.fetch_add(1, Ordering::Relaxed);
        self.first_close
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(why);
    }

    /// Returns once no frame has come for [`QUIET`], or after [`QUIET_LIMIT`].
    async fn quiet(&self) {
        let limit = Instant::now() + QUIET_LIMIT;
        let quiet = u64::try_from(QUIET.as_millis()).unwrap_or(u64::MAX);
        // Frames arrive on many connections and none of them is the last one known in
        // advance: the lull is watched for.
        while Instant::now() < limit
            && self.now_ms() < self.last_frame_ms.load(Ordering::Relaxed) + quiet
        {
            tokio::time::sleep(QUIET / 5).await;
        }
    }

    /// Says how many connections the relay closed; whether none was.
    fn report_closes(&self) -> bool {
        let closed = self.closed();
        if closed > 0 {
            let first = self
                .first_close
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_default();
            eprintln!("memory: the relay closed {closed} connections; first: {first}");
        }
        closed == 0
    }
}

/// A frame from the relay, as loose as the checks need.
#[derive(Debug, Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    message: Option<String>,
}

/// Reads one connection until it ends, telling the joiner of its welcome (or refusal) and the
/// run of every frame and of an end.
async fn read(
    mut stream: Stream,
    welcome: oneshot::Sender<Result<(), String>>,
    shared: Arc<Shared>,
) {
    let mut welcome = Some(welcome);
    let ended = loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(close))) => break format!("closed by the relay: {close:?}"),
            Some(Ok(_)) => continue,
            Some(Err(error)) => break format!("connection failed: {error}"),
            None => break "the connection ended".to_owned(),
        };
        shared.frames.fetch_add(1, Ordering::Relaxed);
        shared
            .last_frame_ms
            .store(shared.now_ms(), Ordering::Relaxed);
        let answer = match serde_json::from_str::<Frame>(text.as_str()) {
            Ok(frame) if frame.kind == "welcome" => Ok(()),
            Ok(frame) if frame.kind == "error" => Err(format!(
                "error frame: {} {}",
                frame.code.as_deref().unwrap_or("?"),
                frame.message.as_deref().unwrap_or("")
            )),
            Ok(_) => continue,
            Err(error) => Err(format!("unreadable frame {text}: {error}")),
        };
        if let Some(welcome) = welcome.take() {
            let _ = welcome.send(answer);
        }
    };
    if let Some(welcome) = welcome.take() {
        let _ = welcome.send(Err(ended.clone()));
    }
    shared.close(ended);
}
