//! Medians and percentiles of the runs, and what a cell of the tables shows.

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

/// How a client compares with raw JavaScript in one cell: a ratio where 1.0 is "as fast".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ratio {
    /// Client rate / raw rate: higher is better; the target is at least 0.97.
    Rate(f64),
    /// Client p50 / raw p50 and client p99 / raw p99: lower is better; the target is at most 1.03.
    RoundTrip {
        /// Of the p50s.
        p50: f64,
        /// Of the p99s.
        p99: f64,
    },
}

/// The lowest throughput ratio to raw JavaScript that meets the target.
pub const RATE_TARGET: f64 = 0.97;

/// The highest round-trip ratio to raw JavaScript that meets the target.
pub const ROUND_TRIP_TARGET: f64 = 1.03;

/// `client` against `raw`; `None` when they are not the same kind.
pub fn ratio(client: Summary, raw: Summary) -> Option<Ratio> {
    match (client, raw) {
        (Summary::Rate { messages, .. }, Summary::Rate { messages: raw, .. }) => {
            Some(Ratio::Rate(messages / raw))
        }
        (
            Summary::RoundTrip { p50_us, p99_us },
            Summary::RoundTrip {
                p50_us: raw_p50,
                p99_us: raw_p99,
            },
        ) => Some(Ratio::RoundTrip {
            p50: p50_us / raw_p50,
            p99: p99_us / raw_p99,
        }),
        _ => None,
    }
}

/// `ours` against `raw` in `case`, round by round: the median of each round's ratio, so that what
/// slows a whole round (the machine, the relay) cancels out. Runs of one round are next to each other;
/// the rounds themselves differ by much more. Falls back to the ratio of the medians when the two have
/// not the same number of rounds (a run failed).
pub fn paired_ratio(case: &Case, ours: &[Sample], raw: &[Sample]) -> Option<Ratio> {
    if ours.len() != raw.len() {
        return ratio(summarise(case, ours)?, summarise(case, raw)?);
    }
    let rounds: Option<Vec<Ratio>> = ours
        .iter()
        .zip(raw)
        .map(|(ours, raw)| {
            ratio(
                summarise(case, core::slice::from_ref(ours))?,
                summarise(case, core::slice::from_ref(raw))?,
            )
        })
        .collect();
    let rounds = rounds?;
    // A rate has one part; a round trip two. All rounds of a case are of the same kind.
    let (first, second): (Vec<f64>, Vec<f64>) = rounds
        .iter()
        .map(|round| match *round {
            Ratio::Rate(rate) => (rate, rate),
            Ratio::RoundTrip { p50, p99 } => (p50, p99),
        })
        .unzip();
    Some(match rounds.first()? {
        Ratio::Rate(_) => Ratio::Rate(median(&first)?),
        Ratio::RoundTrip { .. } => Ratio::RoundTrip {
            p50: median(&first)?,
            p99: median(&second)?,
        },
    })
}

impl Ratio {
    /// Whether it meets the target (for round trips, the p50 and the p99 both).
    pub fn meets_target(self) -> bool {
        match self {
            Self::Rate(ratio) => ratio >= RATE_TARGET,
            Self::RoundTrip { p50, p99 } => p50 <= ROUND_TRIP_TARGET && p99 <= ROUND_TRIP_TARGET,
        }
    }

    /// Whether it is strictly better than `other` (for round trips, the p50 and the p99 both).
    pub fn beats(self, other: Self) -> bool {
        match (self, other) {
            (Self::Rate(ours), Self::Rate(theirs)) => ours > theirs,
            (
                Self::RoundTrip { p50, p99 },
                Self::RoundTrip {
                    p50: p50_theirs,
                    p99: p99_theirs,
                },
            ) => p50 < p50_theirs && p99 < p99_theirs,
            _ => false,
        }
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
    fn paired_ratios_cancel_what_slows_a_whole_round() {
        let pipelined = case(Scenario::Pipelined, 32, 100);
        // Round 2 is twice as slow for both: each round's ratio is 0.9, and so is their median.
        let raw = [100.0, 200.0, 100.0].map(Sample::Elapsed);
        let ours = [100.0 / 0.9, 200.0 / 0.9, 100.0 / 0.9].map(Sample::Elapsed);
        let Some(Ratio::Rate(rate)) = paired_ratio(&pipelined, &ours, &raw) else {
            panic!("a rate ratio");
        };
        assert!((rate - 0.9).abs() < 1e-9, "{rate}");
        // Unpaired (a failed run): the ratio of the medians.
        let fewer = [100.0 / 0.9, 200.0 / 0.9].map(Sample::Elapsed);
        assert!(paired_ratio(&pipelined, &fewer, &raw).is_some());
        let rtt = case(Scenario::PingPong, 32, 1);
        let raw = [0.1, 0.3].map(|ms| Sample::RoundTrips(vec![ms]));
        let ours = [0.11, 0.33].map(|ms| Sample::RoundTrips(vec![ms]));
        let Some(Ratio::RoundTrip { p50, p99 }) = paired_ratio(&rtt, &ours, &raw) else {
            panic!("a round-trip ratio");
        };
        assert!(
            (p50 - 1.1).abs() < 1e-9 && (p99 - 1.1).abs() < 1e-9,
            "{p50} {p99}"
        );
        assert_eq!(paired_ratio(&rtt, &[], &[]), None);
    }

    #[test]
    fn targets_and_comparisons() {
        assert!(Ratio::Rate(0.97).meets_target());
        assert!(!Ratio::Rate(0.969).meets_target());
        let rtt = |p50, p99| Ratio::RoundTrip { p50, p99 };
        assert!(rtt(1.03, 1.0).meets_target());
        assert!(!rtt(1.0, 1.04).meets_target());
        assert!(Ratio::Rate(0.9).beats(Ratio::Rate(0.8)));
        assert!(!Ratio::Rate(0.8).beats(Ratio::Rate(0.8)));
        assert!(rtt(1.0, 1.1).beats(rtt(1.2, 1.3)));
        assert!(!rtt(1.0, 1.4).beats(rtt(1.2, 1.3)));
        assert!(!Ratio::Rate(2.0).beats(rtt(1.0, 1.0)));
    }
}
