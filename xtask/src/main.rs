//! `cargo xtask`: set-up and orchestration for duplex-ws, in plain Rust. Its one dependency is
//! flate2, for the gzipped sizes `cargo xtask dist` and
//! `cargo xtask size` print.
//!
//! `cargo xtask help` lists the commands. Exit status: 0 on success, 1 when something failed,
//! 2 for a bad command line.

mod apt;
mod args;
mod benchmarks;
mod browsers;
mod error;
mod lockfile;
mod outdir;
mod page;
mod process;
mod relay;
mod report;
mod sizes;
mod statics;
mod suite;
mod tasks;
mod tools;
mod wasm_opt;
mod workspace;

use std::process::ExitCode;

use args::{Task, USAGE};
use workspace::Workspace;

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.into_string())
        .collect();
    let task = match args
        .map_err(|_| "arguments must be UTF-8".to_owned())
        .and_then(args::parse)
    {
        Ok(task) => task,
        Err(message) => {
            eprintln!("xtask: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = Workspace::locate().and_then(|mut workspace| match task {
        Task::Help => {
            print!("{USAGE}");
            Ok(true)
        }
        Task::Test(options) => tasks::test::run_all(&mut workspace, &options),
        Task::Demo(options) => tasks::demo::run(&mut workspace, &options),
        Task::Dist(options) => tasks::dist::run(&mut workspace, &options),
        Task::Setup => tasks::setup::run(&mut workspace),
        Task::Size => tasks::size::run(&mut workspace),
        Task::Bench(options) => tasks::bench::run_all(&mut workspace, &options),
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("xtask: error: {error}");
            ExitCode::FAILURE
        }
    }
}
