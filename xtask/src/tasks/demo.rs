//! `cargo xtask demo`: build the pages (chat at `/`, echo at `/www/echo.html`) and the relay in
//! release mode, then serve them in the foreground.

use crate::error::Result;
use crate::page;
use crate::process::{heading, say};
use crate::relay::{self, Output, Relay};
use crate::tools;
use crate::workspace::{Profile, Workspace};

/// The options of `cargo xtask demo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The address the relay listens on.
    pub addr: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".to_owned(),
        }
    }
}

/// Builds, then serves until the relay exits (Ctrl-C); `Ok(false)` if it exits with an error.
///
/// # Errors
/// When a tool is missing and cannot be installed, a build fails or the relay cannot start.
pub fn run(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    heading("tools");
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;
    heading("pages");
    page::build_all(
        workspace,
        &wasm_bindgen,
        Profile::Release,
        &page::pkg_dir(workspace),
    )?;
    heading("relay");
    let program = relay::build(workspace, Profile::Release)?;
    let mut command = workspace.command(&program);
    command
        .args(["--addr", &options.addr, "--root"])
        .arg(workspace.root());
    let relay = Relay::start(command, &Output::Terminal)?;
    println!("{}", relay.url());
    for page in page::PAGES {
        say(format!(
            "{} page: {}{}",
            page.example,
            relay.url(),
            page.url_path()
        ));
    }
    say("Open them in a browser (Ctrl-C stops the relay)");
    let status = relay.wait()?;
    Ok(status.success())
}
