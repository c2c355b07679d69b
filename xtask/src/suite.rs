//! Running a `cargo test` suite with its output on the terminal, and adding up the libtest
//! `test result:` lines it prints.

use std::io::{self, Write};

use xshell::Cmd;

use crate::process::run_teed;

/// The counts of one `test result:` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
}

/// The counts in a libtest summary line such as
/// `test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; ...`.
pub fn parse_result_line(line: &str) -> Option<Counts> {
    const MARKER: &str = "test result: ";
    let rest = &line[line.find(MARKER)? + MARKER.len()..];
    let (status, fields) = rest.split_once(". ")?;
    if status != "ok" && status != "FAILED" {
        return None;
    }
    let mut passed = None;
    let mut failed = None;
    for field in fields.split(';').map(str::trim) {
        if let Some(count) = field.strip_suffix(" passed") {
            passed = count.parse().ok();
        } else if let Some(count) = field.strip_suffix(" failed") {
            failed = count.parse().ok();
        }
    }
    Some(Counts {
        passed: passed?,
        failed: failed?,
    })
}

/// What one suite (one or more `cargo test` runs) came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Tests that passed, over every result line.
    pub passed: u64,
    /// Tests that failed, over every result line.
    pub failed: u64,
    /// How many result lines were seen.
    pub results: usize,
    /// Why the suite failed beyond failed tests (no build, a crash, no results).
    pub problems: Vec<String>,
}

impl Outcome {
    /// A suite that could not run at all, for `problem`.
    pub fn not_run(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
            ..Self::default()
        }
    }

    /// Counts one result line in.
    pub fn record(&mut self, counts: Counts) {
        self.passed += counts.passed;
        self.failed += counts.failed;
        self.results += 1;
    }

    /// Adds another run of the same suite (e2e in a second browser).
    pub fn absorb(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.results += other.results;
        self.problems.extend(other.problems);
    }

    /// The same outcome with `label: ` in front of each problem.
    #[must_use]
    pub fn labelled(mut self, label: &str) -> Self {
        for problem in &mut self.problems {
            *problem = format!("{label}: {problem}");
        }
        self
    }

    /// Whether every test passed and nothing else went wrong.
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.results > 0 && self.problems.is_empty()
    }
}

/// Runs `command` (a `cargo test`) with its output on the terminal, and adds up its result
/// lines. A run that fails without a failed test, or reports nothing, gets a problem saying so.
pub fn run(command: Cmd<'_>) -> Outcome {
    run_copying_to(command, &mut io::stdout())
}

