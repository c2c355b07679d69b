//! `duplex-bench`: the benchmark behind `cargo xtask bench`. The page (`bench/index.html` and
//! `bench/bench.js`, its Rust in `bench/page/`, built to `bench/pkg/page.js`) runs the same
//! measurements with raw JavaScript (twice: the A/A control), a web-sys client written by hand (the
//! floor for Rust code), duplex-ws's APIs and gloo-net; this crate's native side
//! drives it through WebDriver (the session and the relay come from `duplex-e2e`) against a relay
//! with `--test-endpoints`.
//!
//! The page times every run itself with `performance.now()`; this side only decides what runs
//! when, keeps the samples and turns them into tables. The `bench` binary writes one browser's
//! section of BENCHMARKS.md; `tests/page.rs` is a smoke run of it, part of `cargo xtask test`.
//!
//! - [`plan`]: the clients, the cases, and the order of the runs.
//! - [`page`]: the page in a browser session, one call per run.
//! - [`measure`]: every case round by round, the per-message costs, then the churn.
//! - [`stats`]: medians, percentiles, paired ratios with bootstrap intervals, and verdicts against the
//!   A/A control's noise.
//! - [`report`]: the markdown of one browser's results.
// The runner is native: on wasm32 only the page (the `page` example) is built.
#![cfg(not(target_arch = "wasm32"))]
#![deny(missing_docs)]

pub mod measure;
pub mod page;
pub mod plan;
pub mod report;
pub mod stats;
