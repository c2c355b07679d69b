//! Building the pages: each page's example to wasm, then wasm-bindgen into a `pkg` folder
//! (`www/pkg/` for the demo and the tests, `<out>/www/pkg/` for `dist`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::tools::{WASM_TARGET, WasmBindgen};
use crate::workspace::{Profile, Workspace};

/// One page: its HTML file and the example that is its Rust code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The HTML file, relative to the repository root (and to the relay's root).
    pub html: &'static str,
    /// The cargo package whose example the page's Rust code is.
    pub package: &'static str,
    /// The example (`cargo build --example`); also the name of its bindings (wasm-bindgen
    /// `--out-name`): `<example>.js` and `<example>_bg.wasm`.
    pub example: &'static str,
    /// The cargo features the example requires.
    pub features: &'static [&'static str],
}

/// The package of the demo pages' Rust code (`www/`): `www/chat/` and `www/echo/`.
pub const PAGES_PACKAGE: &str = "duplex-pages";

/// Every page, the one served at `/` first: the chat and the echo page (`www/`), then the
/// framework hooks' echo consoles, each an example of its hook crate (`hooks/leptos/`,
/// `hooks/yew/`).
pub const PAGES: [Page; 4] = [
    Page {
        html: "index.html",
        package: PAGES_PACKAGE,
        example: "chat",
        features: &[],
    },
    Page {
        html: "www/echo.html",
        package: PAGES_PACKAGE,
        example: "echo",
        features: &[],
    },
    Page {
        html: "www/leptos.html",
        package: "duplex-ws-leptos",
        example: "leptos_echo",
        features: &["json"],
    },
    Page {
        html: "www/yew.html",
        package: "duplex-ws-yew",
        example: "yew_echo",
        features: &["json"],
    },
];

/// The benchmark page: built only by `cargo xtask bench` (release) and `cargo xtask test` (its
/// e2e smoke test), into [`bench_pkg_dir`]; never part of the demo or `dist`, since it needs the
/// relay's test endpoints. Its Rust is the `page` example of the bench crate (`bench/page/`), so
/// its bindings are `bench/pkg/page.js` and `page_bg.wasm`.
pub const BENCH_PAGE: Page = Page {
    html: "bench/index.html",
    package: "duplex-bench",
    example: "page",
    features: &[],
};

impl Page {
    /// The page's path on a server that serves the repository root: `/` for `index.html`.
    pub fn url_path(self) -> String {
        format!(
            "/{}",
            self.html.strip_suffix("index.html").unwrap_or(self.html)
        )
    }

    /// The file name of the generated wasm.
    pub fn wasm_file(self) -> String {
        format!("{}_bg.wasm", self.example)
    }

    /// The example's build: the page's package, with its features.
    pub fn build(self) -> Example {
        Example {
            package: self.package,
            name: self.example,
            features: self.features,
        }
    }

    /// The arguments of `cargo` that build the example for the browser in `profile`.
    #[cfg(test)]
    fn cargo_args(self, profile: Profile) -> Vec<String> {
        self.build().cargo_args(profile)
    }
}

/// A cdylib example built for the browser: its package, its name and the features it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// The cargo package.
    pub package: &'static str,
    /// The example (`cargo build --example`).
    pub name: &'static str,
    /// The cargo features it requires.
    pub features: &'static [&'static str],
}

impl Example {
    /// The arguments of `cargo` that build the example for the browser in `profile`.
    pub fn cargo_args(self, profile: Profile) -> Vec<String> {
        let mut args: Vec<String> = ["build", "--package", self.package, "--target", WASM_TARGET]
            .into_iter()
            .chain(profile.cargo_flags().iter().copied())
            .chain(["--example", self.name])
            .map(str::to_owned)
            .collect();
        if !self.features.is_empty() {
            args.push("--features".to_owned());
            args.push(self.features.join(","));
        }
        args
    }

    /// Builds the example in `profile` and returns the path of its wasm.
    ///
    /// # Errors
    /// When cargo cannot be run or the build fails.
    pub fn compile(self, workspace: &Workspace, profile: Profile) -> Result<PathBuf> {
        workspace
            .cargo()
            .args(self.cargo_args(profile))
            .run()
            .with_context(|| format!("building the {} example for {WASM_TARGET}", self.name))?;
        Ok(workspace
            .target()
            .join(WASM_TARGET)
            .join(profile.dir())
            .join("examples")
            .join(format!("{}.wasm", self.name)))
    }
}