/// [`run`], with the command's stdout copied to `copy` instead of the terminal.
fn run_copying_to(command: Cmd<'_>, copy: &mut dyn Write) -> Outcome {
    let mut outcome = Outcome::default();
    let status = run_teed(command, copy, |line| {
        if let Some(counts) = parse_result_line(line) {
            outcome.record(counts);
        }
    });
    match status {
        Err(error) => outcome.problems.push(error.to_string()),
        Ok(status) if !status.success() && outcome.failed == 0 => {
            outcome.problems.push(if outcome.results == 0 {
                format!("`cargo test` failed ({status}) before any test result (build error?)")
            } else {
                format!(
                    "`cargo test` failed ({status}) with no failed test \
                     (a test binary crashed or timed out?)"
                )
            });
        }
        Ok(_) if outcome.results == 0 => outcome
            .problems
            .push("`cargo test` printed no test result".to_owned()),
        Ok(_) => {}
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_passing_line() {
        let line = "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; \
                    0 filtered out; finished in 0.41s\n";
        assert_eq!(
            parse_result_line(line),
            Some(Counts {
                passed: 12,
                failed: 0
            })
        );
    }

    #[test]
    fn reads_a_failing_line() {
        let line = "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 filtered out; \
                    finished in 9.01s";
        assert_eq!(
            parse_result_line(line),
            Some(Counts {
                passed: 3,
                failed: 2
            })
        );
    }

    #[test]
    fn tolerates_text_before_the_marker() {
        let line = "stray output without newline test result: ok. 1 passed; 0 failed; \
                    0 ignored";
        assert_eq!(
            parse_result_line(line),
            Some(Counts {
                passed: 1,
                failed: 0
            })
        );
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(parse_result_line("test close::reason ... ok"), None);
        assert_eq!(parse_result_line("running 3 tests"), None);
        assert_eq!(
            parse_result_line("test result: maybe. 1 passed; 0 failed"),
            None
        );
        assert_eq!(parse_result_line("test result: ok. lots passed"), None);
        assert_eq!(parse_result_line(""), None);
    }

    #[test]
    fn outcomes_add_up() {
        let mut chromium = Outcome::default();
        chromium.record(Counts {
            passed: 4,
            failed: 1,
        });
        let mut firefox = Outcome::not_run("no driver").labelled("firefox");
        firefox.record(Counts {
            passed: 2,
            failed: 0,
        });
        chromium.absorb(firefox);
        assert_eq!(chromium.passed, 6);
        assert_eq!(chromium.failed, 1);
        assert_eq!(chromium.results, 2);
        assert_eq!(chromium.problems, ["firefox: no driver"]);
        assert!(!chromium.succeeded());
    }

    /// Runs a shell script as if it were `cargo test`, keeping its output off the terminal
    /// (whose result lines would count in the run that runs these tests).
    #[cfg(unix)]
    fn run_script(script: &str) -> Outcome {
        let shell = xshell::Shell::new().expect("a shell");
        run_copying_to(shell.cmd("sh").args(["-c", script]), &mut io::sink())
    }

    #[cfg(unix)]
    #[test]
    fn a_run_with_failed_tests_counts_them() {
        let outcome = run_script(
            "echo 'test result: ok. 2 passed; 0 failed; 0 ignored'; \
             echo 'test result: FAILED. 1 passed; 3 failed; 0 ignored'; exit 101",
        );
        assert_eq!((outcome.passed, outcome.failed, outcome.results), (3, 3, 2));
        assert!(outcome.problems.is_empty());
        assert!(!outcome.succeeded());
    }

    #[cfg(unix)]
    #[test]
    fn a_build_error_is_a_problem() {
        let outcome = run_script("exit 101");
        assert_eq!(outcome.results, 0);
        assert_eq!(
            outcome.problems,
            ["`cargo test` failed (exit status: 101) before any test result (build error?)"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_crash_after_passing_results_is_a_problem() {
        let outcome = run_script("echo 'test result: ok. 5 passed; 0 failed;'; exit 1");
        assert_eq!(outcome.passed, 5);
        assert_eq!(outcome.problems.len(), 1);
        assert!(!outcome.succeeded());
    }

    #[cfg(unix)]
    #[test]
    fn a_silent_success_is_a_problem() {
        let outcome = run_script("true");
        assert_eq!(outcome.problems, ["`cargo test` printed no test result"]);
    }

    #[test]
    fn a_program_that_cannot_start_is_a_problem() {
        let shell = xshell::Shell::new().expect("a shell");
        let outcome = run_copying_to(
            shell.cmd("/nonexistent/xtask-no-such-program"),
            &mut io::sink(),
        );
        assert_eq!(outcome.problems.len(), 1);
        assert!(outcome.problems[0].starts_with("cannot run `/nonexistent/xtask-no-such-program`"));
    }

    #[test]
    fn success_needs_results_and_no_failures_or_problems() {
        assert!(!Outcome::default().succeeded());
        let mut outcome = Outcome::default();
        outcome.record(Counts {
            passed: 0,
            failed: 0,
        });
        assert!(outcome.succeeded());
        outcome.record(Counts {
            passed: 1,
            failed: 1,
        });
        assert!(!outcome.succeeded());
    }
}
