//! `cargo xtask`: set-up and orchestration for duplex-ws, in Rust.
//!
//! `cargo xtask --help` lists the commands. Exit status: 0 on success, 1 when something failed,
//! 2 for a bad command line.

mod apt;
mod benchmarks;
mod browsers;
mod cli;
mod error;
mod npm;
mod outdir;
mod package;
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

use clap::Parser;

use cli::{Cli, Task};
use workspace::Workspace;

fn main() -> ExitCode {
    let task = Cli::parse().task;
    let outcome = Workspace::locate().and_then(|mut workspace| match task {
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
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
