//! The Rust-side tools: the wasm32 target, rustfmt and clippy, wasm-bindgen-cli (at the version
//! in `Cargo.lock`) and geckodriver, installed under `<target>/tools` when missing; and
//! Debian's `redis-server` for the tests of shared rooms, installed with apt.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Error, Result};
use crate::process::{self, capture, find_program, is_executable, run, say};
use crate::workspace::Workspace;
use crate::{apt, lockfile};

/// The browser target triple.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The wasm-bindgen CLI that matches the `wasm-bindgen` crate.
#[derive(Debug, Clone)]
pub struct WasmBindgen {
    /// The `wasm-bindgen` program (its `wasm-bindgen-test-runner` sits next to it).
    pub cli: PathBuf,
}

/// Ensures the wasm32 target and the matching wasm-bindgen CLI, installing what is missing.
/// Afterwards the children's `PATH` finds that CLI's `wasm-bindgen-test-runner` first.
///
/// # Errors
/// When a tool is missing and cannot be installed.
pub fn ensure_wasm_tools(workspace: &mut Workspace) -> Result<WasmBindgen> {
    ensure_wasm_target(workspace)?;
    ensure_wasm_bindgen(workspace)
}

/// Ensures the `wasm32-unknown-unknown` standard library is installed.
///
/// # Errors
/// When it is missing and rustup cannot add it.
pub fn ensure_wasm_target(workspace: &Workspace) -> Result<()> {
    if find_program("rustup", workspace.path()).is_none() {
        let sysroot = capture(workspace.command("rustc").args(["--print", "sysroot"]))?;
        let lib = Path::new(sysroot.stdout.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET);
        if sysroot.status.success() && lib.is_dir() {
            say(format!("{WASM_TARGET} target: installed (no rustup)"));
            return Ok(());
        }
        return Err(Error::new(format!(
            "the {WASM_TARGET} target is missing and there is no rustup to add it"
        )));
    }
    let listed = capture(
        workspace
            .command("rustup")
            .args(["target", "list", "--installed"]),
    )?;
    if listed.status.success() && listed.stdout.lines().any(|line| line.trim() == WASM_TARGET) {
        say(format!("{WASM_TARGET} target: installed"));
        return Ok(());
    }
    say(format!("{WASM_TARGET} target: missing, adding it"));
    let added = run(workspace
        .command("rustup")
        .args(["target", "add", WASM_TARGET]))?;
    if !added.success() {
        return Err(Error::new(format!(
            "`rustup target add {WASM_TARGET}` failed ({added})"
        )));
    }
    Ok(())
}

/// Ensures `cargo fmt` and `cargo clippy` work, adding the rustup components if not.
///
/// # Errors
/// When they are missing and rustup cannot add them.
pub fn ensure_lint_tools(workspace: &Workspace) -> Result<()> {
    let works = |tool: &str| {
        capture(workspace.cargo().args([tool, "--version"]))
            .is_ok_and(|captured| captured.status.success())
    };
    if works("fmt") && works("clippy") {
        say("rustfmt and clippy: installed");
        return Ok(());
    }
    say("rustfmt or clippy: missing, adding the rustup components");
    let added = run(workspace
        .command("rustup")
        .args(["component", "add", "rustfmt", "clippy"]))?;
    if !added.success() {
        return Err(Error::new(format!(
            "`rustup component add rustfmt clippy` failed ({added})"
        )));
    }
    Ok(())
}

/// Ensures `wasm-bindgen` and `wasm-bindgen-test-runner` at the `Cargo.lock` version: from
/// `PATH`, else from `<target>/tools/bin`, else installed there with `cargo install`.
///
/// # Errors
/// When `Cargo.lock` names no single version, or the CLI cannot be installed.
pub fn ensure_wasm_bindgen(workspace: &mut Workspace) -> Result<WasmBindgen> {
    let lock_path = workspace.root().join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .context(|| format!("cannot read {}", lock_path.display()))?;
    let version = lockfile::wasm_bindgen_version(&lock)?;
    let label = format!("wasm-bindgen-cli {version}");

    let on_path = find_program("wasm-bindgen", workspace.original_path());
    if let Some(cli) = on_path {
        match cli_version_in(&cli) {
            Some(found) if found == version => {
                let dir = cli.parent().unwrap_or(Path::new("/")).to_path_buf();
                // Our PATH puts target/tools/bin first; this folder must win over it.
                workspace.prepend_path(&dir)?;
                say(format!("{label}: {} (on PATH)", dir.display()));
                return Ok(WasmBindgen { cli });
            }
            found => say(format!(
                "{label}: not using {} on PATH: {}",
                cli.display(),
                found.map_or_else(
                    || "no wasm-bindgen-test-runner of the same version next to it".to_owned(),
                    |found| format!("it is version {found}"),
                ),
            )),
        }
    }

    let cli = workspace.tools_bin().join("wasm-bindgen");
    if cli_version_in(&cli).as_deref() == Some(version.as_str()) {
        say(format!("{label}: {}", workspace.tools_bin().display()));
        return Ok(WasmBindgen { cli });
    }

    say(format!("{label}: missing, installing it (takes minutes)"));
    cargo_install(workspace, "wasm-bindgen-cli", Some(&version))?;
    match cli_version_in(&cli) {
        Some(found) if found == version => Ok(WasmBindgen { cli }),
        found => Err(Error::new(format!(
            "installed wasm-bindgen-cli, but {} reports {}",
            cli.display(),
            found
                .as_deref()
                .unwrap_or("no matching wasm-bindgen-test-runner")
        ))),
    }
}

