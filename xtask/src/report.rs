//! The end-of-run summary of `cargo xtask test`, and whether the run passed.

use std::fmt::Write as _;
use std::time::Duration;

use crate::suite::Outcome;

/// How one suite ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteState {
    /// It ran (perhaps only partly).
    Ran(Outcome),
    /// It was not asked for or cannot apply here; the reason is shown.
    Skipped(String),
}

/// Everything the summary shows.
#[derive(Debug, Clone, Default)]
pub struct Report {
    failed_checks: Vec<String>,
    suites: Vec<(String, SuiteState)>,
    timings: Vec<(String, Duration)>,
}

impl Report {
    /// Records that the check `name` failed.
    pub fn check_failed(&mut self, name: impl Into<String>) {
        self.failed_checks.push(name.into());
    }

    /// Records how the suite `name` ended.
    pub fn suite(&mut self, name: impl Into<String>, state: SuiteState) {
        self.suites.push((name.into(), state));
    }

    /// Records how long `phase` took.
    pub fn timing(&mut self, phase: impl Into<String>, took: Duration) {
        self.timings.push((phase.into(), took));
    }

    /// Whether every check passed and every suite that ran passed.
    pub fn succeeded(&self) -> bool {
        self.failed_checks.is_empty()
            && self.suites.iter().all(|(_, state)| match state {
                SuiteState::Ran(outcome) => outcome.succeeded(),
                SuiteState::Skipped(_) => true,
            })
    }

    /// The summary block: failed checks, then `name: N passed, M failed` per suite with its
    /// problems under it, the timings, and the verdict.
    pub fn render(&self) -> String {
        let mut text = String::from("\n==== summary ====\n");
        for check in &self.failed_checks {
            let _ = writeln!(text, "check failed: {check}");
        }
        for (name, state) in &self.suites {
            match state {
                SuiteState::Skipped(reason) => {
                    let _ = writeln!(text, "{name}: skipped ({reason})");
                }
                SuiteState::Ran(outcome) => {
                    let _ = writeln!(
                        text,
                        "{name}: {} passed, {} failed",
                        outcome.passed, outcome.failed
                    );
                    for problem in &outcome.problems {
                        let _ = writeln!(text, "{name}: error: {problem}");
                    }
                }
            }
        }
        if !self.timings.is_empty() {
            let timings: Vec<_> = self
                .timings
                .iter()
                .map(|(phase, took)| format!("{phase} {:.1} s", took.as_secs_f64()))
                .collect();
            let _ = writeln!(text, "time: {}", timings.join(", "));
        }
        text.push_str(if self.succeeded() {
            "result: ok\n"
        } else {
            "result: FAILED\n"
        });
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Counts;

    fn ran(passed: u64, failed: u64) -> SuiteState {
        let mut outcome = Outcome::default();
        outcome.record(Counts { passed, failed });
        SuiteState::Ran(outcome)
    }

    #[test]
    fn all_passing_succeeds_and_skips_do_not_count() {
        let mut report = Report::default();
        report.suite("native", ran(40, 0));
        report.suite("chromium", ran(30, 0));
        report.suite("e2e", SuiteState::Skipped("no e2e crate".to_owned()));
        assert!(report.succeeded());
        assert_eq!(
            report.render(),
            "\n==== summary ====\nnative: 40 passed, 0 failed\nchromium: 30 passed, 0 failed\n\
             e2e: skipped (no e2e crate)\nresult: ok\n"
        );
    }

    #[test]
    fn a_failed_test_fails_the_run() {
        let mut report = Report::default();
        report.suite("native", ran(40, 0));
        report.suite("firefox", ran(29, 1));
        assert!(!report.succeeded());
        assert!(report.render().contains("firefox: 29 passed, 1 failed\n"));
    }

    #[test]
    fn a_failed_check_fails_the_run_and_is_listed() {
        let mut report = Report::default();
        report.check_failed("cargo fmt --all -- --check");
        report.suite("native", ran(1, 0));
        assert!(!report.succeeded());
        assert!(
            report
                .render()
                .contains("check failed: cargo fmt --all -- --check\n")
        );
    }

    #[test]
    fn a_suite_without_results_fails_the_run() {
        let mut report = Report::default();
        report.suite(
            "native",
            SuiteState::Ran(Outcome::not_run("`cargo test` failed (exit status: 101)")),
        );
        assert!(!report.succeeded());
        let text = report.render();
        assert!(text.contains("native: 0 passed, 0 failed\n"));
        assert!(text.contains("native: error: `cargo test` failed (exit status: 101)\n"));
        assert!(text.ends_with("result: FAILED\n"));
    }

    #[test]
    fn timings_are_listed_in_order() {
        let mut report = Report::default();
        report.timing("tools", Duration::from_millis(1300));
        report.timing("native", Duration::from_secs(30));
        assert!(
            report
                .render()
                .contains("time: tools 1.3 s, native 30.0 s\n")
        );
    }
}
