//! How tagged echo connections ended (`/echo?tag=T`), for `GET /test/close-seen`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ws::CloseFrame;
use serde_json::{Value, json};
use tokio::sync::watch;

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The client sent a Close frame; `code` is `None` for a Close without a body.
    Close { code: Option<u16>, reason: String },
    /// The connection ended without a Close frame from the client.
    Dropped,
}

#[derive(Debug, Default)]
pub(crate) struct CloseLog {
    tags: Mutex<HashMap<String, watch::Sender<Option<Ending>>>>,
}

impl CloseLog {
    fn entry(&self, tag: &str) -> watch::Sender<Option<Ending>> {
        let mut tags = self.tags.lock().unwrap_or_else(PoisonError::into_inner);
        tags.entry(tag.to_owned())
            .or_insert_with(|| watch::Sender::new(None))
            .clone()
    }

    /// Starts recording a connection opened with `tag`, forgetting how an earlier one ended.
    pub(crate) fn open(&self, tag: &str) -> TagRecorder {
        let sender = self.entry(tag);
        sender.send_replace(None);
        TagRecorder {
            sender,
            close: None,
        }
    }

    /// Waits until the connection tagged `tag` has ended, or `timeout` passes.
    pub(crate) async fn wait(&self, tag: &str, timeout: Duration) -> Option<Ending> {
        let mut ending = self.entry(tag).subscribe();
        match tokio::time::timeout(timeout, ending.wait_for(Option::is_some)).await {
            Ok(Ok(ending)) => ending.clone(),
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

/// Records how one tagged connection ends: a Close frame if [`TagRecorder::close`] was called,
/// dropped otherwise, when it is dropped.
#[must_use = "the ending is recorded when this is dropped"]
#[derive(Debug)]
pub(crate) struct TagRecorder {
    sender: watch::Sender<Option<Ending>>,
    close: Option<Ending>,
}

impl TagRecorder {
    pub(crate) fn close(&mut self, frame: Option<&CloseFrame>) {
        self.close = Some(Ending::Close {
            code: frame.map(|frame| frame.code),
            reason: frame
                .map(|frame| frame.reason.to_string())
                .unwrap_or_default(),
        });
    }
}

impl Drop for TagRecorder {
    fn drop(&mut self) {
        let ending = self.close.take().unwrap_or(Ending::Dropped);
        self.sender.send_replace(Some(ending));
    }
}

/// The JSON answer of `GET /test/close-seen`.
pub(crate) fn to_json(ending: Option<&Ending>) -> Value {
    match ending {
        Some(Ending::Close { code, reason }) => {
            json!({ "state": "close", "code": code, "reason": reason })
        }
        Some(Ending::Dropped) => json!({ "state": "dropped" }),
        None => json!({ "state": "timeout" }),
    }
}
