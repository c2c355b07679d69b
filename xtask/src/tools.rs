//! The Rust-side tools: the wasm32 target, rustfmt and clippy, wasm-bindgen-cli (at the version
//! in `Cargo.lock`) and geckodriver, installed under `<target>/tools` when missing; and
//! Debian's `redis-server` for the tests of shared rooms, installed with apt.

use std::env;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_metadata::MetadataCommand;

use crate::apt;
use crate::process::{say, succeeds, version_of};
use crate::workspace::Workspace;

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
    if workspace.find("rustup").is_none() {
        let sysroot = workspace
            .cmd("rustc")
            .args(["--print", "sysroot"])
            .quiet()
            .read()?;
        let lib = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET);
        if lib.is_dir() {
            say(format!("{WASM_TARGET} target: installed (no rustup)"));
            return Ok(());
        }
        bail!("the {WASM_TARGET} target is missing and there is no rustup to add it");
    }
    let listed = workspace
        .cmd("rustup")
        .args(["target", "list", "--installed"])
        .quiet()
        .read()?;
    if listed.lines().any(|line| line.trim() == WASM_TARGET) {
        say(format!("{WASM_TARGET} target: installed"));
        return Ok(());
    }
    say(format!("{WASM_TARGET} target: missing, adding it"));
    workspace
        .cmd("rustup")
        .args(["target", "add", WASM_TARGET])
        .run()
        .context("cannot add the wasm32 target")
}

/// Ensures `cargo fmt` and `cargo clippy` work, adding the rustup components if not.
///
/// # Errors
/// When they are missing and rustup cannot add them.
pub fn ensure_lint_tools(workspace: &Workspace) -> Result<()> {
    let works = |tool: &str| succeeds(workspace.cargo().args([tool, "--version"]));
    if works("fmt") && works("clippy") {
        say("rustfmt and clippy: installed");
        return Ok(());
    }
    say("rustfmt or clippy: missing, adding the rustup components");
    workspace
        .cmd("rustup")
        .args(["component", "add", "rustfmt", "clippy"])
        .run()
        .context("cannot add rustfmt and clippy")
}

