//! [`Backoff`]: how long to wait before each reconnect attempt. Pure maths, no browser: tested natively.

use core::time::Duration;

/// How the random part of a delay is drawn, afresh for every attempt.
///
/// See [Exponential Backoff And Jitter](https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
/// for why jitter matters: without it every client that lost the same server retries at the same moments.
///
/// ```
/// use duplex_ws::{Backoff, Jitter};
///
/// let backoff = Backoff::default().jitter(Jitter::Equal);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// Anywhere between the minimum delay and the attempt's ceiling, uniformly. The default: it spreads
    /// clients the most.
    #[default]
    Full,
    /// Between half the ceiling and the ceiling (never below the minimum): spread, but never much shorter
    /// than the ceiling.
    Equal,
    /// Exactly the ceiling: no randomness.
    None,
}

/// Exponential backoff: the ceiling of attempt `n` (from 1) is `min_delay * factor^(n-1)`, capped at
/// `max_delay`, and the delay is drawn below it as [`Jitter`] says.
///
/// Defaults: 500 ms minimum, 30 s maximum, factor 2, [`Jitter::Full`].
///
/// ```
/// use core::time::Duration;
/// use duplex_ws::Backoff;
///
/// let backoff = Backoff::default();
/// assert_eq!(backoff.ceiling(1), Duration::from_millis(500));
/// assert_eq!(backoff.ceiling(3), Duration::from_secs(2));
/// assert_eq!(backoff.ceiling(20), Duration::from_secs(30));
/// let delay = backoff.delay(3, 0.5);
/// assert!(delay >= Duration::from_millis(500) && delay <= Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    min_delay: Duration,
    max_delay: Duration,
    factor: f64,
    jitter: Jitter,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            factor: 2.0,
            jitter: Jitter::Full,
        }
    }
}

impl Backoff {
    /// The shortest delay, the first attempt's ceiling, and the base the ceilings grow from (so with 0 every
    /// delay is 0).
    ///
    /// ```
    /// let backoff = duplex_ws::Backoff::default().min_delay(core::time::Duration::from_millis(100));
    /// assert_eq!(backoff.ceiling(1).as_millis(), 100);
    /// ```
    #[must_use]
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest delay. A value below the minimum counts as the minimum.
    ///
    /// ```
    /// let backoff = duplex_ws::Backoff::default().max_delay(core::time::Duration::from_secs(5));
    /// assert_eq!(backoff.ceiling(100).as_secs(), 5);
    /// ```
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How much each attempt's ceiling grows over the previous one; values below 1 (and NaN) count as 1.
    ///
    /// ```
    /// let backoff = duplex_ws::Backoff::default().factor(3.0);
    /// assert_eq!(backoff.ceiling(3).as_millis(), 4_500);
    /// ```
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// How the delay is drawn below the ceiling.
    ///
    /// ```
    /// use duplex_ws::{Backoff, Jitter};
    ///
    /// let fixed = Backoff::default().jitter(Jitter::None);
    /// assert_eq!(fixed.delay(2, 0.123), fixed.ceiling(2));
    /// ```
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The most attempt `attempt` (from 1; 0 counts as 1) can wait.
    ///
    /// ```
    /// let backoff = duplex_ws::Backoff::default();
    /// assert!(backoff.ceiling(2) > backoff.ceiling(1));
    /// ```
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let (min, max) = self.bounds();
        let factor = if self.factor >= 1.0 { self.factor } else { 1.0 };
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let ceiling = min.as_secs_f64() * factor.powi(exponent);
        if ceiling.is_finite() && ceiling < max.as_secs_f64() {
            from_secs(ceiling).max(min)
        } else {
            max
        }
    }

    /// The delay before attempt `attempt`, given `random`, a number drawn uniformly from `[0, 1)` for this
    /// attempt (such as `Math.random()`); values outside are clamped.
    ///
    /// ```
    /// use core::time::Duration;
    ///
    /// let backoff = duplex_ws::Backoff::default();
    /// assert_eq!(backoff.delay(4, 0.0), Duration::from_millis(500));
    /// assert_eq!(backoff.delay(4, 1.0), Duration::from_secs(4));
    /// ```
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let (min, _) = self.bounds();
        let ceiling = self.ceiling(attempt);
        let random = if random.is_nan() {
            0.0
        } else {
            random.clamp(0.0, 1.0)
        };
        let floor = match self.jitter {
            Jitter::Full => min,
            Jitter::Equal => (ceiling / 2).max(min),
            Jitter::None => return ceiling,
        };
        let spread = ceiling.saturating_sub(floor);
        floor.saturating_add(from_secs(spread.as_secs_f64() * random).min(spread))
    }

    fn bounds(&self) -> (Duration, Duration) {
        (self.min_delay, self.max_delay.max(self.min_delay))
    }
}

