//! `duplex-relay`: the native WebSocket server behind the duplex-ws demo page and browser tests.
//!
//! [`app`] builds the whole service as an axum [`Router`], so a test can serve it on
//! `127.0.0.1:0` with [`axum::serve()`], or with [`serve`], which also stops it gracefully. It
//! always serves static files from [`Config::root`], a WebSocket echo at `GET /echo` and the
//! chat rooms at `GET /chat` ([`protocol`]); with [`Config::test_endpoints`] it also mounts
//! the `/test/*` fault-injection and control endpoints that the browser tests drive. Every
//! WebSocket upgrade passes the `Origin` check described at [`Config::allowed_origins`].
//!
//! Modules:
//! - `args`: the command line of the `duplex-relay` binary (public, for `main`).
//! - `protocol`: the chat protocol's frames, limits, error and close codes (public, for clients).
//! - `chat`: `GET /chat`: one chat connection, its rate limit and abuse rules.
//! - `rooms`: the chat rooms as this relay sees them: members and their outgoing queues.
//! - `nick`: nicks as a room keeps (trimmed, NFC), refuses (invisible, bidi controls) and
//!   compares them (NFKC_Casefold).
//! - `store`: where posts, seq numbers, re-send memory and (with Redis) presence live: SQLite
//!   under `--data`, or Redis shared by several relays.
//! - `bucket`: the token bucket behind the chat rate limit.
//! - `origin`: the `Origin` check of every WebSocket upgrade.
//! - `handshake`: the shape of every WebSocket handshake (Host, key, version), 400 otherwise.
//! - `accept`: the accept loop: connection caps (503 `Retry-After`) and the header timeout.
//! - `violation`: the Close code for a protocol violation (1002, 1007, 1009).
//! - `budget`: the memory every welcome (history sent on join) may hold at once.
//! - `statics`: the static files of the root, its `test/` folder out of reach.
//! - `echo`: `GET /echo` and the echo loop every echoing endpoint shares.
//! - `faults`: the `/test/*` router: misbehaving WebSocket endpoints and HTTP controls.
//! - `raw`: hand-written handshakes and frames that tungstenite refuses to produce.
//! - `writer`: the writing half of a chat connection, on a task of its own.
//! - `tracker`: the live-connection registry behind `/test/connections` and `/test/drop-all`.
//! - [`logging`]: the log's subscriber (`RUST_LOG`), and the spans of requests and connections.
//! - `closes`: how tagged echo connections ended, for `/test/close-seen`.
//! - `query`: query-parameter parsing with plain 400 answers.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use duplex_relay::{AppState, Config, serve};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let data = std::env::temp_dir().join("duplex-relay-example");
//! let state = AppState::open(Config { test_endpoints: true, data, ..Config::default() })
//!     .await
//!     .map_err(std::io::Error::other)?;
//! // Stops on Ctrl-C: WebSockets get Close 1012, then the port is free again.
//! let ctrl_c = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! serve(listener, state, ctrl_c).await
//! # }
//! ```
#![deny(missing_docs)]

/// The chat protocol, re-exported from its own crate for the relay's clients and tests.
pub use duplex_chat_protocol as protocol;

mod accept;
pub mod args;
mod bucket;
mod budget;
mod chat;
mod closes;
mod echo;
mod faults;
mod handshake;
pub mod logging;
mod nick;
mod origin;
mod query;
mod raw;
mod rooms;
mod statics;
pub mod store;
mod tracker;
mod violation;
mod writer;

use std::future::{Future, pending};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::closes::CloseLog;
use crate::protocol::{MIN_KEPT_POSTS, Rejection};
use crate::rooms::Rooms;
use crate::store::{Content, Limits, OpenError, Store};
use crate::tracker::Tracker;

/// Posts kept per room when [`Config::keep_posts`] is not changed.
pub const DEFAULT_KEEP_POSTS: usize = 10_000;
const _: () = assert!(DEFAULT_KEEP_POSTS >= MIN_KEPT_POSTS);

