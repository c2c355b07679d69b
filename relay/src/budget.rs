//! The memory that welcomes may hold at once: a joining page's history is read from the store
//! into memory and stays there until its connection has written it, so a thousand pages
//! resuming at once would otherwise hold a thousand histories of up to 64 MiB of images each.
//!
//! Each welcome holds its weight (the bytes of its images and texts, see [`weight`]) from the
//! moment it is read until it is written out; a join whose welcome does not fit now is turned
//! away (the connection is closed with 1013, and the page comes back after its backoff).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::rooms::Welcome;
use crate::store::{History, Stored};

/// What a post weighs besides its text and bytes: its JSON object's other fields.
const POST_OVERHEAD: usize = 256;

/// The memory welcomes may hold at once, counted in KiB.
#[derive(Debug, Clone)]
pub(crate) struct WelcomeBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
}

/// A welcome's share of the budget, given back when dropped (once the welcome is written).
#[derive(Debug)]
pub(crate) struct Held {
    _kib: Option<OwnedSemaphorePermit>,
}

impl WelcomeBudget {
    /// A budget of `bytes`, at least 1 KiB.
    pub(crate) fn new(bytes: u64) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
        Self {
            kib: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }

    /// `history` as a welcome holding its weight of the budget ([`weight`]), if that is free
    /// now.
    pub(crate) fn welcome(&self, history: History) -> Option<Welcome> {
        let held = self.hold(weight(&history))?;
        Some(Welcome::of(history, held))
    }

    /// Takes `bytes` of the budget if they are free now; a welcome heavier than the whole
    /// budget takes all of it (it waits for an empty budget, but is never impossible).
    fn hold(&self, bytes: usize) -> Option<Held> {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        let kib = kib.min(self.total_kib);
        if kib == 0 {
            return Some(Held { _kib: None });
        }
        let permit = Arc::clone(&self.kib).try_acquire_many_owned(kib).ok()?;
        Some(Held { _kib: Some(permit) })
    }

    /// The bytes free now.
    #[cfg(test)]
    fn free(&self) -> usize {
        self.kib.available_permits() * 1024
    }
}

/// What `history` weighs in memory once read: its images' bytes, its texts, and a little for
/// each post's other fields.
fn weight(history: &History) -> usize {
    history.posts.iter().map(post_weight).sum()
}

fn post_weight(stored: &Stored) -> usize {
    let text = match &stored.post {
        crate::protocol::Post::Message(message) => message.text.len(),
        crate::protocol::Post::Image(_) => 0,
    };
    let bytes = stored.bytes.as_ref().map_or(0, |bytes| bytes.len());
    POST_OVERHEAD + text + bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcomes_hold_their_weight_until_dropped() {
        let budget = WelcomeBudget::new(10 * 1024);
        let first = budget.hold(6 * 1024).expect("fits");
        assert!(budget.hold(6 * 1024).is_none(), "only 4 KiB are free");
        let small = budget.hold(4 * 1024).expect("fits exactly");
        assert_eq!(budget.free(), 0);
        drop((first, small));
        assert_eq!(budget.free(), 10 * 1024);
        // Heavier than the whole budget: takes all of it, once all of it is free.
        let all = budget.hold(1 << 30).expect("the whole budget");
        assert!(budget.hold(1).is_none());
        drop(all);
        assert!(budget.hold(0).is_some());
    }
}
