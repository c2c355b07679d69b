//! [`Pace`]: how long to wait before looking at `bufferedAmount` again. The browser has no "drained" event.

/// The shortest wait, in milliseconds.
pub(crate) const MIN_MS: u32 = 1;
/// The longest wait, in milliseconds: a stalled connection is still noticed within this.
pub(crate) const MAX_MS: u32 = 64;

/// An adaptive polling interval. While the buffer drains it waits about as long as the observed rate needs to
/// reach the target; while it does not, it doubles the wait, up to [`MAX_MS`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pace {
    last: Option<(u64, u32)>,
}

impl Pace {
    /// The wait before the next look, given the buffered bytes now and the level to wait for.
    pub(crate) fn next_ms(&mut self, buffered: u64, target: u64) -> u32 {
        let wait = match self.last {
            Some((before, waited)) if buffered < before => {
                let per_ms = ((before - buffered) / u64::from(waited)).max(1);
                let over = buffered.saturating_sub(target);
                u32::try_from(over.div_ceil(per_ms)).unwrap_or(MAX_MS)
            }
            Some((_, waited)) => waited.saturating_mul(2),
            None => MIN_MS,
        }
        .clamp(MIN_MS, MAX_MS);
        self.last = Some((buffered, wait));
        wait
    }

    /// Forgets the history, once the wait is over.
    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_short() {
        assert_eq!(Pace::default().next_ms(10_000, 0), MIN_MS);
    }

    #[test]
    fn doubles_while_nothing_drains_up_to_the_maximum() {
        let mut pace = Pace::default();
        let waits: Vec<_> = (0..9).map(|_| pace.next_ms(5_000, 1_000)).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
    }

    #[test]
    fn follows_the_drain_rate() {
        let mut pace = Pace::default();
        assert_eq!(pace.next_ms(100_000, 0), 1);
        // 10,000 bytes in 1 ms: 90,000 more need 9 ms.
        assert_eq!(pace.next_ms(90_000, 0), 9);
        // 9,000 bytes in 9 ms is 1,000 per ms: 45,000 above the target need 45 ms.
        assert_eq!(pace.next_ms(81_000, 36_000), 45);
    }

    #[test]
    fn stays_within_bounds() {
        let mut pace = Pace::default();
        pace.next_ms(1 << 30, 0);
        assert_eq!(pace.next_ms((1 << 30) - 1, 0), MAX_MS);
        pace.next_ms(1_000, 0);
        assert_eq!(pace.next_ms(999, 999), MIN_MS);
    }

    #[test]
    fn reset_starts_over() {
        let mut pace = Pace::default();
        for _ in 0..5 {
            pace.next_ms(10, 0);
        }
        pace.reset();
        assert_eq!(pace.next_ms(10, 0), MIN_MS);
    }
}
