//! The benchmark behind `cargo xtask bench`: the benchmark page (`bench/index.html`, its Rust
//! code in `examples/bench/`) driven through WebDriver against a relay with `--test-endpoints`.
//!
//! The page times every run itself with `performance.now()`; this side only decides what runs
//! when, keeps the samples and turns them into tables.
//!
//! - [`plan`]: the clients, the cases, and the order of the runs.
//! - [`page`]: the page in a browser session, one call per run.
//! - [`measure`]: every case round by round, then the churn.
//! - [`stats`]: medians, percentiles and ratios to raw JavaScript.
//! - [`report`]: the markdown of one browser's results.

pub mod measure;
pub mod page;
pub mod plan;
pub mod report;
pub mod stats;