/// Ensures geckodriver: `$GECKODRIVER`, else on `PATH`, else in `<target>/tools/bin`, else
/// installed there with `cargo install`.
///
/// # Errors
/// When `$GECKODRIVER` is not a program, or geckodriver cannot be installed.
pub fn ensure_geckodriver(workspace: &Workspace) -> Result<PathBuf> {
    if let Some(path) = env::var_os("GECKODRIVER").filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        if !is_executable(&path) {
            return Err(Error::new(format!(
                "GECKODRIVER={} is not an executable file",
                path.display()
            )));
        }
        say(format!(
            "geckodriver: {} (from GECKODRIVER)",
            path.display()
        ));
        return Ok(path);
    }
    let found = find_program("geckodriver", workspace.original_path())
        .into_iter()
        .chain([workspace.tools_bin().join("geckodriver")])
        .find(|candidate| runs(workspace, candidate));
    if let Some(path) = found {
        say(format!("geckodriver: {}", path.display()));
        return Ok(path);
    }
    say("geckodriver: missing, installing it (takes minutes)");
    cargo_install(workspace, "geckodriver", None)?;
    let path = workspace.tools_bin().join("geckodriver");
    if runs(workspace, &path) {
        Ok(path)
    } else {
        Err(Error::new(format!(
            "installed geckodriver, but {} does not run",
            path.display()
        )))
    }
}

/// `cargo install KRATE [--version V] --root <target>/tools`: first `--locked`, then, if that
/// fails, without it.
fn cargo_install(workspace: &Workspace, krate: &str, version: Option<&str>) -> Result<()> {
    let attempt = |locked: bool| {
        let mut command = workspace.cargo();
        command.args(["install", krate]);
        if let Some(version) = version {
            command.args(["--version", version]);
        }
        if locked {
            command.arg("--locked");
        }
        // A target folder of its own, kept: the two installs share dependencies, and an
        // interrupted install resumes.
        command
            .arg("--root")
            .arg(workspace.tools_root())
            .arg("--target-dir")
            .arg(workspace.tools_root().join("build"));
        run(&mut command)
    };
    if attempt(true)?.success() {
        return Ok(());
    }
    // Seen here: the published lockfile of wasm-bindgen-cli 0.2.130 wants a webpki-roots
    // version this registry lacks; an unlocked resolve picks one it has.
    say(format!(
        "`cargo install {krate} --locked` failed; retrying without --locked"
    ));
    let status = attempt(false)?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("cannot install {krate} ({status})")))
    }
}

/// The version `wasm-bindgen` at `cli` reports, if `wasm-bindgen-test-runner` next to it
/// reports the same one.
fn cli_version_in(cli: &Path) -> Option<String> {
    let cli_version = reported_version(cli)?;
    let runner = cli.with_file_name("wasm-bindgen-test-runner");
    (reported_version(&runner)? == cli_version).then_some(cli_version)
}

/// The second word of what `program --version` prints (`wasm-bindgen 0.2.130`).
fn reported_version(program: &Path) -> Option<String> {
    if !is_executable(program) {
        return None;
    }
    let captured = capture(std::process::Command::new(program).arg("--version")).ok()?;
    if !captured.status.success() {
        return None;
    }
    version_word(&captured.stdout).map(str::to_owned)
}

/// The version in a `name version ...` line.
fn version_word(output: &str) -> Option<&str> {
    output.split_whitespace().nth(1)
}

/// Whether `program --version` succeeds.
fn runs(workspace: &Workspace, program: &Path) -> bool {
    is_executable(program)
        && process::capture(workspace.command(program).arg("--version"))
            .is_ok_and(|captured| captured.status.success())
}

/// Ensures `redis-server` is on `PATH` (the shared-rooms tests start their own on free ports),
/// installing Debian's package when it is missing.
///
/// # Errors
/// When it is missing and apt cannot install it.
pub fn ensure_redis_server(workspace: &Workspace) -> Result<()> {
    if let Some(path) = find_program("redis-server", workspace.path()) {
        say(format!("redis-server: {}", path.display()));
        return Ok(());
    }
    say("redis-server: missing, installing Debian's package");
    apt::install(workspace, &["redis-server"])?;
    match find_program("redis-server", workspace.path()) {
        Some(path) => {
            say(format!("redis-server: {}", path.display()));
            Ok(())
        }
        None => Err(Error::new(
            "installed redis-server, but it is not on PATH".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_second_word() {
        assert_eq!(version_word("wasm-bindgen 0.2.130\n"), Some("0.2.130"));
        assert_eq!(
            version_word("wasm-bindgen-test-runner 0.2.130"),
            Some("0.2.130")
        );
        assert_eq!(version_word("garbage"), None);
    }
}
