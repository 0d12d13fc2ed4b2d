//! `newswire-server` (or `newswire-server serve`): the feed, the widget, the pages and the
//! review API on one address, until SIGTERM or Ctrl-C.

use super::options::{database, env_database, Options};
use crate::feed::renders::{RenderLimits, CACHE_BYTES, CACHE_ENTRIES};
use crate::feed::source::FeedSource;
use crate::net::connections::ConnectionLimits;
use crate::net::limits::Rate;
use crate::net::log::LogFormat;
use crate::net::origins::{self, Origins};
use crate::net::proxies::Proxies;
use crate::reviews::admin;
use crate::state::{AppState, Policy};
use newswire_store as store;
use std::process::ExitCode;
use std::time::Duration;

/// The policy the command line asks for: the limits' defaults are written in [`Options`]
/// only. `origins` and `admin_token` come checked (see [`run`]).
pub fn policy(options: &Options, origins: Origins, admin_token: Option<String>) -> Policy {
    let proxies = Proxies::from_flags(options.trust_proxy, options.trusted_proxies.clone());
    Policy {
        origins,
        client_rate: Rate::per_minute(options.client_rate),
        global_rate: Rate::per_second(options.global_rate),
        proxies: proxies.clone(),
        admin_token,
        max_inflight: options.max_inflight,
        review_inflight: options.review_inflight,
        console_inflight: options.console_inflight,
        body_timeout: Duration::from_secs(options.body_timeout),
        connections: ConnectionLimits {
            max_connections: options.max_connections,
            per_client: options.max_connections_per_client,
            proxies,
            first_header_timeout: Duration::from_secs(options.first_header_timeout),
            header_timeout: Duration::from_secs(options.header_timeout),
            stall_timeout: Duration::from_secs(options.body_timeout.saturating_mul(3)),
            public: true,
        },
        renders: RenderLimits {
            entries: CACHE_ENTRIES,
            bytes: CACHE_BYTES,
            per_client: Rate::per_minute(options.render_rate),
        },
        public_url: options.public_url.clone(),
        max_streams: options.max_streams,
        heartbeat: crate::feed::events::HEARTBEAT,
        websub_min_lease: options.websub_min_lease,
    }
}

/// An empty command line's policy: loopback pages only, no console.
impl Default for Policy {
    fn default() -> Self {
        policy(&Options::default(), Origins::new(Vec::new()), None)
    }
}

/// An empty command line's connection limits.
impl Default for ConnectionLimits {
    fn default() -> Self {
        Policy::default().connections
    }
}

/// An empty command line's render limits.
impl Default for RenderLimits {
    fn default() -> Self {
        Policy::default().renders
    }
}

