//! [`EchoPage`]: the echo page (`www/echo.html` + `www/echo/`) as a test sees it: its
//! controls by `data-testid`, and [`Snapshot`]s of what it shows.

use std::fmt;

use fantoccini::key::Key;
use serde::Deserialize;

use crate::Error;
use crate::driver::Session;
use crate::relay::Relay;
use crate::setup::{Browser, Setup};
use crate::wait;

/// Reads everything the tests check in one round trip. Missing elements come back as `null`.
const SNAPSHOT_JS: &str = r#"
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const log = byTestId("log");
return {
    status: byTestId("status")?.textContent ?? null,
    outbox: byTestId("outbox")?.textContent ?? null,
    buffered: byTestId("buffered")?.textContent ?? null,
    server: byTestId("url")?.value ?? null,
    log: log ? Array.from(
        log.querySelectorAll('[data-testid="log-entry"]'),
        (entry) => ({ class: entry.className, text: entry.textContent }),
    ) : [],
    foreign_elements: log
        ? Array.from(log.querySelectorAll("*"), (element) => element.localName)
            .filter((name) => name !== "li")
        : [],
    errors: window.__duplexE2eErrors ?? [],
};
"#;

/// One entry of the page's log (`<li data-testid="log-entry">`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    /// `sent`, `received`, `info` or `error`.
    pub class: String,
    /// The entry's `textContent`.
    pub text: String,
}

/// The echo page's path on the relay.
pub const ECHO_PAGE: &str = "/www/echo.html";

/// The Leptos echo console's path on the relay (`hooks/leptos/examples/echo.rs`): the echo page's
/// controls and log, plus an outbox counter, a Move button for the server field and a Reconnect
/// button.
pub const LEPTOS_PAGE: &str = "/www/leptos.html";

/// The Yew echo console's path on the relay (`hooks/yew/examples/echo.rs`), with the same
/// controls as [`LEPTOS_PAGE`].
pub const YEW_PAGE: &str = "/www/yew.html";

/// What the page showed at one moment. `Display` renders it for failure messages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Snapshot {
    /// The status output's text (`connecting`, `open`, `closing`, `closed`; on the framework
    /// consoles a reconnecting socket's state, such as `reconnecting in 0.4 s (attempt 1)` or
    /// `closed: 1000 (normal) "bye", clean`), `None` if the element is missing.
    pub status: Option<String>,
    /// The outbox counter's text (the framework consoles only).
    pub outbox: Option<String>,
    /// The buffered-amount output's text.
    pub buffered: Option<String>,
    /// The server field's value (the URL Connect uses).
    pub server: Option<String>,
    /// The log, oldest first.
    pub log: Vec<LogEntry>,
    /// Tag names of elements inside the log other than its entries: markup that was parsed
    /// instead of shown as text. Should stay empty.
    pub foreign_elements: Vec<String>,
    /// What the error hooks recorded since [`EchoPage::load`]. Should stay empty.
    pub errors: Vec<String>,
}

impl Snapshot {
    /// Whether the status output reads `status`.
    pub fn status_is(&self, status: &str) -> bool {
        self.status.as_deref() == Some(status)
    }

