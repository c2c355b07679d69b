//! `cargo xtask bench`: the benchmark page (the bench crate's `bench/index.html`, its Rust in
//! `bench/page/`) built in release mode, a release relay with `--test-endpoints` on 127.0.0.1,
//! and the bench crate's `bench` runner driving the page once per browser. Each browser's
//! tables go into `target/bench/<browser>.md`, and all of them into the Speed and churn section
//! of `BENCHMARKS.md`.

use std::fs;
use std::io;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use clap::Args;

use crate::benchmarks;
use crate::browsers::{self, Browser};
use crate::page;
use crate::process::{heading, say, version_of};
use crate::relay::{self, Output, Relay};
use crate::tasks::{fanout, memory, throughput};
use crate::tools;
use crate::workspace::{Profile, Workspace};

/// The command, as the report shows it.
pub const COMMAND: &str = "cargo xtask bench";

/// The output folder, under cargo's target folder.
pub const OUT: &str = "bench";

/// The options of `cargo xtask bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct Options {
    /// Measure in this browser only.
    #[arg(long, value_enum, value_name = "BROWSER")]
    pub browser: Option<Browser>,
    /// Measure only the page's cases whose name holds TEXT (such as "Pipelined text 1 KiB") and the
    /// per-message costs, without the churn, the rooms, the fan-out or the memory; BENCHMARKS.md is
    /// left as it is.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Measure the rooms' throughput, not the page (with --fanout or --memory: those too).
    #[arg(long = "rooms")]
    pub rooms_only: bool,
    /// Measure the chat's fan-out against a Node server, not the page (with --rooms or
    /// --memory: those too).
    #[arg(long = "fanout")]
    pub fanout_only: bool,
    /// Measure the relay's memory per connection and the most connections it holds, not the
    /// page (with --rooms or --fanout: those too).
    #[arg(long = "memory")]
    pub memory_only: bool,
}

/// Builds everything, runs the benchmark in each browser and writes `BENCHMARKS.md`; `Ok(false)`
/// when a browser's run failed or had failed runs (what was measured is written anyway).
///
/// # Errors
/// When a tool or browser is missing and cannot be installed, a build fails, or the relay does
/// not start.
pub fn run_all(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    if options.only.is_some() {
        return run_page(workspace, options);
    }
    let only = options.rooms_only || options.fanout_only || options.memory_only;
    let page = only || run_page(workspace, options)?;
    let rooms = (only && !options.rooms_only) || throughput::run_all(workspace)?;
    let fanout = (only && !options.fanout_only) || fanout::run_all(workspace)?;
    let memory = (only && !options.memory_only) || memory::run_all(workspace)?;
    Ok(page && rooms && fanout && memory)
}

/// The benchmark page in each browser, into the Speed and churn section.
fn run_page(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    heading("tools");
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;
    let ready = browsers::ensure(workspace, &browsers::selected(options.browser))?;
    let versions = Versions {
        rustc: version_of(workspace.cmd("rustc").arg("-V"))?,
        wasm_bindgen: version_of(workspace.cmd(&wasm_bindgen.cli).arg("--version"))?,
    };

    heading("benchmark page (release)");
    page::build_bench(workspace, &wasm_bindgen, Profile::Release)?;

    heading("runner");
    workspace
        .cargo()
        .args(["build", "--package", "duplex-bench", "--bin", "bench"])
        .run()
        .context("building the bench runner")?;
    let runner = workspace
        .target()
        .join(Profile::Dev.dir())
        .join(format!("bench{}", std::env::consts::EXE_SUFFIX));

    heading("relay (release)");
    let out = workspace.target().join(OUT);
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let program = relay::build(workspace, Profile::Release)?;
    let command = workspace
        .cmd(&program)
        .args(["--addr", "127.0.0.1:0", "--root"])
        .arg(workspace.root())
        .arg("--data")
        .arg(relay::fresh_data("bench")?)
        .args(relay::UNDER_LOAD)
        .arg("--test-endpoints");
    let relay = Relay::start(command, &Output::Log(out.join("relay.log")))?;
    say(format!("relay: {}", relay.url()));

    let mut sections = Vec::new();
    let mut succeeded = true;
    for ready in &ready {
        let browser = ready.browser;
        heading(&format!("bench: {browser}"));
        let file = out.join(format!("{browser}.md"));
        remove(&file)?;
        let mut command = workspace
            .cmd(&runner)
            .args(["--base-url", relay.url(), "--out"])
            .arg(&file);
        if let Some(only) = &options.only {
            command = command.args(["--only", only]);
        }
        let command = command
            .env("DUPLEX_E2E_BROWSER", browser.name())
            .env("DUPLEX_E2E_ROOT", workspace.root());
        if let Err(error) = ready.select_driver(command).run() {
            say(format!("{browser}: {error}"));
            succeeded = false;
        }
        match fs::read_to_string(&file) {
            Ok(section) => sections.push(section),
            Err(error) => {
                succeeded = false;
                say(format!("{browser}: no results ({error})"));
            }
        }
    }
    drop(relay);

    if sections.is_empty() {
        return Ok(false);
    }
    let report = render(&versions, &sections);
    heading("results");
    print!("{report}");
    if options.only.is_some() {
        say("--only: BENCHMARKS.md is left as it is");
        return Ok(succeeded);
    }
    let path = benchmarks::write(workspace, benchmarks::BENCH, &report)?;
    say(format!(
        "wrote the Speed and churn section of {} (each browser's part is also in {})",
        path.display(),
        out.display()
    ));
    Ok(succeeded)
}

