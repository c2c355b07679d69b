//! The command line: `cargo xtask <command> [options]`, parsed by hand.

use crate::browsers::Browser;
use std::path::PathBuf;

use crate::tasks::{bench, demo, dist, test};

/// The `help` text.
pub const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  test     Install what is missing, check formatting and lints, then run every suite:
           native, browser (Chromium, then Firefox) and end to end. Exits 1 if a check
           fails, a test fails or a suite reports nothing.
             --browser chromium|firefox   browser and e2e suites in this browser only
             --skip-checks                skip cargo fmt, cargo clippy and rustdoc
  demo     Build the pages and the relay in release mode and serve them until Ctrl-C:
           the chat page at /, the echo page at /www/echo.html.
             --addr ADDR                  listen address (default 127.0.0.1:8080; port 0
                                          picks a free port)
             --redis URL                  run two relays sharing their rooms through the
                                          Redis at URL (e.g. redis://127.0.0.1:6379); the
                                          second listens on a free port
  dist     Build the pages in release mode into a folder for any static host: index.html,
           www/ (hidden files and the pages' Rust crate left out) and a fresh www/pkg/.
           Runs wasm-opt -Oz on the wasm when wasm-opt is on PATH or in target/tools/bin,
           then prints the raw and gzipped size of every .wasm and .js file. The folder is
           removed and rewritten each run.
             --out DIR                    output folder (default dist/ in the repository;
                                          not the repository, one of its parents or www/)
  size     Build the minimal echo client three ways (callback layer, async layer,
           reconnect), the chat page and the same client written with gloo-net, each in
           release mode through wasm-bindgen and wasm-opt -Oz; print the raw and gzipped size
           of each wasm and JS glue with the targets, and write them into BENCHMARKS.md (the
           Size section) and target/size/. Installs wasm-opt when missing (npm's binaryen
           under target/tools/binaryen, else Debian's binaryen as root).
  bench    Measure speed against raw JavaScript and gloo-net, and leaks under churn: build
           the benchmark page (bench/) and the relay in release mode, run every case in
           headless Chromium, then Firefox, and write the tables into BENCHMARKS.md (the
           Speed and churn section) and target/bench/. Takes about 22 minutes on 2 cores.
           Then the chat rooms' throughput (posts/s, deliveries/s) of the in-memory relay
           of commit c2b6509, the SQLite relay and the Redis relay under one load (the
           Rooms throughput section; installs redis-server when missing).
             --browser chromium|firefox   measure in this browser only
             --rooms                      measure the rooms' throughput only
  setup    Install the tools and browsers the tests need; print how to use them by hand.
  help     Print this help.

Tools are installed under target/tools/bin: wasm-bindgen-cli at the version of the
wasm-bindgen crate in Cargo.lock, and geckodriver. Missing browsers are installed with
apt-get (chromium chromium-driver firefox-esr) when running as root. CHROMEDRIVER and
GECKODRIVER, when set, name the WebDriver servers to use.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Print [`USAGE`].
    Help,
    /// `cargo xtask test`.
    Test(test::Options),
    /// `cargo xtask demo`.
    Demo(demo::Options),
    /// `cargo xtask dist`.
    Dist(dist::Options),
    /// `cargo xtask setup`.
    Setup,
    /// `cargo xtask size`.
    Size,
    /// `cargo xtask bench`.
    Bench(bench::Options),
}

/// Parses the arguments after `cargo xtask`.
///
/// # Errors
/// A one-line message for an unknown command or option, or a missing or bad value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Task, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Task::Help);
    };
    let options: Vec<String> = args.collect();
    if options.iter().any(|arg| arg == "-h" || arg == "--help") {
        return Ok(Task::Help);
    }
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "test" => parse_test(options).map(Task::Test),
        "demo" => parse_demo(options).map(Task::Demo),
        "dist" => parse_dist(options).map(Task::Dist),
        "setup" => match options.first() {
            None => Ok(Task::Setup),
            Some(extra) => Err(format!("`setup` takes no options, got `{extra}`")),
        },
        "bench" => parse_bench(options).map(Task::Bench),
        "size" => match options.first() {
            None => Ok(Task::Size),
            Some(extra) => Err(format!("`size` takes no options, got `{extra}`")),
        },
        other => Err(format!("unknown command `{other}`")),
    }
}

