//! `cargo xtask demo`: build the pages (chat at `/`, echo at `/www/echo.html`) and the relay in
//! release mode, then serve them in the foreground: one relay on SQLite, or with `--redis URL`
//! two relays sharing their rooms through that Redis.

use anyhow::Result;
use clap::Args;

use crate::page;
use crate::process::{heading, say};
use crate::relay::{self, Output, Relay};
use crate::tools;
use crate::workspace::{Profile, Workspace};

/// The options of `cargo xtask demo`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Options {
    /// Listen address (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Run two relays sharing their rooms through the Redis at URL (e.g.
    /// redis://127.0.0.1:6379); the second listens on a free port.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
}

/// Builds, then serves until the relay exits (Ctrl-C); `Ok(false)` if it exits with an error.
///
/// # Errors
/// When a tool is missing and cannot be installed, a build fails or the relay cannot start.
pub fn run(workspace: &mut Workspace, options: &Options) -> Result<bool> {
    heading("tools");
    let wasm_bindgen = tools::ensure_wasm_tools(workspace)?;
    heading("pages");
    page::build_all(
        workspace,
        &wasm_bindgen,
        Profile::Release,
        &page::pkg_dir(workspace),
    )?;
    heading("relay");
    let program = relay::build(workspace, Profile::Release)?;
    let start = |addr: &str| {
        let redis = options.redis.as_deref().map(|url| ["--redis", url]);
        let command = workspace
            .cmd(&program)
            .args(["--addr", addr, "--root"])
            .arg(workspace.root())
            .args(redis.iter().flatten());
        Relay::start(command, &Output::Terminal)
    };
    let relay = start(&options.addr)?;
    let Some(_) = &options.redis else {
        println!("{}", relay.url());
        for page in page::PAGES {
            say(format!(
                "{} page: {}{}",
                page.example,
                relay.url(),
                page.url_path()
            ));
        }
        say("Open them in a browser (Ctrl-C stops the relay)");
        return Ok(relay.wait()?.success());
    };
    let second = start("127.0.0.1:0")?;
    let chat = |relay: &Relay| format!("server={}/chat", relay.url().replacen("http", "ws", 1));
    // Each page tries its own relay first, then the other one.
    for (first, other) in [(&relay, &second), (&second, &relay)] {
        say(format!(
            "chat on {}: {}/?{}&{}",
            first.url(),
            first.url(),
            chat(first),
            chat(other)
        ));
    }
    say("Two relays, one set of rooms: open one link per relay (Ctrl-C stops both)");
    let status = relay.wait()?;
    drop(second);
    Ok(status.success())
}