/// The allow-list from `--allow-origin` and `--allow-origins FILE`, each entry checked as an
/// origin: an entry that could never match a browser's `Origin` is refused at start-up,
/// naming where it came from, instead of answering that partner 403 later.
fn origins(options: &Options) -> Result<Origins, String> {
    let mut entries: Vec<(String, String)> = options
        .allow_origins
        .iter()
        .map(|o| ("--allow-origin".to_owned(), o.clone()))
        .collect();
    if let Some(file) = &options.allow_origins_file {
        let text = std::fs::read_to_string(file)
            .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        entries.extend(
            origins::parse_file(&text)
                .into_iter()
                .map(|(line, o)| (format!("{} line {line}", file.display()), o)),
        );
    }
    let list = entries
        .into_iter()
        .map(|(from, entry)| {
            origins::parse(&entry).map_err(|why| format!("{from}: {entry:?} {why}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Origins::new(list).with_loopback(options.allow_loopback))
}

pub async fn run(options: Options) -> ExitCode {
    let log = crate::net::log::init(options.log_format);
    store::observe(crate::net::metrics::StoreObserver);
    let origins = match origins(&options) {
        Ok(origins) => origins,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::from(2);
        }
    };
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
    // The folder every partner's widget comes from: a mistyped one would leave a healthy
    // server serving nothing a partner needs.
    if !options.www.is_dir() {
        tracing::error!(
            "--www {} is not a folder: point it at the built site (`make build` writes dist/)",
            options.www.display()
        );
        return ExitCode::from(2);
    }
    if !options.www.join(crate::health::WIDGET).is_file() {
        tracing::warn!(
            "--www {} holds no built widget ({}): partners' widgets cannot load, and /readyz \
             says so until it is there",
            options.www.display(),
            crate::health::WIDGET
        );
    }
    let mut policy = policy(&options, origins, admin_token);
    policy.connections.max_connections = open_files_for(options.max_connections);
    let db = database(options.db.as_deref(), env_database());
    let store = match store::open(&db).await {
        Ok(store) => store,
        Err(err) => {
            tracing::error!(error = %err, "cannot open {}", store::redact(&db));
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
            .published_at(format!("{}/feed.json", public_origin(&options, addr)))
    };
    if policy.origins.named().is_empty() {
        tracing::warn!("no --allow-origin given; reviews are accepted from loopback pages only");
    }
    if options.seed_demo {
        match crate::reviews::demo::seed(&*store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("stored {n} sample reviews for the demo"),
            Err(err) => tracing::warn!(error = %err, "the sample reviews were not stored"),
        }
    }
    let console = policy.admin_token.is_some();
    let state = AppState::new(feed, options.www.clone(), store, policy);
    // Metrics on their own address, never on the public port, through the same accept
    // loop with small limits of their own.
    let metrics = match options.metrics_listen {
        None => None,
        Some(at) => match tokio::net::TcpListener::bind(at).await {
            Ok(listener) => {
                let bound = listener.local_addr().unwrap_or(at);
                let app = crate::router::metrics_router(state.clone());
                let limits = state.policy.connections.metrics();
                tokio::spawn(crate::net::connections::serve(
                    listener,
                    app,
                    limits,
                    std::future::pending(),
                ));
                Some(bound)
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen on {at} for metrics");
                return ExitCode::FAILURE;
            }
        },
    };
    // The last feed published (after a restart, before the source answers), then a feed
    // file read before the first request, so that requests arriving together at start find
    // it loaded rather than each finding it not yet read.
    state.feed.restore().await;
    let _ = state.feed.current().await;
    // A feed URL whose upstream names a hub is pushed to us, when readers can reach us.
    if let (Some(public_url), true) = (&options.public_url, FeedSource::is_url(&options.feed)) {
        let settings = crate::feed::websub::Settings {
            public_url: public_url.clone(),
            allow_private: options.allow_private_hubs,
        };
        tokio::spawn(crate::feed::websub::subscribe(
            state.feed.clone(),
            state.store.clone(),
            settings,
        ));
    }
    // On PostgreSQL, each revision another replica publishes is served here too, within a
    // second of its announcement (or of the listener's next check, if one was lost).
    if let Some(mut announced) = state.store.announced() {
        let feed = state.feed.clone();
        tokio::spawn(async move {
            while announced.changed().await.is_ok() {
                feed.restore().await;
            }
        });
    }
    if store::is_postgres(&db)
        && options.public_url.is_none()
        && !FeedSource::is_url(&options.feed)
        && std::fs::read(&options.feed).is_ok_and(|bytes| {
            crate::feed::convert::has_relative_links(&bytes, &options.headline_category)
        })
    {
        tracing::warn!(
            "the feed links relative to where it is published and --public-url is not set: \
             each replica makes those links absolute against its own address, so replicas \
             serve different bytes; set --public-url to where readers reach the servers"
        );
    }
    tokio::spawn(state.feed.clone().poll());
    tokio::spawn(state.views.clone().run(state.store.clone()));
    // Where everything is, on standard output: tests and scripts read the first line to
    // learn the port. In JSON mode each is a JSON object with a `url` (and a log event's
    // fields), so that a pipeline reading both streams reads only JSON.
    let format = options.log_format;
    announce(
        format,
        "newswire-server listening on",
        Some(format!("http://{addr}")),
    );
    announce(format, "demo page:", Some(format!("http://{addr}/")));
    if let Some(at) = metrics {
        announce(format, "metrics:", Some(format!("http://{at}/metrics")));
    }
    if console {
        announce(
            format,
            "publisher's console:",
            Some(format!("http://{addr}/admin")),
        );
    } else {
        announce(
            format,
            "publisher's console: off (start with --admin-token-file to turn it on)",
            None,
        );
    }
    let (store, views) = (state.store.clone(), state.views.clone());
    // Stopping ends the live streams at once (each with a last `retry:`), so that the
    // requests in flight can finish within the deadline.
    let live = state.live.clone();
    let shutdown = async move {
        shutdown_signal().await;
        live.stop();
    };
    let served = crate::router::serve(listener, state, shutdown).await;
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
    // The log's last lines out, then nothing holds the process: requests still open past
    // the shutdown deadline and the feed poller's blocking fetch are dropped, and everything
    // that matters is on disk.
    drop(log);
    std::process::exit(code)
}

/// One line on standard output: `what url` as text, or in JSON mode an object with the
/// log's own fields (`timestamp`, `level`, `message`) and the `url`. A closed stdout must not
/// stop the server, so the write may fail.
fn announce(format: LogFormat, what: &str, url: Option<String>) {
    use std::io::Write;
    let line = match format {
        LogFormat::Text => match &url {
            Some(url) => format!("{what} {url}"),
            None => what.to_owned(),
        },
        LogFormat::Json => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let mut event = serde_json::json!({
                "timestamp": newswire::date::rfc3339_utc(now),
                "level": "INFO",
                "message": what.trim_end_matches(':'),
            });
            if let Some(url) = url {
                event["url"] = url.into();
            }
            event.to_string()
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Raises the open-file limit as far as the system allows, and returns how many public
/// connections fit in it: after the handles kept apart for the store, the feed and the
/// log, and the metrics address's connections, two a connection (its socket, and a file it
/// may be sending). See [`crate::net::connections::RESERVED_FILES`].
fn open_files_for(connections: usize) -> usize {
    use crate::net::connections::{METRICS_CONNECTIONS, RESERVED_FILES};
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let kept = (RESERVED_FILES + METRICS_CONNECTIONS) as u64;
    let fits = usize::try_from(limit.saturating_sub(kept) / 2)
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

/// Where readers reach this server: `--public-url`, else the address it listens on (the
/// demo's case). A wildcard address names no host a reader could use, so loopback stands in
/// for it, with a hint.
fn public_origin(options: &Options, addr: std::net::SocketAddr) -> String {
    if let Some(url) = &options.public_url {
        return url.clone();
    }
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        tracing::warn!(
            "listening on every address: relative links in the feed file point to loopback \
             until --public-url names where readers reach this server"
        );
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}
