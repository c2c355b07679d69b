//! Medians and percentiles of the runs, what a cell of the tables shows, and how two clients compare: the
//! rounds' paired ratios, a bootstrap interval, and a verdict against the A/A control's noise.

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

use crate::plan::{Case, Scenario};

/// What one run returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Milliseconds from the first send (or, for the flood, the connect) to the last message.
    Elapsed(f64),
    /// One round-trip time per message, in milliseconds.
    RoundTrips(Vec<f64>),
}

/// The median of `values`; `None` when there are none. NaN sorts last.
pub fn median(values: &[f64]) -> Option<f64> {
    let sorted = sorted(values);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// The `p`-th percentile of `values` by the nearest-rank method (`p` in 0..=100): the smallest
/// value with at least `p` percent of the values at or below it. `None` when there are none.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// The medians over the measured rounds of one client in one case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Summary {
    /// Pipelined echo or flood: messages per second, and payload megabytes (10^6 bytes) per
    /// second in one direction.
    Rate {
        /// Messages per second.
        messages: f64,
        /// Payload megabytes per second.
        megabytes: f64,
    },
    /// Ping-pong: the median over rounds of each round's 50th and 99th percentile, in
    /// microseconds.
    RoundTrip {
        /// Median of the rounds' p50.
        p50_us: f64,
        /// Median of the rounds' p99.
        p99_us: f64,
    },
}

/// Summarises the measured rounds of one client in `case`; `None` if a sample does not fit the
/// scenario or there are none.
pub fn summarise(case: &Case, samples: &[Sample]) -> Option<Summary> {
    match case.scenario {
        Scenario::Pipelined | Scenario::Flood => {
            let rates: Option<Vec<f64>> = samples
                .iter()
                .map(|sample| match sample {
                    Sample::Elapsed(ms) if *ms > 0.0 => Some(f64::from(case.count) / (ms / 1000.0)),
                    _ => None,
                })
                .collect();
            let messages = median(&rates?)?;
            Some(Summary::Rate {
                messages,
                megabytes: messages * f64::from(case.size) / 1e6,
            })
        }
        Scenario::PingPong => {
            let mut p50s = Vec::new();
            let mut p99s = Vec::new();
            for sample in samples {
                let Sample::RoundTrips(rtts) = sample else {
                    return None;
                };
                p50s.push(percentile(rtts, 50.0)? * 1000.0);
                p99s.push(percentile(rtts, 99.0)? * 1000.0);
            }
            Some(Summary::RoundTrip {
                p50_us: median(&p50s)?,
                p99_us: median(&p99s)?,
            })
        }
    }
}

/// How far apart the rounds of one client in `case` are: the slowest round's rate (or p50) over
/// the fastest's, minus one, so 0.08 means 8%. `None` without samples of the scenario's kind.
pub fn spread(case: &Case, samples: &[Sample]) -> Option<f64> {
    let values: Option<Vec<f64>> = samples
        .iter()
        .map(|sample| match (case.scenario, sample) {
            (Scenario::Pipelined | Scenario::Flood, Sample::Elapsed(ms)) => Some(*ms),
            (Scenario::PingPong, Sample::RoundTrips(rtts)) => percentile(rtts, 50.0),
            _ => None,
        })
        .collect();
    let sorted = sorted(&values?);
    let (first, last) = (sorted.first()?, sorted.last()?);
    (*first > 0.0).then(|| last / first - 1.0)
}

/// What a cell compares: a rate (higher is better) or a round-trip percentile (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Messages per second (pipelined echo, flood).
    Rate,
    /// The 50th percentile of a run's round trips.
    P50,
    /// The 99th percentile of a run's round trips.
    P99,
}

impl Metric {
    /// The metrics of a scenario.
    pub fn of(scenario: Scenario) -> &'static [Self] {
        match scenario {
            Scenario::Pipelined | Scenario::Flood => &[Self::Rate],
            Scenario::PingPong => &[Self::P50, Self::P99],
        }
    }

    /// Whether a higher value is better (a rate) rather than a lower one (a time).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Self::Rate)
    }

    /// The metric's value for one run; `None` for a sample of another scenario or an empty one.
    pub fn value(self, case: &Case, sample: &Sample) -> Option<f64> {
        match (self, sample) {
            (Self::Rate, Sample::Elapsed(ms)) if *ms > 0.0 => {
                Some(f64::from(case.count) / (ms / 1000.0))
            }
            (Self::P50, Sample::RoundTrips(rtts)) => percentile(rtts, 50.0),
            (Self::P99, Sample::RoundTrips(rtts)) => percentile(rtts, 99.0),
            _ => None,
        }
    }
}

/// Resamples of the bootstrap behind every interval.
pub const RESAMPLES: usize = 2_000;

/// The share of the bootstrap's resampled medians inside an interval.
pub const CONFIDENCE: f64 = 0.90;

