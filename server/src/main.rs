//! The `newswire-server` binary: parse the command line, open the store, serve.

use newswire_server::cli::{Options, USAGE};
use newswire_server::store::Store;
use newswire_server::AppState;
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("newswire-server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::open(&options.db) {
        Ok(store) => store,
        Err(err) => {
            eprintln!(
                "newswire-server: cannot open {}: {err}",
                options.db.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(options.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("newswire-server: cannot listen on {}: {err}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(options.addr);
    if !options.feed.is_file() {
        eprintln!(
            "newswire-server: warning: no feed at {}",
            options.feed.display()
        );
    }
    // Tests and scripts read this line to learn the port.
    println!("newswire-server listening on http://{addr}");
    println!("demo page: http://{addr}/");
    let state = AppState {
        feed: Arc::new(options.feed),
        www: Arc::new(options.www),
        store: Arc::new(store),
    };
    match newswire_server::serve(listener, state, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("newswire-server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM: stop taking connections and finish the requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            term.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
