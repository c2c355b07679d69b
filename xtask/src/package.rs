//! The library as its users get it: `cargo publish --dry-run` must pass, the package must hold
//! only the library, and the README's quickstart must build in a fresh crate that has nothing
//! but the dependencies the README lists.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use crate::process::say;
use crate::tools::WASM_TARGET;
use crate::workspace::Workspace;

/// The published package.
const PACKAGE: &str = "duplex-ws";

/// Where the downstream crate of [`check_readme`] is written, under the target folder.
const DOWNSTREAM: &str = "readme-check";

/// `cargo publish --dry-run` (built for wasm32, as users build it), then the package's file list
/// against what a library's package may hold.
///
/// # Errors
/// When the dry run fails, or the package holds a file that is not the library's.
pub fn check_publish(workspace: &Workspace) -> Result<()> {
    // --allow-dirty: the check runs on a working tree too; the file list below is what counts.
    workspace
        .cargo()
        .args([
            "publish",
            "--dry-run",
            "--allow-dirty",
            "--package",
            PACKAGE,
        ])
        .args(["--target", WASM_TARGET])
        .run()
        .context("cargo publish --dry-run")?;
    let listed = workspace
        .cargo()
        .args(["package", "--list", "--allow-dirty", "--package", PACKAGE])
        .quiet()
        .ignore_stderr()
        .read()
        .context("cargo package --list")?;
    let strays = strays(&listed);
    if !strays.is_empty() {
        bail!(
            "the {PACKAGE} package holds files that are not the library's: {} (see `include` \
             in Cargo.toml)",
            strays.join(", ")
        );
    }
    say(format!(
        "{PACKAGE} package: {} files, the library only",
        listed.lines().count()
    ));
    Ok(())
}

/// The files of a `cargo package --list` that a library's package should not hold.
fn strays(listed: &str) -> Vec<&str> {
    const ALLOWED: [&str; 7] = [
        ".cargo_vcs_info.json",
        "Cargo.lock",
        "Cargo.toml",
        "Cargo.toml.orig",
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "README.md",
    ];
    listed
        .lines()
        .map(str::trim)
        .filter(|file| !file.is_empty())
        .filter(|file| {
            let library = file.starts_with("src/") && file.ends_with(".rs");
            !(library || ALLOWED.contains(file))
        })
        .collect()
}

/// Writes a crate under `<target>/readme-check/` whose manifest is the README's dependency block
/// (with `duplex-ws` patched to this checkout) and whose code is every Rust snippet of the README,
/// then checks it for wasm32.
///
/// # Errors
/// When the README has no dependency block or no snippet, or the crate does not build.
pub fn check_readme(workspace: &Workspace) -> Result<()> {
    let path = workspace.root().join("README.md");
    let readme =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let downstream = Downstream::from_readme(&readme)?;
    let dir = workspace.target().join(DOWNSTREAM);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let write = |name: &str, text: &str| {
        let file = dir.join(name);
        fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))
    };
    write("Cargo.toml", &downstream.manifest(workspace.root()))?;
    write("lib.rs", &downstream.code())?;
    // The workspace's versions, so the check builds what the tests built.
    let lock = workspace.root().join("Cargo.lock");
    fs::copy(&lock, dir.join("Cargo.lock"))
        .with_context(|| format!("cannot copy {}", lock.display()))?;
    workspace
        .cargo()
        .args(["check", "--target", WASM_TARGET, "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", workspace.target())
        .run()
        .context("the README's snippets do not build in a crate with only its dependencies")?;
    say(format!(
        "README: {} snippets build with its dependency block alone",
        downstream.snippets.len()
    ));
    Ok(())
}

/// What the README gives a new user: one dependency block and the snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Downstream {
    dependencies: String,
    snippets: Vec<String>,
}