/// How one client compares with another in one cell: the median of the rounds' own ratios (each between two
/// runs of the same round, which cancels what slows a whole round), with a bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The median of the rounds' ratios (ours over theirs: rates or times, as the metric is).
    pub ratio: f64,
    /// The bootstrap interval of that median: [`CONFIDENCE`] of [`RESAMPLES`] resampled medians.
    pub low: f64,
    /// The upper end of the interval.
    pub high: f64,
    /// The rounds where both runs succeeded.
    pub rounds: usize,
}

/// The metric of `ours` over that of `theirs`, round by round (`pairs` holds the two runs of each round),
/// summed up as a [`Comparison`]. `None` without a round where both have a value.
pub fn compare(case: &Case, metric: Metric, pairs: &[(&Sample, &Sample)]) -> Option<Comparison> {
    let ratios: Vec<f64> = pairs
        .iter()
        .filter_map(|(ours, theirs)| {
            let theirs = metric.value(case, theirs)?;
            (theirs > 0.0).then_some(metric.value(case, ours)? / theirs)
        })
        .collect();
    let ratio = median(&ratios)?;
    let (low, high) = bootstrap_median(&ratios, seed(case, metric));
    Some(Comparison {
        ratio,
        low,
        high,
        rounds: ratios.len(),
    })
}

impl Comparison {
    /// As the noise of a cell (the A/A control's comparison): the band of "same", its interval widened to
    /// take in 1.0.
    pub fn band(&self) -> (f64, f64) {
        (self.low.min(1.0), self.high.max(1.0))
    }
}

/// The [`CONFIDENCE`] interval of the median of `values` by the percentile bootstrap: the medians of
/// [`RESAMPLES`] samples drawn from `values` with replacement, cut at both tails. Seeded, so that the same
/// runs always give the same report.
pub fn bootstrap_median(values: &[f64], seed: u64) -> (f64, f64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut resample = vec![0.0; values.len()];
    let mut medians = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        for slot in &mut resample {
            *slot = values[rng.random_range(0..values.len())];
        }
        medians.extend(median(&resample));
    }
    let tail = (1.0 - CONFIDENCE) / 2.0 * 100.0;
    (
        percentile(&medians, tail).unwrap_or(f64::NAN),
        percentile(&medians, 100.0 - tail).unwrap_or(f64::NAN),
    )
}

/// A seed of its own for each cell, so that no two cells share their resampling.
fn seed(case: &Case, metric: Metric) -> u64 {
    let scenario = case.scenario as u64;
    let metric = metric as u64;
    (u64::from(case.size) << 32)
        ^ (u64::from(case.count) << 8)
        ^ (scenario << 4)
        ^ (metric << 2)
        ^ u64::from(case.binary)
}

/// What a comparison says once the machine's noise is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is better than the noise band.
    Faster,
    /// The interval overlaps the noise band.
    Same,
    /// The whole interval is worse than the noise band.
    Slower,
}

impl Verdict {
    /// `faster`, `same` or `slower`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Faster => "faster",
            Self::Same => "same",
            Self::Slower => "slower",
        }
    }
}

