//! [`Writer`]: the writing half of one `/chat` connection, on a task of its own.
//!
//! A connection is woken once for every frame the rooms queue for it. Were reading and writing
//! one task, each of those wake-ups would also poll the reading half, which costs a read attempt
//! (tungstenite zeroes its read buffer before each one) for nothing; on its own task the
//! writer's wake-ups touch only the queue and the socket.

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::budget::Held;
use crate::echo::CLOSE_TIMEOUT;
use crate::logging;

/// What the rooms queued for one connection: its welcome, which goes before anything queued
/// after it, and everything else, bounded.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) welcomes: mpsc::UnboundedReceiver<Greeting>,
    pub(crate) queued: mpsc::Receiver<Message>,
}

impl Queued {
    /// What to write next, the welcome first; `None` once nothing more can come.
    async fn next(&mut self) -> Option<Next> {
        tokio::select! {
            biased;
            Some(welcome) = self.welcomes.recv() => Some(Next::Welcome(welcome)),
            message = self.queued.recv() => message.map(Next::Frame),
        }
    }

    /// What is queued already, without waiting (the welcomes' shares of the budget are given
    /// back as they are taken: this is only for the last frames before a Close).
    fn ready(&mut self) -> Vec<Message> {
        let mut ready = Vec::new();
        while let Ok(welcome) = self.welcomes.try_recv() {
            ready.extend(welcome.frames);
        }
        while let Ok(message) = self.queued.try_recv() {
            ready.push(message);
        }
        ready
    }

    fn is_empty(&self) -> bool {
        self.welcomes.is_empty() && self.queued.is_empty()
    }
}

/// A welcome's frames (its object, then its images), and the share of the welcome budget they
/// hold until written.
#[derive(Debug)]
pub(crate) struct Greeting {
    pub(crate) frames: Vec<Message>,
    pub(crate) held: Held,
}

/// A welcome, or one frame: one frame needs no list of its own on the way out.
#[derive(Debug)]
enum Next {
    Welcome(Greeting),
    Frame(Message),
}

/// The task writing one connection's frames; aborted when dropped, so a connection that is
/// dropped (`/test/drop-all`, a shutdown past its grace) takes its writer with it.
#[derive(Debug)]
pub(crate) struct Writer {
    /// Ends with whether the connection's Close frame was written.
    task: JoinHandle<bool>,
    close: Option<oneshot::Sender<CloseFrame>>,
}

impl Writer {
    /// Starts writing what `queued` receives to `sink`, in the current span.
    pub(crate) fn spawn(sink: SplitSink<WebSocket, Message>, queued: Queued) -> Self {
        let (close, closing) = oneshot::channel();
        let task = tokio::spawn(run(sink, queued, closing).in_current_span());
        Self {
            task,
            close: Some(close),
        }
    }

    /// Resolves once writing has failed: the connection is gone.
    pub(crate) async fn failed(&mut self) {
        let _ = (&mut self.task).await;
    }

    /// Writes what is still queued (unless the client is too slow to take it, 1013), then
    /// `frame`; waits until it is written, at most [`CLOSE_TIMEOUT`]. True when it was.
    pub(crate) async fn close(mut self, frame: CloseFrame) -> bool {
        let Some(close) = self.close.take() else {
            return false;
        };
        if close.send(frame).is_err() {
            return false;
        }
        match tokio::time::timeout(CLOSE_TIMEOUT, &mut self.task).await {
            Ok(written) => written.unwrap_or(false),
            Err(_) => {
                logging::failed(&"the Close frame could not be sent in time");
                false
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Writes queued frames in order, flushing whenever the queue is empty, until a write fails
/// (false) or the connection is to close (whether its Close frame was written).
async fn run(
    mut sink: SplitSink<WebSocket, Message>,
    mut queued: Queued,
    mut closing: oneshot::Receiver<CloseFrame>,
) -> bool {
    loop {
        let next = tokio::select! {
            biased;
            frame = &mut closing => return close(&mut sink, &mut queued, frame.ok()).await,
            next = queued.next() => next,
        };
        let Some(next) = next else {
            // The rooms let go of this connection: only its Close is still to come.
            return close(&mut sink, &mut queued, closing.await.ok()).await;
        };
        let (fed, held) = match next {
            Next::Frame(frame) => (sink.feed(frame).await, None),
            Next::Welcome(welcome) => (
                feed_all(&mut sink, welcome.frames).await,
                Some(welcome.held),
            ),
        };
        let written = match fed {
            Ok(()) if queued.is_empty() || held.is_some() => sink.flush().await,
            fed => fed,
        };
        // Written out: the welcome's memory is free again.
        drop(held);
        if let Err(error) = written {
            logging::failed(&error);
            return false;
        }
    }
}

/// Sends what is still queued (unless `frame` is 1013: the client is too slow to take it), then
/// `frame`; nothing when there is no frame (the connection is being dropped). True when the
/// Close frame was written.
async fn close(
    sink: &mut SplitSink<WebSocket, Message>,
    queued: &mut Queued,
    frame: Option<CloseFrame>,
) -> bool {
    let Some(frame) = frame else { return false };
    let flush_queue = frame.code != close_code::AGAIN;
    let send = async {
        if flush_queue {
            feed_all(sink, queued.ready()).await?;
        }
        sink.send(Message::Close(Some(frame))).await
    };
    match send.await {
        Ok(()) => true,
        Err(error) => {
            logging::failed(&error);
            false
        }
    }
}

async fn feed_all(
    sink: &mut SplitSink<WebSocket, Message>,
    frames: Vec<Message>,
) -> Result<(), axum::Error> {
    for frame in frames {
        sink.feed(frame).await?;
    }
    Ok(())
}
