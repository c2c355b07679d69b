//! [`Resume`]: where this page stopped reading its room, so that a rejoin asks the relay for exactly
//! the posts it missed (`since` in the join, docs/protocol.md), and what a welcome says about them.

use duplex_chat_protocol::Since;

/// The room's `epoch` from the last welcome and the last `seq` this page has seen in it.
#[derive(Debug, Default)]
pub struct Resume {
    /// `None` until the first welcome.
    epoch: Option<String>,
    /// The highest `seq` seen since that welcome (its own `seq` included).
    seq: u64,
    /// The `since` of the join now waiting for its welcome.
    asked: Option<Since>,
}

/// What a welcome meant for the messages already on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resumed {
    /// The room's history was reset: what the page shows belongs to an older epoch.
    pub reset: bool,
    /// How many posts could not be recovered, when the welcome's history is incomplete.
    pub missed: Option<u64>,
}

impl Resume {
    /// The `since` of a (re)join, remembered for its welcome; `None` before the first welcome.
    ///
    /// `waiting` is the `seq` of the oldest image whose bytes had not arrived when the connection
    /// ended: it was not shown, so the page asks again from just before it.
    pub fn rejoin(&mut self, waiting: Option<u64>) -> Option<Since> {
        let seq = waiting.map_or(self.seq, |image| self.seq.min(image.saturating_sub(1)));
        self.asked = self.epoch.clone().map(|epoch| Since { seq, epoch });
        self.asked.clone()
    }

    /// A post numbered `seq` arrived.
    pub fn saw(&mut self, seq: u64) {
        self.seq = self.seq.max(seq);
    }

    /// A welcome for the room's `epoch`, whose latest post is `seq` and whose history starts at
    /// `first` (`None` when empty) and is `complete` or not. From now on the page is at `seq`.
    pub fn welcome(
        &mut self,
        epoch: &str,
        seq: u64,
        first: Option<u64>,
        complete: bool,
    ) -> Resumed {
        let reset = self.epoch.as_deref().is_some_and(|known| known != epoch);
        let asked = self.asked.take();
        // Posts after `base` were asked for: after the join's `since`, or after 0 in a new epoch.
        let base = asked
            .as_ref()
            .filter(|since| since.epoch == epoch)
            .map_or(0, |since| since.seq);
        let first = first.unwrap_or(seq + 1);
        let missed = (asked.is_some() && !complete).then(|| first.saturating_sub(base + 1));
        self.epoch = Some(epoch.to_owned());
        self.seq = seq;
        Resumed { reset, missed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since(seq: u64, epoch: &str) -> Option<Since> {
        Some(Since {
            seq,
            epoch: epoch.to_owned(),
        })
    }

    const FINE: Resumed = Resumed {
        reset: false,
        missed: None,
    };

    #[test]
    fn the_first_join_has_no_since_and_an_incomplete_history_is_fine() {
        let mut resume = Resume::default();
        assert_eq!(resume.rejoin(None), None);
        assert_eq!(resume.welcome("e1", 80, Some(31), false), FINE);
        assert_eq!(resume.rejoin(None), since(80, "e1"));
    }

    #[test]
    fn a_rejoin_asks_from_the_last_post_seen() {
        let mut resume = Resume::default();
        resume.welcome("e1", 0, None, true);
        resume.saw(1);
        resume.saw(3);
        assert_eq!(resume.rejoin(None), since(3, "e1"));
        assert_eq!(resume.welcome("e1", 203, Some(4), true), FINE);
        assert_eq!(resume.rejoin(None), since(203, "e1"));
    }

    #[test]
    fn an_image_without_its_bytes_is_asked_for_again() {
        let mut resume = Resume::default();
        resume.welcome("e1", 5, Some(1), true);
        resume.saw(7);
        assert_eq!(resume.rejoin(Some(6)), since(5, "e1"));
    }

    #[test]
    fn missed_posts_are_counted_from_the_since() {
        let mut resume = Resume::default();
        resume.welcome("e1", 10, Some(1), true);
        resume.rejoin(None);
        let resumed = resume.welcome("e1", 2000, Some(1001), false);
        assert_eq!(resumed.missed, Some(990));
        assert!(!resumed.reset);
    }

    #[test]
    fn a_new_epoch_is_a_reset() {
        let mut resume = Resume::default();
        resume.welcome("e1", 10, Some(1), true);
        resume.rejoin(None);
        let resumed = resume.welcome("e2", 2, Some(1), true);
        assert_eq!(
            resumed,
            Resumed {
                reset: true,
                missed: None
            }
        );
        assert_eq!(resume.rejoin(None), since(2, "e2"));
        let resumed = resume.welcome("e3", 60, Some(11), false);
        assert_eq!(resumed.missed, Some(10));
    }
}
