//! The markdown one browser's results become in BENCHMARKS.md: each client's values, then every
//! comparison as a ratio with its interval and a verdict, then the churn.

use std::fmt::Write as _;

use crate::measure::{BrowserResults, CaseResult, ChurnResult, PerMessageResult, thousands};
use crate::plan::{Client, Scenario};
use crate::stats::{self, Comparison, Metric, Summary, Verdict};

/// duplex-ws's APIs: the clients the verdicts are about.
const OURS: [Client; 3] = [Client::Callback, Client::CallbackJs, Client::Stream];

/// The comparisons of the ratio tables, `(ours, theirs)`: first the A/A control (the noise), then each
/// client against raw JS and against the web-sys floor.
const COLUMNS: [(Client, Client); 9] = [
    (Client::JsAgain, Client::Js),
    (Client::WebSys, Client::Js),
    (Client::Callback, Client::Js),
    (Client::Callback, Client::WebSys),
    (Client::CallbackJs, Client::Js),
    (Client::Stream, Client::Js),
    (Client::Stream, Client::WebSys),
    (Client::Gloo, Client::Js),
    (Client::Gloo, Client::WebSys),
];

/// One browser's section: its tables, the verdicts on each duplex-ws API, the churn, and any failed run.
pub fn render(results: &BrowserResults) -> String {
    let mut out = String::new();
    let info = &results.info;
    let _ = writeln!(out, "### {}\n", results.browser);
    let _ = writeln!(
        out,
        "User agent `{}`; cross-origin isolated: {}; smallest `performance.now()` step seen: \
         {} µs. {} measured rounds after {} warm-up round.\n",
        info.user_agent,
        if info.cross_origin_isolated {
            "yes"
        } else {
            "no"
        },
        round_to(info.timer_step_ms * 1000.0, 1),
        results.rounds,
        crate::plan::WARM_UP_ROUNDS,
    );
    let scenarios = [
        (
            Scenario::Pipelined,
            "**Pipelined echo**: messages per second, and payload MB/s (10^6 bytes) one way; each \
             client's median over the rounds.",
        ),
        (
            Scenario::PingPong,
            "**Ping-pong round trip**: p50 / p99 in µs; each client's median over the rounds of \
             each round's percentiles.",
        ),
        (
            Scenario::Flood,
            "**Receive flood**: messages per second from connecting to the last message.",
        ),
    ];
    for (scenario, title) in scenarios {
        values(&mut out, results, scenario, title);
        for &metric in Metric::of(scenario) {
            ratios(&mut out, results, scenario, metric);
        }
    }
    verdicts(&mut out, results);
    per_message(&mut out, &results.per_message);
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

fn heading(out: &mut String, first: &str, columns: &[String]) {
    let _ = write!(out, "| {first} |");
    for column in columns {
        let _ = write!(out, " {column} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"--:|".repeat(columns.len()));
    out.push('\n');
}

fn row_label(result: &CaseResult) -> String {
    format!("{} × {}", result.case.label(), thousands(result.case.count))
}

fn values(out: &mut String, results: &BrowserResults, scenario: Scenario, title: &str) {
    let _ = writeln!(out, "{title}\n");
    let columns: Vec<String> = Client::ALL
        .iter()
        .map(|client| client.label().to_owned())
        .collect();
    heading(out, "case", &columns);
    for result in results.cases.iter().filter(|r| r.case.scenario == scenario) {
        let _ = write!(out, "| {} |", row_label(result));
        for client in Client::ALL {
            let _ = write!(out, " {} |", value_of(result, client));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn ratios(out: &mut String, results: &BrowserResults, scenario: Scenario, metric: Metric) {
    let what = match metric {
        Metric::Rate => "rates: above 1 is faster",
        Metric::P50 => "p50 round trips: below 1 is faster",
        Metric::P99 => "p99 round trips: below 1 is faster",
    };
    let _ = writeln!(
        out,
        "Ratios of {what}; the median of the rounds' own ratios, its 90% interval, the verdict.\n"
    );
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(ours, theirs)| match ours {
            Client::JsAgain => "A/A control".to_owned(),
            _ => format!("{} / {}", ours.short(), theirs.short()),
        })
        .collect();
    heading(out, "case", &columns);
    for result in results.cases.iter().filter(|r| r.case.scenario == scenario) {
        let noise = comparison(result, metric, Client::JsAgain, Client::Js);
        let _ = write!(out, "| {} |", row_label(result));
        for (ours, theirs) in COLUMNS {
            let cell = match comparison(result, metric, ours, theirs) {
                None => "failed".to_owned(),
                Some(found) if ours == Client::JsAgain => interval(&found),
                Some(found) => format!(
                    "{} {}",
                    interval(&found),
                    stats::verdict(metric, &found, noise.as_ref()).word()
                ),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn comparison(
    result: &CaseResult,
    metric: Metric,
    ours: Client,
    theirs: Client,
) -> Option<Comparison> {
    stats::compare(&result.case, metric, &result.pairs(ours, theirs))
}

/// `0.98x (0.95–1.01)`.
fn interval(found: &Comparison) -> String {
    format!("{:.2}x ({:.2}–{:.2})", found.ratio, found.low, found.high)
}

/// One line for a case: each client's value, for progress output.
pub fn case_line(result: &CaseResult) -> String {
    let cells: Vec<String> = Client::ALL
        .into_iter()
        .map(|client| format!("{}: {}", client.label(), value_of(result, client)))
        .collect();
    format!(
        "{:?} {}: {}",
        result.case.scenario,
        row_label(result),
        cells.join("; ")
    )
}

fn value_of(result: &CaseResult, client: Client) -> String {
    match stats::summarise(&result.case, &result.samples(client)) {
        Some(summary) => value(summary),
        None => "failed".to_owned(),
    }
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

fn round_to(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// `Pipelined text 1 KiB`, or `PingPong text 32 B p99`.
fn cell_name(result: &CaseResult, metric: Metric) -> String {
    let suffix = match metric {
        Metric::Rate => "",
        Metric::P50 => " p50",
        Metric::P99 => " p99",
    };
    format!("{}{suffix}", result.case.name())
}

/// The cells where `ours` is faster and slower than `theirs`, outside the noise.
fn tally(
    results: &BrowserResults,
    ours: Client,
    theirs: Client,
) -> (usize, Vec<String>, Vec<String>) {
    let (mut cells, mut faster, mut slower) = (0, Vec::new(), Vec::new());
    for result in &results.cases {
        for &metric in Metric::of(result.case.scenario) {
            let Some(found) = comparison(result, metric, ours, theirs) else {
                continue;
            };
            cells += 1;
            let noise = comparison(result, metric, Client::JsAgain, Client::Js);
            let named = format!("{} {}", cell_name(result, metric), interval(&found));
            match stats::verdict(metric, &found, noise.as_ref()) {
                Verdict::Faster => faster.push(named),
                Verdict::Slower => slower.push(named),
                Verdict::Same => {}
            }
        }
    }
    (cells, faster, slower)
}

/// The noise, then per duplex-ws API: where it is slower or faster than the web-sys floor, raw JS and
/// gloo-net, beyond the noise.
fn verdicts(out: &mut String, results: &BrowserResults) {
    out.push_str(
        "**Verdicts**: a cell is *slower* or *faster* only when its whole interval lies outside \
         the A/A control's interval in the same cell (widened to take in 1.0), and *same* \
         otherwise.\n\n",
    );
    let widths: Vec<f64> = results
        .cases
        .iter()
        .flat_map(|result| {
            Metric::of(result.case.scenario)
                .iter()
                .filter_map(|&metric| comparison(result, metric, Client::JsAgain, Client::Js))
        })
        .map(|noise| {
            let (low, high) = noise.band();
            high - low
        })
        .collect();
    if let (Some(median), Some(widest)) = (
        stats::median(&widths),
        widths.iter().copied().reduce(f64::max),
    ) {
        let _ = writeln!(
            out,
            "- Noise: the A/A control's band is {}% wide in the median cell, {}% in the widest.",
            round_to(median * 100.0, 1),
            round_to(widest * 100.0, 1)
        );
    }
    for client in OURS {
        for theirs in [Client::WebSys, Client::Js, Client::Gloo] {
            let (cells, faster, slower) = tally(results, client, theirs);
            let _ = writeln!(
                out,
                "- {} against {}: slower in {} of {cells} cells{}, faster in {}{}.",
                client.label(),
                theirs.label(),
                slower.len(),
                listed(" (", &slower),
                faster.len(),
                listed(" (", &faster),
            );
        }
    }
    out.push('\n');
}

fn per_message(out: &mut String, costs: &[PerMessageResult]) {
    let _ = writeln!(
        out,
        "**Per received message**: µs for one client's handler to take a message the browser has, with \
         no network in between (synthetic `message` events holding a real echo, dispatched on an open \
         socket); the median of {} rounds of each round's mean. Each handler reads the length: raw JS of \
         the JS value, web-sys by hand after copying it into a `String` or `Vec<u8>`, `on_message` of \
         duplex-ws's `Message` (copied), `on_js_message` of its `JsMessage` (not copied). Then the copy a \
         text send makes (`JsString::from(&str)`, as `send_text` does). The last two columns dispatch \
         each event in a browser task of its own (a `MessageChannel` hop, as messages from the network \
         come) to `on_message`, then to a `WsStream` read by a task of its own: their difference is what \
         the async layer adds per message (its queue, one wake-up and one poll).\n",
        crate::measure::PER_MESSAGE_ROUNDS
    );
    let columns = [
        "raw JS",
        "web-sys by hand",
        "duplex-ws `on_message`",
        "duplex-ws `on_js_message`",
        "text send's copy",
        "a task each: `on_message`",
        "a task each: `WsStream`",
    ]
    .map(str::to_owned);
    heading(out, "message", &columns);
    for cost in costs {
        let kind = if cost.binary { "binary" } else { "text" };
        let _ = write!(out, "| {kind} {} |", crate::plan::size_label(cost.size));
        for (i, micros) in cost.micros.iter().enumerate() {
            if cost.binary && i == 4 {
                out.push_str(" n/a |");
            } else {
                let _ = write!(out, " {} |", round_to(*micros, 2));
            }
        }
        out.push('\n');
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

    /// Six rounds of two cases: raw JS, its A/A twin and the web-sys client alike (with a few percent of
    /// noise), the callback API 1% off, Stream/Sink 25% slower, gloo-net 10% slower.
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
        let wobble = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0];
        let factors = [
            (Client::Js, 1.0),
            (Client::JsAgain, 1.0),
            (Client::WebSys, 1.0),
            (Client::Callback, 1.01),
            (Client::CallbackJs, 1.0),
            (Client::Stream, 1.25),
            (Client::Gloo, 1.1),
        ];
        let rounds = |sample: &dyn Fn(f64) -> Sample| -> Vec<HashMap<Client, Sample>> {
            (0..wobble.len())
                .map(|round| {
                    factors
                        .iter()
                        .enumerate()
                        .map(|(i, &(client, factor))| {
                            // Each client's noise is the wobble shifted by its place.
                            let noise = wobble[(round + i) % wobble.len()];
                            (client, sample(factor * noise))
                        })
                        .collect()
                })
                .collect()
        };
        let counters = Counters {
            closures: 0,
            timers: 0,
            wasm_memory_bytes: 1_114_112.0,
            relay_connections: 0,
        };
        BrowserResults {
            browser: "chrome 156.0".to_owned(),
            rounds: wobble.len(),
            info: PageInfo {
                user_agent: "HeadlessChrome".to_owned(),
                cross_origin_isolated: true,
                timer_step_ms: 0.005,
            },
            cases: vec![
                CaseResult {
                    case,
                    rounds: rounds(&|factor| Sample::Elapsed(100.0 * factor)),
                },
                CaseResult {
                    case: rtt,
                    rounds: rounds(&|factor| Sample::RoundTrips(vec![0.1 * factor; 100])),
                },
            ],
            per_message: vec![PerMessageResult {
                binary: false,
                size: 65_536,
                micros: [0.5, 210.0, 50.0, 1.25, 12.5, 9.0, 11.0],
            }],
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
    fn values_show_each_clients_median() {
        let text = render(&results());
        assert!(text.starts_with("### chrome 156.0\n"), "{text}");
        assert!(
            text.contains("6 measured rounds after 1 warm-up round"),
            "{text}"
        );
        assert!(
            text.contains(
                "| text 1000 B × 1,000 | 10,000/s · 10.00 MB/s | 10,000/s · 10.00 MB/s |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| text 1000 B × 1,000 | 100 / 100 | 100 / 100 |"),
            "{text}"
        );
    }

    #[test]
    fn ratio_cells_have_an_interval_and_a_verdict_except_the_control() {
        let text = render(&results());
        let row = text
            .lines()
            .find(|line| line.starts_with("| text 1000 B × 1,000 |") && line.contains("x ("))
            .unwrap_or_default();
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells.len(), 1 + COLUMNS.len(), "{row}");
        assert!(
            !cells[1].contains("same"),
            "the control has no verdict: {row}"
        );
        assert!(cells[2].ends_with(" same"), "web-sys / raw JS: {row}");
        assert!(cells[6].ends_with(" slower"), "Stream/Sink / raw JS: {row}");
        assert!(cells[6].starts_with("0.8"), "Stream/Sink / raw JS: {row}");
    }

    #[test]
    fn verdicts_name_the_slower_cells() {
        let text = render(&results());
        assert!(
            text.contains(
                "- duplex-ws callback against web-sys by hand: slower in 0 of 3 cells, faster in 0."
            ),
            "{text}"
        );
        assert!(
            text.contains("- duplex-ws Stream/Sink against web-sys by hand: slower in 3 of 3 cells (Pipelined text 1000 B 0.8"),
            "{text}"
        );
        assert!(
            text.contains("- duplex-ws callback against gloo-net 0.7: slower in 0 of 3 cells, faster in 3 (Pipelined"),
            "{text}"
        );
    }

    #[test]
    fn per_message_costs_show_microseconds_per_message() {
        let text = render(&results());
        assert!(
            text.contains("| text 64 KiB | 0.50 | 210.00 | 50.00 | 1.25 | 12.50 | 9.00 | 11.00 |"),
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
