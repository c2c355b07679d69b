//! Where things are: the repository, its target folder, the installed tools, and the `PATH`
//! every child process gets.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Context, Error, Result};

/// The duplex-ws repository as seen by xtask.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    target: PathBuf,
    original_path: OsString,
    prepended: Vec<PathBuf>,
    path: OsString,
}

impl Workspace {
    /// The workspace that contains this xtask, with `<target>/tools/bin` in front of `PATH`.
    ///
    /// # Errors
    /// When the xtask folder has no parent or `PATH` cannot be rebuilt.
    pub fn locate() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or_else(|| Error::new("xtask is not inside a workspace folder"))?
            .to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => env::current_dir()
                .context(|| "cannot read the current folder".to_owned())?
                .join(dir),
            None => root.join("target"),
        };
        let original_path = env::var_os("PATH").unwrap_or_default();
        let mut workspace = Self {
            root,
            target,
            path: original_path.clone(),
            original_path,
            prepended: Vec::new(),
        };
        workspace.prepend_path(&workspace.tools_bin())?;
        Ok(workspace)
    }

    /// The repository root (the folder of the root `Cargo.toml`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Cargo's target folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where `cargo install --root` puts the tools xtask installs.
    pub fn tools_root(&self) -> PathBuf {
        self.target.join("tools")
    }

    /// The `bin` folder of [`Workspace::tools_root`].
    pub fn tools_bin(&self) -> PathBuf {
        self.tools_root().join("bin")
    }

    /// A folder for xtask's own files (logs).
    pub fn scratch(&self) -> PathBuf {
        self.target.join("xtask")
    }

    /// Whether the end-to-end crate exists (`e2e/Cargo.toml`).
    pub fn has_e2e(&self) -> bool {
        self.root.join("e2e").join("Cargo.toml").is_file()
    }

    /// `PATH` as xtask itself received it.
    pub fn original_path(&self) -> &OsStr {
        &self.original_path
    }

    /// `PATH` as the child processes get it.
    pub fn path(&self) -> &OsStr {
        &self.path
    }

    /// The folders xtask puts in front of `PATH` for its children, in `PATH` order.
    pub fn added_path(&self) -> &[PathBuf] {
        &self.prepended
    }

    /// Puts `dir` in front of the children's `PATH` (once).
    ///
    /// # Errors
    /// When `dir` contains the path separator.
    pub fn prepend_path(&mut self, dir: &Path) -> Result<()> {
        let mut prepended = vec![dir.to_path_buf()];
        prepended.extend(self.prepended.iter().filter(|entry| *entry != dir).cloned());
        let rest = env::split_paths(&self.original_path).filter(|entry| !prepended.contains(entry));
        self.path = env::join_paths(prepended.iter().cloned().chain(rest))
            .context(|| format!("cannot put {} on PATH", dir.display()))?;
        self.prepended = prepended;
        Ok(())
    }

    /// `program` run from the repository root with the children's `PATH`.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        command
    }

    /// The cargo that runs xtask (`$CARGO`, else `cargo`), as [`Workspace::command`].
    pub fn cargo(&self) -> Command {
        self.command(env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
    }
}

/// A cargo build profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `dev`: quick to build, for tests.
    Dev,
    /// `release`: small and fast, for the demo.
    Release,
}

impl Profile {
    /// The cargo flags that select this profile.
    pub fn cargo_flags(self) -> &'static [&'static str] {
        match self {
            Self::Dev => &[],
            Self::Release => &["--release"],
        }
    }

    /// The folder name under the target folder.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Dev => "debug",
            Self::Release => "release",
        }
    }
}
