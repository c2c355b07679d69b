//! The markdown one browser's results become in BENCHMARKS.md.

use std::fmt::Write as _;

use crate::measure::{BrowserResults, CaseResult, ChurnResult, thousands};
use crate::plan::{Client, Scenario};
use crate::stats::{self, Ratio, Summary};

/// The clients compared with raw JavaScript and with gloo-net: duplex-ws's two APIs.
const OURS: [Client; 2] = [Client::Callback, Client::Stream];

/// One browser's section: its tables, how each duplex-ws API fares against the targets, the
/// churn, and any failed run.
pub fn render(results: &BrowserResults) -> String {
    let mut out = String::new();
    let info = &results.info;
    let _ = writeln!(out, "### {}\n", results.browser);
    let _ = writeln!(
        out,
        "User agent `{}`; cross-origin isolated: {}; smallest `performance.now()` step seen: \
         {} µs. Medians of {} rounds after {} warm-up round.\n",
        info.user_agent,
        if info.cross_origin_isolated {
            "yes"
        } else {
            "no"
        },
        round_to(info.timer_step_ms * 1000.0, 1),
        crate::plan::ROUNDS,
        crate::plan::WARM_UP_ROUNDS,
    );
    table(
        &mut out,
        results,
        Scenario::Pipelined,
        "**Pipelined echo**: messages per second, and payload MB/s (10^6 bytes) one way; in \
         brackets, the ratio to raw JS, the median of the rounds' own ratios (higher is better, \
         target at least 0.97x).",
    );
    table(
        &mut out,
        results,
        Scenario::PingPong,
        "**Ping-pong round trip**: p50 / p99 in µs; in brackets, the ratios to raw JS, each the \
         median of the rounds' own ratios (lower is better, target at most 1.03x).",
    );
    table(
        &mut out,
        results,
        Scenario::Flood,
        "**Receive flood**: messages per second from connecting to the last message.",
    );
    targets(&mut out, results);
    churn(&mut out, &results.churn);
    if !results.failures.is_empty() {
        let _ = writeln!(out, "**Failed runs** (left out of the medians):\n");
        for failure in &results.failures {
            let _ = writeln!(out, "- {failure}");
        }
        out.push('\n');
    }
    out
}

