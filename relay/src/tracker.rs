//! The registry of live WebSocket connections: counts them, logs each one's opening and end,
//! and drops them all on request.

use std::future::{Future, pending};
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use crate::logging::Conn;

#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    live: watch::Sender<usize>,
    drop_all: watch::Sender<u64>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self {
            live: watch::Sender::new(0),
            drop_all: watch::Sender::new(0),
        }
    }
}

impl Tracker {
    pub(crate) fn live(&self) -> usize {
        *self.live.borrow()
    }

    /// Runs one connection's work as a live connection, in `conn`'s span, logging `opened` and
    /// then `closed`; returns early, dropping `work` (and so the socket it owns, without a Close
    /// frame), when [`Tracker::drop_all`] is called, and logs `dropped`.
    pub(crate) async fn run(&self, conn: Conn, work: impl Future<Output = ()>) {
        let span = conn.span().clone();
        async {
            tracing::info!("opened");
            let mut connection = self.register();
            tokio::select! {
                () = work => tracing::info!("closed"),
                () = connection.dropped() => tracing::info!("dropped (drop-all or shutdown)"),
            }
        }
        .instrument(span)
        .await;
    }

    /// Drops every live connection; returns how many there were.
    pub(crate) fn drop_all(&self) -> usize {
        let live = self.live();
        self.drop_all.send_modify(|generation| *generation += 1);
        live
    }

    /// Waits until exactly `target` connections are live, or `timeout` passes; returns the
    /// count at that moment.
    pub(crate) async fn wait_for(&self, target: usize, timeout: Duration) -> usize {
        let mut live = self.live.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail while we wait.
        let _ = tokio::time::timeout(timeout, live.wait_for(|&n| n == target)).await;
        self.live()
    }

    fn register(&self) -> Connection {
        self.live.send_modify(|n| *n += 1);
        Connection {
            live: self.live.clone(),
            drop_all: self.drop_all.subscribe(),
        }
    }
}

#[must_use = "the connection stops counting as live when this is dropped"]
struct Connection {
    live: watch::Sender<usize>,
    drop_all: watch::Receiver<u64>,
}

impl Connection {
    async fn dropped(&mut self) {
        if self.drop_all.changed().await.is_err() {
            pending::<()>().await;
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.live.send_modify(|n| *n = n.saturating_sub(1));
    }
}
