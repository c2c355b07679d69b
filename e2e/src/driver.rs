//! [`Session`]: a WebDriver server (chromedriver or geckodriver) on a free port and one headless
//! browser session on it; dropping it ends the session, the browser and the driver on every path.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::Error;
use crate::setup::{Browser, Setup};
use crate::wait::{self, CONDITION_LIMIT, POLL_INTERVAL};

/// How long the driver may take to accept connections after it was spawned.
pub const DRIVER_START_LIMIT: Duration = Duration::from_secs(10);

/// How long the driver may take to start the browser and open a session.
pub const SESSION_START_LIMIT: Duration = Duration::from_secs(60);

/// The browser window's size, the same in both browsers so screenshots compare.
pub const WINDOW_SIZE: (u32, u32) = (1200, 900);

/// Chromium's command line: headless, and quiet on a closed network when running as root.
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless=new",
    // Root in a container: Chromium's sandbox cannot start, and /dev/shm is small.
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    // No network beyond 127.0.0.1: stop Chromium from trying QUIC and its background services.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
];

/// Records what the page reports from now on: uncaught errors (a wasm panic surfaces as one),
/// unhandled rejections and `console.error` calls. Errors while the page loads are caught by
/// the page's own start check (for example [`EchoPage::load`](crate::EchoPage::load) waiting for its Rust code
/// to fill in the server field).
const ERROR_HOOKS_JS: &str = r#"
if (!window.__duplexE2eErrors) {
    const errors = [];
    window.__duplexE2eErrors = errors;
    window.addEventListener("error", (event) =>
        errors.push(`uncaught: ${event.message} (${event.filename}:${event.lineno})`));
    window.addEventListener("unhandledrejection", (event) =>
        errors.push(`unhandled rejection: ${event.reason}`));
    const consoleError = console.error.bind(console);
    console.error = (...args) => {
        errors.push(`console.error: ${args.map(String).join(" ")}`);
        consoleError(...args);
    };
}
"#;

/// One browser session and the driver process behind it.
///
/// Drop ends the session if [`Session::close`] did not: a blocking `DELETE /session/{id}`
/// straight to the driver, so it works while a test panics and its runtime is going away
/// (with a screenshot `<browser>-<label>-failure.png` first if the thread is panicking). Then
/// it kills the driver; if the driver did not answer, it first kills the driver's child
/// processes (the browser) itself, since neither driver quits its browser when killed.
#[derive(Debug)]
#[must_use = "dropping the session quits the browser"]
pub struct Session {
    client: Client,
    id: String,
    browser: Browser,
    label: String,
    artifacts: PathBuf,
    closed: bool,
    // Declared last: dropped after the session is ended.
    driver: Driver,
}

