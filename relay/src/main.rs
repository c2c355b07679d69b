//! `duplex-relay`: serves the duplex-ws page, `/echo`, `/chat` and (with `--test-endpoints`) the
//! test endpoints. Prints the bound base URL as its first stdout line; stops on SIGINT or SIGTERM
//! with [`duplex_relay::serve`]'s graceful shutdown (WebSockets get Close 1012).

use std::future::pending;
use std::io::Write;
use std::process::ExitCode;

use duplex_relay::args::{self, Command, USAGE};
use duplex_relay::{AppState, Config, serve};
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.into_string())
        .collect();
    let Ok(args) = args else {
        eprintln!("duplex-relay: arguments must be UTF-8\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let (addr, config) = match args::parse(args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve { addr, config }) => (addr, config),
        Err(error) => {
            eprintln!("duplex-relay: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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

    serve(listener, AppState::new(config), stop_signal())
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