/// [`Config::header_timeout`] when not changed.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// [`Config::join_timeout`] when not changed.
pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// [`Config::idle_timeout`] when not changed: eight of the chat page's 15 s heartbeats.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// [`Config::max_connections`] when not changed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// [`Config::max_connections_per_address`] when not changed.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 256;
/// [`Config::welcome_memory_mib`] when not changed: four welcomes of the most images one
/// carries (64 MiB), or thousands of text-only ones.
pub const DEFAULT_WELCOME_MEMORY_MIB: u64 = 256;
/// [`Config::forget_rooms_after`] when not changed: 30 days.
pub const DEFAULT_FORGET_ROOMS_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long [`serve`] lets open connections finish after its shutdown signal: WebSockets
/// answer their Close 1012 within it, and whatever is still open then is dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What the relay serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Folder served as static files: `/` is `index.html`, `/www/app.js` is `www/app.js`.
    pub root: PathBuf,
    /// Mount the `/test/*` fault-injection and control endpoints (never on by default).
    pub test_endpoints: bool,
    /// Origins, besides the relay's own and loopback ones, whose pages may open WebSockets
    /// (`--allow-origin`), compared exactly, e.g. `https://chat.example`.
    ///
    /// Every WebSocket upgrade (`/chat`, `/echo`, `/test/*`) is checked: it is allowed without
    /// an `Origin` header (programs that are not browsers), with the relay's own origin
    /// (`http://` or `https://` followed by the `Host` header), with a loopback origin
    /// (`http` or `https`, host `localhost`, `127.0.0.1` or `[::1]`, any port), or with an
    /// origin listed here. Any other is answered `403 Forbidden`. Plain HTTP is not checked.
    pub allowed_origins: Vec<String>,
    /// Folder of the chat's database (`--data`), created if missing; it must not be inside
    /// [`Config::root`], which is served to anyone. Default: `duplex-relay` in the user's data
    /// folder (`$XDG_DATA_HOME`, else `~/.local/share`), see [`default_data_dir`].
    pub data: PathBuf,
    /// Posts kept per room (`--keep-posts`, at least [`MIN_KEPT_POSTS`]); when a room has
    /// more, its oldest are deleted.
    pub keep_posts: usize,
    /// The most the database file may grow to, in MiB (`--max-db-mib`); posts beyond it are
    /// refused with `unavailable`. `None`: as large as the disk allows.
    pub max_db_mib: Option<u64>,
    /// A Redis server shared with other relays (`--redis redis://host:port`): rooms, posts and
    /// presence live there instead of in [`Config::data`], and every relay given the same
    /// server serves the same rooms. `None`: this relay alone, on SQLite.
    pub redis: Option<String>,
    /// How long a client may take to send its request's headers (`--header-timeout`); a
    /// connection that has not sent them by then is closed. Also bounds how long an idle
    /// keep-alive HTTP connection is kept.
    pub header_timeout: Duration,
    /// How long a `/chat` connection may stay without joining a room (`--join-timeout`); it is
    /// then closed with 1008, "no join in time".
    pub join_timeout: Duration,
    /// How long a `/chat` or `/echo` connection may send nothing at all (`--idle-timeout`); it
    /// is then closed with 1001, "idle for too long". The chat page pings every 15 s.
    pub idle_timeout: Duration,
    /// The most connections the relay holds at once, HTTP and WebSocket alike
    /// (`--max-connections`); a connection beyond it is answered `503 Service Unavailable` with
    /// `Retry-After` and closed.
    pub max_connections: usize,
    /// The most connections one client address holds at once (`--max-connections-per-address`;
    /// an IPv6 address counts by its /64), answered like [`Config::max_connections`].
    pub max_connections_per_address: usize,
    /// The memory, in MiB, that the histories sent to joining pages may hold at once
    /// (`--welcome-memory-mib`): a history is read into memory at a join and held until the
    /// connection has written it. A join whose history does not fit now is closed with 1013
    /// (try again later), "relay busy"; one welcome never carries more than this in images.
    pub welcome_memory_mib: u64,
    /// How long a room keeps its history after its last join or post (`--forget-rooms-after`):
    /// a room with nobody in it that long is deleted, posts, seq and re-send memory alike, and
    /// starts again with a new epoch if anyone comes back.
    pub forget_rooms_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            root: PathBuf::from("."),
            test_endpoints: false,
            allowed_origins: Vec::new(),
            data: default_data_dir(),
            keep_posts: DEFAULT_KEEP_POSTS,
            max_db_mib: None,
            redis: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            join_timeout: DEFAULT_JOIN_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            welcome_memory_mib: DEFAULT_WELCOME_MEMORY_MIB,
            forget_rooms_after: DEFAULT_FORGET_ROOMS_AFTER,
        }
    }
}

/// `duplex-relay` in the user's data folder (`$XDG_DATA_HOME` or `~/.local/share` on Linux),
/// or `duplex-relay-data` in the working folder when there is no home folder.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().map_or_else(
        || PathBuf::from("duplex-relay-data"),
        |data| data.join("duplex-relay"),
    )
}