impl Session {
    /// Starts the driver named by `setup` on a free port and opens a headless browser session.
    /// `label` names this session's files in `<root>/target/e2e` (driver log, failure
    /// screenshot): use the test's name.
    ///
    /// # Errors
    /// [`Error::Io`] if `target/e2e` or the browser profile cannot be created,
    /// [`Error::Driver`] if the driver does not come up, [`Error::NewSession`] if it cannot
    /// start the browser, [`Error::Unresponsive`] if that takes longer than
    /// [`SESSION_START_LIMIT`].
    pub async fn start(setup: &Setup, label: &str) -> Result<Self, Error> {
        let browser = setup.browser;
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let artifacts = setup.artifacts();
        std::fs::create_dir_all(&artifacts)
            .map_err(Error::io(format!("create {}", artifacts.display())))?;
        let log = artifacts.join(format!("{browser}-{label}-driver.log"));
        let mut driver = Driver::spawn(setup, log)?;
        driver.wait_until_listening().await?;

        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(
            browser,
            driver.profile.as_ref().map(TempDir::path),
        ));
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = match tokio::time::timeout(SESSION_START_LIMIT, builder.connect(&url)).await {
            Ok(Ok(client)) => client,
            Ok(Err(source)) => {
                return Err(Error::NewSession {
                    source,
                    log: driver.log.clone(),
                });
            }
            Err(_) => {
                return Err(Error::Unresponsive {
                    action: format!("start {browser} through {}", setup.driver.display()),
                    after: SESSION_START_LIMIT,
                });
            }
        };
        // geckodriver deletes the profile it made when the session ends, but not when killed.
        driver.gecko_profile = client
            .capabilities()
            .and_then(|capabilities| capabilities.get("moz:profile"))
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .filter(|path| is_gecko_profile(path));
        let id = match wait::command("read the session id", client.session_id()).await? {
            Some(id) => id,
            None => {
                return Err(Error::Driver {
                    message: "the driver opened a session but gave no session id".to_owned(),
                    log: driver.log.clone(),
                });
            }
        };
        let session = Self {
            client,
            id,
            browser,
            label,
            artifacts,
            closed: false,
            driver,
        };
        if browser == Browser::Firefox {
            // Firefox has no window-size capability: WebDriver's Set Window Rect does it.
            let (width, height) = WINDOW_SIZE;
            wait::command(
                "set the window size",
                session.client.set_window_size(width, height),
            )
            .await?;
        }
        Ok(session)
    }

    /// The fantoccini client, for commands the harness does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The browser this session drives.
    pub fn browser(&self) -> Browser {
        self.browser
    }

    /// The label this session was started with, made safe for file names.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `<root>/target/e2e`, where this session's files go.
    pub fn artifacts(&self) -> &Path {
        &self.artifacts
    }

    /// Saves a PNG screenshot of the viewport as `<root>/target/e2e/<name>.png` and returns
    /// its path.
    ///
    /// # Errors
    /// [`Error::WebDriver`] / [`Error::Unresponsive`] if the browser does not take it,
    /// [`Error::Io`] if the file cannot be written.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, Error> {
        let png = wait::command("take a screenshot", self.client.screenshot()).await?;
        let path = self.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(Error::io(format!("write {}", path.display())))?;
        Ok(path)
    }

    /// Installs the hooks that record the page's errors (see [`Session::page_errors`]); call it
    /// once the page has loaded.
    ///
    /// # Errors
    /// WebDriver errors.
    pub async fn install_error_hooks(&self) -> Result<(), Error> {
        wait::command(
            "install the error hooks",
            self.client.execute(ERROR_HOOKS_JS, Vec::new()),
        )
        .await
        .map(drop)
    }

    /// What the error hooks recorded since [`Session::install_error_hooks`].
    ///
    /// # Errors
    /// WebDriver errors; [`Error::Page`] if the answer has an unexpected shape.
    pub async fn page_errors(&self) -> Result<Vec<String>, Error> {
        self.read("return window.__duplexE2eErrors ?? [];").await
    }

    /// Runs `script` (which `return`s a JSON value) in the page and decodes its answer.
    ///
    /// # Errors
    /// WebDriver errors; [`Error::Page`] if the answer does not decode as `T`.
    pub async fn read<T: DeserializeOwned>(&self, script: &str) -> Result<T, Error> {
        let value = wait::command("read the page", self.client.execute(script, Vec::new())).await?;
        serde_json::from_value(value.clone()).map_err(|error| {
            Error::Page(format!("the page's state is unreadable ({error}): {value}"))
        })
    }

    /// Calls `look` until `done` accepts what it returned, for at most [`CONDITION_LIMIT`], and
    /// returns it. `waited_for` describes the condition in words.
    ///
    /// # Errors
    /// [`Error::Timeout`] with the last value seen and the path of a screenshot taken then
    /// (`<root>/target/e2e/<browser>-<label>-timeout.png`); any error of `look`.
    pub async fn wait_until<T, F, Fut>(
        &self,
        waited_for: &str,
        look: F,
        done: impl FnMut(&T) -> bool,
    ) -> Result<T, Error>
    where
        T: std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        match wait::until(waited_for, CONDITION_LIMIT, look, done).await {
            Err(Error::Timeout {
                waited_for,
                after,
                mut last_seen,
            }) => {
                let name = format!("{}-{}-timeout", self.browser, self.label);
                match self.screenshot(&name).await {
                    Ok(path) => last_seen.push_str(&format!("  screenshot: {}\n", path.display())),
                    Err(error) => last_seen.push_str(&format!("  no screenshot: {error}\n")),
                }
                Err(Error::Timeout {
                    waited_for,
                    after,
                    last_seen,
                })
            }
            other => other,
        }
    }

    /// Clicks the element with `data-testid="{test_id}"`.
    ///
    /// # Errors
    /// [`Error::WebDriver`] if it is missing or cannot be clicked.
    pub async fn click(&self, test_id: &str) -> Result<(), Error> {
        let element = self.find(test_id).await?;
        wait::command(&format!("click {test_id}"), element.click()).await
    }

    /// Types `keys` into the element with `data-testid="{test_id}"`, as a user would (for a
    /// file input: a file's path).
    ///
    /// # Errors
    /// [`Error::WebDriver`] if it is missing or takes no input.
    pub async fn type_into(&self, test_id: &str, keys: &str) -> Result<(), Error> {
        let element = self.find(test_id).await?;
        wait::command(&format!("type into {test_id}"), element.send_keys(keys)).await
    }

    /// Clears the field with `data-testid="{test_id}"`.
    ///
    /// # Errors
    /// [`Error::WebDriver`] if it is missing or not editable.
    pub async fn clear(&self, test_id: &str) -> Result<(), Error> {
        let element = self.find(test_id).await?;
        wait::command(&format!("clear {test_id}"), element.clear()).await
    }

    async fn find(&self, test_id: &str) -> Result<fantoccini::elements::Element, Error> {
        let selector = format!("[data-testid=\"{test_id}\"]");
        wait::command(
            &format!("find {selector}"),
            self.client.find(fantoccini::Locator::Css(&selector)),
        )
        .await
    }

    /// Ends the browser session through WebDriver (the browser quits); the driver is killed
    /// when `self` drops at the end of this call.
    ///
    /// # Errors
    /// [`Error::WebDriver`] / [`Error::Unresponsive`] if the driver did not confirm; the
    /// session is then ended the hard way by `Drop`.
    pub async fn close(mut self) -> Result<(), Error> {
        wait::command("end the browser session", self.client.clone().close()).await?;
        self.closed = true;
        self.driver.browser_ended = true;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        if std::thread::panicking() {
            let path = self
                .artifacts
                .join(format!("{}-{}-failure.png", self.browser, self.label));
            match self.driver.failure_screenshot(&self.id, &path) {
                Ok(()) => eprintln!("e2e: the page at the failure: {}", path.display()),
                Err(error) => eprintln!("e2e: no screenshot of the failure: {error}"),
            }
        }
        let ended = self
            .driver
            .blocking_request("DELETE", &format!("/session/{}", self.id));
        // Answered means the driver quit the browser (or it was gone already); otherwise
        // Driver::drop kills the browser itself.
        self.driver.browser_ended = ended.is_ok();
    }
}

