//! Shrinking the release wasm with binaryen's `wasm-opt`, when it is installed (it is optional:
//! xtask never installs it).

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::process::{find_program, run, say};
use crate::workspace::Workspace;

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
    find_program("wasm-opt", workspace.path())
}

/// Runs `wasm_opt` on each of `files` in place and says the sizes before and after. A file
/// `wasm-opt` fails on is kept as it was, with a note.
///
/// # Errors
/// When `wasm-opt` cannot be started or a file cannot be read or replaced.
pub fn optimize(workspace: &Workspace, wasm_opt: &Path, files: &[PathBuf]) -> Result<()> {
    for file in files {
        let before = size(file)?;
        let optimized = file.with_extension("opt.wasm");
        let status = run(workspace
            .command(wasm_opt)
            .args(FLAGS)
            .arg(file)
            .arg("-o")
            .arg(&optimized))?;
        if !status.success() {
            let _ = fs::remove_file(&optimized);
            say(format!(
                "wasm-opt failed on {} ({status}); keeping it as wasm-bindgen wrote it",
                file.display()
            ));
            continue;
        }
        fs::rename(&optimized, file).context(|| format!("cannot replace {}", file.display()))?;
        let after = size(file)?;
        say(format!(
            "wasm-opt: {}: {before} -> {after} bytes ({})",
            file.display(),
            change(before, after)
        ));
    }
    Ok(())
}

/// The size of `file` in bytes.
fn size(file: &Path) -> Result<u64> {
    Ok(fs::metadata(file)
        .context(|| format!("cannot read {}", file.display()))?
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
}
