//! The `/test/*` endpoints, mounted only with `--test-endpoints`: WebSocket endpoints that
//! misbehave on purpose, and plain-HTTP controls that a browser test calls with `fetch`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::Json;
use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures_util::SinkExt;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::closes;
use crate::echo::{self, MAX_MESSAGE, echo_until_stopped};
use crate::logging::{self, Conn};
use crate::protocol::{ErrorCode, Rejection};
use crate::query::{BadRequest, Params};
use crate::store::Content;
use crate::{AppState, raw};

/// `count` limit of `/test/flood`.
const MAX_FLOOD_COUNT: u64 = 10_000_000;
/// `size` limit of `/test/flood`.
const MAX_FLOOD_SIZE: u64 = 16 << 20;
/// Default `timeout_ms` of the long polls.
const DEFAULT_WAIT_MS: u64 = 5_000;

type RawQuery = Query<HashMap<String, String>>;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/test/close", get(close))
        .route("/test/drop", get(drop_connection))
        .route("/test/slow", get(slow))
        .route("/test/protocol", get(protocol))
        .route("/test/bad-handshake", get(raw::bad_handshake))
        .route("/test/not-websocket", get(not_websocket))
        .route("/test/invalid-frame", get(raw::invalid_frame))
        .route("/test/after-close", get(raw::after_close))
        .route("/test/flood", get(flood))
        .route("/test/blackhole", get(raw::blackhole))
        .route("/test/connections", get(connections))
        .route("/test/close-seen", get(close_seen))
        .route("/test/drop-all", get(drop_all))
        .route("/test/refuse", get(refuse))
        .route("/test/refuse-posts", get(refuse_posts))
        .route("/test/closed-port", get(closed_port))
        .route("/test", any(StatusCode::NOT_FOUND))
        .route("/test/{*rest}", any(StatusCode::NOT_FOUND))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