/// The options of `test`.
fn parse_test(args: Vec<String>) -> Result<test::Options, String> {
    let mut options = test::Options::default();
    let mut args = Options::new(args);
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--browser" => options.browsers = vec![browser(&args.value(&option)?)?],
            "--skip-checks" => {
                args.no_value(&option)?;
                options.skip_checks = true;
            }
            _ => return Err(format!("`test` has no option `{option}`")),
        }
    }
    Ok(options)
}

/// The options of `bench`.
fn parse_bench(args: Vec<String>) -> Result<bench::Options, String> {
    let mut options = bench::Options::default();
    let mut args = Options::new(args);
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--browser" => options.browsers = vec![browser(&args.value(&option)?)?],
            "--rooms" => options.rooms_only = true,
            _ => return Err(format!("`bench` has no option `{option}`")),
        }
    }
    Ok(options)
}

/// The browser called `name`.
fn browser(name: &str) -> Result<Browser, String> {
    Browser::from_name(name)
        .ok_or_else(|| format!("unknown browser `{name}` (expected chromium or firefox)"))
}

/// The options of `demo`.
fn parse_demo(args: Vec<String>) -> Result<demo::Options, String> {
    let mut options = demo::Options::default();
    let mut args = Options::new(args);
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--addr" => options.addr = args.value(&option)?,
            "--redis" => options.redis = Some(args.value(&option)?),
            _ => return Err(format!("`demo` has no option `{option}`")),
        }
    }
    Ok(options)
}

/// The options of `dist`.
fn parse_dist(args: Vec<String>) -> Result<dist::Options, String> {
    let mut options = dist::Options::default();
    let mut args = Options::new(args);
    while let Some(option) = args.next_option()? {
        match option.as_str() {
            "--out" => options.out = Some(PathBuf::from(args.value(&option)?)),
            _ => return Err(format!("`dist` has no option `{option}`")),
        }
    }
    Ok(options)
}

/// A cursor over `--name value` and `--name=value` options.
#[derive(Debug)]
struct Options {
    args: std::vec::IntoIter<String>,
    inline_value: Option<String>,
}

impl Options {
    /// A cursor over `args`.
    fn new(args: Vec<String>) -> Self {
        Self {
            args: args.into_iter(),
            inline_value: None,
        }
    }

    /// The next option's name, or `None` at the end.
    fn next_option(&mut self) -> Result<Option<String>, String> {
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        if !arg.starts_with("--") {
            return Err(format!("unexpected argument `{arg}`"));
        }
        Ok(Some(match arg.split_once('=') {
            Some((name, value)) => {
                self.inline_value = Some(value.to_owned());
                name.to_owned()
            }
            None => arg,
        }))
    }