/// State shared by every request: the configuration, the chat rooms, the live-connection
/// registry, the closes seen by tagged echo connections, the refusal window, and whether
/// [`serve`] is shutting down.
///
/// Cheap to clone: every clone shares the same state.
#[derive(Debug, Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: Config,
    tracker: Tracker,
    admissions: accept::Admissions,
    closes: CloseLog,
    refuse_until: Mutex<Option<Instant>>,
    refused_posts: faults::RefusedPosts,
    store: Store,
    stopping: watch::Sender<bool>,
}

impl AppState {
    /// State for `config`: the rooms' store opened (or created) in [`Config::data`], or
    /// reached at [`Config::redis`], and no connections, no recorded closes, not refusing.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] that names the folder, file or server: [`Config::data`] is inside
    /// [`Config::root`] (it would be served), [`Config::keep_posts`] is below
    /// [`MIN_KEPT_POSTS`], the folder cannot be created, the database cannot be opened for
    /// writing, is locked by another process, or is not a database; or the Redis URL is not
    /// valid or its server does not answer.
    pub async fn open(config: Config) -> Result<Self, OpenError> {
        if config.keep_posts < MIN_KEPT_POSTS {
            return Err(OpenError::new(
                &config.data,
                format!("--keep-posts must be at least {MIN_KEPT_POSTS}"),
            ));
        }
        if inside(&config.data, &config.root) {
            return Err(OpenError::new(
                &config.data,
                format!(
                    "the data folder is inside the served folder {}: choose another --data",
                    config.root.display()
                ),
            ));
        }
        let limits = Limits {
            keep_posts: config.keep_posts,
            max_bytes: config.max_db_mib.map(|mib| mib.saturating_mul(1 << 20)),
            welcome_memory: config.welcome_memory_mib.saturating_mul(1 << 20),
            forget_after: config.forget_rooms_after,
        };
        let store = match &config.redis {
            Some(url) => Store::redis(url, limits).await?,
            None => Store::sqlite(&config.data, limits)?,
        };
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                tracker: Tracker::default(),
                admissions: accept::Admissions::default(),
                closes: CloseLog::default(),
                refuse_until: Mutex::new(None),
                refused_posts: faults::RefusedPosts::default(),
                store,
                stopping: watch::Sender::new(false),
            }),
        })
    }

    /// The configuration this state was made with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The number of live WebSocket connections, every endpoint included.
    pub fn live_connections(&self) -> usize {
        self.shared.tracker.live()
    }

    /// The number of connections held, HTTP and WebSocket alike, as the caps count them.
    pub fn held_connections(&self) -> usize {
        self.shared.admissions.held()
    }

    pub(crate) fn admissions(&self) -> &accept::Admissions {
        &self.shared.admissions
    }

    pub(crate) fn tracker(&self) -> &Tracker {
        &self.shared.tracker
    }

    pub(crate) fn rooms(&self) -> &Rooms {
        self.shared.store.rooms()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Resolves once [`serve`] has received its shutdown signal (at once if it has).
    pub(crate) async fn stopping(&self) {
        let mut stopping = self.shared.stopping.subscribe();
        if stopping.wait_for(|&stopping| stopping).await.is_err() {
            // The sender lives in `self`: it cannot be gone while we wait.
            pending::<()>().await;
        }
    }

    fn is_stopping(&self) -> bool {
        *self.shared.stopping.borrow()
    }

    pub(crate) fn closes(&self) -> &CloseLog {
        &self.shared.closes
    }

    pub(crate) fn refuse_for(&self, duration: Duration) {
        let until = Instant::now().checked_add(duration);
        *self
            .shared
            .refuse_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = until;
    }

    /// The rule of `/test/refuse-posts`, which only the test endpoints set.
    pub(crate) fn refused_posts(&self) -> &faults::RefusedPosts {
        &self.shared.refused_posts
    }

    /// The rejection `/test/refuse-posts` asked for this post, if any (never without
    /// [`Config::test_endpoints`]).
    pub(crate) fn refused_post(&self, id: &str, content: &Content) -> Option<Rejection> {
        if !self.config().test_endpoints {
            return None;
        }
        self.shared.refused_posts.check(id, content)
    }

    fn refusing(&self) -> bool {
        let until = *self
            .shared
            .refuse_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|until| Instant::now() < until)
    }
}

