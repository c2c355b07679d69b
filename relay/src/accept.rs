//! The accept loop: every TCP connection is admitted under the connection caps, given a deadline
//! for its request headers, and served as HTTP/1.1 with upgrades until the relay stops.
//!
//! axum's own `serve` has no header-read timeout (hyper needs a timer for one) and no way to
//! refuse a connection before it is served, so the relay runs hyper itself.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::AppState;

/// The `Retry-After` of a connection refused for a cap, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// How long a refused connection may take to send the request it is refused: it is not counted,
/// so it must not last.
const REFUSED_HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// The connections this relay holds, overall and per client address.
#[derive(Debug, Default)]
pub(crate) struct Admissions {
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The relay holds `--max-connections` already.
    Full,
    /// This client address holds `--max-connections-per-address` already.
    AddressFull,
}

impl Refused {
    fn body(self) -> &'static str {
        match self {
            Self::Full => "the relay holds as many connections as it may (--max-connections)\n",
            Self::AddressFull => {
                "this address holds as many connections as it may (--max-connections-per-address)\n"
            }
        }
    }
}

impl Admissions {
    fn lock(&self) -> MutexGuard<'_, Counts> {
        lock(&self.counts)
    }

    /// Counts a connection from `ip` if both caps allow it; it is uncounted when the returned
    /// ticket is dropped.
    pub(crate) fn admit(
        &self,
        ip: IpAddr,
        max: usize,
        per_address: usize,
    ) -> Result<Ticket, Refused> {
        let address = address_key(ip);
        let mut counts = self.lock();
        if counts.total >= max {
            return Err(Refused::Full);
        }
        let held = counts.by_address.entry(address).or_default();
        if *held >= per_address {
            return Err(Refused::AddressFull);
        }
        *held += 1;
        counts.total += 1;
        Ok(Ticket {
            counts: Arc::clone(&self.counts),
            address,
        })
    }

    /// The connections held now, every kind (HTTP and upgraded) included.
    pub(crate) fn held(&self) -> usize {
        self.lock().total
    }
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The address a client is counted under: its IPv4 address, or the /64 of its IPv6 address (one
/// host is usually given a whole /64, so counting single IPv6 addresses would cap nobody).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

/// One admitted connection; it stops counting when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    counts: Arc<Mutex<Counts>>,
    address: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.by_address.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

/// A TCP connection with its ticket: a WebSocket keeps the connection (inside hyper's
/// `Upgraded`) after HTTP is done with it, and stays counted until it is dropped.
#[derive(Debug)]
struct Admitted {
    tcp: TcpStream,
    _ticket: Ticket,
}

impl AsyncRead for Admitted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Admitted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Accepts connections on `listener` and serves `app` on each until `state` is stopping; then
/// closes the listener, asks every HTTP connection to finish, and returns once they all have
/// (upgraded connections are not waited for here: see [`crate::serve`]).
pub(crate) async fn run(listener: TcpListener, state: AppState, app: Router) {
    let config = state.config();
    let mut served = http1::Builder::new();
    served
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let mut refused = http1::Builder::new();
    refused
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSED_HEADER_TIMEOUT)
        .keep_alive(false);
    let (max, per_address) = (config.max_connections, config.max_connections_per_address);
    // Each connection's task holds a receiver: once all are dropped, every connection is done.
    let (done, connection_held) = watch::channel(());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
            () = state.stopping() => break,
        };
        // Every frame goes out as soon as it is written: Nagle's algorithm would hold a small
        // frame back until the peer acknowledges the one before, up to its delayed ACK (40 ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
        }
        let held = connection_held.clone();
        match state.admissions().admit(peer.ip(), max, per_address) {
            Ok(ticket) => {
                let io = TokioIo::new(Admitted {
                    tcp,
                    _ticket: ticket,
                });
                let app = app.clone();
                let service = service_fn(move |request: Request<Incoming>| {
                    let mut request = request.map(Body::new);
                    request.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(request)
                });
                let connection = served.serve_connection(io, service).with_upgrades();
                let stopping = state.clone();
                tokio::spawn(async move {
                    let mut connection = pin!(connection);
                    tokio::select! {
                        served = connection.as_mut() => log_failure(served),
                        () = stopping.stopping() => {
                            connection.as_mut().graceful_shutdown();
                            log_failure(connection.await);
                        }
                    }
                    drop(held);
                });
            }
            Err(why) => {
                tracing::info!(%peer, ?why, "connection refused: answered 503");
                let service = service_fn(move |_: Request<Incoming>| async move {
                    Ok::<_, Infallible>(refusal(why))
                });
                let connection = refused.serve_connection(TokioIo::new(tcp), service);
                tokio::spawn(async move {
                    log_failure(connection.await);
                    drop(held);
                });
            }
        }
    }
    drop((listener, connection_held));
    done.closed().await;
}

/// 503 with `Retry-After`, for a connection over a cap.
fn refusal(why: Refused) -> Response<Body> {
    let mut response = Response::new(Body::from(why.body()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn log_failure(served: Result<(), hyper::Error>) {
    if let Err(error) = served {
        tracing::debug!(%error, "a connection ended with an error");
    }
}

/// Waits a little after an accept error that is not about one connection: out of file
/// descriptors (`EMFILE`), the error repeats at once until some connection closes.
async fn pause_after(error: &io::Error) {
    let one_connection = matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    );
    if !one_connection {
        tracing::error!(%error, "cannot accept a connection: pausing 100 ms");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn caps_count_per_address_and_overall() {
        let admissions = Admissions::default();
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let first = admissions.admit(a, 3, 2).expect("first");
        let second = admissions.admit(a, 3, 2).expect("second");
        assert_eq!(admissions.admit(a, 3, 2).err(), Some(Refused::AddressFull));
        let third = admissions.admit(b, 3, 2).expect("another address");
        assert_eq!(admissions.admit(b, 3, 2).err(), Some(Refused::Full));
        assert_eq!(admissions.held(), 3);
        drop(first);
        let again = admissions.admit(a, 3, 2).expect("a slot was freed");
        drop((second, third, again));
        assert_eq!(admissions.held(), 0);
        assert!(admissions.lock().by_address.is_empty());
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let other: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let next: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(address_key(one), address_key(other));
        assert_ne!(address_key(one), address_key(next));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("mapped");
        assert_eq!(address_key(mapped), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    }
}
