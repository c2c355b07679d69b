//! The benchmark itself: every case, round by round, every client in turn; then the churn.

use std::collections::HashMap;

use duplex_e2e::Error;

use crate::page::{BenchPage, Counters, PageInfo};
use crate::plan::{self, Case, Client, Scale};
use crate::stats::Sample;

/// The measured rounds of every client in one case (the warm-up rounds are not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// One per measured round: each client's sample in that round, if its run succeeded.
    pub rounds: Vec<HashMap<Client, Sample>>,
}

impl CaseResult {
    /// Every sample of `client`, round by round (the rounds where its run failed left out).
    pub fn samples(&self, client: Client) -> Vec<Sample> {
        self.rounds
            .iter()
            .filter_map(|round| round.get(&client).cloned())
            .collect()
    }

    /// The runs of `ours` and `theirs` in each round where both succeeded.
    pub fn pairs(&self, ours: Client, theirs: Client) -> Vec<(&Sample, &Sample)> {
        self.rounds
            .iter()
            .filter_map(|round| Some((round.get(&ours)?, round.get(&theirs)?)))
            .collect()
    }
}

/// One churn benchmark: what it did, how long it took, and the counters around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnResult {
    /// What it did: "10,000 sockets opened and closed, 50 at a time".
    pub label: String,
    /// How long it took, in milliseconds.
    pub elapsed_ms: f64,
    /// The counters after a small warm-up run of the same kind, before it.
    pub before: Counters,
    /// The counters after it.
    pub after: Counters,
}

/// What one received message costs each client's handler, for one kind and size, in microseconds: the
/// median over [`PER_MESSAGE_ROUNDS`] rounds of each round's mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerMessageResult {
    /// Binary messages rather than text.
    pub binary: bool,
    /// Bytes per message.
    pub size: u32,
    /// Raw JS, web-sys by hand, duplex-ws's `on_message`, duplex-ws's `on_js_message`; then the copy a
    /// text send makes (0 for binary); then, each event in a browser task of its own, `on_message` and a
    /// `WsStream` read by its own task.
    pub micros: [f64; 7],
}

/// Rounds of the per-message microbenchmark.
pub const PER_MESSAGE_ROUNDS: usize = 5;

/// Everything one browser measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserResults {
    /// The browser's name and version, from WebDriver.
    pub browser: String,
    /// Measured rounds per case.
    pub rounds: usize,
    /// What the page says about itself.
    pub info: PageInfo,
    /// One per case, in the order of [`plan::cases`].
    pub cases: Vec<CaseResult>,
    /// What one received message costs each handler, per kind and size of [`plan::SIZES`].
    pub per_message: Vec<PerMessageResult>,
    /// Sockets, then reconnect cycles.
    pub churn: Vec<ChurnResult>,
    /// Every run that failed, with its error: the benchmark fails if there is any.
    pub failures: Vec<String>,
}

/// The sockets the churn opens and closes, and how many at a time.
pub fn churn_sockets(scale: Scale) -> (u32, u32) {
    match scale {
        Scale::Full => (10_000, 10),
        Scale::Smoke => (200, 10),
    }
}

/// Messages per size and round of the per-message microbenchmark: tens of milliseconds each.
pub fn per_message_count(scale: Scale, size: u32) -> u32 {
    match (scale, size) {
        (Scale::Smoke, _) => 10,
        (Scale::Full, 0..=64) => 20_000,
        (Scale::Full, 65..=4096) => 5_000,
        (Scale::Full, _) => 300,
    }
}

/// The reconnect cycles of the churn.
pub fn churn_cycles(scale: Scale) -> u32 {
    match scale {
        Scale::Full => 1_000,
        Scale::Smoke => 50,
    }
}