impl Downstream {
    /// The ```` ```toml ```` block that names duplex-ws, and every ```` ```rust ```` block.
    fn from_readme(readme: &str) -> Result<Self> {
        let blocks = fenced_blocks(readme);
        let mut manifests = blocks
            .iter()
            .filter(|(info, body)| *info == "toml" && body.contains(PACKAGE));
        let Some((_, dependencies)) = manifests.next() else {
            bail!("README.md has no ```toml block with the {PACKAGE} dependency");
        };
        if manifests.next().is_some() {
            bail!("README.md has more than one ```toml block naming {PACKAGE}: give one");
        }
        let snippets: Vec<String> = blocks
            .iter()
            .filter(|(info, _)| info.split(',').next() == Some("rust"))
            .map(|(_, body)| body.clone())
            .collect();
        if snippets.is_empty() {
            bail!("README.md has no ```rust snippet");
        }
        Ok(Self {
            dependencies: dependencies.clone(),
            snippets,
        })
    }

    /// A manifest of a crate of its own (not a member of this workspace) with the README's
    /// dependencies, duplex-ws taken from `root` as `[patch]` does for an unpublished version.
    fn manifest(&self, root: &Path) -> String {
        format!(
            "[package]\nname = \"{DOWNSTREAM}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[lib]\npath = \"lib.rs\"\n\n{}\n[patch.crates-io]\n\
             {PACKAGE} = {{ path = {:?} }}\n\n[workspace]\n",
            self.dependencies,
            root.display().to_string()
        )
    }

    /// Each snippet as rustdoc would run it: hidden `# ` lines shown, the body in a function.
    fn code(&self) -> String {
        let mut code = String::from(
            "//! The README's snippets, as a user's crate holds them.\n#![allow(unused)]\n",
        );
        for (index, snippet) in self.snippets.iter().enumerate() {
            let body: Vec<&str> = snippet.lines().map(unhide).collect();
            code.push_str(&format!(
                "\npub fn snippet_{index}() {{\n    let _ = (|| {{\n{}\n    }})();\n}}\n",
                body.join("\n")
            ));
        }
        code
    }
}

/// A rustdoc line with its hiding `# ` taken off.
fn unhide(line: &str) -> &str {
    match line.trim_start().strip_prefix('#') {
        Some("") => "",
        Some(rest) if rest.starts_with(' ') => &rest[1..],
        _ => line,
    }
}

/// The fenced code blocks of a Markdown text: (info string, body).
fn fenced_blocks(markdown: &str) -> Vec<(&str, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, Vec<&str>)> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim(), Vec::new())),
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                if let Some((info, body)) = open.take() {
                    blocks.push((info, body.join("\n")));
                }
            }
            (Some((_, body)), _) => body.push(line),
            (None, None) => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "\
# x

```sh
cargo xtask test
```

```toml
[dependencies]
duplex-ws = \"0.1\"
```

```rust,no_run
use duplex_ws::WebSocket;
let socket = WebSocket::connect(\"wss://x\")?;
# fn hidden() {}
#
# Ok::<(), duplex_ws::Error>(())
```
";

    #[test]
    fn takes_the_dependency_block_and_the_rust_snippets() -> Result<()> {
        let downstream = Downstream::from_readme(README)?;
        assert_eq!(
            downstream.dependencies,
            "[dependencies]\nduplex-ws = \"0.1\""
        );
        assert_eq!(downstream.snippets.len(), 1);
        let code = downstream.code();
        assert!(code.contains("\nfn hidden() {}\n\nOk::<(), duplex_ws::Error>(())\n"));
        assert!(code.contains("pub fn snippet_0() {"));
        let manifest = downstream.manifest(Path::new("/repo"));
        assert!(manifest.contains("[patch.crates-io]\nduplex-ws = { path = \"/repo\" }"));
        assert!(manifest.ends_with("[workspace]\n"));
        Ok(())
    }

    #[test]
    fn a_readme_without_one_dependency_block_is_refused() {
        assert!(Downstream::from_readme("```rust\nfn main() {}\n```\n").is_err());
        let twice = format!("{README}\n```toml\nduplex-ws = \"0.1\"\n```\n");
        assert!(Downstream::from_readme(&twice).is_err());
    }

    #[test]
    fn only_library_files_may_be_packaged() {
        let listed = "Cargo.toml\nCargo.toml.orig\nREADME.md\nsrc/lib.rs\nsrc/a/b.rs\n\
                      www/chat/main.rs\nBENCHMARKS.md\n";
        assert_eq!(strays(listed), ["www/chat/main.rs", "BENCHMARKS.md"]);
    }
}
