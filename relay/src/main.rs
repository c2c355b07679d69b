//! `duplex-relay`: serves the duplex-ws page, `/echo` and (with `--test-endpoints`) the test
//! endpoints. Prints the bound base URL as its first stdout line; stops on SIGINT or SIGTERM.

use std::future::pending;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use duplex_relay::args::{self, Command, USAGE};
use duplex_relay::{AppState, Config, app};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long in-flight requests (long polls included) may run on after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

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
    match runtime.block_on(serve(&addr, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("duplex-relay: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str, config: Config) -> Result<(), String> {
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

    let (stopping, mut stopped) = watch::channel(false);
    let signal = async move {
        stop_signal().await;
        stopping.send_replace(true);
    };
    let server = axum::serve(listener, app(AppState::new(config))).with_graceful_shutdown(signal);
    let grace = async move {
        if stopped.wait_for(|&stopped| stopped).await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        }
    };
    tokio::select! {
        served = server => served.map_err(|error| format!("serving failed: {error}")),
        () = grace => Ok(()),
    }
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
