//! The command line of the `duplex-relay` binary: `duplex-relay --help` is generated from these
//! definitions.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use clap::builder::TypedValueParser as _;

use crate::{
    Config, DEFAULT_KEEP_POSTS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    DEFAULT_WELCOME_MEMORY_MIB, default_data_dir, origin,
};

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
    /// How long a client may take to send a request's headers before its connection is closed
    /// (also how long an idle keep-alive HTTP connection is kept), e.g. 10s.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = a_duration)]
    pub header_timeout: Duration,
    /// How long a /chat connection may stay without joining a room before it is closed with
    /// 1008, e.g. 10s.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = a_duration)]
    pub join_timeout: Duration,
    /// How long a /chat or /echo connection may send nothing before it is closed with 1001,
    /// e.g. 2m (the chat page pings every 15 s).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = a_duration)]
    pub idle_timeout: Duration,
    /// The most connections held at once, HTTP and WebSocket alike; more are answered 503 with
    /// Retry-After (each needs a file descriptor: see `ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u64).range(1..).map(saturating_usize))]
    pub max_connections: usize,
    /// The most connections one client address holds at once (an IPv6 address counts by its
    /// /64); more are answered 503 with Retry-After. Behind a reverse proxy every client has
    /// the proxy's address: raise it.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
          value_parser = clap::value_parser!(u64).range(1..).map(saturating_usize))]
    pub max_connections_per_address: usize,
    /// The memory, in MiB, that histories sent to joining pages may hold at once; a join whose
    /// history does not fit now is closed with 1013 and the page tries again.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_WELCOME_MEMORY_MIB,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub welcome_memory_mib: u64,
    /// How long a room nobody joins or posts to keeps its history before it is forgotten
    /// (deleted from --data or from Redis), e.g. 30d.
    #[arg(long, value_name = "DURATION", default_value = "30days", value_parser = a_duration)]
    pub forget_rooms_after: Duration,
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
            header_timeout: self.header_timeout,
            join_timeout: self.join_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
            welcome_memory_mib: self.welcome_memory_mib,
            forget_rooms_after: self.forget_rooms_after,
        }
    }
}

/// A duration such as `10s`, `2m` or `1h 30m`, at least a millisecond.
fn a_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value).map_err(|error| {
        format!("needs a duration such as 10s, 2m or 1h (got {value:?}: {error})")
    })?;
    if duration < Duration::from_millis(1) {
        return Err(format!("needs at least 1ms, got {value:?}"));
    }
    Ok(duration)
}

fn saturating_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
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
            header_timeout: Duration::from_secs(3),
            join_timeout: Duration::from_millis(1500),
            idle_timeout: Duration::from_secs(90),
            max_connections: 500,
            max_connections_per_address: 20,
            welcome_memory_mib: 64,
            forget_rooms_after: Duration::from_secs(7 * 24 * 3600),
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
            "--header-timeout",
            "3s",
            "--join-timeout",
            "1s 500ms",
            "--idle-timeout",
            "1m 30s",
            "--max-connections",
            "500",
            "--max-connections-per-address",
            "20",
            "--welcome-memory-mib",
            "64",
            "--forget-rooms-after",
            "7days",
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
            "--header-timeout=3000ms",
            "--join-timeout=1500ms",
            "--idle-timeout=90s",
            "--max-connections=500",
            "--max-connections-per-address=20",
            "--welcome-memory-mib=64",
            "--forget-rooms-after=1week",
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
            &["--idle-timeout", "0s"],
            &["--idle-timeout", "10"],
            &["--join-timeout", "soon"],
            &["--header-timeout", "-1s"],
            &["--max-connections", "0"],
            &["--max-connections-per-address", "0"],
            &["--max-connections", "-5"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be rejected");
        }
    }
}
