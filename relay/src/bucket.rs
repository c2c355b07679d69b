//! The per-connection rate limit: a token bucket of text frames.

use tokio::time::Instant;

/// Holds up to `burst` tokens and gains `per_second` tokens a second; each frame takes one.
///
/// Counted in millionths of a token, so refills add up exactly.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    micros: u64,
    burst: u64,
    per_second: u64,
    last: Instant,
}

/// One token, in the bucket's unit.
const TOKEN: u64 = 1_000_000;

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        let burst = u64::from(burst) * TOKEN;
        Self {
            micros: burst,
            burst,
            per_second: u64::from(per_second),
            last: Instant::now(),
        }
    }

    /// Takes a token at `now`; false (and nothing taken) when the bucket is empty.
    pub(crate) fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        // Microseconds times tokens per second is millionths of a token.
        let elapsed = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let gained = elapsed.saturating_mul(self.per_second);
        self.micros = self.micros.saturating_add(gained).min(self.burst);
        if self.micros >= TOKEN {
            self.micros -= TOKEN;
            true
        } else {
            false
        }
    }

    /// Takes a token now.
    pub(crate) fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_the_sustained_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 20);
        bucket.last = start;
        assert!((0..20).all(|_| bucket.take_at(start)));
        assert!(!bucket.take_at(start));
        // 10 a second: one token every 100 ms, never more than the burst.
        assert!(!bucket.take_at(start + Duration::from_millis(99)));
        assert!(bucket.take_at(start + Duration::from_millis(101)));
        assert!(!bucket.take_at(start + Duration::from_millis(150)));
        let later = start + Duration::from_secs(60);
        assert_eq!((0..30).filter(|_| bucket.take_at(later)).count(), 20);
    }

    #[test]
    fn a_refused_frame_costs_nothing() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 1);
        bucket.last = start;
        assert!(bucket.take_at(start));
        for ms in [20, 40, 60, 80] {
            assert!(!bucket.take_at(start + Duration::from_millis(ms)));
        }
        assert!(bucket.take_at(start + Duration::from_millis(100)));
    }
}
