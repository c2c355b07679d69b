//! The relay's log: the `tracing` subscriber that `RUST_LOG` filters, a span for every request
//! (method, path, peer address) and, inside it, one for every WebSocket connection (its id, the
//! Close frames sent and received, the error that ended it).
//!
//! A connection logs `opened` once it is upgraded and `closed` (or `dropped`, by
//! `/test/drop-all` or a shutdown past its grace) when it ends; handshakes answered with
//! anything but `101` log `WebSocket handshake refused` with the status and the answer's text.

use std::convert::Infallible;
use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, HttpBody};
use axum::extract::ws::{CloseFrame, close_code};
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use tracing::field::{Empty, display};
use tracing::{Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The filter used when `RUST_LOG` is unset or invalid: the relay's own lines from `info` up.
pub const DEFAULT_FILTER: &str = "duplex_relay=info";

/// The longest refusal text quoted in the log; longer answers are logged without it.
const MAX_REASON: usize = 1024;

/// The relay's log format, writing to `writer` (with colours if `ansi`), filtered by
/// `RUST_LOG` ([`EnvFilter`] syntax), else by [`DEFAULT_FILTER`].
///
/// `duplex-relay` installs it for the process, writing to stderr; a test can set one per thread
/// with [`tracing::subscriber::set_default`] to keep each relay's log in a file of its own.
pub fn subscriber<W>(writer: W, ansi: bool) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .finish()
}

/// The lines of a log file that [`print_tail`] prints.
pub const TAIL_LINES: usize = 40;

/// Prints the path and the last [`TAIL_LINES`] lines of a relay's log file to stderr: for test
/// harnesses that keep each relay's log in a file and show it when a test fails.
pub fn print_tail(log: &std::path::Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
    eprintln!(
        "--- the relay's log, {} (last {} lines):\n{}\n---",
        log.display(),
        tail.len(),
        tail.join("\n")
    );
}

/// The span of one request, for `TraceLayer`: its method, path and the peer's address (known
/// when served with [`crate::serve`]); `origin` is added for WebSocket upgrades.
pub(crate) fn request_span(request: &Request) -> Span {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        peer = Empty,
        origin = Empty,
    );
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        span.record("peer", display(peer));
    }
    span
}

/// A WebSocket connection being opened: the number that tells it from every other connection of
/// the process, and its span, a child of its request's. Every WebSocket handler takes one and
/// hands it to [`crate::tracker::Tracker::run`].
#[derive(Debug)]
pub(crate) struct Conn {
    id: u64,
    span: Span,
}

impl Conn {
    /// The connection's number, also its chat peer id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The span its lines are logged in.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Conn {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Infallible> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!(
            "ws",
            id,
            sent_code = Empty,
            sent_reason = Empty,
            received_code = Empty,
            received_reason = Empty,
            error = Empty,
        );
        Ok(Self { id, span })
    }
}

/// Notes, in the current connection's span, the Close frame the relay sent.
pub(crate) fn sent_close(code: u16, reason: &str) {
    let span = Span::current();
    span.record("sent_code", code);
    span.record("sent_reason", reason);
}

/// Notes, in the current connection's span, the Close frame the client sent; one without a body
/// is noted as [`close_code::STATUS`] (1005), as the browser reports it.
pub(crate) fn received_close(frame: Option<&CloseFrame>) {
    let span = Span::current();
    span.record(
        "received_code",
        frame.map_or(close_code::STATUS, |frame| frame.code),
    );
    span.record(
        "received_reason",
        frame.map_or("", |frame| frame.reason.as_str()),
    );
}

/// Notes, in the current connection's span, the I/O or protocol error that ended it.
pub(crate) fn failed(error: &dyn Display) {
    Span::current().record("error", error.to_string().as_str());
}

/// Logs an upgrade answered with something else than `101`, quoting a short plain-text answer
/// as the reason, and gives the answer back unchanged.
pub(crate) async fn refused(response: Response) -> Response {
    let status = response.status().as_u16();
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/plain"));
    let short = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|size| size <= MAX_REASON as u64);
    if !(is_text && short) {
        tracing::info!(status, "WebSocket handshake refused");
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_REASON).await {
        Ok(text) => {
            let reason = String::from_utf8_lossy(&text);
            tracing::info!(
                status,
                reason = reason.trim_end(),
                "WebSocket handshake refused"
            );
            Response::from_parts(parts, Body::from(text))
        }
        Err(error) => {
            tracing::warn!(status, %error, "WebSocket handshake refused; its answer could not be read");
            Response::from_parts(parts, Body::empty())
        }
    }
}
