//! Building the echo page: `examples/echo.rs` to wasm, then wasm-bindgen into `www/pkg/`.

use crate::error::{Error, Result};
use crate::process::run;
use crate::tools::{WASM_TARGET, WasmBindgen};
use crate::workspace::{Profile, Workspace};

/// The example that is the page's Rust code.
const EXAMPLE: &str = "echo";

/// Builds the page in `profile` into `<root>/www/pkg/` (`echo.js` and `echo_bg.wasm`).
///
/// # Errors
/// When the wasm build or wasm-bindgen fails.
pub fn build(workspace: &Workspace, wasm_bindgen: &WasmBindgen, profile: Profile) -> Result<()> {
    let status = run(workspace
        .cargo()
        .args(["build", "--package", "duplex-ws", "--target", WASM_TARGET])
        .args(profile.cargo_flags())
        .args(["--example", EXAMPLE]))?;
    if !status.success() {
        return Err(Error::new(format!(
            "building the {EXAMPLE} example for {WASM_TARGET} failed ({status})"
        )));
    }
    let wasm = workspace
        .target()
        .join(WASM_TARGET)
        .join(profile.dir())
        .join("examples")
        .join(format!("{EXAMPLE}.wasm"));
    let out_dir = workspace.root().join("www").join("pkg");
    let status = run(workspace
        .command(&wasm_bindgen.cli)
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out_dir)
        .args(["--out-name", EXAMPLE])
        .arg(&wasm))?;
    if !status.success() {
        return Err(Error::new(format!(
            "wasm-bindgen {} failed ({status})",
            wasm.display()
        )));
    }
    Ok(())
}
