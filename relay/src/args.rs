//! The command line of the `duplex-relay` binary.

use std::fmt;
use std::path::PathBuf;

use crate::Config;

/// The address the relay listens on when `--addr` is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The `--help` text.
pub const USAGE: &str = "\
Usage: duplex-relay [--addr ADDR] [--root DIR] [--test-endpoints]

Serves static files from DIR and a WebSocket echo at /echo.

Options:
  --addr ADDR         address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
  --root DIR          folder to serve static files from (default .)
  --test-endpoints    mount the /test/* fault-injection endpoints (never use in production)
  --help              print this help

The first line on stdout is the base URL the relay listens on, e.g. http://127.0.0.1:8080
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`] and exit.
    Help,
    /// Serve `config` on `addr`.
    Serve {
        /// The `--addr` value, resolved when binding (`host:port`).
        addr: String,
        /// The rest of the options.
        config: Config,
    },
}

/// A command line that cannot be obeyed; its `Display` is the message for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

/// Parses the arguments after the program name. `--flag value` and `--flag=value` are both
/// accepted.
///
/// # Errors
///
/// An unknown option, an option without its value, or an option given twice.
pub fn parse<I>(args: I) -> Result<Command, ArgError>
where
    I: IntoIterator<Item = String>,
{
    let mut addr = None;
    let mut root = None;
    let mut test_endpoints = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value)),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--test-endpoints" if inline.is_none() => test_endpoints = true,
            "--addr" | "--root" => {
                let value = match inline {
                    Some(value) => value.to_owned(),
                    None => args
                        .next()
                        .ok_or_else(|| ArgError(format!("{name} needs a value")))?,
                };
                if value.is_empty() {
                    return Err(ArgError(format!("{name} needs a non-empty value")));
                }
                let slot = if name == "--addr" {
                    &mut addr
                } else {
                    &mut root
                };
                if slot.replace(value).is_some() {
                    return Err(ArgError(format!("{name} given twice")));
                }
            }
            _ => return Err(ArgError(format!("unknown argument {arg:?}"))),
        }
    }
    Ok(Command::Serve {
        addr: addr.unwrap_or_else(|| DEFAULT_ADDR.to_owned()),
        config: Config {
            root: root.map_or_else(|| Config::default().root, PathBuf::from),
            test_endpoints,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, ArgError> {
        parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn defaults() {
        assert_eq!(
            parse_strs(&[]),
            Ok(Command::Serve {
                addr: DEFAULT_ADDR.to_owned(),
                config: Config::default(),
            })
        );
    }

    #[test]
    fn every_option_in_both_spellings() {
        let expected = Ok(Command::Serve {
            addr: "127.0.0.1:0".to_owned(),
            config: Config {
                root: PathBuf::from("site"),
                test_endpoints: true,
            },
        });
        assert_eq!(
            parse_strs(&[
                "--addr",
                "127.0.0.1:0",
                "--root",
                "site",
                "--test-endpoints"
            ]),
            expected
        );
        assert_eq!(
            parse_strs(&["--test-endpoints", "--root=site", "--addr=127.0.0.1:0"]),
            expected
        );
    }

    #[test]
    fn help_wins() {
        assert_eq!(parse_strs(&["--addr", "x:1", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn mistakes_are_errors() {
        for args in [
            &["--addr"][..],
            &["--root", ""],
            &["--addr", "a:1", "--addr", "b:2"],
            &["--port", "1"],
            &["--test-endpoints=1"],
            &["serve"],
        ] {
            assert!(parse_strs(args).is_err(), "{args:?} should be rejected");
        }
    }
}