/// Ensures `wasm-bindgen` and `wasm-bindgen-test-runner` at the `Cargo.lock` version: from
/// `PATH`, else from `<target>/tools/bin`, else installed there with `cargo install`.
///
/// # Errors
/// When the workspace resolves to no single version, or the CLI cannot be installed.
pub fn ensure_wasm_bindgen(workspace: &mut Workspace) -> Result<WasmBindgen> {
    let version = wasm_bindgen_version(workspace)?;
    let label = format!("wasm-bindgen-cli {version}");

    let on_path = workspace.find_on_original_path("wasm-bindgen");
    if let Some(cli) = on_path {
        match cli_version_in(workspace, &cli) {
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
    if cli_version_in(workspace, &cli).as_deref() == Some(version.as_str()) {
        say(format!("{label}: {}", workspace.tools_bin().display()));
        return Ok(WasmBindgen { cli });
    }

    say(format!("{label}: missing, installing it (takes minutes)"));
    cargo_install(workspace, "wasm-bindgen-cli", Some(&version))?;
    match cli_version_in(workspace, &cli) {
        Some(found) if found == version => Ok(WasmBindgen { cli }),
        found => Err(anyhow!(
            "installed wasm-bindgen-cli, but {} reports {}",
            cli.display(),
            found
                .as_deref()
                .unwrap_or("no matching wasm-bindgen-test-runner")
        )),
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
        if which::which(&path).is_err() {
            bail!("GECKODRIVER={} is not an executable file", path.display());
        }
        say(format!(
            "geckodriver: {} (from GECKODRIVER)",
            path.display()
        ));
        return Ok(path);
    }
    let found = workspace
        .find_on_original_path("geckodriver")
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
        Err(anyhow!(
            "installed geckodriver, but {} does not run",
            path.display()
        ))
    }
}

/// `cargo install KRATE [--version V] --root <target>/tools`: first `--locked`, then, if that
/// fails, without it.
fn cargo_install(workspace: &Workspace, krate: &str, version: Option<&str>) -> Result<()> {
    let attempt = |locked: bool| {
        let version = version.map(|version| ["--version", version]);
        let locked = locked.then_some("--locked");
        let root = workspace.tools_root();
        // A target folder of its own, kept: the two installs share dependencies, and an
        // interrupted install resumes.
        let build = root.join("build");
        workspace
            .cargo()
            .args(["install", krate])
            .args(version.iter().flatten())
            .args(locked)
            .arg("--root")
            .arg(&root)
            .arg("--target-dir")
            .arg(&build)
            .run()
    };
    if attempt(true).is_ok() {
        return Ok(());
    }
    // Seen here: the published lockfile of wasm-bindgen-cli 0.2.130 wants a webpki-roots
    // version this registry lacks; an unlocked resolve picks one it has.
    say(format!(
        "`cargo install {krate} --locked` failed; retrying without --locked"
    ));
    attempt(false).with_context(|| format!("cannot install {krate}"))
}

/// The version `wasm-bindgen` at `cli` reports, if `wasm-bindgen-test-runner` next to it
/// reports the same one.
fn cli_version_in(workspace: &Workspace, cli: &Path) -> Option<String> {
    let cli_version = reported_version(workspace, cli)?;
    let runner = cli.with_file_name("wasm-bindgen-test-runner");
    (reported_version(workspace, &runner)? == cli_version).then_some(cli_version)
}

/// The second word of what `program --version` prints (`wasm-bindgen 0.2.130`).
fn reported_version(workspace: &Workspace, program: &Path) -> Option<String> {
    let line = version_of(workspace.cmd(program).arg("--version")).ok()?;
    version_word(&line).map(str::to_owned)
}

/// The one version of the `wasm-bindgen` crate the workspace resolves to, from `cargo metadata`.
///
/// # Errors
/// When `cargo metadata` fails, or it resolves to no `wasm-bindgen` or to several versions.
fn wasm_bindgen_version(workspace: &Workspace) -> Result<String> {
    let metadata = MetadataCommand::new()
        .manifest_path(workspace.root().join("Cargo.toml"))
        .exec()
        .context("cannot resolve the workspace with `cargo metadata`")?;
    let mut versions: Vec<String> = metadata
        .packages
        .iter()
        .filter(|package| package.name.as_str() == "wasm-bindgen")
        .map(|package| package.version.to_string())
        .collect();
    versions.sort_unstable();
    versions.dedup();
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => bail!("the workspace resolves to no wasm-bindgen package"),
        several => bail!(
            "the workspace resolves to several wasm-bindgen versions ({}); pin one in Cargo.toml",
            several.join(", ")
        ),
    }
}

/// The version in a `name version ...` line.
fn version_word(output: &str) -> Option<&str> {
    output.split_whitespace().nth(1)
}

/// Whether `program --version` succeeds.
fn runs(workspace: &Workspace, program: &Path) -> bool {
    succeeds(workspace.cmd(program).arg("--version"))
}

/// Ensures `redis-server` is on `PATH` (the shared-rooms tests start their own on free ports),
/// installing Debian's package when it is missing.
///
/// # Errors
/// When it is missing and apt cannot install it.
pub fn ensure_redis_server(workspace: &Workspace) -> Result<()> {
    if let Some(path) = workspace.find("redis-server") {
        say(format!("redis-server: {}", path.display()));
        return Ok(());
    }
    say("redis-server: missing, installing Debian's package");
    apt::install(workspace, &["redis-server"])?;
    match workspace.find("redis-server") {
        Some(path) => {
            say(format!("redis-server: {}", path.display()));
            Ok(())
        }
        None => Err(anyhow!("installed redis-server, but it is not on PATH")),
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