/// The tool versions the report names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// `rustc -V`.
    pub rustc: String,
    /// `wasm-bindgen --version`.
    pub wasm_bindgen: String,
}

/// How it was measured, then each browser's section.
pub fn render(versions: &Versions, sections: &[String]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mut text = format!(
        "Measured with `{COMMAND}` on {cores} cores: {}, {}. The page (`bench/index.html`, its Rust in \
         `bench/page/`) is a release build (the workspace profile: opt-level \"z\", LTO, one \
         codegen unit) through `wasm-bindgen --target web`, without wasm-opt; the relay is a \
         release build of duplex-relay on 127.0.0.1, serving `/echo` and `/test/flood`.\n\n\
         Seven clients do the same thing in the same page: the browser's `WebSocket` from plain \
         JavaScript (raw JS, the limit); the same JavaScript client a second time (the A/A control: \
         how far two identical clients differ on this machine, cell by cell); a Rust client written \
         by hand on web-sys closures with no library (the floor for Rust code: it copies text and \
         bytes across the wasm boundary as duplex-ws does); duplex-ws's callback API, once with \
         Rust values (`on_message`, `send_text`, `send_bytes`) and once with JS values \
         (`on_js_message`, `send_js_string`, `send_array_buffer`: nothing copied into wasm \
         memory); duplex-ws's `Stream`/`Sink` (`duplex_ws::open`, split into sender and \
         receiver); and gloo-net 0.7's `WebSocket`. Every case runs one warm-up round, then the measured \
         rounds (each browser's section says how many); in each round every client runs once, and each round starts one client \
         later (A B C ..., B C ... A, ...), so every client runs in every place equally often. The \
         page times with `performance.now()`: pipelined echo from the first send to the last echo \
         (all messages sent back to back), ping-pong per round trip (send, await the echo, \
         repeat), the flood from connecting until its last message. Connecting and \
         closing are not timed; every echo is checked for its kind and length.\n\n\
         A ratio between two clients is the median of the rounds' own ratios, each between the two \
         runs of one round, which cancels what slows a whole round. In brackets, its 90% interval: \
         the 5th and 95th percentiles of the median over 2,000 bootstrap resamples of the \
         rounds (the bench crate's `stats::RESAMPLES`). The verdict: *slower* or *faster* when the whole interval lies outside the A/A \
         control's interval in the same cell (widened to take in 1.0), *same* otherwise.\n\n",
        versions.rustc, versions.wasm_bindgen
    );
    for section in sections {
        text.push_str(section);
    }
    text
}

/// Removes `file` if it is there.
fn remove(file: &Path) -> Result<()> {
    match fs::remove_file(file) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(anyhow!("cannot remove {}: {error}", file.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_tools_and_the_method_then_each_browser() {
        let versions = Versions {
            rustc: "rustc 1.95.0".to_owned(),
            wasm_bindgen: "wasm-bindgen 0.2.130".to_owned(),
        };
        let text = render(
            &versions,
            &[
                "### chrome 156\n\n".to_owned(),
                "### firefox 153\n\n".to_owned(),
            ],
        );
        assert!(
            text.starts_with("Measured with `cargo xtask bench` on "),
            "{text}"
        );
        assert!(
            text.contains("rustc 1.95.0, wasm-bindgen 0.2.130"),
            "{text}"
        );
        assert!(text.contains("the A/A control"), "{text}");
        assert!(
            text.ends_with("### chrome 156\n\n### firefox 153\n\n"),
            "{text}"
        );
    }
}
