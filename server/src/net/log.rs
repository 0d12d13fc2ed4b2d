//! The log: every event of the server through `tracing`, and one line a request through
//! tower-http's `TraceLayer`, with the method, the route's template (never the raw path,
//! which a client writes), the status, the latency and a request id, which also goes back in
//! `x-request-id`. Nothing a client sends is logged beyond that: no header, no query, no
//! body, no address, so no token, cookie or comment can reach the log.

use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Request, Response};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// How the log is written: for a person reading a terminal, or for a log collector
/// (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Lines the log holds while its sink is slow; past this, lines are dropped (and counted),
/// never waited for.
pub const BUFFERED_LINES: usize = 8 * 1024;

/// Lines dropped because the log's sink did not keep up, for the metrics.
static DROPPED: OnceLock<tracing_appender::non_blocking::ErrorCounter> = OnceLock::new();

/// Lines the log dropped so far because its sink did not keep up.
pub fn dropped_lines() -> usize {
    DROPPED.get().map_or(0, |counter| counter.dropped_lines())
}

/// Starts writing the log to standard error, as `format` says, from a thread of its own
/// through a buffer of [`BUFFERED_LINES`]: a request never waits for the log, and a sink
/// that stalls costs dropped lines, not a stopped server. `NEWSWIRE_LOG` (a `tracing`
/// filter such as `warn` or `newswire_server=debug`) changes what is written; by default,
/// everything at `info` and above. Keep the guard until the end: dropping it writes out
/// what the buffer still holds.
pub fn init(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSWIRE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .lossy(true)
        .thread_name("newswire-log")
        .finish(std::io::stderr());
    let _ = DROPPED.set(writer.error_counter());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false)
        // Colours for a person at a terminal; none in a file or a collector's pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    guard
}

/// `s` with every control character written out as an escape (`\u{a}`, `\u{1b}`): what a
/// feed or an upstream says (an XML parser's error quotes the document) can then neither
/// forge a line of the text log nor move, recolour or clear a terminal that `check` prints
/// to. Every feed and fetch error goes through this before it is logged or printed.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Request ids: this process's random prefix and a counter, so that ids from several
/// replicas do not collide and cost no randomness per request.
#[derive(Clone)]
struct Ids {
    prefix: u32,
    next: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The route a request matched, as its template; requests that no route names (the
/// static files and pages) are `static`. The one name a request gets in the log and in the
/// metrics: never its raw path, which a client writes.
pub(crate) fn route<B>(request: &Request<B>) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(path) => path
            .as_str()
            .replace("{*__private__axum_nest_tail_param}", "*"),
        None => "static".into(),
    }
}

/// `router` with the request log and the request id.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let mut prefix = [0u8; 4];
    let _ = getrandom::fill(&mut prefix);
    let ids = Ids {
        prefix: u32::from_be_bytes(prefix),
        next: Default::default(),
    };
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<axum::body::Body>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                method = %request.method(),
                route = %route(request),
                id = %id,
            )
        })
        .on_request(())
        .on_response(|response: &Response<_>, latency: Duration, _: &Span| {
            tracing::info!(
                status = response.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "request"
            );
        })
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    router
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(ids))
        // Our ids only: one a client sends would be its own text in the log.
        .layer(axum::middleware::map_request(
            |mut request: Request<axum::body::Body>| async move {
                request.headers_mut().remove("x-request-id");
                request
            },
        ))
}
