//! Installing Debian packages with apt-get, which xtask does only when it runs as root.

use anyhow::{Context as _, Result, bail};

use crate::process::say;
use crate::workspace::Workspace;

/// Whether apt-get is there and xtask may use it (it runs as root).
pub fn available(workspace: &Workspace) -> bool {
    workspace.find("apt-get").is_some() && is_root(workspace)
}

/// `apt-get update` (a failure is only reported), then `apt-get install -y PACKAGES`.
///
/// # Errors
/// When apt-get is missing, xtask is not root, or the install fails; the message names the
/// packages and says how to install them by hand.
pub fn install(workspace: &Workspace, packages: &[&str]) -> Result<()> {
    let by_hand = format!("apt-get install -y {}", packages.join(" "));
    let Some(apt) = workspace.find("apt-get").filter(|_| is_root(workspace)) else {
        bail!(
            "cannot install {} here: run `{by_hand}` as root on Debian, or run xtask as root \
             on Debian to have it do that",
            packages.join(", ")
        );
    };
    let apt = |args: &[&str]| {
        workspace
            .cmd(&apt)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
    };
    if let Err(error) = apt(&["update"]) {
        say(format!("{error}; trying the install anyway"));
    }
    apt(&[&["install", "-y"], packages].concat()).with_context(|| format!("`{by_hand}` failed"))
}

/// Whether xtask runs as root (`id -u` prints 0).
pub fn is_root(workspace: &Workspace) -> bool {
    workspace
        .cmd("id")
        .arg("-u")
        .quiet()
        .read()
        .is_ok_and(|uid| uid.trim() == "0")
}
