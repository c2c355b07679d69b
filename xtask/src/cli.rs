//! The command line: `cargo xtask <command> [options]`, with `--help` generated from these
//! definitions.

use clap::{Parser, Subcommand};

use crate::tasks::{bench, demo, dist, test};

/// What `--help` says after the commands.
const TOOLS: &str = "\
Tools are installed under target/tools/bin: wasm-bindgen-cli at the version of the wasm-bindgen
crate the workspace resolves to, and geckodriver. Missing browsers and redis-server are
installed with apt-get (chromium chromium-driver firefox-esr redis-server) when running as root.
CHROMEDRIVER and GECKODRIVER, when set, name the WebDriver servers to use.";

/// Set-up and orchestration for duplex-ws.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", after_help = TOOLS)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub task: Task,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Task {
    /// Install what is missing, check formatting and lints, then run every suite: native,
    /// browser (Chromium, then Firefox) and end to end.
    ///
    /// Exits 1 if a check fails, a test fails or a suite reports nothing.
    Test(test::Options),
    /// Build the pages and the relay in release mode and serve them until Ctrl-C: the chat
    /// page at /, the echo page at /www/echo.html.
    Demo(demo::Options),
    /// Build the pages in release mode into a folder for any static host.
    ///
    /// Writes index.html, www/ (hidden files and the pages' Rust crate left out) and a fresh
    /// www/pkg/. Runs wasm-opt -Oz on the wasm when wasm-opt is on PATH or in
    /// target/tools/bin, then prints the raw and gzipped size of every .wasm and .js file. The
    /// folder is removed and rewritten each run.
    Dist(dist::Options),
    /// Measure the minimal echo client three ways (callback, async, reconnect), the chat page
    /// and gloo-net's, and write the sizes into BENCHMARKS.md.
    ///
    /// Each is built in release mode through wasm-bindgen and wasm-opt -Oz; the raw and gzipped
    /// size of each wasm and JS glue go into the Size section of BENCHMARKS.md and
    /// target/size/. Installs wasm-opt when missing (npm's binaryen under
    /// target/tools/binaryen, else Debian's binaryen as root).
    Size,
    /// Measure speed against raw JavaScript and gloo-net, leaks under churn, the rooms'
    /// throughput and the chat's fan-out, and write the tables into BENCHMARKS.md.
    ///
    /// Builds the benchmark page (bench/) and the relay in release mode, runs every case in
    /// headless Chromium, then Firefox (the Speed and churn section; about 22 minutes on 2
    /// cores). Then the chat rooms' throughput (posts/s, deliveries/s) of the in-memory relay
    /// of commit c2b6509, the SQLite relay and the Redis relay under one load (the Rooms
    /// throughput section; installs redis-server when missing). Then the chat's fan-out
    /// (delivered/s, latency, server CPU per delivery) of the relay against a Node server on
    /// the ws package, in rooms of 10, 50 and 1,000 (the Fan-out section; installs nodejs and
    /// npm when missing). Then the relay's memory per idle connection and per joined member,
    /// and the most connections it holds before refusing (the Memory section). --rooms,
    /// --fanout and --memory measure only those.
    Bench(bench::Options),
    /// Install the tools and browsers the tests need; print how to use them by hand.
    Setup,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::browsers::Browser;

    fn parse(line: &str) -> Result<Task, clap::error::ErrorKind> {
        Cli::try_parse_from(["cargo xtask"].into_iter().chain(line.split_whitespace()))
            .map(|cli| cli.task)
            .map_err(|error| error.kind())
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn options_in_both_spellings() {
        let expected = Ok(Task::Test(test::Options {
            browser: Some(Browser::Firefox),
            skip_checks: true,
        }));
        assert_eq!(parse("test --browser firefox --skip-checks"), expected);
        assert_eq!(parse("test --skip-checks --browser=firefox"), expected);
        assert_eq!(
            parse("bench --browser=chromium --rooms"),
            Ok(Task::Bench(bench::Options {
                browser: Some(Browser::Chromium),
                only: None,
                rooms_only: true,
                fanout_only: false,
                memory_only: false,
            }))
        );
        assert_eq!(
            parse("bench --fanout"),
            Ok(Task::Bench(bench::Options {
                browser: None,
                only: None,
                rooms_only: false,
                fanout_only: true,
                memory_only: false,
            }))
        );
        assert_eq!(
            parse("bench --memory --rooms"),
            Ok(Task::Bench(bench::Options {
                browser: None,
                only: None,
                rooms_only: true,
                fanout_only: false,
                memory_only: true,
            }))
        );
        assert_eq!(
            parse("bench --only PingPong"),
            Ok(Task::Bench(bench::Options {
                only: Some("PingPong".to_owned()),
                ..bench::Options::default()
            }))
        );
    }

    #[test]
    fn defaults() {
        assert_eq!(parse("test"), Ok(Task::Test(test::Options::default())));
        assert_eq!(
            parse("demo"),
            Ok(Task::Demo(demo::Options {
                addr: "127.0.0.1:8080".to_owned(),
                redis: None,
            }))
        );
        assert_eq!(parse("dist"), Ok(Task::Dist(dist::Options { out: None })));
    }

    #[test]
    fn mistakes_are_refused() {
        use clap::error::ErrorKind;
        assert_eq!(parse("benchmark"), Err(ErrorKind::InvalidSubcommand));
        assert_eq!(parse("test --browser safari"), Err(ErrorKind::InvalidValue));
        assert_eq!(
            parse("test --skip-checks=yes"),
            Err(ErrorKind::TooManyValues)
        );
        assert_eq!(parse("dist --out"), Err(ErrorKind::InvalidValue));
        assert_eq!(parse("size --out x"), Err(ErrorKind::UnknownArgument));
        assert_eq!(parse("setup now"), Err(ErrorKind::UnknownArgument));
        assert_eq!(
            parse(""),
            Err(ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
        );
    }
}
