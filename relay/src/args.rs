//! The command line of the `duplex-relay` binary.

use std::fmt;
use std::path::PathBuf;

use crate::{Config, origin};

/// The address the relay listens on when `--addr` is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The `--help` text.
pub const USAGE: &str = "\
Usage: duplex-relay [--addr ADDR] [--root DIR] [--allow-origin ORIGIN]... [--test-endpoints]

Serves static files from DIR, a WebSocket echo at /echo and chat rooms at /chat.

Options:
  --addr ADDR            address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
  --root DIR             folder to serve static files from (default .)
  --allow-origin ORIGIN  also accept WebSockets from pages of ORIGIN, e.g. https://chat.example
                         (repeatable; the relay's own origin and loopback origins always are)
  --test-endpoints       mount the /test/* fault-injection endpoints (never use in production)
  --help                 print this help

The first line on stdout is the base URL the relay listens on, e.g. http://127.0.0.1:8080
On SIGINT or SIGTERM, WebSockets are closed with 1012 (service restart) and the relay exits.
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
/// An unknown option, an option without its value, an option other than `--allow-origin`
/// given twice, or an `--allow-origin` that is not an origin (`scheme://host[:port]`, no path).
pub fn parse<I>(args: I) -> Result<Command, ArgError>
where
    I: IntoIterator<Item = String>,
{
    let mut addr = None;
    let mut root = None;
    let mut test_endpoints = false;
    let mut allowed_origins = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value)),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--test-endpoints" if inline.is_none() => test_endpoints = true,
            "--addr" | "--root" | "--allow-origin" => {
                let value = match inline {
                    Some(value) => value.to_owned(),
                    None => args
                        .next()
                        .ok_or_else(|| ArgError(format!("{name} needs a value")))?,
                };
                if value.is_empty() {
                    return Err(ArgError(format!("{name} needs a non-empty value")));
                }
                if name == "--allow-origin" {
                    if !origin::is_origin(&value) {
                        return Err(ArgError(format!(
                            "--allow-origin needs an origin such as https://chat.example \
                             (scheme://host[:port], no path), got {value:?}"
                        )));
                    }
                    allowed_origins.push(value);
                    continue;
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
            allowed_origins,
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
                allowed_origins: vec![
                    "https://chat.example".to_owned(),
                    "http://10.0.0.2:8080".to_owned(),
                ],
            },
        });
        assert_eq!(
            parse_strs(&[
                "--addr",
                "127.0.0.1:0",
                "--allow-origin",
                "https://chat.example",
                "--root",
                "site",
                "--test-endpoints",
                "--allow-origin",
                "http://10.0.0.2:8080",
            ]),
            expected
        );
        assert_eq!(
            parse_strs(&[
                "--allow-origin=https://chat.example",
                "--test-endpoints",
                "--root=site",
                "--addr=127.0.0.1:0",
                "--allow-origin=http://10.0.0.2:8080",
            ]),
            expected
        );
    }

    #[test]
    fn allow_origin_keeps_the_order_and_repeats() {
        let Ok(Command::Serve { config, .. }) = parse_strs(&[
            "--allow-origin",
            "https://b.example",
            "--allow-origin=https://a.example",
            "--allow-origin",
            "https://b.example",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(
            config.allowed_origins,
            [
                "https://b.example",
                "https://a.example",
                "https://b.example"
            ]
        );
    }

    #[test]
    fn usage_lists_every_option() {
        for option in [
            "--addr",
            "--root",
            "--allow-origin",
            "--test-endpoints",
            "--help",
        ] {
            assert!(USAGE.contains(option), "{option}");
        }
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
            &["--allow-origin"],
            &["--allow-origin="],
            &["--allow-origin", "chat.example"],
            &["--allow-origin", "https://chat.example/"],
            &["--allow-origin", "https://chat.example/page"],
            &["--allow-origin", "*"],
        ] {
            assert!(parse_strs(args).is_err(), "{args:?} should be rejected");
        }
    }
}
