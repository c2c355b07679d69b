//! [`Ledger`]: what this page sent and has not seen acknowledged, and what it has shown, so that every
//! message appears exactly once however often the connection comes back, and a post the relay refused
//! for what it is never goes out again on its own.

use std::collections::HashSet;

use duplex_chat_protocol::ErrorCode;
use web_sys::Blob;

/// How many connections closed with 1008 (policy violation) while a post was sent and unanswered
/// make it failed: once may be a neighbour's fault, twice is the post's.
const POLICY_CLOSES_TO_FAIL: u8 = 2;

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

/// Where one of our posts stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not on the current connection yet: sent after the next join (or the rate limit's pause).
    Unsent,
    /// Sent on the current connection, no answer yet.
    Sent,
    /// Refused for what it is (or it twice preceded a 1008): kept for the person, never re-sent.
    Failed(String),
}

#[derive(Debug)]
struct Entry {
    post: Pending,
    status: Status,
    policy_closes: u8,
}

/// What an `error` frame meant for one of our posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not one of ours still waiting (an old id, or no id).
    Unknown,
    /// Refused for the moment: it goes out again, after a pause when `pause` is set (too fast, or
    /// an image cut off on the same connection), else after the next join.
    Retry { pause: bool },
    /// Refused for what it is, with the reason to show.
    Failed(String),
}

#[derive(Debug, Default)]
pub struct Ledger {
    entries: Vec<Entry>,
    shown: HashSet<(String, String)>,
}

impl Ledger {
    /// A new post, unsent.
    pub fn add(&mut self, post: Pending) {
        self.entries.push(Entry {
            post,
            status: Status::Unsent,
            policy_closes: 0,
        });
    }

    /// The posts to send now, oldest first, marked sent: after a join every one still waiting
    /// (`all`), else only the unsent ones. Failed posts never go out again.
    pub fn outgoing(&mut self, all: bool) -> Vec<Pending> {
        self.entries
            .iter_mut()
            .filter(|entry| match entry.status {
                Status::Unsent => true,
                Status::Sent => all,
                Status::Failed(_) => false,
            })
            .map(|entry| {
                entry.status = Status::Sent;
                entry.post.clone()
            })
            .collect()
    }

