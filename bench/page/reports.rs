//! What a connection's handlers report to the task that waits for a run, and how that task waits: shared by the
//! two callback clients, duplex-ws's and the one on plain web-sys, so that both are timed the same way.

use crate::mailbox::Mailbox;

/// One report of a connection's handlers.
pub enum Report<T> {
    /// The socket opened.
    Open,
    /// The message handler's result: a time, or the round trips.
    Done(Result<T, String>),
    /// The socket closed, as the client describes it.
    Closed(String),
}

impl<T> Mailbox<Report<T>> {
    /// Waits until the socket to `url` is open; closing first is an error.
    pub async fn opened(&self, url: &str) -> Result<(), String> {
        match self.next().await {
            Report::Open => Ok(()),
            Report::Closed(close) => Err(format!("{url} closed before opening: {close}")),
            Report::Done(_) => Err(format!("{url} reported a result before opening")),
        }
    }

    /// Waits for the message handler's result; the socket to `url` closing first is an error.
    pub async fn result(&self, url: &str) -> Result<T, String> {
        loop {
            match self.next().await {
                Report::Done(result) => return result,
                Report::Closed(close) => {
                    return Err(format!("{url} closed before the end: {close}"));
                }
                Report::Open => {}
            }
        }
    }

    /// Waits until the socket has closed: at once if `is_closed` says so, else for the close report.
    pub async fn closed(&self, is_closed: impl Fn() -> bool) {
        while !is_closed() {
            if let Report::Closed(_) = self.next().await {
                return;
            }
        }
    }
}
