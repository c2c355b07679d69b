//! `cargo xtask test`: tools, checks, then the native, browser and end-to-end suites, and a
//! summary.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use xshell::Cmd;

use crate::browsers::{self, Browser, Ready};
use crate::package;
use crate::page;
use crate::process::{heading, say};
use crate::relay::{self, Output, Relay};
use crate::report::{Report, SuiteState};
use crate::suite::{self, Outcome};
use crate::tools::{self, WASM_TARGET};
use crate::workspace::{Profile, Workspace};

/// The options of `cargo xtask test`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct Options {
    /// Run the browser and e2e suites in this browser only.
    #[arg(long, value_enum, value_name = "BROWSER")]
    pub browser: Option<Browser>,
    /// Skip the checks: cargo fmt, cargo clippy, rustdoc, the publish dry run and the README build.
    #[arg(long)]
    pub skip_checks: bool,
}

/// How long one wasm test binary may run in the browser (the runner's default is 20 s).
const BROWSER_TEST_TIMEOUT_SECS: &str = "300";

/// The framework hooks' features for the browser: their JSON codec (their `ssr` feature is for
/// native, server-side builds, where the hooks open nothing). The same as the consoles' build
/// selects (`page::selection`), so the tests and the consoles share one build.
const HOOKS_IN_BROWSER: [&str; 6] = [
    "--package",
    "duplex-ws-leptos",
    "--package",
    "duplex-ws-yew",
    "--features",
    "duplex-ws-leptos/json,duplex-ws-yew/json",
];

/// The checks, as cargo arguments.
const CHECKS: [&[&str]; 7] = [
    &["fmt", "--all", "--", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ],
    // The library package and the pages' package: the relay and xtask are native only.
    &[
        "clippy",
        "--package",
        "duplex-ws",
        "--target",
        WASM_TARGET,
        "--lib",
        "--tests",
        "--examples",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ],
    // The demo pages (www/), as the browser runs them.
    &[
        "clippy",
        "--package",
        "duplex-pages",
        "--target",
        WASM_TARGET,
        "--lib",
        "--examples",
        "--",
        "-D",
        "warnings",
    ],
    // The benchmark page (bench/page/), as the browser runs it: natively it is empty.
    &[
        "clippy",
        "--package",
        "duplex-bench",
        "--target",
        WASM_TARGET,
        "--examples",
        "--",
        "-D",
        "warnings",
    ],
    // Without its optional features, as most users build it.
    &[
        "clippy",
        "--package",
        "duplex-ws",
        "--target",
        WASM_TARGET,
        "--lib",
        "--",
        "-D",
        "warnings",
    ],
    // The library's documentation, as users read it: no broken links, no bare URLs.
    &[
        "rustdoc",
        "--package",
        "duplex-ws",
        "--lib",
        "--all-features",
        "--target",
        WASM_TARGET,
        "--",
        "-D",
        "warnings",
    ],
];

/// Runs everything and prints the summary; `Ok(false)` when a check or a suite failed.
///
/// # Errors
/// When a tool or browser is missing and cannot be installed.
pub fn run_all(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    let mut report = Report::default();

    heading("tools");
    let started = Instant::now();
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;
    if !options.skip_checks {
        tools::ensure_lint_tools(workspace)?;
    }
    let ready = browsers::ensure(workspace, &browsers::selected(options.browser))?;
    tools::ensure_redis_server(workspace)?;
    report.timing("tools", started.elapsed());

    heading("checks");
    if options.skip_checks {
        say("skipped (--skip-checks)");
    } else {
        let started = Instant::now();
        run_checks(workspace, &mut report);
        report.timing("checks", started.elapsed());
    }

    heading("native tests");
    let started = Instant::now();
    // The e2e crate's tests drive browsers: they run with the end-to-end tests, as does the
    // benchmark's page test, which its manifest leaves out of a plain `cargo test`. One cargo run
    // for the rest, so that every crate is built with the same features once.
    let e2e = workspace.has_e2e().then_some(["--exclude", "duplex-e2e"]);
    let native = workspace
        .cargo()
        .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
        .args(e2e.iter().flatten());
    report.suite("native", SuiteState::Ran(suite::run(native)));
    report.timing("native", started.elapsed());

    run_browser_suites(workspace, &ready, &mut report);

    heading("end-to-end tests");
    let started = Instant::now();
    if workspace.has_e2e() {
        let built = page::build_all(
            workspace,
            &wasm_bindgen,
            Profile::Dev,
            &page::pkg_dir(workspace),
        )
        .and_then(|()| page::build_bench(workspace, &wasm_bindgen, Profile::Dev))
        .and_then(|()| relay::build(workspace, Profile::Dev));
        let outcome = match built {
            Ok(relay) => run_e2e(workspace, &ready, &relay),
            Err(error) => Outcome::not_run(format!("cannot build the pages: {error}")),
        };
        report.suite("e2e", SuiteState::Ran(outcome));
        report.timing("e2e", started.elapsed());
    } else {
        say("e2e: skipped (no e2e crate)");
        report.suite("e2e", SuiteState::Skipped("no e2e crate".to_owned()));
    }

    print!("{}", report.render());
    Ok(report.succeeded())
}

