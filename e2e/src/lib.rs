//! `duplex-e2e`: the WebDriver harness, and the end-to-end tests of the chat page (`index.html`,
//! built from `www/chat/`) and the echo page (`www/echo.html`, built from `www/echo/`) in a real
//! headless browser, against the relay served in-process. The benchmark's runner and its page
//! test (`duplex-bench`, in `bench/`) drive their page with this harness too.
//!
//! `cargo xtask test` builds the pages into `www/pkg/` and runs `cargo test -p duplex-e2e` once
//! per browser (and `duplex-bench`'s page test, with the same environment), with:
//! - `DUPLEX_E2E_BROWSER`: `chromium` or `firefox` (required: without it every test fails and
//!   says how to run them);
//! - `CHROMEDRIVER` / `GECKODRIVER`: the browser's WebDriver server (else found on `PATH`, or
//!   in `<root>/target/tools/bin`);
//! - `DUPLEX_E2E_ROOT`: the repository root, served by the relay (else this crate's parent).
//!
//! Each test gets its own relay on `127.0.0.1:0` (with a fresh data folder for its store, under
//! the system's temporary folder), its own driver on a free port and its own browser; all of
//! them end when the test ends, passing or not. Screenshots and driver logs
//! (`<browser>-<test>-driver.log`) go to `<root>/target/e2e/`; a condition that times out
//! leaves `<browser>-<test>-timeout.png` there, and a test that panics with its browser open
//! `<browser>-<test>-failure.png`.
//!
//! Modules:
//! - [`setup`]: which browser, which driver, which root, from the environment.
//! - [`relay`]: the relay served in-process on a free port.
//! - [`shared`]: a real `redis-server`, and the relay binary sharing its rooms through it.
//! - [`driver`]: the driver process and one browser session, ended on drop.
//! - [`wait`]: polling with a deadline, and a time limit on every WebDriver command.
//! - [`page`]: the echo page's controls and snapshots of what it shows.
//! - [`chat`]: the chat page's controls and snapshots of what it shows.
//!
//! ```no_run
//! # async fn run() -> Result<(), duplex_e2e::Error> {
//! let page = duplex_e2e::EchoPage::open("example").await?;
//! page.connect().await?;
//! page.send_with_enter("hi").await?;
//! page.wait_for_entry("received", "hi").await?;
//! page.finish().await
//! # }
//! ```
#![deny(missing_docs)]

pub mod chat;
pub mod driver;
mod error;
pub mod page;
pub mod png;
pub mod relay;
pub mod setup;
pub mod shared;
pub mod wait;

pub use driver::Session;
pub use error::Error;
pub use page::{EchoPage, LogEntry, Snapshot};
pub use relay::Relay;
pub use setup::{Browser, Setup};
