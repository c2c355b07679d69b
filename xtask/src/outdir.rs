//! The output folder of `cargo xtask dist`: where it is, whether it may be removed, and
//! removing and recreating it.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::OutDirError;
use crate::statics::{ROOT_PAGE, WWW};
use anyhow::{Context as _, Result};

/// `path` with `.` dropped and `..` applied to what precedes it, without asking the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(normal.components().next_back(), Some(Component::Normal(_))) {
                    normal.pop();
                } else if !normal.has_root() {
                    normal.push(component);
                }
            }
            other => normal.push(other),
        }
    }
    normal
}

/// The absolute, normalized `path` with symbolic links resolved in the part that exists.
pub fn resolve(path: &Path) -> PathBuf {
    let path = normalize(path);
    let mut existing = path.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return missing.iter().rev().fold(real, |dir, name| dir.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name);
                existing = parent;
            }
            _ => return path,
        }
    }
}

/// Refuses an output folder `out` that removing would lose the repository or `www/` files
/// with. Both paths are [`resolve`]d.
///
/// # Errors
/// [`OutDirError::RepositoryRoot`], [`OutDirError::ContainsRepository`] or
/// [`OutDirError::InsideWww`].
pub fn check(root: &Path, out: &Path) -> Result<(), OutDirError> {
    if out == root {
        Err(OutDirError::RepositoryRoot(out.to_path_buf()))
    } else if root.starts_with(out) {
        Err(OutDirError::ContainsRepository(out.to_path_buf()))
    } else if out.starts_with(root.join(WWW)) {
        Err(OutDirError::InsideWww(out.to_path_buf()))
    } else {
        Ok(())
    }
}

/// The first of `names` (a folder's entries) that `dist` does not write at the top of its
/// output, if any: an earlier output, complete or not, holds only `index.html` and `www`.
fn foreign_entry(names: impl IntoIterator<Item = OsString>) -> Option<String> {
    let mut names: Vec<OsString> = names.into_iter().collect();
    names.sort();
    names
        .into_iter()
        .find(|name| name != ROOT_PAGE && name != WWW)
        .map(|name| name.to_string_lossy().into_owned())
}

/// Refuses an existing `out` that is not a folder or holds more than an earlier output.
///
/// # Errors
/// [`OutDirError::NotAFolder`] or [`OutDirError::NotDistOutput`], or an I/O error.
pub fn check_contents(out: &Path) -> Result<()> {
    let Ok(metadata) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    if !metadata.is_dir() {
        return Err(OutDirError::NotAFolder(out.to_path_buf()).into());
    }
    let names = fs::read_dir(out)
        .with_context(|| format!("cannot list {}", out.display()))?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot list {}", out.display()))?;
    match foreign_entry(names) {
        Some(entry) => Err(OutDirError::NotDistOutput(out.to_path_buf(), entry).into()),
        None => Ok(()),
    }
}

/// Removes `out` if it exists, after [`check_contents`], then creates it empty.
///
/// # Errors
/// Those of [`check_contents`], or an I/O error.
pub fn recreate(out: &Path) -> Result<()> {
    check_contents(out)?;
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cannot remove {}", out.display()))?;
    }
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_drops_dots_and_applies_parents() {
        assert_eq!(normalize(Path::new("/r/./dist/")), Path::new("/r/dist"));
        assert_eq!(normalize(Path::new("/r/www/../dist")), Path::new("/r/dist"));
        assert_eq!(normalize(Path::new("/r/www/..")), Path::new("/r"));
        assert_eq!(normalize(Path::new("/../r")), Path::new("/r"));
        assert_eq!(normalize(Path::new("../r")), Path::new("../r"));
    }

    #[test]
    fn folders_of_their_own_are_accepted() {
        let root = Path::new("/work/main");
        for out in [
            "/work/main/dist",
            "/tmp/site",
            "/work/main/target/dist",
            "/work/other",
        ] {
            assert_eq!(check(root, Path::new(out)), Ok(()), "{out}");
        }
        // A sibling whose name merely starts like `www` is not inside it.
        assert_eq!(check(root, Path::new("/work/main/www2")), Ok(()));
    }

    #[test]
    fn the_repository_and_its_parents_are_refused() {
        let root = Path::new("/work/main");
        assert_eq!(
            check(root, root),
            Err(OutDirError::RepositoryRoot(root.to_path_buf()))
        );
        for out in ["/work", "/"] {
            assert_eq!(
                check(root, Path::new(out)),
                Err(OutDirError::ContainsRepository(PathBuf::from(out)))
            );
        }
    }

    #[test]
    fn www_and_what_is_inside_it_are_refused() {
        let root = Path::new("/work/main");
        for out in [
            "/work/main/www",
            "/work/main/www/pkg",
            "/work/main/www/dist",
        ] {
            assert_eq!(
                check(root, Path::new(out)),
                Err(OutDirError::InsideWww(PathBuf::from(out)))
            );
        }
    }

    #[test]
    fn only_an_earlier_output_may_be_removed() {
        let names = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(foreign_entry(names(&[])), None);
        assert_eq!(foreign_entry(names(&["www", "index.html"])), None);
        assert_eq!(foreign_entry(names(&["www"])), None);
        assert_eq!(
            foreign_entry(names(&["www", "src", "Cargo.toml"])),
            Some("Cargo.toml".to_owned())
        );
    }
}
