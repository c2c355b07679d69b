//! `bench`: runs the benchmark page in one browser and writes that browser's section of
//! BENCHMARKS.md to a file. `cargo xtask bench` builds the page, starts a release relay with
//! `--test-endpoints`, and runs this once per browser:
//!
//! ```text
//! DUPLEX_E2E_BROWSER=chromium CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo run -p duplex-bench -- --base-url http://127.0.0.1:PORT --out chromium.md
//! ```
//!
//! `--smoke` runs every case once with a few messages, to check that everything works. `--only TEXT`
//! runs only the cases whose name holds TEXT (such as `Pipelined text 1 KiB`) and the per-message
//! costs, not the churn: for looking at one cell.
//! Exit status: 0 when every run succeeded, 1 otherwise (the section is written either way,
//! with the failed runs listed), 2 for a bad command line.
// The runner is native: on wasm32 only the page (the `page` example) is built, and this is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::ExitCode;

use duplex_bench::measure::measure;
use duplex_bench::page::{BENCH_FILES, BenchPage};
use duplex_bench::plan::Scale;
use duplex_bench::report;
use duplex_e2e::{Error, Session, Setup};

struct Args {
    base_url: String,
    out: PathBuf,
    scale: Scale,
    only: Option<String>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = args.into_iter();
    let (mut base_url, mut out, mut scale, mut only) = (None, None, Scale::Full, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--base-url" => base_url = args.next(),
            "--out" => out = args.next().map(PathBuf::from),
            "--smoke" => scale = Scale::Smoke,
            "--only" => {
                only = Some(
                    args.next()
                        .ok_or("--only needs the text of a case's name")?,
                )
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        base_url: base_url
            .ok_or("--base-url URL is required (a relay with --test-endpoints)")?
            .trim_end_matches('/')
            .to_owned(),
        out: out.ok_or("--out FILE is required")?,
        scale,
        only,
    })
}

async fn run(args: &Args) -> Result<bool, Error> {
    let setup = Setup::locate()?;
    setup.require(BENCH_FILES)?;
    let browser = setup.browser;
    let session = Session::start(&setup, "bench").await?;
    let page = BenchPage::load(session, &args.base_url).await?;
    let results = measure(&page, args.scale, args.only.as_deref(), |line| {
        eprintln!("bench: {browser}: {line}")
    })
    .await?;
    page.close().await?;
    std::fs::write(&args.out, report::render(&results))
        .map_err(Error::io(format!("write {}", args.out.display())))?;
    for failure in &results.failures {
        eprintln!("bench: {browser}: failed: {failure}");
    }
    Ok(results.failures.is_empty())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!(
                "bench: {message}\nusage: bench --base-url URL --out FILE [--smoke] [--only TEXT]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}
