//! Running child processes: echo the command, run it, capture or tee its output; find programs.

use std::env;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::error::{Context, Error, Result};

/// What a quietly run command printed.
#[derive(Debug)]
pub struct Captured {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output, lossily decoded.
    pub stdout: String,
}

/// Prints `msg` as one xtask progress line on stderr.
pub fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// Prints a phase heading on stderr.
pub fn heading(title: &str) {
    eprintln!("\n==== {title} ====");
}

/// Runs `command` with the terminal as its stdio, after echoing it.
///
/// # Errors
/// When the program cannot be started or waited for. A non-zero exit is not an error here.
pub fn run(command: &mut Command) -> Result<ExitStatus> {
    eprintln!("$ {}", describe(command));
    command
        .status()
        .context(|| format!("cannot run `{}`", program_name(command)))
}

/// Runs `command` without echoing it and collects its stdout (its stderr is dropped).
///
/// # Errors
/// When the program cannot be started (for instance it is not installed).
pub fn capture(command: &mut Command) -> Result<Captured> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .context(|| format!("cannot run `{}`", program_name(command)))?;
    Ok(Captured {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    })
}

/// Runs `command` after echoing it, copying its stdout to `copy` line by line and handing each
/// line to `on_line`; its stderr goes straight to ours.
///
/// # Errors
/// When the program cannot be started, or its output cannot be read.
pub fn run_teed(
    command: &mut Command,
    copy: &mut dyn Write,
    mut on_line: impl FnMut(&str),
) -> Result<ExitStatus> {
    eprintln!("$ {}", describe(command));
    let name = program_name(command);
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .context(|| format!("cannot run `{name}`"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::new(format!("`{name}` has no stdout pipe")))?;
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
                return Err(Error::new(format!(
                    "cannot read the output of `{name}`: {error}"
                )));
            }
        }
    }
    child.wait().context(|| format!("cannot wait for `{name}`"))
}

/// The first line `command` prints, which must succeed.
///
/// # Errors
/// When it cannot be run, fails, or prints nothing.
pub fn version_of(command: &mut Command) -> Result<String> {
    let captured = capture(command)?;
    let line = captured.stdout.lines().next().unwrap_or_default().trim();
    if !captured.status.success() || line.is_empty() {
        return Err(Error::new(format!(
            "cannot read the version of {}",
            command.get_program().to_string_lossy()
        )));
    }
    Ok(line.to_owned())
}

/// The first executable file called `name` in the folders of `path` (a `PATH` value).
pub fn find_program(name: &str, path: &OsStr) -> Option<PathBuf> {
    env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file this user may execute.
pub fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = path.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

/// The command as a line one could paste into a POSIX shell (PATH changes left out).
pub fn describe(command: &Command) -> String {
    let mut words = Vec::new();
    let mut unset = Vec::new();
    let mut set = Vec::new();
    for (key, value) in command.get_envs() {
        if key == "PATH" {
            continue;
        }
        let key = key.to_string_lossy();
        match value {
            Some(value) => set.push(format!("{key}={}", quote(&value.to_string_lossy()))),
            None => unset.push(format!("-u {key}")),
        }
    }
    if !unset.is_empty() {
        words.push("env".to_owned());
        words.append(&mut unset);
    }
    words.append(&mut set);
    words.push(program_name(command));
    words.extend(command.get_args().map(|arg| quote(&arg.to_string_lossy())));
    words.join(" ")
}

/// The program of `command` as the user would type it: `cargo` for `$CARGO`, a path inside
/// the command's folder relative to it.
fn program_name(command: &Command) -> String {
    let program = Path::new(command.get_program());
    if env::var_os("CARGO").is_some_and(|cargo| Path::new(&cargo) == program) {
        return "cargo".to_owned();
    }
    let shown = command
        .get_current_dir()
        .and_then(|dir| program.strip_prefix(dir).ok())
        .unwrap_or(program);
    shown.display().to_string()
}

/// `word`, single-quoted when a shell would otherwise change it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_unquoted() {
        assert_eq!(quote("--target"), "--target");
        assert_eq!(quote("http://127.0.0.1:80"), "http://127.0.0.1:80");
    }

    #[test]
    fn shell_characters_are_quoted() {
        assert_eq!(quote("*"), "'*'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn description_shows_set_and_removed_variables() {
        let mut command = Command::new("cargo-x");
        command
            .args(["test", "--test", "*"])
            .env("PATH", "/nowhere")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env_remove("GECKODRIVER");
        assert_eq!(
            describe(&command),
            "env -u GECKODRIVER CHROMEDRIVER=/usr/bin/chromedriver cargo-x test --test '*'"
        );
    }
}
