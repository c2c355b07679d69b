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
    /// Per client, one sample per measured round that succeeded.
    pub samples: HashMap<Client, Vec<Sample>>,
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

/// Everything one browser measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserResults {
    /// The browser's name and version, from WebDriver.
    pub browser: String,
    /// What the page says about itself.
    pub info: PageInfo,
    /// One per case, in the order of [`plan::cases`].
    pub cases: Vec<CaseResult>,
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

/// The reconnect cycles of the churn.
pub fn churn_cycles(scale: Scale) -> u32 {
    match scale {
        Scale::Full => 1_000,
        Scale::Smoke => 50,
    }
}

/// Runs every case of `scale` and the churn in `page`, telling `progress` what it did.
///
/// # Errors
/// Only when the page stops answering (WebDriver errors); a run that fails is recorded in
/// [`BrowserResults::failures`] and the benchmark goes on.
pub async fn measure(
    page: &BenchPage,
    scale: Scale,
    mut progress: impl FnMut(&str),
) -> Result<BrowserResults, Error> {
    let info = page.info().await?;
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    for case in plan::cases(scale) {
        let mut samples: HashMap<Client, Vec<Sample>> = HashMap::new();
        for round in 0..plan::WARM_UP_ROUNDS + plan::ROUNDS {
            for client in plan::order(round) {
                match page.run(&case, client).await {
                    Ok(sample) if round >= plan::WARM_UP_ROUNDS => {
                        samples.entry(client).or_default().push(sample);
                    }
                    Ok(_) => {}
                    Err(error @ (Error::Page(_) | Error::PageErrors(_))) => failures.push(format!(
                        "{} {}, round {round}: {error}",
                        case.label(),
                        client.label()
                    )),
                    Err(error) => return Err(error),
                }
            }
        }
        let result = CaseResult { case, samples };
        progress(&crate::report::case_line(&result));
        cases.push(result);
    }
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
    Ok(BrowserResults {
        browser: page.browser_version(),
        info,
        cases,
        churn,
        failures,
    })
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
