//! npm, for the Node builds the benchmarks install: `wasm-opt` from binaryen's package, and the
//! fan-out's Node server with `ws`. Debian's `nodejs` and `npm` are installed when missing.

use std::io;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use xshell::Cmd;

use crate::apt;
use crate::process::say;
use crate::workspace::Workspace;

/// Installs Debian's `nodejs` and `npm` with apt-get unless `node` and `npm` are on `PATH`.
///
/// # Errors
/// When apt-get fails (or xtask does not run as root).
pub fn ensure(workspace: &Workspace) -> Result<()> {
    if workspace.find("node").is_none() || workspace.find("npm").is_none() {
        say("node or npm: missing, installing nodejs and npm with apt-get");
        apt::install(workspace, &["nodejs", "npm"])?;
    }
    Ok(())
}

/// Runs `npm` with `args` (and `--no-audit --no-fund`), its report on stderr so that stdout
/// keeps the results; `what` names it in the error.
///
/// # Errors
/// When npm cannot run or fails.
pub fn run(workspace: &Workspace, args: impl FnOnce(Cmd<'_>) -> Cmd<'_>, what: &str) -> Result<()> {
    let cmd = args(workspace.cmd("npm").args(["--no-audit", "--no-fund"]));
    eprintln!("$ {cmd}");
    let status = Command::from(cmd)
        .stdout(Stdio::from(io::stderr()))
        .status()
        .context("cannot run npm")?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}