/// Where the demo and the tests serve the bindings from: `<root>/www/pkg/`.
pub fn pkg_dir(workspace: &Workspace) -> PathBuf {
    workspace.root().join("www").join("pkg")
}

/// Where the benchmark page's bindings go: `<root>/bench/pkg/`.
pub fn bench_pkg_dir(workspace: &Workspace) -> PathBuf {
    workspace.root().join("bench").join("pkg")
}

/// Builds [`BENCH_PAGE`] in `profile` into [`bench_pkg_dir`].
///
/// # Errors
/// When the wasm build or wasm-bindgen fails.
pub fn build_bench(
    workspace: &Workspace,
    wasm_bindgen: &WasmBindgen,
    profile: Profile,
) -> Result<()> {
    let out_dir = bench_pkg_dir(workspace);
    fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    build(workspace, wasm_bindgen, profile, BENCH_PAGE, &out_dir)
}

/// Builds every page in `profile` and writes their bindings into `out_dir`: the demo pages in
/// one cargo run, the framework consoles in another, which selects the hook crates and their
/// features as their browser tests do, so that it reuses everything those tests built.
///
/// # Errors
/// When a wasm build or wasm-bindgen fails.
pub fn build_all(
    workspace: &Workspace,
    wasm_bindgen: &WasmBindgen,
    profile: Profile,
    out_dir: &Path,
) -> Result<()> {
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let demo: Vec<Page> = PAGES
        .into_iter()
        .filter(|page| page.package == PAGES_PACKAGE)
        .collect();
    for group in [demo, consoles()] {
        let wasm = compile_together(workspace, &group, profile)?;
        for (page, wasm) in group.iter().zip(wasm) {
            bindgen(workspace, wasm_bindgen, &wasm, out_dir, page.example, &[])?;
        }
    }
    Ok(())
}

/// The arguments of `cargo` that build every page of `pages` in one run, in `profile`.
fn together_args(pages: &[Page], profile: Profile) -> Vec<String> {
    let mut args: Vec<String> = ["build", "--target", WASM_TARGET]
        .into_iter()
        .chain(profile.cargo_flags().iter().copied())
        .map(str::to_owned)
        .collect();
    args.extend(selection(pages));
    for page in pages {
        args.extend(["--example".to_owned(), page.example.to_owned()]);
    }
    args
}

/// The cargo arguments that select the packages of `pages` (each once) and every page's features,
/// named after its package.
pub fn selection(pages: &[Page]) -> Vec<String> {
    let mut packages: Vec<&str> = pages.iter().map(|page| page.package).collect();
    packages.dedup();
    let mut args: Vec<String> = packages
        .into_iter()
        .flat_map(|package| ["--package".to_owned(), package.to_owned()])
        .collect();
    let features: Vec<String> = pages
        .iter()
        .flat_map(|page| {
            page.features
                .iter()
                .map(move |feature| format!("{}/{feature}", page.package))
        })
        .collect();
    if !features.is_empty() {
        args.extend(["--features".to_owned(), features.join(",")]);
    }
    args
}

/// The framework consoles: the pages that are examples of the hook crates.
pub fn consoles() -> Vec<Page> {
    PAGES
        .into_iter()
        .filter(|page| page.package != PAGES_PACKAGE)
        .collect()
}

/// Builds `pages` in one cargo run and returns the path of each one's wasm, in order.
fn compile_together(
    workspace: &Workspace,
    pages: &[Page],
    profile: Profile,
) -> Result<Vec<PathBuf>> {
    workspace
        .cargo()
        .args(together_args(pages, profile))
        .run()
        .with_context(|| format!("building the pages for {WASM_TARGET}"))?;
    let examples = workspace
        .target()
        .join(WASM_TARGET)
        .join(profile.dir())
        .join("examples");
    Ok(pages
        .iter()
        .map(|page| examples.join(format!("{}.wasm", page.example)))
        .collect())
}

/// Builds `page`'s example in `profile`, then runs wasm-bindgen on it into `out_dir`.
fn build(
    workspace: &Workspace,
    wasm_bindgen: &WasmBindgen,
    profile: Profile,
    page: Page,
    out_dir: &Path,
) -> Result<()> {
    let wasm = page.build().compile(workspace, profile)?;
    bindgen(workspace, wasm_bindgen, &wasm, out_dir, page.example, &[])
}

