//! [`Ledger`]: what this page sent and has not seen acknowledged, and what it has shown, so that every
//! message appears exactly once however often the connection comes back.

use std::collections::HashSet;

use web_sys::Blob;

/// A message of ours the relay has not echoed back yet.
#[derive(Debug, Clone)]
pub enum Pending {
    Say {
        id: String,
        text: String,
    },
    Image {
        id: String,
        mime: String,
        blob: Blob,
    },
}

impl Pending {
    pub fn id(&self) -> &str {
        match self {
            Self::Say { id, .. } | Self::Image { id, .. } => id,
        }
    }
}

#[derive(Debug, Default)]
pub struct Ledger {
    pending: Vec<Pending>,
    shown: HashSet<(String, String)>,
}

impl Ledger {
    pub fn add(&mut self, pending: Pending) {
        self.pending.push(pending);
    }

    /// Everything still unacknowledged, oldest first, to (re-)send after a join.
    pub fn pending(&self) -> Vec<Pending> {
        self.pending.clone()
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Records a broadcast of `(from, id)`: whether it is new (to be shown), and whether it acknowledged
    /// one of ours.
    pub fn arrived(&mut self, me: &str, from: &str, id: &str) -> Arrival {
        let acknowledged = from == me && {
            let before = self.pending.len();
            self.pending.retain(|p| p.id() != id);
            self.pending.len() < before
        };
        let new = self.shown.insert((from.to_owned(), id.to_owned()));
        Arrival { new, acknowledged }
    }
}

/// What a broadcast meant for this page.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// Not shown before.
    pub new: bool,
    /// It was one of our pending messages.
    pub acknowledged: bool,
}
