//! The `newswire-server` binary: parse the command line, then serve, check a feed, or
//! export the reviews.

use newswire_server::cli::{Command, ExportFormat, Options, USAGE};

/// Where reviews live: `--db`, else `DATABASE_URL`, else `newswire.db`.
fn database(db: Option<String>) -> String {
    newswire_server::cli::database(db.as_deref(), std::env::var("DATABASE_URL").ok())
}
use newswire_server::feed::convert;
use newswire_server::feed::source::{self, FeedSource};
use newswire_server::net::connections::ConnectionLimits;
use newswire_server::net::limits::Rate;
use newswire_server::net::origins::{parse_file, Origins};
use newswire_server::reviews::{admin, export};
use newswire_server::{store, AppState, Policy};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    match Command::parse(std::env::args().skip(1)) {
        Ok(Command::Serve(options)) => serve(*options).await,
        Ok(Command::Check { feed, timeout }) => check(&feed, Duration::from_secs(timeout)).await,
        Ok(Command::Export { db, format }) => export_reviews(&database(db), format).await,
        Ok(Command::Migrate { from, to }) => migrate(&from, &to).await,
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

/// `newswire-server reviews export`: every review, page by page as it is read, to standard
/// output. A reader that stops early (`| head`) ends the export quietly.
async fn export_reviews(db: &str, format: ExportFormat) -> ExitCode {
    let store = match store::open(db).await {
        Ok(store) => store,
        Err(err) => {
            eprintln!("newswire-server: cannot open {db}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut writer = export::Writer::new(matches!(format, ExportFormat::Json));
    let mut written = out.write_all(writer.opening().as_bytes());
    if written.is_ok() {
        let each = |review: store::Review| -> std::io::Result<()> {
            out_write(&mut out, &writer.row(&review))
        };
        written = match store::for_each_review(&*store, each).await {
            Ok(result) => result,
            Err(err) => Err(std::io::Error::other(err)),
        };
    }
    store.close().await;
    let closing = writer.closing();
    match written
        .and_then(|()| out.write_all(closing.as_bytes()))
        .and_then(|()| out.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("newswire-server: cannot export {db}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `newswire-server migrate --from FILE --to URL`.
async fn migrate(from: &Path, to: &str) -> ExitCode {
    match store::copy_to_postgres(from, to).await {
        Ok(copied) => {
            println!(
                "newswire-server: copied {copied} reviews from {} into PostgreSQL",
                from.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("newswire-server: cannot migrate {}: {err}", from.display());
            ExitCode::FAILURE
        }
    }
}

fn out_write(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(text.as_bytes())
}

/// `newswire-server check FEED`: every problem, item by item; non-zero when unusable. A URL
/// is fetched as the poller would: within its timeout, redirects kept to its own host.
async fn check(feed: &str, timeout: Duration) -> ExitCode {
    let (bytes, charset) = if FeedSource::is_url(feed) {
        let url = feed.to_owned();
        let fetched =
            tokio::task::spawn_blocking(move || source::fetch(&url, &(None, None), timeout)).await;
        match fetched {
            Ok(Ok(source::Fetch::Fresh { body, charset, .. })) => (body, charset),
            Ok(Ok(source::Fetch::Unchanged)) => return ExitCode::FAILURE,
            Ok(Err(err)) => {
                eprintln!("{feed}: cannot fetch: {}", convert::printable(&err));
                return ExitCode::FAILURE;
            }
            Err(_) => return ExitCode::FAILURE,
        }
    } else {
        match std::fs::read(feed) {
            Ok(bytes) => (bytes, None),
            Err(err) => {
                eprintln!("{feed}: cannot read: {err}");
                return ExitCode::FAILURE;
            }
        }
    };
    let report = convert::check(
        &bytes,
        charset.as_deref(),
        &Options::default().headline_category,
    );
    if let Some(encoding) = report.encoding {
        println!("{feed}: read as {encoding}");
    }
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
    newswire_server::net::log::init(options.log_format);
    let mut origins = options.allow_origins.clone();
    if let Some(file) = &options.allow_origins_file {
        match std::fs::read_to_string(file) {
            Ok(text) => origins.extend(parse_file(&text)),
            Err(err) => {
                tracing::error!(error = %err, "cannot read {}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let admin_token = match admin::token(
        options.admin_token_file.as_deref(),
        options.admin_token.as_deref(),
        std::env::var("NEWSWIRE_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
    ) {
        Ok(token) => token,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::from(2);
        }
    };
    let policy = Policy {
        origins: Origins::new(origins).with_loopback(options.allow_loopback),
        client_rate: Rate::per_minute(options.client_rate),
        global_rate: Rate::per_second(options.global_rate),
        trust_proxy: options.trust_proxy,
        admin_token,
        max_inflight: options.max_inflight,
        review_inflight: options.review_inflight,
        console_inflight: options.console_inflight,
        body_timeout: Duration::from_secs(options.body_timeout),
        connections: ConnectionLimits {
            max_connections: open_files_for(options.max_connections),
            per_client: options.max_connections_per_client,
            peers_are_proxies: options.trust_proxy,
            first_header_timeout: Duration::from_secs(options.first_header_timeout),
            header_timeout: Duration::from_secs(options.header_timeout),
            stall_timeout: Duration::from_secs(options.body_timeout.saturating_mul(3)),
        },
        ..Policy::default()
    };
    let db = database(options.db.clone());
    let store = match store::open(&db).await {
        Ok(store) => store,
        Err(err) => {
            tracing::error!(error = %err, "cannot open {}", redact(&db));
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(options.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen on {}", options.addr);
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
            tracing::warn!("no feed at {}", options.feed);
        }
        FeedSource::file(options.feed.clone().into(), &options.headline_category)
    };
    if policy.origins.named().is_empty() {
        tracing::warn!("no --allow-origin given; reviews are accepted from loopback pages only");
    }
    if options.seed_demo {
        match newswire_server::reviews::demo::seed(&*store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("stored {n} sample reviews for the demo"),
            Err(err) => tracing::warn!(error = %err, "the sample reviews were not stored"),
        }
    }
    let console = policy.admin_token.is_some();
    let state = AppState::new(feed, options.www.clone(), store, policy);
    // Metrics on their own address, never on the public port.
    let metrics = match options.metrics_listen {
        None => None,
        Some(at) => match tokio::net::TcpListener::bind(at).await {
            Ok(listener) => {
                let bound = listener.local_addr().unwrap_or(at);
                let app = newswire_server::net::metrics::router(state.clone());
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                Some(bound)
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen on {at} for metrics");
                return ExitCode::FAILURE;
            }
        },
    };
    tokio::spawn(state.feed.clone().poll());
    tokio::spawn(state.views.clone().run(state.store.clone()));
    // Tests and scripts read this line to learn the port. A closed stdout must not stop
    // the server, so these writes may fail.
    {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "newswire-server listening on http://{addr}");
        let _ = writeln!(out, "demo page: http://{addr}/");
        if let Some(at) = metrics {
            let _ = writeln!(out, "metrics: http://{at}/metrics");
        }
        let _ = if console {
            writeln!(out, "publisher's console: http://{addr}/admin")
        } else {
            writeln!(
                out,
                "publisher's console: off (start with --admin-token-file to turn it on)"
            )
        };
        let _ = out.flush();
    }
    let (store, views) = (state.store.clone(), state.views.clone());
    let served = newswire_server::serve(listener, state, shutdown_signal()).await;
    // The counts get a moment; a database that is away then loses them, not the shutdown.
    let _ = tokio::time::timeout(Duration::from_secs(1), views.flush(&*store)).await;
    // Every answered review is committed already; commit whatever the writer still holds.
    store.close().await;
    let code = match served {
        Ok(()) => 0,
        Err(err) => {
            tracing::error!(error = %err, "serving failed");
            1
        }
    };
    // Requests still open past the shutdown deadline, and the feed poller's blocking
    // fetch, must not hold the process: everything that matters is on disk.
    std::process::exit(code)
}

/// A database URL without its password, for messages.
fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &db[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &db[..scheme + 3], &db[at + 1..])
        }
        _ => db.to_owned(),
    }
}

/// Raises the open-file limit as far as the system allows, and returns how many connections
/// fit in it (with room for the database, the feed and the files served).
fn open_files_for(connections: usize) -> usize {
    const SPARE: u64 = 64;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fits = usize::try_from(limit.saturating_sub(SPARE))
        .unwrap_or(usize::MAX)
        .max(1);
    if fits < connections {
        tracing::warn!(
            "the open-file limit ({limit}) allows {fits} connections, not {connections}"
        );
    }
    connections.min(fits)
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
