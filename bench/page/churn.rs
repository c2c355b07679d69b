//! Connection churn: how fast sockets are opened, closed and released. `sockets` opens and closes batches of
//! callback-layer sockets; `reconnect` runs one `ReconnectingWebSocket` through a relay that closes every
//! connection as soon as it opens.

use core::time::Duration;

use duplex_ws::{
    Backoff, CloseCode, CloseInfo, ConnectionState, Endpoint, ReconnectOptions,
    ReconnectingWebSocket, WebSocket,
};

use crate::mailbox::Mailbox;
use crate::timing::Clock;

/// What one socket of a batch reports.
enum Event {
    Open,
    Closed(CloseInfo),
}

/// [`churn_sockets`](crate::churn_sockets): `batch` sockets at a time until `total` were opened.
pub async fn sockets(clock: &Clock, url: &str, total: u32, batch: u32) -> Result<f64, String> {
    if batch == 0 && total > 0 {
        return Err("the batch size must be at least 1".to_owned());
    }
    let t0 = clock.now();
    let mut opened = 0;
    while opened < total {
        let size = batch.min(total - opened);
        let events = Mailbox::new();
        let mut sockets = Vec::new();
        for _ in 0..size {
            let socket = WebSocket::connect(url)
                .map_err(|error| format!("could not connect to {url}: {error}"))?;
            // The socket releases these handlers when it closes (or is dropped, on an error).
            let (on_open, on_close) = (events.clone(), events.clone());
            socket.on_open(move || on_open.push(Event::Open)).keep();
            socket
                .on_close(move |info| on_close.push(Event::Closed(info)))
                .keep();
            sockets.push(socket);
        }
        for _ in 0..size {
            if let Event::Closed(info) = events.next().await {
                return Err(format!(
                    "a socket to {url} closed before opening (after {opened} opened): {info}"
                ));
            }
            opened += 1;
        }
        for socket in &sockets {
            socket
                .close_with(CloseCode::Normal, "")
                .map_err(|error| format!("could not close: {error}"))?;
        }
        for _ in 0..size {
            events.next().await;
        }
        drop(sockets);
    }
    Ok(clock.now() - t0)
}

/// What the reconnecting socket's state handler reports.
enum Progress {
    /// The socket has opened `cycles` times.
    Reached,
    Closed(CloseInfo),
}

/// [`churn_reconnect`](crate::churn_reconnect): one reconnecting socket until it has opened `cycles` times.
pub async fn reconnect(clock: &Clock, url: &str, cycles: u32) -> Result<f64, String> {
    // As the crate's 1,000-cycle test: reconnect almost at once, and never reset the attempt count.
    let options = ReconnectOptions::new()
        .backoff(
            Backoff::default()
                .min_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        )
        .min_uptime(Duration::from_secs(60));
    let t0 = clock.now();
    let socket = ReconnectingWebSocket::connect(Endpoint::new(url), options)
        .map_err(|error| format!("could not connect to {url}: {error}"))?;
    let progress = Mailbox::new();
    let report = progress.clone();
    let mut opens = 0;
    let states = socket.on_state(move |state| match state {
        ConnectionState::Open => {
            opens += 1;
            if opens == cycles {
                report.push(Progress::Reached);
            }
        }
        ConnectionState::Closed { info } => report.push(Progress::Closed(info)),
        ConnectionState::Connecting { .. } | ConnectionState::Backoff { .. } => {}
    });
    if let Progress::Closed(info) = progress.next().await {
        return Err(format!("{url} stopped reconnecting: {info}"));
    }
    socket
        .close()
        .map_err(|error| format!("could not close: {error}"))?;
    while let Progress::Reached = progress.next().await {}
    let t1 = clock.now();
    drop((states, socket));
    Ok(t1 - t0)
}