/// Runs `wasm-bindgen --target web --no-typescript` with the `extra` flags on `wasm`, writing
/// `<out_name>.js` and `<out_name>_bg.wasm` into `out_dir`.
///
/// # Errors
/// When wasm-bindgen cannot be run or fails.
pub fn bindgen(
    workspace: &Workspace,
    wasm_bindgen: &WasmBindgen,
    wasm: &Path,
    out_dir: &Path,
    out_name: &str,
    extra: &[&str],
) -> Result<()> {
    workspace
        .cmd(&wasm_bindgen.cli)
        .args(["--target", "web", "--no-typescript"])
        .args(extra)
        .arg("--out-dir")
        .arg(out_dir)
        .args(["--out-name", out_name])
        .arg(wasm)
        .run()
        .with_context(|| format!("wasm-bindgen {}", wasm.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(example: &str) -> Option<Page> {
        PAGES.into_iter().find(|page| page.example == example)
    }

    #[test]
    fn chat_is_at_the_root_and_the_others_under_www() {
        let urls: Vec<_> = PAGES.into_iter().map(Page::url_path).collect();
        assert_eq!(
            urls,
            ["/", "/www/echo.html", "/www/leptos.html", "/www/yew.html"]
        );
        assert_eq!(page("chat").map(|page| page.html), Some("index.html"));
    }

    #[test]
    fn an_index_page_in_a_folder_is_served_at_the_folder() {
        let page = Page {
            html: "www/demo/index.html",
            package: PAGES_PACKAGE,
            example: "demo",
            features: &[],
        };
        assert_eq!(page.url_path(), "/www/demo/");
    }

    #[test]
    fn the_bench_page_is_apart_from_the_demo_pages() {
        assert_eq!(BENCH_PAGE.url_path(), "/bench/");
        assert!(!PAGES.contains(&BENCH_PAGE));
        assert_eq!(
            BENCH_PAGE.cargo_args(Profile::Release).join(" "),
            "build --package duplex-bench --target wasm32-unknown-unknown --release \
             --example page"
        );
        assert_eq!(BENCH_PAGE.wasm_file(), "page_bg.wasm");
    }

    #[test]
    fn the_framework_consoles_are_examples_of_their_hook_crates_with_json() {
        let leptos = page("leptos_echo").map(|page| page.cargo_args(Profile::Dev).join(" "));
        assert_eq!(
            leptos.as_deref(),
            Some(
                "build --package duplex-ws-leptos --target wasm32-unknown-unknown --example \
                 leptos_echo --features json"
            )
        );
        assert_eq!(
            page("yew_echo").map(Page::wasm_file).as_deref(),
            Some("yew_echo_bg.wasm")
        );
    }

    #[test]
    fn the_consoles_build_in_one_run_as_their_browser_tests_select_them() {
        assert_eq!(
            together_args(&consoles(), Profile::Dev).join(" "),
            "build --target wasm32-unknown-unknown --package duplex-ws-leptos --package \
             duplex-ws-yew --features duplex-ws-leptos/json,duplex-ws-yew/json --example \
             leptos_echo --example yew_echo"
        );
        let demo: Vec<Page> = PAGES
            .into_iter()
            .filter(|page| page.package == PAGES_PACKAGE)
            .collect();
        assert_eq!(
            together_args(&demo, Profile::Release).join(" "),
            "build --target wasm32-unknown-unknown --release --package duplex-pages --example \
             chat --example echo"
        );
    }

    #[test]
    fn the_wasm_is_named_after_the_example() {
        let wasm = page("chat").map(Page::wasm_file);
        assert_eq!(wasm.as_deref(), Some("chat_bg.wasm"));
    }

    #[test]
    fn chat_and_echo_are_examples_of_the_pages_package() {
        let chat = page("chat").map(|page| page.cargo_args(Profile::Release));
        assert_eq!(
            chat.as_deref().map(|args| args.join(" ")).as_deref(),
            Some(
                "build --package duplex-pages --target wasm32-unknown-unknown --release \
                 --example chat"
            )
        );
        let echo = page("echo").map(|page| page.cargo_args(Profile::Dev));
        assert_eq!(
            echo.as_deref().map(|args| args.join(" ")).as_deref(),
            Some("build --package duplex-pages --target wasm32-unknown-unknown --example echo")
        );
    }
}
