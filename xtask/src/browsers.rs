//! The browsers and their WebDriver servers: Chromium with chromedriver, Firefox with
//! geckodriver. Missing Debian packages are installed with apt-get when running as root.

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use xshell::Cmd;

use crate::apt;
use crate::process::say;
use crate::tools;
use crate::workspace::Workspace;

/// The environment variables through which wasm-bindgen-test-runner finds a WebDriver server.
/// It takes the first one set in the order GECKODRIVER, SAFARIDRIVER, CHROMEDRIVER,
/// MSEDGEDRIVER, so a run sets its own and removes the others.
const DRIVER_VARIABLES: [&str; 4] = [
    "GECKODRIVER",
    "SAFARIDRIVER",
    "CHROMEDRIVER",
    "MSEDGEDRIVER",
];

/// A browser the suites run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Browser {
    /// Chromium, driven by chromedriver.
    Chromium,
    /// Firefox (ESR on Debian), driven by geckodriver.
    Firefox,
}

impl Browser {
    /// Every browser, in the order the suites run.
    pub const ALL: [Self; 2] = [Self::Chromium, Self::Firefox];

    /// The lower-case name used on the command line and in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox",
        }
    }

    /// The variable that points the test runner at this browser's driver.
    pub fn driver_variable(self) -> &'static str {
        match self {
            Self::Chromium => "CHROMEDRIVER",
            Self::Firefox => "GECKODRIVER",
        }
    }

    /// The program names this browser may have.
    fn programs(self) -> &'static [&'static str] {
        match self {
            Self::Chromium => &[
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ],
            Self::Firefox => &["firefox", "firefox-esr"],
        }
    }

    /// The Debian package of the browser itself.
    fn package(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox-esr",
        }
    }
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A browser with its WebDriver server, ready to run tests.
#[derive(Debug, Clone)]
pub struct Ready {
    /// Which browser.
    pub browser: Browser,
    /// The browser program.
    pub program: PathBuf,
    /// Its WebDriver server.
    pub driver: PathBuf,
}

impl Ready {
    /// Points `cmd` at this browser's driver and away from every other driver.
    pub fn select_driver<'a>(&self, cmd: Cmd<'a>) -> Cmd<'a> {
        let own = self.browser.driver_variable();
        DRIVER_VARIABLES
            .into_iter()
            .filter(|&other| other != own)
            .fold(cmd, Cmd::env_remove)
            .env(own, &self.driver)
    }
}

/// The browsers the suites run in, in their order: `only`, or every browser.
pub fn selected(only: Option<Browser>) -> Vec<Browser> {
    only.map_or_else(|| Browser::ALL.to_vec(), |browser| vec![browser])
}

/// Ensures each of `browsers` and its driver, installing missing Debian packages as root.
///
/// # Errors
/// When something is missing and cannot be installed; the message says what to install.
pub fn ensure(workspace: &Workspace, browsers: &[Browser]) -> Result<Vec<Ready>> {
    let missing = missing_pieces(workspace, browsers)?;
    if !missing.is_empty() {
        install(workspace, &missing)?;
        let still = missing_pieces(workspace, browsers)?;
        if !still.is_empty() {
            bail!("still missing after apt-get install: {}", describe(&still));
        }
    }
    let mut ready = Vec::new();
    for &browser in browsers {
        let program =
            find_browser(workspace, browser).ok_or_else(|| anyhow!("{browser} is not on PATH"))?;
        let driver = match browser {
            Browser::Chromium => {
                chromedriver(workspace)?.ok_or_else(|| anyhow!("chromedriver is not on PATH"))?
            }
            Browser::Firefox => tools::ensure_geckodriver(workspace)?,
        };
        say(format!(
            "{browser}: {} driven by {}",
            program.display(),
            driver.display()
        ));
        ready.push(Ready {
            browser,
            program,
            driver,
        });
    }
    Ok(ready)
}

/// Something apt-get can install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Missing {
    /// What is missing, for messages.
    what: &'static str,
    /// The Debian package that provides it.
    package: &'static str,
}

/// The browsers and chromedriver that are missing. (geckodriver comes from crates.io instead.)
fn missing_pieces(workspace: &Workspace, browsers: &[Browser]) -> Result<Vec<Missing>> {
    let mut missing = Vec::new();
    for &browser in browsers {
        if find_browser(workspace, browser).is_none() {
            missing.push(Missing {
                what: browser.name(),
                package: browser.package(),
            });
        }
        if browser == Browser::Chromium && chromedriver(workspace)?.is_none() {
            missing.push(Missing {
                what: "chromedriver",
                package: "chromium-driver",
            });
        }
    }
    Ok(missing)
}

/// Installs the packages of `missing` with apt-get, or explains how to when that is impossible.
fn install(workspace: &Workspace, missing: &[Missing]) -> Result<()> {
    let packages: Vec<_> = missing.iter().map(|piece| piece.package).collect();
    if !apt::available(workspace) {
        bail!(
            "missing: {}. Install them (Debian, as root: `apt-get install -y {}`), \
             or run xtask as root on Debian to have it do that",
            describe(missing),
            packages.join(" ")
        );
    }
    say(format!(
        "missing: {}; installing with apt-get",
        describe(missing)
    ));
    apt::install(workspace, &packages)
        .map_err(|error| anyhow!("{error}; needed: {}", describe(missing)))
}

/// `chromium (package chromium), ...`.
fn describe(missing: &[Missing]) -> String {
    let pieces: Vec<_> = missing
        .iter()
        .map(|piece| format!("{} (package {})", piece.what, piece.package))
        .collect();
    pieces.join(", ")
}

/// The browser's program on `PATH`.
fn find_browser(workspace: &Workspace, browser: Browser) -> Option<PathBuf> {
    browser
        .programs()
        .iter()
        .find_map(|program| workspace.find(program))
}

/// `$CHROMEDRIVER`, else chromedriver on `PATH`, else Debian's `/usr/bin/chromedriver`.
fn chromedriver(workspace: &Workspace) -> Result<Option<PathBuf>> {
    if let Some(path) = env::var_os("CHROMEDRIVER").filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return if which::which(&path).is_ok() {
            Ok(Some(path))
        } else {
            Err(anyhow!(
                "CHROMEDRIVER={} is not an executable file",
                path.display()
            ))
        };
    }
    let debian = Path::new("/usr/bin/chromedriver");
    Ok(workspace
        .find("chromedriver")
        .or_else(|| which::which(debian).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_command_line_values() {
        for browser in Browser::ALL {
            let value = clap::ValueEnum::to_possible_value(&browser);
            assert_eq!(
                value.map(|value| value.get_name().to_owned()).as_deref(),
                Some(browser.name())
            );
        }
    }

    #[test]
    fn a_chromium_run_sees_only_chromedriver() {
        let ready = Ready {
            browser: Browser::Chromium,
            program: PathBuf::from("/usr/bin/chromium"),
            driver: PathBuf::from("/usr/bin/chromedriver"),
        };
        let shell = xshell::Shell::new().expect("a shell");
        let command = std::process::Command::from(ready.select_driver(shell.cmd("cargo")));
        let envs: Vec<_> = command
            .get_envs()
            .map(|(key, value)| (key.to_string_lossy().into_owned(), value.is_some()))
            .collect();
        assert!(envs.contains(&("CHROMEDRIVER".to_owned(), true)));
        assert!(envs.contains(&("GECKODRIVER".to_owned(), false)));
        assert_eq!(envs.iter().filter(|(_, set)| *set).count(), 1);
    }
}
