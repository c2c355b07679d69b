//! `duplex-relay`: the native WebSocket server behind the duplex-ws demo page and browser tests.
//!
//! [`app`] builds the whole service as an axum [`Router`], so a test can serve it on
//! `127.0.0.1:0` with [`axum::serve`]. It always serves static files from [`Config::root`] and a
//! WebSocket echo at `GET /echo`; with [`Config::test_endpoints`] it also mounts the `/test/*`
//! fault-injection and control endpoints that the browser tests drive.
//!
//! Modules:
//! - `args`: the command line of the `duplex-relay` binary (public, for `main`).
//! - `echo`: `GET /echo` and the echo loop every echoing endpoint shares.
//! - `faults`: the `/test/*` router: misbehaving WebSocket endpoints and HTTP controls.
//! - `raw`: hand-written handshakes and frames that tungstenite refuses to produce.
//! - `tracker`: the live-connection registry behind `/test/connections` and `/test/drop-all`.
//! - `closes`: how tagged echo connections ended, for `/test/close-seen`.
//! - `query`: query-parameter parsing with plain 400 answers.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use duplex_relay::{AppState, Config, app};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let state = AppState::new(Config { test_endpoints: true, ..Config::default() });
//! axum::serve(listener, app(state)).await
//! # }
//! ```
#![deny(missing_docs)]

pub mod args;
mod closes;
mod echo;
mod faults;
mod query;
mod raw;
mod tracker;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::time::Instant;
use tower_http::services::ServeDir;

use crate::closes::CloseLog;
use crate::tracker::Tracker;

/// What the relay serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Folder served as static files: `/` is `index.html`, `/www/app.js` is `www/app.js`.
    pub root: PathBuf,
    /// Mount the `/test/*` fault-injection and control endpoints (never on by default).
    pub test_endpoints: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            root: PathBuf::from("."),
            test_endpoints: false,
        }
    }
}

/// State shared by every request: the configuration, the live-connection registry, the closes
/// seen by tagged echo connections, and the refusal window.
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
    closes: CloseLog,
    refuse_until: Mutex<Option<Instant>>,
}

impl AppState {
    /// Fresh state for `config`: no connections, no recorded closes, not refusing.
    pub fn new(config: Config) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                tracker: Tracker::default(),
                closes: CloseLog::default(),
                refuse_until: Mutex::new(None),
            }),
        }
    }

    /// The configuration this state was made with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The number of live WebSocket connections, every endpoint included.
    pub fn live_connections(&self) -> usize {
        self.shared.tracker.live()
    }

    pub(crate) fn tracker(&self) -> &Tracker {
        &self.shared.tracker
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

    fn refusing(&self) -> bool {
        let until = *self
            .shared
            .refuse_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|until| Instant::now() < until)
    }
}

/// The relay as a router: static files, `GET /echo`, and, only when
/// [`Config::test_endpoints`] is set, the `/test/*` endpoints (otherwise every `/test` path is
/// a 404, even if the root folder has a `test/` folder).
pub fn app(state: AppState) -> Router {
    let root = state.config().root.clone();
    let router = Router::new().route("/echo", get(echo::echo));
    let router = if state.config().test_endpoints {
        router.merge(faults::router())
    } else {
        router
            .route("/test", axum::routing::any(not_found))
            .route("/test/{*rest}", axum::routing::any(not_found))
    };
    router
        .fallback_service(ServeDir::new(root))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_upgrades,
        ))
        .with_state(state)
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

async fn refuse_upgrades(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_websocket_upgrade(request.headers()) && state.refusing() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "refusing WebSocket upgrades for now (GET /test/refuse)",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("websocket"))
}
