//! The pages' static files: the root `index.html` and everything under `www/` except the
//! generated `www/pkg/` and the pages' Rust crate (`www/Cargo.toml` and its `.rs` files), found
//! by walking the folder rather than listed by hand.

use std::fs;
use std::path::{Path, PathBuf};

use crate::process::say;
use anyhow::{Context as _, Result};

/// The page at the root, the only static file outside [`WWW`].
pub const ROOT_PAGE: &str = "index.html";

/// The folder of the static files.
pub const WWW: &str = "www";

/// The folder under [`WWW`] the bindings are generated into.
pub const PKG: &str = "pkg";

/// The manifest of the pages' Rust crate (`duplex-pages`), which lives in [`WWW`] too.
const PAGES_MANIFEST: &str = "Cargo.toml";

/// Whether the walk leaves out `relative` (a path under [`WWW`], relative to the root): the
/// generated `www/pkg/`, the pages' crate (its manifest and Rust sources, which the browser
/// gets compiled into `www/pkg/`), and hidden files and folders (editor and OS leftovers).
fn skipped(relative: &Path) -> bool {
    relative == Path::new(WWW).join(PKG)
        || relative == Path::new(WWW).join(PAGES_MANIFEST)
        || relative
            .extension()
            .is_some_and(|extension| extension == "rs")
        || relative
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

/// The static files, relative to `root`, sorted: [`ROOT_PAGE`] and the files under [`WWW`].
///
/// # Errors
/// When a folder cannot be listed.
pub fn list(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = vec![PathBuf::from(ROOT_PAGE)];
    walk(root, Path::new(WWW), &mut files)?;
    files.sort();
    Ok(files)
}

/// Adds the files under `root/relative` to `files`. Symbolic links to files count as files;
/// links to folders are left out (with a note), so the walk cannot loop.
fn walk(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let dir = root.join(relative);
    let entries = fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = relative.join(entry.file_name());
        if skipped(&path) {
            continue;
        }
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        if file_type.is_dir() {
            walk(root, &path, files)?;
        } else if entry.path().metadata().is_ok_and(|meta| meta.is_file()) {
            files.push(path);
        } else {
            say(format!(
                "leaving out {}: not a file or a folder",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Copies `files` (relative paths) from `root` to the same places under `out`.
///
/// # Errors
/// When a file cannot be read or written.
pub fn copy(root: &Path, files: &[PathBuf], out: &Path) -> Result<()> {
    for file in files {
        let (from, to) = (root.join(file), out.join(file));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::copy(&from, &to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_bindings_and_hidden_files_are_left_out() {
        for path in [
            "www/pkg",
            "www/.app.js.swp",
            "www/img/.DS_Store",
            "www/.cache",
            "www/Cargo.toml",
            "www/src/lib.rs",
            "www/chat/main.rs",
        ] {
            assert!(skipped(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn everything_else_is_copied() {
        for path in [
            "www/app.js",
            "www/echo.html",
            "www/img/pkg",
            "www/pkg.js",
            "www/chat",
        ] {
            assert!(!skipped(Path::new(path)), "{path}");
        }
    }
}