/// Runs each check; a failure is recorded and the run goes on.
fn run_checks(workspace: &Workspace, report: &mut Report) {
    // The framework hooks (hooks/), their browser tests and their echo consoles, as the browser
    // runs them.
    let hooks: Vec<&str> = ["clippy"]
        .into_iter()
        .chain(HOOKS_IN_BROWSER)
        .chain(["--target", WASM_TARGET, "--lib", "--tests", "--examples"])
        .chain(["--", "-D", "warnings"])
        .collect();
    for args in CHECKS.into_iter().chain([hooks.as_slice()]) {
        let name = format!("cargo {}", args.join(" "));
        if let Err(error) = workspace.cargo().args(args).run() {
            say(format!("check failed: {error}"));
            report.check_failed(name);
        }
    }
    let package_checks = [
        ("the duplex-ws package", package::check_publish(workspace)),
        ("the README's quickstart", package::check_readme(workspace)),
    ];
    for (name, checked) in package_checks {
        if let Err(error) = checked {
            say(format!("check failed: {error:#}"));
            report.check_failed(format!("{name}: {error:#}"));
        }
    }
}

/// Starts a relay with the test endpoints and runs the wasm tests (`tests/*.rs`) in each
/// ready browser against it; the relay stops when this returns.
fn run_browser_suites(workspace: &Workspace, ready: &[Ready], report: &mut Report) {
    heading("relay");
    let started = Instant::now();
    let relay = relay::build(workspace, Profile::Dev).and_then(|program| {
        let command = workspace
            .cmd(&program)
            .args(["--addr", "127.0.0.1:0", "--root"])
            .arg(workspace.root())
            .arg("--data")
            .arg(relay::fresh_data("test")?)
            .arg("--test-endpoints");
        Relay::start(command, &Output::Log(relay::test_log(workspace)))
    });
    match &relay {
        Ok(relay) => say(format!(
            "relay: {} (log: {})",
            relay.url(),
            relay::test_log(workspace).display()
        )),
        Err(error) => say(format!("relay: {error}")),
    }
    report.timing("relay", started.elapsed());
    for browser in Browser::ALL {
        let Some(ready) = ready.iter().find(|ready| ready.browser == browser) else {
            report.suite(
                browser.name(),
                SuiteState::Skipped("not selected by --browser".to_owned()),
            );
            continue;
        };
        heading(&format!("browser tests: {browser}"));
        let started = Instant::now();
        let outcome = match &relay {
            Ok(relay) => run_browser_tests(workspace, ready, relay.url()),
            Err(error) => Outcome::not_run(format!("no relay to test against: {error}")),
        };
        report.suite(browser.name(), SuiteState::Ran(outcome));
        report.timing(browser.name(), started.elapsed());
    }
}

/// The browser suites: the cargo arguments that select their packages, and their test targets.
/// The library's every `tests/*.rs` with all its features, then the framework hooks' `browser`
/// tests (their `ssr` tests run natively).
const BROWSER_SUITES: [(&[&str], &str); 2] = [
    (&["--package", "duplex-ws", "--all-features"], "*"),
    (&HOOKS_IN_BROWSER, "browser"),
];

/// Runs every browser suite's `tests/*.rs` in `ready`'s browser against the relay at
/// `relay_url`, and adds the runs up.
fn run_browser_tests(workspace: &Workspace, ready: &Ready, relay_url: &str) -> Outcome {
    let mut total = Outcome::default();
    for (selection, tests) in BROWSER_SUITES {
        let command = browser_tests(workspace, ready, relay_url, selection, tests);
        total.absorb(suite::run(command));
    }
    total
}

/// `cargo test --target wasm32-unknown-unknown --test <tests>` of `selection` in `ready`'s
/// browser.
fn browser_tests<'a>(
    workspace: &'a Workspace,
    ready: &Ready,
    relay_url: &str,
    selection: &[&str],
    tests: &str,
) -> Cmd<'a> {
    // No --quiet: cargo would hand it on to wasm-bindgen-test-runner, which rejects it.
    let command = workspace
        .cargo()
        .args(["test", "--target", WASM_TARGET])
        .args(selection)
        .args(["--test", tests, "--no-fail-fast"])
        .env("DUPLEX_TEST_RELAY", relay_url)
        .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECS)
        // The runner looks for webdriver.json in the folder of the package under test; the
        // hooks' packages use the root's, with the flags Chromium needs here.
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            workspace.root().join("webdriver.json"),
        );
    ready.select_driver(command)
}

/// The end-to-end suites, as cargo arguments: the e2e crate, then the benchmark page's smoke
/// test, which a plain `cargo test` (the native suite) leaves out since it needs a browser.
const E2E_SUITES: [&[&str]; 2] = [
    &["test", "--package", "duplex-e2e", "--no-fail-fast"],
    &[
        "test",
        "--package",
        "duplex-bench",
        "--test",
        "page",
        "--no-fail-fast",
    ],
];

/// Runs the end-to-end suites once per ready browser, each with the same environment, and adds
/// the runs up; `relay` is the binary the shared-rooms test kills.
fn run_e2e(workspace: &Workspace, ready: &[Ready], relay: &Path) -> Outcome {
    let mut total = Outcome::default();
    for ready in ready {
        for args in E2E_SUITES {
            let command = workspace
                .cargo()
                .args(args)
                .env("DUPLEX_E2E_BROWSER", ready.browser.name())
                .env("DUPLEX_E2E_ROOT", workspace.root())
                .env("DUPLEX_RELAY_BIN", relay);
            let outcome = suite::run(ready.select_driver(command));
            total.absorb(outcome.labelled(ready.browser.name()));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hooks_browser_tests_select_what_their_consoles_are_built_with() {
        assert_eq!(
            HOOKS_IN_BROWSER.to_vec(),
            page::selection(&page::consoles()),
            "one selection, so the tests and the consoles share their build"
        );
    }
}
