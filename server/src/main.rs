//! The `newswire-server` binary: parse the command line, then serve, check a feed, or
//! export the reviews.

use newswire_server::cli::{Command, ExportFormat, Options, USAGE};
use newswire_server::limits::Rate;
use newswire_server::origins::{parse_file, Origins};
use newswire_server::source::FeedSource;
use newswire_server::store::Store;
use newswire_server::{convert, export, store, AppState, Policy};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    match Command::parse(std::env::args().skip(1)) {
        Ok(Command::Serve(options)) => serve(*options).await,
        Ok(Command::Check(feed)) => check(&feed).await,
        Ok(Command::Export { db, format }) => match store::read_all(&db) {
            Ok(reviews) => {
                let out = match format {
                    ExportFormat::Csv => export::csv(&reviews),
                    ExportFormat::Json => export::json(&reviews) + "\n",
                };
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("newswire-server: cannot read {}: {err}", db.display());
                ExitCode::FAILURE
            }
        },
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("newswire-server: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `newswire-server check FEED`: every problem, item by item; non-zero when unusable.
async fn check(feed: &str) -> ExitCode {
    let text = if FeedSource::is_url(feed) {
        let url = feed.to_owned();
        let fetched = tokio::task::spawn_blocking(move || {
            ureq::get(&url)
                .call()
                .map_err(|e| e.to_string())
                .and_then(|mut r| r.body_mut().read_to_string().map_err(|e| e.to_string()))
        })
        .await;
        match fetched {
            Ok(Ok(text)) => text,
            Ok(Err(err)) => {
                eprintln!("{feed}: cannot fetch: {err}");
                return ExitCode::FAILURE;
            }
            Err(_) => return ExitCode::FAILURE,
        }
    } else {
        match std::fs::read(feed) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(err) => {
                eprintln!("{feed}: cannot read: {err}");
                return ExitCode::FAILURE;
            }
        }
    };
    let report = convert::check(&text, &Options::default().headline_category);
    for problem in &report.problems {
        println!("{feed}: {problem}");
    }
    if report.usable {
        println!(
            "{feed}: usable, {} items, {} problems",
            report.items,
            report.problems.len()
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn serve(options: Options) -> ExitCode {
    let mut origins = options.allow_origins.clone();
    if let Some(file) = &options.allow_origins_file {
        match std::fs::read_to_string(file) {
            Ok(text) => origins.extend(parse_file(&text)),
            Err(err) => {
                eprintln!("newswire-server: cannot read {}: {err}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let policy = Policy {
        origins: Origins::new(origins),
        client_rate: Rate::per_minute(options.client_rate),
        global_rate: Rate::per_second(options.global_rate),
        trust_proxy: options.trust_proxy,
        admin_token: options
            .admin_token
            .clone()
            .or_else(|| std::env::var("NEWSWIRE_ADMIN_TOKEN").ok())
            .filter(|t| !t.trim().is_empty()),
        max_inflight: options.max_inflight,
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
    let feed = if FeedSource::is_url(&options.feed) {
        FeedSource::url(
            options.feed.clone(),
            Duration::from_secs(options.feed_interval),
            &options.headline_category,
        )
    } else {
        if !std::path::Path::new(&options.feed).is_file() {
            eprintln!("newswire-server: warning: no feed at {}", options.feed);
        }
        FeedSource::file(options.feed.clone().into(), &options.headline_category)
    };
    if let Origins::Loopback = policy.origins {
        eprintln!("newswire-server: no --allow-origin given; reviews are accepted from loopback pages only");
    }
    let state = AppState::new(feed, options.www.clone(), store, policy);
    tokio::spawn(state.feed.clone().poll());
    // Tests and scripts read this line to learn the port. A closed stdout must not stop
    // the server, so these writes may fail.
    {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "newswire-server listening on http://{addr}");
        let _ = writeln!(out, "demo page: http://{addr}/");
        let _ = out.flush();
    }
    let store = state.store.clone();
    let served = newswire_server::serve(listener, state, shutdown_signal()).await;
    // Every request has had its answer; commit whatever the writer still holds.
    store.close();
    match served {
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