/// The WebDriver capabilities for `browser`; `profile` is Chromium's `--user-data-dir`.
fn capabilities(browser: Browser, profile: Option<&Path>) -> Capabilities {
    let value = match browser {
        Browser::Chromium => {
            let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&arg| arg.to_owned()).collect();
            if let Some(profile) = profile {
                args.push(format!("--user-data-dir={}", profile.display()));
            }
            json!({
                "browserName": "chrome",
                "goog:chromeOptions": { "args": args },
            })
        }
        Browser::Firefox => json!({
            "browserName": "firefox",
            "moz:firefoxOptions": {
                "args": ["-headless"],
                "prefs": {
                    "browser.shell.checkDefaultBrowser": false,
                    "datareporting.policy.dataSubmissionEnabled": false,
                    "app.update.enabled": false,
                },
            },
        }),
    };
    match value {
        Value::Object(map) => map,
        _ => Capabilities::new(),
    }
}

/// A running WebDriver server, killed on drop.
#[derive(Debug)]
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
    /// Chromium's user data dir, removed after the driver (and so the browser) is gone.
    profile: Option<TempDir>,
    /// The profile geckodriver made for Firefox (a `rust_mozprofile*` temp dir).
    gecko_profile: Option<PathBuf>,
    /// Set once the driver confirmed the session is over; until then Drop kills the browser
    /// and removes its profile.
    browser_ended: bool,
}