/// `secs` (finite and not negative here) as a `Duration`, rounded to the nearest nanosecond like
/// `Duration::from_secs_f64`, without its panics: those would link float formatting of panic messages
/// into every reconnecting client.
pub(crate) fn from_secs(secs: f64) -> Duration {
    // A saturating cast: NaN and negatives become 0, overflow the largest count.
    Duration::from_nanos((secs * 1e9 + 0.5) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn backoff(min: u64, max: u64, factor: f64, jitter: Jitter) -> Backoff {
        Backoff::default()
            .min_delay(ms(min))
            .max_delay(ms(max))
            .factor(factor)
            .jitter(jitter)
    }

    /// A deterministic stand-in for `Math.random()`: a 64-bit LCG's top 53 bits.
    fn randoms(seed: u64) -> impl Iterator<Item = f64> {
        let mut state = seed;
        core::iter::repeat_with(move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1_u64 << 53) as f64
        })
    }

    #[test]
    fn ceilings_grow_by_the_factor_up_to_the_maximum() {
        let b = backoff(100, 1_000, 2.0, Jitter::None);
        let ceilings: Vec<_> = (1..=6).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(b.ceiling(0), ms(100));
        assert_eq!(b.ceiling(u32::MAX), ms(1_000));
    }

    #[test]
    fn odd_settings_stay_within_the_bounds() {
        assert_eq!(backoff(100, 50, 2.0, Jitter::None).ceiling(5), ms(100));
        assert_eq!(backoff(100, 1_000, 0.5, Jitter::None).ceiling(5), ms(100));
        assert_eq!(
            backoff(100, 1_000, f64::NAN, Jitter::None).ceiling(5),
            ms(100)
        );
        assert_eq!(
            backoff(100, 1_000, f64::INFINITY, Jitter::None).ceiling(2),
            ms(1_000)
        );
        let b = backoff(100, 1_000, 2.0, Jitter::Full);
        assert_eq!(b.delay(3, -1.0), ms(100));
        assert_eq!(b.delay(3, 7.0), ms(400));
        assert_eq!(b.delay(3, f64::NAN), ms(100));
    }

    #[test]
    fn every_delay_is_within_its_attempts_bounds() {
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::None] {
            let b = backoff(50, 5_000, 1.7, jitter);
            for (attempt, random) in (1..=40).cycle().zip(randoms(7)).take(20_000) {
                let delay = b.delay(attempt, random);
                let ceiling = b.ceiling(attempt);
                assert!(
                    delay <= ceiling,
                    "{jitter:?} {attempt}: {delay:?} > {ceiling:?}"
                );
                let floor = if jitter == Jitter::Equal {
                    (ceiling / 2).max(ms(50))
                } else {
                    ms(50)
                };
                let floor = if jitter == Jitter::None {
                    ceiling
                } else {
                    floor
                };
                assert!(
                    delay >= floor,
                    "{jitter:?} {attempt}: {delay:?} < {floor:?}"
                );
            }
        }
    }

    #[test]
    fn full_jitter_spreads_delays_evenly_over_the_range() {
        let b = backoff(1, 1_001, 2.0, Jitter::Full);
        let attempt = 20; // ceiling 1,001 ms: delays in [1 ms, 1,001 ms]
        let delays: Vec<f64> = randoms(42)
            .take(10_000)
            .map(|r| b.delay(attempt, r).as_secs_f64() - 0.001)
            .collect();
        let mean = delays.iter().sum::<f64>() / delays.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
        let mut buckets = [0_u32; 10];
        for d in &delays {
            buckets[((d * 10.0) as usize).min(9)] += 1;
        }
        for (i, count) in buckets.iter().enumerate() {
            assert!(
                (850..=1_150).contains(count),
                "bucket {i}: {count} of 10,000"
            );
        }
    }

    #[test]
    fn equal_jitter_keeps_the_upper_half() {
        let b = backoff(10, 800, 2.0, Jitter::Equal);
        let delays: Vec<_> = randoms(3).take(1_000).map(|r| b.delay(8, r)).collect();
        assert!(delays.iter().all(|d| *d >= ms(400) && *d <= ms(800)));
        assert!(delays.iter().any(|d| *d < ms(450)) && delays.iter().any(|d| *d > ms(750)));
    }

    #[test]
    fn each_draw_gives_a_different_delay() {
        let b = Backoff::default();
        let mut delays: Vec<_> = randoms(1).take(100).map(|r| b.delay(5, r)).collect();
        delays.sort();
        delays.dedup();
        assert_eq!(delays.len(), 100, "a fresh delay for every draw");
    }
}
