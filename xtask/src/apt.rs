//! Installing Debian packages with apt-get, which xtask does only when it runs as root.

use crate::error::{Error, Result};
use crate::process::{capture, find_program, run, say};
use crate::workspace::Workspace;

/// Whether apt-get is there and xtask may use it (it runs as root).
pub fn available(workspace: &Workspace) -> bool {
    find_program("apt-get", workspace.path()).is_some() && is_root(workspace)
}

/// `apt-get update` (a failure is only reported), then `apt-get install -y PACKAGES`.
///
/// # Errors
/// When apt-get is missing, xtask is not root, or the install fails; the message names the
/// packages and says how to install them by hand.
pub fn install(workspace: &Workspace, packages: &[&str]) -> Result<()> {
    let by_hand = format!("apt-get install -y {}", packages.join(" "));
    let apt = find_program("apt-get", workspace.path());
    let Some(apt) = apt.filter(|_| is_root(workspace)) else {
        return Err(Error::new(format!(
            "cannot install {} here: run `{by_hand}` as root on Debian, or run xtask as root \
             on Debian to have it do that",
            packages.join(", ")
        )));
    };
    let mut update = workspace.command(&apt);
    update
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive");
    let updated = run(&mut update)?;
    if !updated.success() {
        say(format!(
            "`apt-get update` failed ({updated}); trying the install anyway"
        ));
    }
    let mut install = workspace.command(&apt);
    install
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    let installed = run(&mut install)?;
    if installed.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{by_hand}` failed ({installed})")))
    }
}

/// Whether xtask runs as root (`id -u` prints 0).
pub fn is_root(workspace: &Workspace) -> bool {
    capture(workspace.command("id").arg("-u"))
        .is_ok_and(|captured| captured.status.success() && captured.stdout.trim() == "0")
}
