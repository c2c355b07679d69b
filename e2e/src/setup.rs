//! [`Setup`]: which browser to drive, where its WebDriver server is, and where the page lives,
//! read from the environment that `cargo xtask test` sets.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Error;

/// Names the browser to drive: `chromium` or `firefox`.
pub const BROWSER_VAR: &str = "DUPLEX_E2E_BROWSER";
/// The repository root: the folder that holds `index.html` and `www/pkg/`.
pub const ROOT_VAR: &str = "DUPLEX_E2E_ROOT";

/// A browser the tests can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Browser {
    /// Chromium, through chromedriver.
    Chromium,
    /// Firefox, through geckodriver.
    Firefox,
}

impl Browser {
    /// The browser named by [`BROWSER_VAR`].
    ///
    /// # Errors
    /// [`Error::Setup`] if the variable is missing or names no known browser: the tests never
    /// pass by doing nothing.
    pub fn from_env() -> Result<Self, Error> {
        let hint = "run the end-to-end tests with `cargo xtask test`, or set it yourself, e.g. \
             `DUPLEX_E2E_BROWSER=chromium CHROMEDRIVER=/usr/bin/chromedriver cargo test -p duplex-e2e`";
        match std::env::var(BROWSER_VAR) {
            Ok(name) => Self::from_name(&name).ok_or_else(|| {
                Error::Setup(format!(
                    "{BROWSER_VAR}={name:?} names no browser this suite drives (chromium or firefox); {hint}"
                ))
            }),
            Err(_) => Err(Error::Setup(format!(
                "{BROWSER_VAR} is not set, so no browser was chosen; {hint}"
            ))),
        }
    }

    /// `chromium` or `firefox`, ASCII case ignored; `chrome` is taken for Chromium.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "chromium" | "chrome" => Some(Self::Chromium),
            "firefox" => Some(Self::Firefox),
            _ => None,
        }
    }

    /// The lower-case name used in file names and messages: `chromium` or `firefox`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox",
        }
    }

    /// The variable that names this browser's WebDriver server: `CHROMEDRIVER` or `GECKODRIVER`.
    pub fn driver_var(self) -> &'static str {
        match self {
            Self::Chromium => "CHROMEDRIVER",
            Self::Firefox => "GECKODRIVER",
        }
    }

    /// The WebDriver server's program name: `chromedriver` or `geckodriver`.
    pub fn driver_program(self) -> &'static str {
        match self {
            Self::Chromium => "chromedriver",
            Self::Firefox => "geckodriver",
        }
    }
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a test needs to know before it starts anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The browser to drive.
    pub browser: Browser,
    /// The WebDriver server for that browser.
    pub driver: PathBuf,
    /// The repository root, served by the relay.
    pub root: PathBuf,
}

impl Setup {
    /// Reads the environment: [`BROWSER_VAR`], the driver variable
    /// ([`Browser::driver_var`]) and [`ROOT_VAR`].
    ///
    /// Fallbacks: the root is this crate's parent folder; the driver is looked up on `PATH`,
    /// then (geckodriver only) in `<root>/target/tools/bin`, where `cargo xtask` installs it.
    ///
    /// # Errors
    /// [`Error::Setup`] if no browser is named, the driver cannot be found, or the page is not
    /// built (`<root>/www/pkg/echo.js`, or another page's bindings, missing).
    pub fn from_env() -> Result<Self, Error> {
        let setup = Self::locate()?;
        setup.require([
            "index.html",
            "www/app.js",
            "www/echo.html",
            "www/echo.js",
            "www/pkg/chat.js",
            "www/pkg/chat_bg.wasm",
            "www/pkg/echo.js",
            "www/pkg/echo_bg.wasm",
            "www/leptos.html",
            "www/pkg/leptos_echo.js",
            "www/yew.html",
            "www/pkg/yew_echo.js",
        ])?;
        Ok(setup)
    }

    /// [`Setup::from_env`] without checking that any page is built.
    ///
    /// # Errors
    /// [`Error::Setup`] if no browser is named, the root is unreadable or the driver cannot be
    /// found.
    pub fn locate() -> Result<Self, Error> {
        let browser = Browser::from_env()?;
        let root = std::env::var_os(ROOT_VAR)
            .filter(|root| !root.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
        let root = root.canonicalize().map_err(|error| {
            Error::Setup(format!(
                "the repository root {} ({ROOT_VAR}) is not readable: {error}",
                root.display()
            ))
        })?;
        let driver = find_driver(browser, &root)?;
        Ok(Self {
            browser,
            driver,
            root,
        })
    }

    /// Checks that every file in `files` (relative to the root) is there.
    ///
    /// # Errors
    /// [`Error::Setup`] naming the first one missing.
    pub fn require<'a>(&self, files: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
        match files
            .into_iter()
            .find(|file| !self.root.join(file).is_file())
        {
            None => Ok(()),
            Some(file) => Err(Error::Setup(format!(
                "{} is missing, so there is no page to test: build the page first \
                 (`cargo xtask test` and `cargo xtask demo` do)",
                self.root.join(file).display()
            ))),
        }
    }

    /// `<root>/target/e2e`, where screenshots and driver logs go (not created here).
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("target").join("e2e")
    }
}

/// The driver named by the browser's variable, else found on `PATH` or in
/// `<root>/target/tools/bin`.
fn find_driver(browser: Browser, root: &Path) -> Result<PathBuf, Error> {
    let var = browser.driver_var();
    if let Some(path) = std::env::var_os(var).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::Setup(format!(
                "{var}={} is not a file; point it at {}",
                path.display(),
                browser.driver_program()
            )))
        };
    }
    let program = browser.driver_program();
    let mut folders: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
    folders.push(root.join("target").join("tools").join("bin"));
    folders
        .into_iter()
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::Setup(format!(
                "{var} is not set and {program} is neither on PATH nor in {}; \
                 `cargo xtask test` installs it and sets {var}",
                root.join("target/tools/bin").display()
            ))
        })
}
