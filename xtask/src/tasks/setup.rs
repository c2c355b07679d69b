//! `cargo xtask setup`: install the tools and browsers, and show how to use them by hand.

use anyhow::Result;

use crate::browsers::{self, Browser};
use crate::process::heading;
use crate::tools;
use crate::workspace::Workspace;

/// Ensures every tool and both browsers, then prints the shell lines for manual runs.
///
/// # Errors
/// When something is missing and cannot be installed.
pub fn run(workspace: &mut Workspace) -> Result<bool> {
    heading("tools");
    tools::ensure_wasm_tools(workspace)?;
    tools::ensure_lint_tools(workspace)?;
    let ready = browsers::ensure(workspace, &Browser::ALL)?;
    tools::ensure_redis_server(workspace)?;

    let dirs: Vec<_> = workspace
        .added_path()
        .iter()
        .map(|dir| dir.display().to_string())
        .collect();
    println!("\nFor manual runs (cargo test --target wasm32-unknown-unknown, wasm-bindgen):");
    println!("export PATH={}:$PATH", dirs.join(":"));
    for ready in &ready {
        println!(
            "export {}={}  # {}",
            ready.browser.driver_variable(),
            ready.driver.display(),
            ready.program.display()
        );
    }
    println!("(export only one driver variable per run: GECKODRIVER wins when both are set)");
    Ok(true)
}