/// The relay as a router: static files, `GET /echo`, `GET /chat`, and, only when
/// [`Config::test_endpoints`] is set, the `/test/*` endpoints (otherwise every `/test` path is
/// a 404, even if the root folder has a `test/` folder).
pub fn app(state: AppState) -> Router {
    let root = state.config().root.clone();
    let router = Router::new()
        .route("/echo", get(echo::echo))
        .route("/chat", get(chat::chat));
    let router = if state.config().test_endpoints {
        router.merge(faults::router())
    } else {
        router
            .route("/test", axum::routing::any(not_found))
            .route("/test/{*rest}", axum::routing::any(not_found))
    };
    // Cross-origin isolation ([COOP] and [COEP]) for every answer but the refused upgrades:
    // browsers then give `performance.now()` its fine resolution, which the benchmark page needs
    // to time round trips of tens of microseconds; the pages load nothing from other origins.
    //
    // [COOP]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cross-Origin-Opener-Policy
    // [COEP]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cross-Origin-Embedder-Policy
    router
        .fallback_service(statics::files(root))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-embedder-policy"),
            HeaderValue::from_static("require-corp"),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            check_upgrades,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(logging::request_span))
        .with_state(state)
}

/// Serves [`app`]`(state)` on `listener`, telling it each peer's address for the log, until
/// `shutdown` completes. Every connection is held to the caps and the header timeout of
/// [`Config`]. Then it stops gracefully:
/// new connections are no longer accepted (the listener is closed at once), every open
/// WebSocket is sent Close 1012 (service restart) "relay restarting", and open connections get
/// [`SHUTDOWN_GRACE`] to finish; those still open then are dropped. Returns once all that is
/// done, so the same port can be bound again right away.
///
/// The rooms and their history live in `state`; serving the same state again keeps them.
///
/// # Errors
///
/// None today: a failed accept is logged and tried again (after a pause when the process is out
/// of file descriptors), so one bad connection or a full descriptor table never stops the relay.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let signalled = state.clone();
    tokio::spawn(async move {
        shutdown.await;
        signalled.shared.stopping.send_replace(true);
    });
    let mut server = Box::pin(accept::run(listener, state.clone(), app(state.clone())));
    let stopped = tokio::select! {
        () = &mut server => true,
        () = state.stopping() => false,
    };
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    // Plain-HTTP requests in flight (long polls) are waited for by the accept loop; upgraded
    // connections are not, so the tracker waits for those within the same grace.
    if !stopped {
        tokio::select! {
            () = &mut server => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
    drop(server);
    let tracker = state.tracker();
    let left = deadline.saturating_duration_since(Instant::now());
    if tracker.wait_for(0, left).await > 0 {
        tracker.drop_all();
        tracker.wait_for(0, Duration::from_millis(500)).await;
    }
    state.shared.stopping.send_replace(false);
    Ok(())
}

/// Whether `path` is `folder` or inside it, comparing absolute paths (the parts that exist
/// resolved, so `./x` and `x` or a symbolic link do not hide it).
fn inside(path: &Path, folder: &Path) -> bool {
    let absolute = |path: &Path| {
        path.canonicalize()
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_owned())
    };
    let (path, folder) = (absolute(path), absolute(folder));
    path.starts_with(&folder)
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Checks every WebSocket upgrade: its `Origin` (403), the `/test/refuse` window and a
/// shutdown in progress (503); logs every upgrade not answered `101`.
async fn check_upgrades(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_websocket_upgrade(request.headers()) {
        return next.run(request).await;
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        tracing::Span::current().record(
            "origin",
            String::from_utf8_lossy(origin.as_bytes()).as_ref(),
        );
    }
    let response = match refusal(&state, &request) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    };
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        response
    } else {
        logging::refused(response).await
    }
}

/// The answer to an upgrade that this relay refuses, if it does.
fn refusal(state: &AppState, request: &Request) -> Option<Response> {
    let upgrade = match handshake::check(request) {
        Ok(upgrade) => upgrade,
        Err(malformed) => return Some(malformed.into_response()),
    };
    let allowed = match upgrade.origin.map(HeaderValue::to_str).transpose() {
        Ok(origin) => origin::allowed(origin, upgrade.host, &state.config().allowed_origins),
        Err(_) => false,
    };
    let refusal = if !allowed {
        (
            StatusCode::FORBIDDEN,
            "WebSocket upgrade refused: this Origin is not allowed (see --allow-origin)\n",
        )
    } else if state.refusing() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "refusing WebSocket upgrades for now (GET /test/refuse)",
        )
    } else if state.is_stopping() {
        (StatusCode::SERVICE_UNAVAILABLE, "relay restarting\n")
    } else {
        return None;
    };
    Some(refusal.into_response())
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    handshake::has_token(headers, &header::UPGRADE, "websocket")
}