    /// The posts still waiting for the relay (failed ones not included).
    pub fn pending_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| !matches!(entry.status, Status::Failed(_)))
            .count()
    }

    /// Records an `error` frame about our post `id`.
    pub fn refused(&mut self, id: &str, code: ErrorCode, message: &str) -> Refusal {
        let Some(entry) = self.entries.iter_mut().find(|entry| entry.post.id() == id) else {
            return Refusal::Unknown;
        };
        if matches!(entry.status, Status::Failed(_)) {
            return Refusal::Unknown;
        }
        if code.is_retryable() {
            entry.status = Status::Unsent;
            return Refusal::Retry {
                pause: matches!(code, ErrorCode::RateLimited | ErrorCode::ExpectedBinary),
            };
        }
        let reason = format!("{message} ({code})");
        entry.status = Status::Failed(reason.clone());
        Refusal::Failed(reason)
    }

    /// The connection was closed with 1008: every post sent on it and still unanswered gets a
    /// strike, and fails at [`POLICY_CLOSES_TO_FAIL`]. Returns the posts that failed, with why.
    pub fn closed_by_policy(&mut self) -> Vec<(String, String)> {
        let mut failed = Vec::new();
        for entry in &mut self.entries {
            if entry.status != Status::Sent {
                continue;
            }
            entry.policy_closes += 1;
            if entry.policy_closes >= POLICY_CLOSES_TO_FAIL {
                let reason = format!(
                    "the relay closed the connection (policy violation) {POLICY_CLOSES_TO_FAIL} \
                     times while this was unanswered"
                );
                entry.status = Status::Failed(reason.clone());
                failed.push((entry.post.id().to_owned(), reason));
            }
        }
        failed
    }

    /// Forgets our post `id` (the person removed or took it back to edit it).
    pub fn remove(&mut self, id: &str) -> Option<Pending> {
        let index = self
            .entries
            .iter()
            .position(|entry| entry.post.id() == id)?;
        Some(self.entries.remove(index).post)
    }

    /// Records a broadcast of `(from, id)`: whether it is new (to be shown), and whether it acknowledged
    /// one of ours.
    pub fn arrived(&mut self, me: &str, from: &str, id: &str) -> Arrival {
        let acknowledged = from == me && self.remove(id).is_some();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn say(id: &str) -> Pending {
        Pending::Say {
            id: id.to_owned(),
            text: format!("text of {id}"),
        }
    }

    /// Where our post `id` stands, if the ledger still holds it.
    fn status<'a>(ledger: &'a Ledger, id: &str) -> Option<&'a Status> {
        ledger
            .entries
            .iter()
            .find(|entry| entry.post.id() == id)
            .map(|entry| &entry.status)
    }

    fn ids(posts: &[Pending]) -> Vec<&str> {
        posts.iter().map(Pending::id).collect()
    }

    /// A ledger holding `a` and `b`, both sent on the current connection.
    fn sent_two() -> Ledger {
        let mut ledger = Ledger::default();
        ledger.add(say("a"));
        ledger.add(say("b"));
        assert_eq!(ids(&ledger.outgoing(false)), ["a", "b"]);
        ledger
    }

    #[test]
    fn a_post_is_sent_once_per_connection_and_again_after_a_join() {
        let mut ledger = sent_two();
        assert!(ledger.outgoing(false).is_empty(), "already on the wire");
        assert_eq!(ids(&ledger.outgoing(true)), ["a", "b"], "a rejoin re-sends");
        let arrival = ledger.arrived("me", "me", "a");
        assert!(arrival.acknowledged && arrival.new);
        assert_eq!(ids(&ledger.outgoing(true)), ["b"]);
        assert_eq!(ledger.pending_count(), 1);
    }

    #[test]
    fn every_code_that_refuses_the_post_itself_fails_it_for_good() {
        for code in ErrorCode::ALL
            .into_iter()
            .filter(|code| !code.is_retryable())
        {
            let mut ledger = sent_two();
            let refusal = ledger.refused("a", code, "no");
            assert_eq!(refusal, Refusal::Failed(format!("no ({code})")), "{code}");
            assert!(matches!(status(&ledger, "a"), Some(Status::Failed(_))));
            assert_eq!(ids(&ledger.outgoing(true)), ["b"], "{code}: never re-sent");
            assert_eq!(ledger.pending_count(), 1, "{code}: not in the outbox");
            assert_eq!(
                ledger.refused("a", code, "again"),
                Refusal::Unknown,
                "{code}: a failed post stays as it failed"
            );
        }
    }

    #[test]
    fn every_retryable_code_sends_the_post_again() {
        for code in ErrorCode::ALL
            .into_iter()
            .filter(|code| code.is_retryable())
        {
            let mut ledger = sent_two();
            let refusal = ledger.refused("a", code, "later");
            assert_eq!(
                refusal,
                Refusal::Retry {
                    pause: matches!(code, ErrorCode::RateLimited | ErrorCode::ExpectedBinary)
                },
                "{code}"
            );
            assert_eq!(status(&ledger, "a"), Some(&Status::Unsent), "{code}");
            assert_eq!(ids(&ledger.outgoing(false)), ["a"], "{code}: sent again");
            assert_eq!(ledger.pending_count(), 2, "{code}");
        }
    }

    #[test]
    fn an_error_about_no_post_of_ours_changes_nothing() {
        let mut ledger = sent_two();
        assert_eq!(
            ledger.refused("zz", ErrorCode::BadText, "no"),
            Refusal::Unknown
        );
        assert_eq!(ledger.pending_count(), 2);
    }

    #[test]
    fn two_policy_closes_while_unanswered_fail_a_post() {
        let mut ledger = sent_two();
        assert!(ledger.closed_by_policy().is_empty(), "once is not enough");
        // After the rejoin `b` is acknowledged; `a` is again unanswered at the next 1008.
        assert_eq!(ids(&ledger.outgoing(true)), ["a", "b"]);
        ledger.arrived("me", "me", "b");
        let failed = ledger.closed_by_policy();
        assert_eq!(
            failed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        assert!(ledger.outgoing(true).is_empty());
        // A post not on the wire at the close gets no strike.
        ledger.add(say("c"));
        assert!(ledger.closed_by_policy().is_empty());
        assert_eq!(ids(&ledger.outgoing(true)), ["c"]);
    }

    #[test]
    fn a_removed_post_is_gone() {
        let mut ledger = sent_two();
        ledger.refused("a", ErrorCode::BadText, "no");
        assert!(matches!(ledger.remove("a"), Some(Pending::Say { .. })));
        assert_eq!(status(&ledger, "a"), None);
        assert!(ledger.remove("a").is_none());
        assert_eq!(ids(&ledger.outgoing(true)), ["b"]);
    }
}
