//! `cargo xtask dist`: build the pages in release mode into a folder any static host can serve
//! (`index.html`, `www/` and the fresh `www/pkg/`), shrink the wasm with `wasm-opt` when it is
//! installed, and print the raw and gzipped sizes.

use std::env;
use std::path::PathBuf;

use crate::outdir;
use crate::page::{self, PAGES};
use crate::process::{heading, say};
use crate::sizes;
use crate::statics::{self, PKG, WWW};
use crate::tools;
use crate::wasm_opt;
use crate::workspace::{Profile, Workspace};
use anyhow::{Context as _, Result};

/// The output folder when `--out` is not given, relative to the repository root.
pub const DEFAULT_OUT: &str = "dist";

/// The options of `cargo xtask dist`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Options {
    /// Output folder (default dist/ in the repository; not the repository, one of its parents
    /// or www/).
    #[arg(long, value_name = "DIR", value_parser = non_empty)]
    pub out: Option<PathBuf>,
}

/// A `--out` value: any path but the empty one.
fn non_empty(value: &str) -> Result<PathBuf, &'static str> {
    if value.is_empty() {
        Err("the output folder must not be empty")
    } else {
        Ok(PathBuf::from(value))
    }
}

/// Writes the output folder and prints its sizes.
///
/// # Errors
/// When the output folder is refused, a tool is missing and cannot be installed, a build fails
/// or a file cannot be copied.
pub fn run(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    let out = outdir::resolve(&match &options.out {
        Some(dir) => env::current_dir()
            .with_context(|| "cannot read the current folder".to_owned())?
            .join(dir),
        None => workspace.root().join(DEFAULT_OUT),
    });
    outdir::check(&outdir::resolve(workspace.root()), &out)?;
    outdir::check_contents(&out)?;

    heading("tools");
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;

    heading("pages");
    outdir::recreate(&out)?;
    let pkg = out.join(WWW).join(PKG);
    page::build_all(workspace, &wasm_bindgen, Profile::Release, &pkg)?;

    heading("static files");
    let files = statics::list(workspace.root())?;
    statics::copy(workspace.root(), &files, &out)?;
    let names: Vec<_> = files
        .iter()
        .map(|file| file.display().to_string())
        .collect();
    say(format!("copied {}", names.join(", ")));
    for page in PAGES
        .into_iter()
        .filter(|page| !out.join(page.html).is_file())
    {
        say(format!(
            "note: {} (the {} page) is not in the output",
            page.html, page.example
        ));
    }

    heading("wasm-opt");
    match wasm_opt::find(workspace) {
        Some(program) => {
            let wasm: Vec<_> = PAGES.map(|page| pkg.join(page.wasm_file())).to_vec();
            wasm_opt::optimize(workspace, &program, &wasm)?;
        }
        None => say(
            "wasm-opt: not found on PATH or in target/tools/bin; the wasm stays as wasm-bindgen \
             wrote it",
        ),
    }

    heading("sizes");
    print!("{}", sizes::render(&sizes::measure(&out)?));
    say(format!(
        "wrote {}: serve it from any static host",
        out.display()
    ));
    Ok(true)
}
