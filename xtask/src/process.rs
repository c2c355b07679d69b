//! What xtask prints about its steps, and the two ways of running a child that xshell does not
//! have: reading its output line by line while it runs, and asking a program its version.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context as _, Result};
use xshell::Cmd;

/// Prints `msg` as one xtask progress line on stderr.
pub fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// Prints a phase heading on stderr.
pub fn heading(title: &str) {
    eprintln!("\n==== {title} ====");
}

/// Runs `cmd` after echoing it, copying its stdout to `copy` line by line and handing each line
/// to `on_line`; its stderr goes straight to ours. A non-zero exit is not an error here.
///
/// # Errors
/// When the program cannot be started, or its output cannot be read.
pub fn run_teed(
    cmd: Cmd<'_>,
    copy: &mut dyn Write,
    mut on_line: impl FnMut(&str),
) -> Result<ExitStatus> {
    eprintln!("$ {cmd}");
    let mut command = Command::from(cmd);
    let name = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run `{name}`"))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        anyhow::bail!("`{name}` has no stdout pipe");
    };
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                // A closed terminal must not stop the child: keep reading, drop the copy.
                let _ = copy.write_all(&line).and_then(|()| copy.flush());
                on_line(&String::from_utf8_lossy(&line));
            }
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error).with_context(|| format!("cannot read the output of `{name}`"));
            }
        }
    }
    child
        .wait()
        .with_context(|| format!("cannot wait for `{name}`"))
}

/// The first line `cmd` prints (quietly), which must succeed.
///
/// # Errors
/// When it cannot be run, fails, or prints nothing.
pub fn version_of(cmd: Cmd<'_>) -> Result<String> {
    let shown = cmd.to_string();
    let output = cmd
        .quiet()
        .ignore_stderr()
        .read()
        .with_context(|| format!("cannot read the version from `{shown}`"))?;
    match output.lines().next().map(str::trim) {
        Some(line) if !line.is_empty() => Ok(line.to_owned()),
        _ => anyhow::bail!("`{shown}` printed no version"),
    }
}

/// Whether `cmd` runs and exits 0, without echoing it or showing its output.
pub fn succeeds(cmd: Cmd<'_>) -> bool {
    cmd.quiet().ignore_stdout().ignore_stderr().run().is_ok()
}