fn table(out: &mut String, results: &BrowserResults, scenario: Scenario, title: &str) {
    let _ = writeln!(out, "{title}\n");
    out.push_str("| case |");
    for client in Client::ALL {
        let _ = write!(out, " {} |", client.label());
    }
    out.push_str("\n|---|");
    out.push_str(&"--:|".repeat(Client::ALL.len()));
    out.push('\n');
    for result in results.cases.iter().filter(|r| r.case.scenario == scenario) {
        let _ = write!(
            out,
            "| {} × {} |",
            result.case.label(),
            thousands(result.case.count)
        );
        for client in Client::ALL {
            let _ = write!(out, " {} |", cell(result, client));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// One line for a case: each client's value and ratio, for progress output.
pub fn case_line(result: &CaseResult) -> String {
    let cells: Vec<String> = Client::ALL
        .into_iter()
        .map(|client| format!("{}: {}", client.label(), cell(result, client)))
        .collect();
    format!(
        "{:?} {} × {}: {}",
        result.case.scenario,
        result.case.label(),
        thousands(result.case.count),
        cells.join("; ")
    )
}

/// A client's value in a case, with its ratio to raw JS unless it is raw JS.
fn cell(result: &CaseResult, client: Client) -> String {
    let Some(ours) = summary(result, client) else {
        return "failed".to_owned();
    };
    match ratio_of(result, client) {
        Some(ratio) if client != Client::Js => format!("{} ({})", value(ours), ratio_text(ratio)),
        _ => value(ours),
    }
}

fn summary(result: &CaseResult, client: Client) -> Option<Summary> {
    stats::summarise(&result.case, result.samples.get(&client)?)
}

fn ratio_of(result: &CaseResult, client: Client) -> Option<Ratio> {
    let samples = |client| result.samples.get(&client).map(Vec::as_slice);
    stats::paired_ratio(&result.case, samples(client)?, samples(Client::Js)?)
}

fn value(summary: Summary) -> String {
    match summary {
        Summary::Rate {
            messages,
            megabytes,
        } => format!(
            "{}/s · {} MB/s",
            thousands(messages.round() as u32),
            round_to(megabytes, 2)
        ),
        Summary::RoundTrip { p50_us, p99_us } => {
            format!("{} / {}", round_to(p50_us, 0), round_to(p99_us, 0))
        }
    }
}

fn ratio_text(ratio: Ratio) -> String {
    match ratio {
        Ratio::Rate(rate) => format!("{rate:.2}x"),
        Ratio::RoundTrip { p50, p99 } => format!("{p50:.2}x / {p99:.2}x"),
    }
}

fn round_to(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// Per duplex-ws API: the cells that miss the raw-JS target, and those not ahead of gloo-net.
fn targets(out: &mut String, results: &BrowserResults) {
    out.push_str("**Against the targets** (at least 0.97x raw throughput, at most 1.03x raw round trip at p50 and p99, ahead of gloo-net in every cell):\n\n");
    let spreads: Vec<f64> = results
        .cases
        .iter()
        .filter_map(|result| stats::spread(&result.case, result.samples.get(&Client::Js)?))
        .collect();
    if let (Some(median), Some(widest)) = (
        stats::median(&spreads),
        spreads.iter().copied().reduce(f64::max),
    ) {
        let _ = writeln!(
            out,
            "- Noise: raw JS's slowest round is {}% slower than its fastest in the median case, \
             {}% in the widest. Each ratio compares runs of the same round, which cancels what \
             slows a whole round, but not what differs between neighbouring runs.",
            round_to(median * 100.0, 0),
            round_to(widest * 100.0, 0)
        );
    }
    for client in OURS {
        let mut cells = 0;
        let mut misses = Vec::new();
        let mut behind = Vec::new();
        for result in &results.cases {
            let name = format!("{:?} {}", result.case.scenario, result.case.label());
            let Some(ratio) = ratio_of(result, client) else {
                misses.push(format!("{name} (no result)"));
                continue;
            };
            cells += 1;
            if !ratio.meets_target() {
                misses.push(format!("{name} {}", ratio_text(ratio)));
            }
            match ratio_of(result, Client::Gloo) {
                Some(gloo) if ratio.beats(gloo) => {}
                Some(gloo) => behind.push(format!(
                    "{name} ({} against {})",
                    ratio_text(ratio),
                    ratio_text(gloo)
                )),
                None => {}
            }
        }
        let _ = writeln!(
            out,
            "- {}: meets the raw-JS target in {} of {cells} cells{}; ahead of gloo-net in {} of {cells}{}.",
            client.label(),
            cells - misses.len().min(cells),
            listed(" (missed: ", &misses),
            cells - behind.len().min(cells),
            listed(" (not ahead: ", &behind),
        );
    }
    out.push('\n');
}

fn listed(prefix: &str, items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("{prefix}{})", items.join("; "))
    }
}

fn churn(out: &mut String, churn: &[ChurnResult]) {
    out.push_str(
        "**Churn**: counters after a small warm-up run of the same kind, then after the run. \
         The relay's count waits up to 5 s for connections to end.\n\n",
    );
    out.push_str(
        "| run | time | live closures | live timers | relay connections | wasm memory (bytes) |\n",
    );
    out.push_str("|---|--:|--:|--:|--:|--:|\n");
    for run in churn {
        let (before, after) = (run.before, run.after);
        let growth = after.wasm_memory_bytes - before.wasm_memory_bytes;
        let _ = writeln!(
            out,
            "| {} | {} s | {} → {} | {} → {} | {} → {} | {} → {} ({}{}) |",
            run.label,
            round_to(run.elapsed_ms / 1000.0, 1),
            before.closures,
            after.closures,
            before.timers,
            after.timers,
            before.relay_connections,
            after.relay_connections,
            thousands(before.wasm_memory_bytes as u32),
            thousands(after.wasm_memory_bytes as u32),
            if growth >= 0.0 { "+" } else { "-" },
            thousands(growth.abs() as u32),
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::page::{Counters, PageInfo};
    use crate::plan::Case;
    use crate::stats::Sample;

    fn results() -> BrowserResults {
        let case = Case {
            scenario: Scenario::Pipelined,
            binary: false,
            size: 1000,
            count: 1000,
        };
        let rtt = Case {
            scenario: Scenario::PingPong,
            ..case
        };
        let elapsed = |ms: f64| vec![Sample::Elapsed(ms)];
        let rtts = |ms: f64| vec![Sample::RoundTrips(vec![ms; 100])];
        let counters = Counters {
            closures: 0,
            timers: 0,
            wasm_memory_bytes: 1_114_112.0,
            relay_connections: 0,
        };
        BrowserResults {
            browser: "chrome 156.0".to_owned(),
            info: PageInfo {
                user_agent: "HeadlessChrome".to_owned(),
                cross_origin_isolated: true,
                timer_step_ms: 0.005,
            },
            cases: vec![
                CaseResult {
                    case,
                    samples: HashMap::from([
                        (Client::Js, elapsed(100.0)),
                        (Client::Callback, elapsed(101.0)),
                        (Client::Stream, elapsed(125.0)),
                        (Client::Gloo, elapsed(110.0)),
                    ]),
                },
                CaseResult {
                    case: rtt,
                    samples: HashMap::from([
                        (Client::Js, rtts(0.1)),
                        (Client::Callback, rtts(0.102)),
                        (Client::Stream, rtts(0.11)),
                        (Client::Gloo, rtts(0.12)),
                    ]),
                },
            ],
            churn: vec![ChurnResult {
                label: "10 sockets".to_owned(),
                elapsed_ms: 1500.0,
                before: counters,
                after: Counters {
                    wasm_memory_bytes: 1_179_648.0,
                    ..counters
                },
            }],
            failures: vec!["text 1 KiB gloo-net 0.7, round 2: closed".to_owned()],
        }
    }

    #[test]
    fn cells_show_the_value_and_the_ratio_to_raw_js() {
        let text = render(&results());
        assert!(text.starts_with("### chrome 156.0\n"), "{text}");
        assert!(
            text.contains(
                "| text 1000 B × 1,000 | 10,000/s · 10.00 MB/s | 9,901/s · 9.90 MB/s (0.99x) | \
                 8,000/s · 8.00 MB/s (0.80x) | 9,091/s · 9.09 MB/s (0.91x) |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| text 1000 B × 1,000 | 100 / 100 | 102 / 102 (1.02x / 1.02x) |"),
            "{text}"
        );
    }

    #[test]
    fn misses_and_cells_behind_gloo_are_named() {
        let text = render(&results());
        assert!(
            text.contains("- duplex-ws callback: meets the raw-JS target in 2 of 2 cells; ahead of gloo-net in 2 of 2."),
            "{text}"
        );
        assert!(
            text.contains("- duplex-ws Stream/Sink: meets the raw-JS target in 0 of 2 cells (missed: Pipelined text 1000 B 0.80x; PingPong text 1000 B 1.10x / 1.10x); ahead of gloo-net in 1 of 2 (not ahead: Pipelined text 1000 B (0.80x against 0.91x))."),
            "{text}"
        );
    }

    #[test]
    fn churn_shows_counters_and_memory_growth_and_failures_are_listed() {
        let text = render(&results());
        assert!(
            text.contains(
                "| 10 sockets | 1.5 s | 0 → 0 | 0 → 0 | 0 → 0 | 1,114,112 → 1,179,648 (+65,536) |"
            ),
            "{text}"
        );
        assert!(
            text.contains("- text 1 KiB gloo-net 0.7, round 2: closed"),
            "{text}"
        );
    }
}
