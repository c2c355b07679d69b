//! [`Error`]: everything that can stop an end-to-end test, each with what to do about it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Why the harness could not do what a test asked.
///
/// `Debug` prints the same readable text as `Display`, so a test's
/// `.expect("...")` shows the page state and the hint instead of an escaped one-liner.
#[non_exhaustive]
pub enum Error {
    /// The environment does not say what to test, or the page is not built. The message names
    /// the missing piece; `cargo xtask test` sets up all of it.
    Setup(String),
    /// The WebDriver server (chromedriver or geckodriver) did not start or did not come up.
    /// Read its output in `log`.
    Driver {
        /// What went wrong.
        message: String,
        /// The driver's stdout and stderr.
        log: PathBuf,
    },
    /// The driver started but could not open a browser session: usually the browser binary is
    /// missing or crashed at start. Read the driver's output in `log`.
    NewSession {
        /// The WebDriver error.
        source: fantoccini::error::NewSessionError,
        /// The driver's stdout and stderr.
        log: PathBuf,
    },
    /// A WebDriver command failed (the browser is gone, an element is missing, an alert is open).
    WebDriver {
        /// What the harness was doing.
        action: String,
        /// The WebDriver error.
        source: fantoccini::error::CmdError,
    },
    /// A WebDriver command got no answer in time: the browser or the driver hangs.
    Unresponsive {
        /// What the harness was doing.
        action: String,
        /// How long it waited.
        after: Duration,
    },
    /// A condition on the page did not hold before its deadline. `last_seen` is the page as the
    /// last poll saw it: compare it with `waited_for`.
    Timeout {
        /// The condition, in words.
        waited_for: String,
        /// How long it was polled.
        after: Duration,
        /// The last state seen, rendered for a human.
        last_seen: String,
    },
    /// The page answered something the harness cannot read: the page's markup changed, or a
    /// script returned an unexpected shape.
    Page(String),
    /// The page reported uncaught JavaScript errors, unhandled rejections or `console.error`
    /// calls while the test ran.
    PageErrors(Vec<String>),
    /// A file or socket operation failed (creating `target/e2e`, writing a screenshot,
    /// binding a port).
    Io {
        /// What the harness was doing.
        action: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The relay could not open its store (the SQLite file in its data folder).
    Store(duplex_relay::store::OpenError),
}

impl Error {
    /// An [`Error::Io`] for `action`, for `map_err`: `.map_err(Error::io("write the report"))`.
    pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| Self::Io { action, source }
    }

    /// An [`Error::WebDriver`] for `action`.
    pub(crate) fn webdriver(
        action: impl Into<String>,
    ) -> impl FnOnce(fantoccini::error::CmdError) -> Self {
        let action = action.into();
        move |source| Self::WebDriver { action, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Setup(message) => write!(f, "{message}"),
            Self::Driver { message, log } => {
                write!(f, "{message} (driver output: {})", log.display())
            }
            Self::NewSession { source, log } => write!(
                f,
                "the driver could not start a browser session: {source} (driver output: {})",
                log.display()
            ),
            Self::WebDriver { action, source } => write!(f, "{action}: {source}"),
            Self::Unresponsive { action, after } => {
                write!(f, "{action}: no answer from the browser within {after:?}")
            }
            Self::Timeout {
                waited_for,
                after,
                last_seen,
            } => write!(
                f,
                "waited {after:?} for {waited_for}, but it did not happen; last seen:\n{last_seen}"
            ),
            Self::Page(message) => write!(f, "{message}"),
            Self::PageErrors(errors) => {
                write!(f, "the page reported {} JavaScript error(s):", errors.len())?;
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
            Self::Io { action, source } => write!(f, "{action}: {source}"),
            Self::Store(source) => write!(f, "the relay cannot open its store: {source}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NewSession { source, .. } => Some(source),
            Self::WebDriver { source, .. } => Some(source),
            Self::Io { source, .. } => Some(source),
            Self::Store(source) => Some(source),
            _ => None,
        }
    }
}