/// The verdict on `comparison`, with `noise` (raw JS against itself, the A/A control, in the same cell) as
/// the band of "same": from the lower end of its interval to the upper one, widened to take in 1.0. Without a
/// noise measurement the band is 1.0 alone.
pub fn verdict(metric: Metric, comparison: &Comparison, noise: Option<&Comparison>) -> Verdict {
    let (band_low, band_high) = noise.map_or((1.0, 1.0), Comparison::band);
    let (above, below) = (comparison.low > band_high, comparison.high < band_low);
    match (metric.higher_is_better(), above, below) {
        (true, true, _) | (false, _, true) => Verdict::Faster,
        (true, _, true) | (false, true, _) => Verdict::Slower,
        _ => Verdict::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 100.0), Some(100.0));
        assert_eq!(percentile(&[5.0], 99.0), Some(5.0));
        assert_eq!(percentile(&[2.0, 1.0], 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    fn case(scenario: Scenario, size: u32, count: u32) -> Case {
        Case {
            scenario,
            binary: false,
            size,
            count,
        }
    }

    #[test]
    fn a_rate_is_the_median_of_the_rounds_rates() {
        let samples = [100.0, 200.0, 50.0].map(Sample::Elapsed);
        let summary = summarise(&case(Scenario::Pipelined, 1000, 1000), &samples);
        // 10,000, 5,000 and 20,000 messages/s: the median is 10,000.
        assert_eq!(
            summary,
            Some(Summary::Rate {
                messages: 10_000.0,
                megabytes: 10.0
            })
        );
    }

    #[test]
    fn round_trips_take_the_median_of_each_rounds_percentiles() {
        let round =
            |base: f64| Sample::RoundTrips((1..=100).map(|i| base * f64::from(i)).collect());
        let samples = [round(0.001), round(0.002), round(0.003)];
        let summary = summarise(&case(Scenario::PingPong, 32, 100), &samples);
        assert_eq!(
            summary,
            Some(Summary::RoundTrip {
                p50_us: 100.0,
                p99_us: 198.0
            })
        );
    }

    #[test]
    fn a_sample_of_the_wrong_kind_gives_no_summary() {
        let pipelined = case(Scenario::Pipelined, 32, 10);
        assert_eq!(
            summarise(&pipelined, &[Sample::RoundTrips(vec![1.0])]),
            None
        );
        assert_eq!(summarise(&pipelined, &[Sample::Elapsed(0.0)]), None);
        assert_eq!(summarise(&pipelined, &[]), None);
    }

    #[test]
    fn spread_is_slowest_over_fastest() {
        let pipelined = case(Scenario::Pipelined, 32, 10);
        let samples = [100.0, 110.0, 105.0].map(Sample::Elapsed);
        let spread = spread(&pipelined, &samples).unwrap_or_default();
        assert!((spread - 0.1).abs() < 1e-9, "{spread}");
        let rtt = case(Scenario::PingPong, 32, 2);
        let samples = [vec![1.0, 2.0], vec![1.5, 1.5]].map(Sample::RoundTrips);
        assert_eq!(super::spread(&rtt, &samples), Some(0.5));
        assert_eq!(super::spread(&rtt, &[]), None);
    }

    #[test]
    fn comparisons_pair_the_runs_of_each_round() {
        let pipelined = case(Scenario::Pipelined, 32, 100);
        // Round 2 is twice as slow for both: each round's ratio is 0.9, and so is their median.
        let raw = [100.0, 200.0, 100.0].map(Sample::Elapsed);
        let ours = [100.0 / 0.9, 200.0 / 0.9, 100.0 / 0.9].map(Sample::Elapsed);
        let pairs: Vec<_> = ours.iter().zip(&raw).collect();
        let Some(comparison) = compare(&pipelined, Metric::Rate, &pairs) else {
            panic!("a comparison");
        };
        assert!((comparison.ratio - 0.9).abs() < 1e-9, "{comparison:?}");
        assert!((comparison.low - 0.9).abs() < 1e-9 && (comparison.high - 0.9).abs() < 1e-9);
        assert_eq!(comparison.rounds, 3);
        let rtt = case(Scenario::PingPong, 32, 1);
        let raw = [0.1, 0.3].map(|ms| Sample::RoundTrips(vec![ms]));
        let ours = [0.11, 0.33].map(|ms| Sample::RoundTrips(vec![ms]));
        let pairs: Vec<_> = ours.iter().zip(&raw).collect();
        let p99 = compare(&rtt, Metric::P99, &pairs).map(|c| c.ratio);
        assert!(
            p99.is_some_and(|ratio| (ratio - 1.1).abs() < 1e-9),
            "{p99:?}"
        );
        assert_eq!(compare(&rtt, Metric::P50, &[]), None);
        assert_eq!(compare(&pipelined, Metric::Rate, &pairs), None);
    }

    #[test]
    fn the_bootstrap_interval_holds_the_median_and_widens_with_spread() {
        let tight: Vec<f64> = (0..18).map(|i| 1.0 + f64::from(i % 3) * 0.001).collect();
        let wide: Vec<f64> = (0..18).map(|i| 0.8 + f64::from(i) * 0.025).collect();
        let (tight_low, tight_high) = bootstrap_median(&tight, 1);
        let (wide_low, wide_high) = bootstrap_median(&wide, 1);
        let wide_median = median(&wide).unwrap_or_default();
        assert!(
            tight_low <= 1.001 && tight_high >= 1.001,
            "{tight_low} {tight_high}"
        );
        assert!(
            wide_low < wide_median && wide_median < wide_high,
            "{wide_low} {wide_high}"
        );
        assert!(wide_high - wide_low > 10.0 * (tight_high - tight_low));
        assert_eq!(bootstrap_median(&wide, 1), (wide_low, wide_high), "seeded");
    }

    #[test]
    fn verdicts_count_only_what_lies_outside_the_noise_band() {
        let comparison = |low, high| Comparison {
            ratio: (low + high) / 2.0,
            low,
            high,
            rounds: 18,
        };
        let noise = comparison(0.95, 1.04);
        let rate = |low, high| verdict(Metric::Rate, &comparison(low, high), Some(&noise));
        assert_eq!(rate(0.80, 0.94), Verdict::Slower);
        assert_eq!(rate(0.80, 0.96), Verdict::Same);
        assert_eq!(rate(1.05, 1.20), Verdict::Faster);
        let time = |low, high| verdict(Metric::P50, &comparison(low, high), Some(&noise));
        assert_eq!(time(1.05, 1.20), Verdict::Slower);
        assert_eq!(time(0.80, 0.94), Verdict::Faster);
        assert_eq!(time(1.00, 1.10), Verdict::Same);
        // A noise band that misses 1.0 is widened to take it in.
        let shifted = comparison(1.02, 1.05);
        assert_eq!(
            verdict(Metric::Rate, &comparison(0.99, 1.0), Some(&shifted)),
            Verdict::Same
        );
        assert_eq!(
            verdict(Metric::Rate, &comparison(0.9, 0.99), None),
            Verdict::Slower
        );
    }
}