    /// The value of `option` (`--option=value` or `--option value`).
    fn value(&mut self, option: &str) -> Result<String, String> {
        self.inline_value
            .take()
            .or_else(|| self.args.next())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| format!("`{option}` needs a value"))
    }

    /// Fails if `option` was given as `--option=value`.
    fn no_value(&mut self, option: &str) -> Result<(), String> {
        match self.inline_value.take() {
            None => Ok(()),
            Some(_) => Err(format!("`{option}` takes no value")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Task, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn no_command_or_help_means_help() {
        assert_eq!(parse_str(""), Ok(Task::Help));
        assert_eq!(parse_str("help"), Ok(Task::Help));
        assert_eq!(parse_str("--help"), Ok(Task::Help));
        assert_eq!(parse_str("test --browser firefox -h"), Ok(Task::Help));
    }

    #[test]
    fn test_defaults_to_both_browsers_with_checks() {
        assert_eq!(
            parse_str("test"),
            Ok(Task::Test(test::Options {
                browsers: Browser::ALL.to_vec(),
                skip_checks: false,
            }))
        );
    }

    #[test]
    fn test_options_in_both_spellings() {
        let expected = Ok(Task::Test(test::Options {
            browsers: vec![Browser::Firefox],
            skip_checks: true,
        }));
        assert_eq!(parse_str("test --browser firefox --skip-checks"), expected);
        assert_eq!(parse_str("test --skip-checks --browser=firefox"), expected);
    }

    #[test]
    fn demo_takes_an_address() {
        assert_eq!(
            parse_str("demo"),
            Ok(Task::Demo(demo::Options {
                addr: "127.0.0.1:8080".to_owned(),
                redis: None,
            }))
        );
        assert_eq!(
            parse_str("demo --addr 127.0.0.1:0 --redis redis://127.0.0.1:6379"),
            Ok(Task::Demo(demo::Options {
                addr: "127.0.0.1:0".to_owned(),
                redis: Some("redis://127.0.0.1:6379".to_owned()),
            }))
        );
    }

    #[test]
    fn dist_defaults_to_no_out_folder() {
        assert_eq!(
            parse_str("dist"),
            Ok(Task::Dist(dist::Options { out: None }))
        );
    }

    #[test]
    fn dist_takes_an_out_folder_in_both_spellings() {
        let expected = Ok(Task::Dist(dist::Options {
            out: Some(PathBuf::from("site/public")),
        }));
        assert_eq!(parse_str("dist --out site/public"), expected);
        assert_eq!(parse_str("dist --out=site/public"), expected);
        assert_eq!(
            parse_str("dist --out a --out b"),
            Ok(Task::Dist(dist::Options {
                out: Some(PathBuf::from("b")),
            }))
        );
    }

    #[test]
    fn dist_mistakes_are_reported() {
        assert_eq!(
            parse_str("dist --out"),
            Err("`--out` needs a value".to_owned())
        );
        assert_eq!(
            parse_str("dist --out="),
            Err("`--out` needs a value".to_owned())
        );
        assert_eq!(
            parse_str("dist --release"),
            Err("`dist` has no option `--release`".to_owned())
        );
        assert_eq!(
            parse_str("dist site"),
            Err("unexpected argument `site`".to_owned())
        );
        assert_eq!(parse_str("dist --out site --help"), Ok(Task::Help));
    }

    #[test]
    fn bench_runs_in_both_browsers_unless_one_is_named() {
        assert_eq!(
            parse_str("bench"),
            Ok(Task::Bench(bench::Options {
                browsers: vec![Browser::Chromium, Browser::Firefox],
                rooms_only: false,
            }))
        );
        assert_eq!(
            parse_str("bench --browser=firefox --rooms"),
            Ok(Task::Bench(bench::Options {
                browsers: vec![Browser::Firefox],
                rooms_only: true,
            }))
        );
        assert_eq!(
            parse_str("bench --browser safari"),
            Err("unknown browser `safari` (expected chromium or firefox)".to_owned())
        );
        assert_eq!(
            parse_str("bench --quick"),
            Err("`bench` has no option `--quick`".to_owned())
        );
    }

    #[test]
    fn size_takes_no_options() {
        assert_eq!(parse_str("size"), Ok(Task::Size));
        assert_eq!(parse_str("size --help"), Ok(Task::Help));
        assert_eq!(
            parse_str("size --out target/x"),
            Err("`size` takes no options, got `--out`".to_owned())
        );
        assert_eq!(
            parse_str("size chat"),
            Err("`size` takes no options, got `chat`".to_owned())
        );
    }

    #[test]
    fn the_help_lists_every_command() {
        for command in ["test", "demo", "dist", "size", "bench", "setup", "help"] {
            assert!(
                USAGE.contains(&format!("\n  {command} ")),
                "no `{command}` in the help"
            );
        }
    }

    #[test]
    fn mistakes_are_reported() {
        assert_eq!(
            parse_str("benchmark"),
            Err("unknown command `benchmark`".to_owned())
        );
        assert_eq!(
            parse_str("test --browser safari"),
            Err("unknown browser `safari` (expected chromium or firefox)".to_owned())
        );
        assert_eq!(
            parse_str("test --browser"),
            Err("`--browser` needs a value".to_owned())
        );
        assert_eq!(
            parse_str("test --skip-checks=yes"),
            Err("`--skip-checks` takes no value".to_owned())
        );
        assert_eq!(
            parse_str("demo --port 1"),
            Err("`demo` has no option `--port`".to_owned())
        );
        assert_eq!(
            parse_str("setup now"),
            Err("`setup` takes no options, got `now`".to_owned())
        );
        assert_eq!(
            parse_str("test chromium"),
            Err("unexpected argument `chromium`".to_owned())
        );
    }
}