async fn close(
    State(state): State<AppState>,
    Query(query): RawQuery,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let code = params.number("code", close_code::NORMAL.into(), u64::from(u16::MAX))?;
    let code = match u16::try_from(code) {
        Ok(code @ 1000..=4999) => code,
        _ => {
            return Err(BadRequest(format!(
                "code must be in 1000..=4999, got {code}"
            )));
        }
    };
    let reason = params.text("reason").unwrap_or_default().to_owned();
    if reason.len() > 123 {
        return Err(BadRequest(format!(
            "reason must be at most 123 bytes of UTF-8, got {}",
            reason.len()
        )));
    }
    let delay = params.millis("delay_ms", 0)?;
    Ok(
        echo::configure(ws).on_upgrade(move |mut socket| async move {
            state
                .tracker()
                .run(conn, async {
                    tokio::select! {
                        () = echo_until_stopped(&state, &mut socket, None) => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                    echo::close(&mut socket, code, Utf8Bytes::from(reason)).await;
                })
                .await;
        }),
    )
}

async fn drop_connection(
    State(state): State<AppState>,
    Query(query): RawQuery,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Result<Response, BadRequest> {
    let delay = Params(&query).millis("delay_ms", 0)?;
    Ok(
        echo::configure(ws).on_upgrade(move |mut socket| async move {
            state
                .tracker()
                .run(conn, async {
                    tokio::select! {
                        () = echo_until_stopped(&state, &mut socket, None) => {}
                        () = tokio::time::sleep(delay) => {}
                    }
                })
                .await;
        }),
    )
}

async fn slow(
    State(state): State<AppState>,
    Query(query): RawQuery,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Result<Response, BadRequest> {
    let delay = Params(&query).millis("delay_ms", 0)?;
    tokio::time::sleep(delay).await;
    Ok(echo_upgrade(state, conn, ws))
}

/// Selection rule: the first protocol in the client's `Sec-WebSocket-Protocol` list (in the
/// order the client offered them) that is also in `accept`; none if there is no such protocol.
async fn protocol(
    State(state): State<AppState>,
    Query(query): RawQuery,
    headers: HeaderMap,
    conn: Conn,
    mut ws: WebSocketUpgrade,
) -> Response {
    let accept: Vec<&str> = Params(&query)
        .text("accept")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|protocol| !protocol.is_empty())
        .collect();
    let selected = raw::offered_protocols(&headers).find(|offered| accept.contains(offered));
    if let Some(selected) = selected.and_then(|selected| HeaderValue::from_str(selected).ok()) {
        ws.set_selected_protocol(selected);
    }
    echo_upgrade(state, conn, ws)
}

fn echo_upgrade(state: AppState, conn: Conn, ws: WebSocketUpgrade) -> Response {
    echo::configure(ws).on_upgrade(move |mut socket| async move {
        state
            .tracker()
            .run(conn, echo_until_stopped(&state, &mut socket, None))
            .await;
    })
}

async fn not_websocket() -> &'static str {
    "this is not a WebSocket server\n"
}

async fn flood(
    State(state): State<AppState>,
    Query(query): RawQuery,
    conn: Conn,
    ws: WebSocketUpgrade,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let flood = Flood {
        count: params.number("count", 1000, MAX_FLOOD_COUNT)?,
        size: params.number("size", 16, MAX_FLOOD_SIZE)?,
        binary: params.flag("binary", false)?,
    };
    let close = params.flag("close", false)?;
    Ok(
        echo::configure(ws).on_upgrade(move |mut socket| async move {
            state
                .tracker()
                .run(conn, async {
                    tokio::select! {
                        sent = flood.send(&mut socket) => if let Err(error) = sent {
                            return logging::failed(&error);
                        },
                        () = state.stopping() => return echo::close_restarting(&mut socket).await,
                    }
                    if close {
                        let done = Utf8Bytes::from_static("flood done");
                        echo::close(&mut socket, close_code::NORMAL, done).await;
                    } else {
                        echo_until_stopped(&state, &mut socket, None).await;
                    }
                })
                .await;
        }),
    )
}

#[derive(Debug, Clone, Copy)]
struct Flood {
    count: u64,
    size: u64,
    binary: bool,
}

impl Flood {
    async fn send(self, socket: &mut WebSocket) -> Result<(), axum::Error> {
        let size = usize::try_from(self.size).unwrap_or(MAX_MESSAGE);
        for i in 0..self.count {
            let message = if self.binary {
                let mut data = vec![0; size.max(4)];
                // `count` is at most 10,000,000, so `i` always fits in the 4 bytes.
                let index = u32::try_from(i).unwrap_or(u32::MAX);
                data[..4].copy_from_slice(&index.to_be_bytes());
                Message::Binary(data.into())
            } else {
                let mut text = String::with_capacity(size.max(8));
                let _ = write!(text, "{i}");
                let padding = size.saturating_sub(text.len());
                text.extend(std::iter::repeat_n('.', padding));
                Message::Text(text.into())
            };
            socket.feed(message).await?;
        }
        socket.flush().await
    }
}

async fn connections(
    State(state): State<AppState>,
    Query(query): RawQuery,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let timeout = params.millis("timeout_ms", DEFAULT_WAIT_MS)?;
    let live = match params.text("wait_for") {
        None => state.tracker().live(),
        Some(_) => {
            let target = params.number("wait_for", 0, u64::from(u32::MAX))?;
            let target = usize::try_from(target).unwrap_or(usize::MAX);
            // A long poll ends early when the relay shuts down, so it does not hold the stop.
            tokio::select! {
                live = state.tracker().wait_for(target, timeout) => live,
                () = state.stopping() => state.tracker().live(),
            }
        }
    };
    Ok(Json(json!({ "live": live })).into_response())
}

async fn close_seen(
    State(state): State<AppState>,
    Query(query): RawQuery,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let timeout = params.millis("timeout_ms", DEFAULT_WAIT_MS)?;
    let Some(tag) = params.text("tag") else {
        return Err(BadRequest("tag is required".to_owned()));
    };
    let ending = tokio::select! {
        ending = state.closes().wait(tag, timeout) => ending,
        () = state.stopping() => None,
    };
    Ok(Json(closes::to_json(ending.as_ref())).into_response())
}

async fn drop_all(State(state): State<AppState>) -> Response {
    let dropped = state.tracker().drop_all();
    Json(json!({ "dropped": dropped })).into_response()
}

/// `ms=0` ends a refusal window early.
async fn refuse(
    State(state): State<AppState>,
    Query(query): RawQuery,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let Some(_) = params.text("ms") else {
        return Err(BadRequest("ms is required".to_owned()));
    };
    let duration = params.millis("ms", 0)?;
    state.refuse_for(duration);
    Ok(Json(json!({ "refusing_ms": duration.as_millis() })).into_response())
}

/// `/test/refuse-posts?containing=T&code=C`: from now on, `/chat` refuses every `say` whose
/// text contains `T` with error `C` (a bad request, as if the relay found the post invalid),
/// so a browser test can have a post refused that its page thinks is valid. Without
/// `containing`, refuses nothing from now on. Answers how many posts were refused so far.
async fn refuse_posts(
    State(state): State<AppState>,
    Query(query): RawQuery,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let rule = match params.text("containing") {
        Some(containing) => {
            let code = params.text("code").unwrap_or("bad-text");
            let code = ErrorCode::ALL
                .into_iter()
                .find(|known| known.as_str() == code)
                .ok_or_else(|| BadRequest(format!("unknown error code {code:?}")))?;
            Some((containing.to_owned(), code))
        }
        None => None,
    };
    let refused = state.refused_posts().set(rule);
    Ok(Json(json!({ "refused": refused })).into_response())
}

/// The rule `/test/refuse-posts` set, and how many posts it refused.
#[derive(Debug, Default)]
pub(crate) struct RefusedPosts {
    state: Mutex<Refusing>,
}

#[derive(Debug, Default)]
struct Refusing {
    /// The text a refused post contains, and the code it is refused with.
    rule: Option<(String, ErrorCode)>,
    refused: u64,
}

impl RefusedPosts {
    /// Sets (or with `None` clears) the rule; returns how many posts were refused so far.
    fn set(&self, rule: Option<(String, ErrorCode)>) -> u64 {
        let mut state = self.lock();
        state.rule = rule;
        state.refused
    }

    /// The rejection for this post, if the rule refuses it.
    pub(crate) fn check(&self, id: &str, content: &Content) -> Option<Rejection> {
        let Content::Text(text) = content else {
            return None;
        };
        let mut state = self.lock();
        let (containing, code) = state.rule.as_ref()?;
        if !text.contains(containing.as_str()) {
            return None;
        }
        let (containing, code) = (containing.clone(), *code);
        state.refused += 1;
        let message = format!("refused by GET /test/refuse-posts (any text with {containing:?})");
        Some(Rejection::new(code, message).about(Some(id)))
    }

    fn lock(&self) -> MutexGuard<'_, Refusing> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn closed_port() -> Response {
    let bound = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await;
    match bound.and_then(|listener| listener.local_addr()) {
        Ok(address) => Json(json!({ "port": address.port() })).into_response(),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not bind a port: {error}"),
        )
            .into_response(),
    }
}