    /// Whether the status output's text starts with `prefix`.
    pub fn status_starts_with(&self, prefix: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|status| status.starts_with(prefix))
    }

    /// How many entries of `class` have exactly `text`.
    pub fn count(&self, class: &str, text: &str) -> usize {
        self.entries(class).filter(|entry| *entry == text).count()
    }

    /// The texts of the log entries of `class`, oldest first.
    pub fn entries<'a>(&'a self, class: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.log
            .iter()
            .filter(move |entry| entry.class == class)
            .map(|entry| entry.text.as_str())
    }

    /// Whether the log has an entry of `class` whose text is exactly `text`.
    pub fn has(&self, class: &str, text: &str) -> bool {
        self.entries(class).any(|entry| entry == text)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |value: &Option<String>| match value {
            Some(value) => format!("{value:?}"),
            None => "(element missing)".to_owned(),
        };
        writeln!(f, "  status:   {}", shown(&self.status))?;
        writeln!(f, "  server:   {}", shown(&self.server))?;
        if self.outbox.is_some() {
            writeln!(f, "  outbox:   {}", shown(&self.outbox))?;
        }
        writeln!(f, "  buffered: {}", shown(&self.buffered))?;
        if self.log.is_empty() {
            writeln!(f, "  log:      (empty)")?;
        } else {
            writeln!(f, "  log:")?;
            for entry in &self.log {
                writeln!(f, "    [{}] {:?}", entry.class, entry.text)?;
            }
        }
        if !self.foreign_elements.is_empty() {
            writeln!(
                f,
                "  elements parsed inside the log: {:?}",
                self.foreign_elements
            )?;
        }
        if !self.errors.is_empty() {
            writeln!(f, "  page errors:")?;
            for error in &self.errors {
                writeln!(f, "    {error}")?;
            }
        }
        Ok(())
    }
}

/// A relay serving the page and a browser session to drive it: one test's world.
///
/// Dropping it quits the browser, kills the driver and stops the relay; [`EchoPage::finish`]
/// does the same after checking the page reported no errors.
#[derive(Debug)]
#[must_use = "dropping the page quits the browser and stops the relay"]
pub struct EchoPage {
    // The browser goes first on drop, then the relay it was connected to.
    session: Session,
    relay: Relay,
}

impl EchoPage {
    /// Starts a relay and a browser (see [`Setup::from_env`]) without loading anything.
    /// `label` names the session's files: use the test's name.
    ///
    /// # Errors
    /// [`Error::Setup`] if the environment names no browser or the page is not built; any
    /// error of [`Relay::start`] or [`Session::start`].
    pub async fn start(label: &str) -> Result<Self, Error> {
        let setup = Setup::from_env()?;
        let relay = Relay::start(&setup.root)?;
        let session = Session::start(&setup, label).await?;
        Ok(Self { session, relay })
    }

    /// [`EchoPage::start`] with a relay whose `/test/*` controls are on, so a test can drop
    /// every connection or refuse new ones ([`Relay::control`]).
    ///
    /// # Errors
    /// As [`EchoPage::start`].
    pub async fn start_with_test_endpoints(label: &str) -> Result<Self, Error> {
        let setup = Setup::from_env()?;
        let relay = Relay::with_test_endpoints(&setup.root)?;
        let session = Session::start(&setup, label).await?;
        Ok(Self { session, relay })
    }

    /// [`EchoPage::start`], then [`EchoPage::load`] of [`ECHO_PAGE`]: the page as a user opens it.
    ///
    /// # Errors
    /// Those of [`EchoPage::start`] and [`EchoPage::load`].
    pub async fn open(label: &str) -> Result<Self, Error> {
        let page = Self::start(label).await?;
        page.load(ECHO_PAGE).await?;
        Ok(page)
    }

    /// Navigates to `path_and_query` on the relay (e.g. [`ECHO_PAGE`] or `/www/echo.html?server=...`), waits until the
    /// page's Rust code has started (it fills in the server field), and installs the error hooks.
    ///
    /// # Errors
    /// [`Error::Timeout`] if the page's code does not start within [`CONDITION_LIMIT`](crate::wait::CONDITION_LIMIT) (the
    /// wasm did not load or panicked at start); WebDriver errors.
    pub async fn load(&self, path_and_query: &str) -> Result<Snapshot, Error> {
        let url = format!("{}{path_and_query}", self.relay.base_url());
        wait::command(&format!("open {url}"), self.client().goto(&url)).await?;
        self.wait_until(
            "the page's Rust code to start (it fills in the server field; if it never does, \
             www/pkg did not load or start: rebuild it)",
            |page| {
                page.server
                    .as_deref()
                    .is_some_and(|server| !server.is_empty())
            },
        )
        .await?;
        self.session.install_error_hooks().await?;
        self.snapshot().await
    }

    /// The relay serving the page.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The browser session, for screenshots and raw WebDriver commands.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The browser in use.
    pub fn browser(&self) -> Browser {
        self.session.browser()
    }

