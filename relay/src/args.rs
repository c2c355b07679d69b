//! The command line of the `duplex-relay` binary: `duplex-relay --help` is generated from these
//! definitions.

use std::path::PathBuf;

use clap::Parser;

use crate::{Config, DEFAULT_KEEP_POSTS, default_data_dir, origin};

/// The address the relay listens on when `--addr` is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// duplex-relay: serves static files, a WebSocket echo at /echo and chat rooms at /chat.
///
/// The first line on stdout is the base URL the relay listens on, e.g. http://127.0.0.1:8080.
/// On SIGINT or SIGTERM, WebSockets are closed with 1012 (service restart) and the relay exits.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "duplex-relay", version)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Folder to serve static files from.
    #[arg(long, value_name = "DIR", default_value = ".", value_parser = non_empty_path)]
    pub root: PathBuf,
    /// Also accept WebSockets from pages of ORIGIN, e.g. https://chat.example (repeatable; the
    /// relay's own origin and loopback origins always are).
    #[arg(long = "allow-origin", value_name = "ORIGIN", value_parser = an_origin)]
    pub allowed_origins: Vec<String>,
    /// Folder of the chat's SQLite database, created if missing; it must not be inside --root.
    /// [default: duplex-relay in the user's data folder, e.g. ~/.local/share/duplex-relay]
    #[arg(long, value_name = "DIR", value_parser = non_empty_path)]
    pub data: Option<PathBuf>,
    /// Posts kept per room (at least 1000): older ones are deleted as new ones arrive.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP_POSTS)]
    pub keep_posts: usize,
    /// The most the database file may grow to, in MiB; posts beyond it are refused with the
    /// error `unavailable` [default: no limit but the disk].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_db_mib: Option<u64>,
    /// Share rooms with every relay given the same Redis server, e.g. redis://127.0.0.1:6379:
    /// posts, history and members live there instead of in --data (which is then unused).
    /// The relay exits at start if the server does not answer.
    #[arg(long, value_name = "URL", conflicts_with_all = ["data", "max_db_mib"])]
    pub redis: Option<String>,
    /// Mount the /test/* fault-injection endpoints (never use in production).
    #[arg(long)]
    pub test_endpoints: bool,
}

impl Args {
    /// The relay's configuration from these arguments.
    pub fn config(&self) -> Config {
        Config {
            root: self.root.clone(),
            test_endpoints: self.test_endpoints,
            allowed_origins: self.allowed_origins.clone(),
            data: self.data.clone().unwrap_or_else(default_data_dir),
            keep_posts: self.keep_posts,
            max_db_mib: self.max_db_mib,
            redis: self.redis.clone(),
        }
    }
}

fn non_empty_path(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err("needs a non-empty value".to_owned());
    }
    Ok(PathBuf::from(value))
}

fn an_origin(value: &str) -> Result<String, String> {
    if origin::is_origin(value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "needs an origin such as https://chat.example (scheme://host[:port], no path), got {value:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("duplex-relay").chain(args.iter().copied()))
    }

    #[test]
    fn the_definitions_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).expect("no arguments");
        assert_eq!(args.addr, DEFAULT_ADDR);
        assert_eq!(args.config(), Config::default());
    }

    #[test]
    fn every_option_in_both_spellings() {
        let expected = Config {
            root: PathBuf::from("site"),
            test_endpoints: true,
            allowed_origins: vec![
                "https://chat.example".to_owned(),
                "http://10.0.0.2:8080".to_owned(),
            ],
            data: PathBuf::from("/var/lib/duplex"),
            keep_posts: 5000,
            max_db_mib: Some(64),
            redis: None,
        };
        let spaced = parse(&[
            "--addr",
            "127.0.0.1:0",
            "--allow-origin",
            "https://chat.example",
            "--root",
            "site",
            "--test-endpoints",
            "--data",
            "/var/lib/duplex",
            "--keep-posts",
            "5000",
            "--max-db-mib",
            "64",
            "--allow-origin",
            "http://10.0.0.2:8080",
        ])
        .expect("spaced");
        let joined = parse(&[
            "--allow-origin=https://chat.example",
            "--test-endpoints",
            "--root=site",
            "--data=/var/lib/duplex",
            "--keep-posts=5000",
            "--max-db-mib=64",
            "--addr=127.0.0.1:0",
            "--allow-origin=http://10.0.0.2:8080",
        ])
        .expect("joined");
        for args in [spaced, joined] {
            assert_eq!(args.addr, "127.0.0.1:0");
            assert_eq!(args.config(), expected);
        }
    }

    #[test]
    fn redis_replaces_the_data_folder() {
        let args = parse(&["--redis", "redis://127.0.0.1:6379"]).expect("redis");
        assert_eq!(
            args.config().redis.as_deref(),
            Some("redis://127.0.0.1:6379")
        );
        for clash in [
            &["--redis", "redis://a", "--data", "/tmp/x"][..],
            &["--redis", "redis://a", "--max-db-mib", "5"],
            &["--redis"],
        ] {
            assert!(parse(clash).is_err(), "{clash:?} was accepted");
        }
    }

    #[test]
    fn mistakes_are_errors() {
        for args in [
            &["--addr"][..],
            &["--root", ""],
            &["--data", ""],
            &["--addr", "a:1", "--addr", "b:2"],
            &["--port", "1"],
            &["--test-endpoints=1"],
            &["serve"],
            &["--keep-posts", "many"],
            &["--max-db-mib", "0"],
            &["--allow-origin"],
            &["--allow-origin="],
            &["--allow-origin", "chat.example"],
            &["--allow-origin", "https://chat.example/"],
            &["--allow-origin", "https://chat.example/page"],
            &["--allow-origin", "*"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be rejected");
        }
    }
}
