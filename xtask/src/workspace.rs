//! Where things are: the repository, its target folder, the installed tools, and the shell
//! (folder and `PATH`) every child process runs in.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use cargo_metadata::MetadataCommand;
use xshell::{Cmd, Shell};

/// The duplex-ws repository as seen by xtask.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    target: PathBuf,
    original_path: OsString,
    prepended: Vec<PathBuf>,
    path: OsString,
    shell: Shell,
}

impl Workspace {
    /// The workspace that contains this xtask, as `cargo metadata` describes it, with
    /// `<target>/tools/bin` in front of `PATH`.
    ///
    /// # Errors
    /// When `cargo metadata` fails or `PATH` cannot be rebuilt.
    pub fn locate() -> Result<Self> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let metadata = MetadataCommand::new()
            .manifest_path(&manifest)
            .no_deps()
            .exec()
            .context("cannot read the workspace with `cargo metadata`")?;
        let shell = Shell::new().context("cannot read the current folder")?;
        let root = PathBuf::from(metadata.workspace_root);
        shell.change_dir(&root);
        let original_path = env::var_os("PATH").unwrap_or_default();
        let mut workspace = Self {
            root,
            target: metadata.target_directory.into(),
            path: original_path.clone(),
            original_path,
            prepended: Vec::new(),
            shell,
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

    /// The program `name` on the children's `PATH`.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        which::which_in(name, Some(&self.path), &self.root).ok()
    }

    /// The program `name` on `PATH` as xtask itself received it.
    pub fn find_on_original_path(&self, name: &str) -> Option<PathBuf> {
        which::which_in(name, Some(&self.original_path), &self.root).ok()
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
            .with_context(|| format!("cannot put {} on PATH", dir.display()))?;
        self.prepended = prepended;
        self.shell.set_var("PATH", &self.path);
        Ok(())
    }

    /// `program` run from the repository root with the children's `PATH`; echoed as
    /// `$ program args` when run, unless made quiet.
    pub fn cmd(&self, program: impl AsRef<Path>) -> Cmd<'_> {
        self.shell.cmd(program)
    }

    /// The cargo that runs xtask (`$CARGO`, else `cargo`), as [`Workspace::cmd`].
    pub fn cargo(&self) -> Cmd<'_> {
        self.cmd(env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
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
