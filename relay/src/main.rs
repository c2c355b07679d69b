//! `duplex-relay`: serves the duplex-ws page, `/echo`, `/chat` and (with `--test-endpoints`) the
//! test endpoints. Prints the bound base URL as its first stdout line; stops on SIGINT or SIGTERM
//! with [`duplex_relay::serve`]'s graceful shutdown (WebSockets get Close 1012).

use std::future::pending;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use duplex_relay::args::Args;
use duplex_relay::{AppState, Config, logging, serve};
use tokio::net::TcpListener;

/// jemalloc, also behind SQLite's `malloc` (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    let log = logging::subscriber(std::io::stderr, std::io::stderr().is_terminal());
    if let Err(error) = tracing::subscriber::set_global_default(log) {
        eprintln!("duplex-relay: cannot set up the log: {error}");
    }
    let (addr, config) = (args.addr.clone(), args.config());
    if !config.root.is_dir() {
        eprintln!(
            "duplex-relay: --root {} is not a folder",
            config.root.display()
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("duplex-relay: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&addr, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("duplex-relay: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(addr: &str, config: Config) -> Result<(), String> {
    let kept_in = match &config.redis {
        Some(_) => "the Redis server given with --redis".to_owned(),
        None => config
            .data
            .join(duplex_relay::store::DATABASE_FILE)
            .display()
            .to_string(),
    };
    let state = AppState::open(config)
        .await
        .map_err(|error| format!("cannot open the chat store: {error}"))?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = listener
        .local_addr()
        .map_err(|error| format!("cannot read the bound address: {error}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "http://{local}")
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write to stdout: {error}"))?;
    drop(stdout);
    tracing::info!(%local, rooms = %kept_in, "serving");

    serve(listener, state, stop_signal())
        .await
        .map_err(|error| format!("serving failed: {error}"))
}

async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