/// Runs every case of `scale`, the per-message costs and the churn in `page`, telling `progress` what it did. With
/// `only`, runs only the cases whose [`name`](Case::name) holds it, and not the churn.
///
/// # Errors
/// Only when the page stops answering (WebDriver errors); a run that fails is recorded in
/// [`BrowserResults::failures`] and the benchmark goes on.
pub async fn measure(
    page: &BenchPage,
    scale: Scale,
    only: Option<&str>,
    mut progress: impl FnMut(&str),
) -> Result<BrowserResults, Error> {
    let info = page.info().await?;
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    let selected = plan::cases(scale)
        .into_iter()
        .filter(|case| only.is_none_or(|only| case.name().contains(only)));
    for case in selected {
        let mut rounds = Vec::new();
        for round in 0..plan::WARM_UP_ROUNDS + scale.rounds() {
            let mut samples = HashMap::new();
            for client in plan::order(round) {
                match page.run(&case, client).await {
                    Ok(sample) => {
                        samples.insert(client, sample);
                    }
                    Err(error @ (Error::Page(_) | Error::PageErrors(_))) => failures.push(format!(
                        "{} {}, round {round}: {error}",
                        case.label(),
                        client.label()
                    )),
                    Err(error) => return Err(error),
                }
            }
            if round >= plan::WARM_UP_ROUNDS {
                rounds.push(samples);
            }
        }
        let result = CaseResult { case, rounds };
        progress(&crate::report::case_line(&result));
        cases.push(result);
    }
    let mut per_message = Vec::new();
    for binary in [false, true] {
        for size in plan::SIZES {
            let count = per_message_count(scale, size);
            let mut rounds = Vec::new();
            for _ in 0..PER_MESSAGE_ROUNDS {
                rounds.push(page.per_message(binary, size, count).await?);
            }
            let micros = core::array::from_fn(|i| {
                let column: Vec<f64> = rounds.iter().map(|round| round[i]).collect();
                crate::stats::median(&column).unwrap_or(f64::NAN)
            });
            per_message.push(PerMessageResult {
                binary,
                size,
                micros,
            });
        }
    }
    progress("per-message costs done");
    let churn = if only.is_some() {
        Vec::new()
    } else {
        churn(page, scale, &mut progress).await?
    };
    Ok(BrowserResults {
        browser: page.browser_version(),
        rounds: scale.rounds(),
        info,
        cases,
        per_message,
        churn,
        failures,
    })
}

/// Opens and closes sockets, then runs reconnect cycles, each after a small warm-up run of its kind.
async fn churn(
    page: &BenchPage,
    scale: Scale,
    progress: &mut impl FnMut(&str),
) -> Result<Vec<ChurnResult>, Error> {
    let mut churn = Vec::new();
    let (total, batch) = churn_sockets(scale);
    let before = warmed(page, page.churn_sockets(batch * 2, batch)).await?;
    let elapsed_ms = page.churn_sockets(total, batch).await?;
    churn.push(ChurnResult {
        label: format!(
            "{} sockets opened and closed, {batch} at a time",
            thousands(total)
        ),
        elapsed_ms,
        before,
        after: page.counters().await?,
    });
    progress("churn: sockets done");
    let cycles = churn_cycles(scale);
    let before = warmed(page, page.churn_reconnect(cycles / 20)).await?;
    let elapsed_ms = page.churn_reconnect(cycles).await?;
    churn.push(ChurnResult {
        label: format!(
            "{} reconnect cycles of one `ReconnectingWebSocket`",
            thousands(cycles)
        ),
        elapsed_ms,
        before,
        after: page.counters().await?,
    });
    progress("churn: reconnects done");
    Ok(churn)
}

/// Runs `warm_up` (a small run of the same kind), then reads the counters.
async fn warmed(
    page: &BenchPage,
    warm_up: impl Future<Output = Result<f64, Error>>,
) -> Result<Counters, Error> {
    warm_up.await?;
    page.counters().await
}

/// `12,345`.
pub fn thousands(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_full_churn_is_ten_thousand_sockets_and_a_thousand_cycles() {
        assert_eq!(churn_sockets(Scale::Full).0, 10_000);
        assert_eq!(churn_cycles(Scale::Full), 1_000);
    }
}
