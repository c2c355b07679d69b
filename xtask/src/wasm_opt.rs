//! Shrinking the release wasm with binaryen's `wasm-opt`. For `dist` it is optional (used when
//! installed); `size` needs it and installs it when missing: npm's `binaryen` package at
//! [`NPM_VERSION`] under `<target>/tools/binaryen`, else Debian's `binaryen` package.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use crate::apt;
use crate::npm;
use crate::process::say;
use crate::workspace::Workspace;

/// The version of npm's `binaryen` package that `size` installs (its `wasm-opt` is a Node build).
pub const NPM_VERSION: &str = "132.0.0";

/// The flags `size` adds to [`FLAGS`]: drop DWARF and the producers section, which only name the
/// tools that wrote the file.
pub const STRIP_FLAGS: [&str; 2] = ["--strip-debug", "--strip-producers"];

/// A `wasm-opt` that runs.
#[derive(Debug, Clone)]
pub struct WasmOpt {
    /// The program.
    pub program: PathBuf,
    /// What `wasm-opt --version` printed, such as `wasm-opt version 132 (version_132)`.
    pub version: String,
}

/// The flags: optimize for size, and allow the wasm features current rustc emits for
/// `wasm32-unknown-unknown` (older binaryen, such as Debian's 108, rejects them otherwise).
pub const FLAGS: [&str; 7] = [
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// `wasm-opt` on the children's `PATH` (which starts with `<target>/tools/bin`), if any.
pub fn find(workspace: &Workspace) -> Option<PathBuf> {
    workspace.find("wasm-opt")
}

/// Finds a working `wasm-opt` ([`find`], else npm's `binaryen` under `<target>/tools/binaryen`),
/// installing one when there is none: npm's `binaryen` at [`NPM_VERSION`] (first `nodejs` and
/// `npm` with apt-get when they are missing and xtask runs as root), else Debian's `binaryen`.
///
/// # Errors
/// When none is found and none can be installed.
pub fn ensure(workspace: &Workspace) -> Result<WasmOpt> {
    if let Some(found) = find(workspace).and_then(|program| working(workspace, program)) {
        say(format!("{}: {}", found.version, found.program.display()));
        return Ok(found);
    }
    let npm_program = npm_program(workspace);
    let wanted = npm_major();
    match working(workspace, npm_program.clone()) {
        Some(found) if reported_major(&found.version) == wanted => {
            say(format!("{}: {}", found.version, found.program.display()));
            return Ok(found);
        }
        _ => {}
    }
    say(format!(
        "wasm-opt: missing, installing npm's binaryen@{NPM_VERSION} under {}",
        npm_prefix(workspace).display()
    ));
    let npm_failure = match install_npm_package(workspace) {
        Ok(()) => match working(workspace, npm_program) {
            Some(found) => return Ok(found),
            None => "its wasm-opt does not run".to_owned(),
        },
        Err(error) => error.to_string(),
    };
    say(format!(
        "npm's binaryen: {npm_failure}; trying Debian's binaryen package"
    ));
    apt::install(workspace, &["binaryen"])?;
    find(workspace)
        .and_then(|program| working(workspace, program))
        .ok_or_else(|| anyhow!("installed Debian's binaryen, but no wasm-opt that runs is on PATH"))
}

/// Where npm installs the `binaryen` package: `<target>/tools/binaryen`.
fn npm_prefix(workspace: &Workspace) -> PathBuf {
    workspace.tools_root().join("binaryen")
}

/// The `wasm-opt` of npm's `binaryen` package under [`npm_prefix`].
fn npm_program(workspace: &Workspace) -> PathBuf {
    npm_prefix(workspace).join("node_modules/binaryen/bin/wasm-opt")
}

/// The binaryen version [`NPM_VERSION`] stands for (`132.0.0` is binaryen 132).
fn npm_major() -> Option<u32> {
    NPM_VERSION.split('.').next()?.parse().ok()
}

/// `npm install binaryen@NPM_VERSION` into [`npm_prefix`], after installing `nodejs` and `npm`
/// with apt-get if `npm` is missing.
fn install_npm_package(workspace: &Workspace) -> Result<()> {
    npm::ensure(workspace)?;
    npm::run(
        workspace,
        |npm| {
            npm.args(["install", "--prefix"])
                .arg(npm_prefix(workspace))
                .arg(format!("binaryen@{NPM_VERSION}"))
        },
        &format!("npm install binaryen@{NPM_VERSION}"),
    )
}

/// `program` with what its `--version` prints, if it runs.
fn working(workspace: &Workspace, program: PathBuf) -> Option<WasmOpt> {
    let version = crate::process::version_of(workspace.cmd(&program).arg("--version")).ok()?;
    Some(WasmOpt { version, program })
}

/// The binaryen version in a `wasm-opt --version` line: 132 in
/// `wasm-opt version 132 (version_132)`.
fn reported_major(output: &str) -> Option<u32> {
    let mut words = output.split_whitespace();
    words.find(|word| *word == "version")?;
    words.next()?.parse().ok()
}

/// Runs `wasm_opt` on each of `files` in place and says the sizes before and after. A file
/// `wasm-opt` fails on is kept as it was, with a note.
///
/// # Errors
/// When `wasm-opt` cannot be started or a file cannot be read or replaced.
pub fn optimize(workspace: &Workspace, wasm_opt: &Path, files: &[PathBuf]) -> Result<()> {
    for file in files {
        if !optimize_file(workspace, wasm_opt, file, &[])? {
            say(format!(
                "wasm-opt failed on {}; keeping it as wasm-bindgen wrote it",
                file.display()
            ));
        }
    }
    Ok(())
}

/// Runs `wasm_opt` with [`FLAGS`] and `extra` flags on `file` in place and says the sizes before
/// and after. Returns `false`, with `file` unchanged, when `wasm-opt` fails.
///
/// # Errors
/// When the file cannot be read or replaced.
pub fn optimize_file(
    workspace: &Workspace,
    wasm_opt: &Path,
    file: &Path,
    extra: &[&str],
) -> Result<bool> {
    let before = size(file)?;
    let optimized = file.with_extension("opt.wasm");
    let ran = workspace
        .cmd(wasm_opt)
        .args(FLAGS)
        .args(extra)
        .arg(file)
        .arg("-o")
        .arg(&optimized)
        .run();
    if let Err(error) = ran {
        say(error.to_string());
        let _ = fs::remove_file(&optimized);
        return Ok(false);
    }
    fs::rename(&optimized, file).with_context(|| format!("cannot replace {}", file.display()))?;
    let after = size(file)?;
    say(format!(
        "wasm-opt: {}: {before} -> {after} bytes ({})",
        file.display(),
        change(before, after)
    ));
    Ok(true)
}

/// The size of `file` in bytes.
fn size(file: &Path) -> Result<u64> {
    Ok(fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len())
}

/// The relative change from `before` to `after` bytes, such as `-12.5%`.
fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "n/a".to_owned();
    }
    let percent = (after as f64 - before as f64) * 100.0 / before as f64;
    format!("{percent:+.1}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_a_signed_percentage() {
        assert_eq!(change(1000, 875), "-12.5%");
        assert_eq!(change(1000, 1000), "+0.0%");
        assert_eq!(change(200, 201), "+0.5%");
        assert_eq!(change(0, 10), "n/a");
    }

    #[test]
    fn the_binaryen_version_is_the_word_after_version() {
        assert_eq!(
            reported_major("wasm-opt version 132 (version_132)"),
            Some(132)
        );
        assert_eq!(reported_major("wasm-opt version 108"), Some(108));
        assert_eq!(reported_major("wasm-opt 108"), None);
        assert_eq!(reported_major(""), None);
    }

    #[test]
    fn the_npm_package_is_a_binaryen_release() {
        assert_eq!(npm_major(), Some(132));
    }
}