impl Driver {
    /// Spawns the driver of `setup` on a free port, its output going to `log`.
    fn spawn(setup: &Setup, log: PathBuf) -> Result<Self, Error> {
        let profile = match setup.browser {
            Browser::Chromium => Some(TempDir::new("chromium-profile")?),
            Browser::Firefox => None,
        };
        // The port is free when asked; a race with another process is possible but rare, and
        // shows up as the driver exiting at start (see wait_until_listening).
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(Error::io("find a free port for the driver"))?
            .port();
        let output = File::create(&log).map_err(Error::io(format!("create {}", log.display())))?;
        let errors = output
            .try_clone()
            .map_err(Error::io(format!("share {}", log.display())))?;
        let mut command = Command::new(&setup.driver);
        match setup.browser {
            Browser::Chromium => command.arg(format!("--port={port}")),
            // geckodriver's BiDi port defaults to 9222 for every instance; 0 lets parallel
            // tests each get their own.
            Browser::Firefox => {
                command.args(["--port", &port.to_string(), "--websocket-port", "0"])
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .spawn()
            .map_err(|error| Error::Driver {
                message: format!("could not run {}: {error}", setup.driver.display()),
                log: log.clone(),
            })?;
        Ok(Self {
            child,
            port,
            log,
            profile,
            gecko_profile: None,
            browser_ended: false,
        })
    }

    /// Polls until the driver accepts TCP connections, for at most [`DRIVER_START_LIMIT`].
    async fn wait_until_listening(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + DRIVER_START_LIMIT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::Driver {
                    message: format!("the driver exited at start ({status})"),
                    log: self.log.clone(),
                });
            }
            let last = match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            if Instant::now() >= deadline {
                return Err(Error::Driver {
                    message: format!(
                        "the driver did not listen on {addr} within {DRIVER_START_LIMIT:?} \
                         (last try: {last})"
                    ),
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// One WebDriver request without any runtime: usable from `Drop`, even while a test panics.
    /// Returns the response body.
    fn blocking_request(&self, method: &str, path: &str) -> std::io::Result<Vec<u8>> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        // chromedriver answers HTTP/1.0 with nothing, and keeps an HTTP/1.1 connection open after
        // its answer even when asked to close it: read exactly Content-Length bytes.
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )?;
        let mut response = Vec::new();
        let mut chunk = [0_u8; 16 * 1024];
        let mut expected: Option<usize> = None;
        loop {
            if let Some(total) = expected {
                if response.len() >= total {
                    break;
                }
            } else if let Some(end) = find(&response, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
                let length = head.lines().find_map(|line| {
                    line.strip_prefix("content-length:")
                        .and_then(|value| value.trim().parse::<usize>().ok())
                });
                response.drain(..end + 4);
                match length {
                    Some(length) => {
                        expected = Some(length);
                        continue;
                    }
                    // No length: the body ends when the driver closes the connection.
                    None => expected = Some(usize::MAX),
                }
            }
            match stream.read(&mut chunk)? {
                0 => break,
                read => response.extend_from_slice(&chunk[..read]),
            }
        }
        Ok(response)
    }

    /// Saves a screenshot of session `id` to `path` with [`Driver::blocking_request`].
    fn failure_screenshot(&self, id: &str, path: &Path) -> Result<(), String> {
        let body = self
            .blocking_request("GET", &format!("/session/{id}/screenshot"))
            .map_err(|error| error.to_string())?;
        let answer: Value = serde_json::from_slice(&body).map_err(|error| error.to_string())?;
        let encoded = answer
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the driver answered {answer}"))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|error| error.to_string())?;
        std::fs::write(path, png).map_err(|error| error.to_string())
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.browser_ended {
            kill_descendants(self.child.id());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let (false, Some(profile)) = (self.browser_ended, &self.gecko_profile) {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

/// Whether `path` looks like a profile geckodriver made: `rust_mozprofile*` in the temp dir.
/// Nothing else is ever removed.
fn is_gecko_profile(path: &Path) -> bool {
    path.parent() == Some(std::env::temp_dir().as_path())
        && path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("rust_mozprofile"))
}

/// Kills every process below `root` (the browser and its helpers), for when the driver could
/// not end the session: neither chromedriver nor geckodriver quits its browser when it is
/// killed. Finds them through `/proc` (Linux); elsewhere it does nothing.
fn kill_descendants(root: u32) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (command) state ppid ...": the command may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut family = vec![root];
    let mut next = 0;
    while let Some(&parent) = family.get(next) {
        family.extend(
            parents
                .iter()
                .filter(|&&(_, ppid)| ppid == parent)
                .map(|&(pid, _)| pid),
        );
        next += 1;
    }
    let descendants: Vec<String> = family.iter().skip(1).map(u32::to_string).collect();
    if !descendants.is_empty() {
        // The standard library cannot signal a process it did not spawn; the shell's kill can.
        let _ = Command::new("sh")
            .args(["-c", "kill -KILL \"$@\"", "sh"])
            .args(&descendants)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A fresh folder under the system temp dir, removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Result<Self, Error> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "e2e-duplex-{}-{}-{what}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).map_err(Error::io(format!("create {}", path.display())))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