    fn client(&self) -> &fantoccini::Client {
        self.session.client()
    }

    /// What the page shows now.
    ///
    /// # Errors
    /// WebDriver errors; [`Error::Page`] if the answer has an unexpected shape.
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        self.session.read(SNAPSHOT_JS).await
    }

    /// Polls [`EchoPage::snapshot`] until `done` accepts one; see [`Session::wait_until`].
    ///
    /// # Errors
    /// As [`Session::wait_until`].
    pub async fn wait_until(
        &self,
        waited_for: &str,
        done: impl FnMut(&Snapshot) -> bool,
    ) -> Result<Snapshot, Error> {
        self.session
            .wait_until(waited_for, || self.snapshot(), done)
            .await
    }

    /// Waits until the status output reads `status`.
    ///
    /// # Errors
    /// As [`EchoPage::wait_until`].
    pub async fn wait_for_status(&self, status: &str) -> Result<Snapshot, Error> {
        self.wait_until(&format!("the status to read {status:?}"), |page| {
            page.status_is(status)
        })
        .await
    }

    /// Waits until the log has an entry of `class` with exactly `text`.
    ///
    /// # Errors
    /// As [`EchoPage::wait_until`].
    pub async fn wait_for_entry(&self, class: &str, text: &str) -> Result<Snapshot, Error> {
        self.wait_until(&format!("a {class:?} log entry {text:?}"), |page| {
            page.has(class, text)
        })
        .await
    }

    /// Clicks the element with `data-testid="{test_id}"`.
    ///
    /// # Errors
    /// As [`Session::click`].
    pub async fn click(&self, test_id: &str) -> Result<(), Error> {
        self.session.click(test_id).await
    }

    /// Types `keys` into the element with `data-testid="{test_id}"`, as a user would.
    ///
    /// # Errors
    /// As [`Session::type_into`].
    pub async fn type_into(&self, test_id: &str, keys: &str) -> Result<(), Error> {
        self.session.type_into(test_id, keys).await
    }

    /// Clears the field with `data-testid="{test_id}"`.
    ///
    /// # Errors
    /// As [`Session::clear`].
    pub async fn clear(&self, test_id: &str) -> Result<(), Error> {
        self.session.clear(test_id).await
    }

    /// Clicks Connect and waits until the status reads `open`.
    ///
    /// # Errors
    /// As [`EchoPage::click`] and [`EchoPage::wait_until`].
    pub async fn connect(&self) -> Result<Snapshot, Error> {
        self.click("connect").await?;
        self.wait_for_status("open").await
    }

    /// Types `text` into the message field and presses Enter (submits the send form).
    ///
    /// # Errors
    /// As [`EchoPage::type_into`].
    pub async fn send_with_enter(&self, text: &str) -> Result<(), Error> {
        self.type_into("message-input", &format!("{text}{}", Key::Enter))
            .await
    }

    /// Types `text` into the message field and clicks Send.
    ///
    /// # Errors
    /// As [`EchoPage::type_into`] and [`EchoPage::click`].
    pub async fn send_with_button(&self, text: &str) -> Result<(), Error> {
        self.type_into("message-input", text).await?;
        self.click("send").await
    }

    /// Saves a screenshot as `<root>/target/e2e/<name>.png`; see [`Session::screenshot`].
    ///
    /// # Errors
    /// As [`Session::screenshot`].
    pub async fn screenshot(&self, name: &str) -> Result<std::path::PathBuf, Error> {
        self.session.screenshot(name).await
    }

    /// Ends the test: fails if the page reported errors, else quits the browser cleanly.
    ///
    /// # Errors
    /// [`Error::PageErrors`] with what the hooks recorded; the errors of [`Session::close`].
    pub async fn finish(self) -> Result<(), Error> {
        let page = self.snapshot().await?;
        if !page.errors.is_empty() {
            return Err(Error::PageErrors(page.errors));
        }
        let Self { session, relay } = self;
        session.close().await?;
        drop(relay);
        Ok(())
    }
}
