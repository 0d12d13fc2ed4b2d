//! Metrics for Prometheus, served on their own address (`--metrics-listen`), never on the
//! public port. Every label takes one of a fixed set of values that we write (route
//! templates, status classes, reasons, pools): nothing a client chooses, such as an origin or
//! a path, ever becomes a label, so nobody can grow the number of series.
//!
//! The counters live in one registry for the process, so that the accept loop, the feed
//! poller and the store (through [`StoreObserver`]) record without being handed
//! the app's state. What reads the state for a scrape (the gauges) is `health::metrics`.

use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabel {
    pub pool: &'static str,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
    pub reviews_stored: Counter,
    pub reviews_refused: Family<ReasonLabel, Counter>,
    pub feed_polls: Family<ResultLabel, Counter>,
    pub renders: Family<ResultLabel, Counter>,
    pub feed_age: Gauge<f64, AtomicU64>,
    pub store_latency: Histogram,
    pub store_pool_in_use: Gauge,
    pub connections_open: Gauge,
    pub permits_in_use: Family<PoolLabel, Gauge>,
    pub sessions: Gauge,
    pub log_dropped: Counter,
    pub websub_pushes: Family<ResultLabel, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("newswire");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route template and status class",
            requests.clone(),
        );
        let latency: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route template",
            latency.clone(),
        );
        let reviews_stored = Counter::default();
        registry.register(
            "reviews_stored",
            "Reviews stored, each once (a retry of a stored review is not counted)",
            reviews_stored.clone(),
        );
        let reviews_refused = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "reviews_refused",
            "Reviews refused, by reason: validation, origin, rate_limit, body, busy, store",
            reviews_refused.clone(),
        );
        let feed_polls = Family::<ResultLabel, Counter>::default();
        registry.register(
            "feed_reads",
            "Reads and polls of the feed source, by result: fresh, unchanged, rejected, failed",
            feed_polls.clone(),
        );
        let renders = Family::<ResultLabel, Counter>::default();
        registry.register(
            "renders",
            "Widget renders asked for, by result: cached, rendered, limited (the client's \
             budget or slots), busy (no render permit in time)",
            renders.clone(),
        );
        let feed_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "feed_age_seconds",
            "Seconds since the source last gave a usable feed (-1: never)",
            feed_age.clone(),
        );
        let store_latency = latency_histogram();
        registry.register(
            "store_query_duration_seconds",
            "Time the store took to answer a query",
            store_latency.clone(),
        );
        let store_pool_in_use = Gauge::default();
        registry.register(
            "store_pool_in_use",
            "PostgreSQL connections of the pool in use (0 on SQLite)",
            store_pool_in_use.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Client connections open",
            connections_open.clone(),
        );
        let permits_in_use = Family::<PoolLabel, Gauge>::default();
        registry.register(
            "permits_in_use",
            "Request permits in use, by pool: general, reviews, console, sign_in, renders, streams",
            permits_in_use.clone(),
        );
        let sessions = Gauge::default();
        registry.register(
            "console_sessions",
            "Editors signed in to the console (sessions not yet expired)",
            sessions.clone(),
        );
        let log_dropped = Counter::default();
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log's sink did not keep up",
            log_dropped.clone(),
        );
        let websub_pushes = Family::<ResultLabel, Counter>::default();
        registry.register(
            "websub_pushes",
            "Pushes from the feed's WebSub hub, by result: verified (the feed is fetched now), \
             unsigned and bad_signature (ignored), unread (too large or too slow)",
            websub_pushes.clone(),
        );
        Metrics {
            registry,
            websub_pushes,
            log_dropped,
            requests,
            latency,
            reviews_stored,
            reviews_refused,
            feed_polls,
            renders,
            feed_age,
            store_latency,
            store_pool_in_use,
            connections_open,
            permits_in_use,
            sessions,
        }
    }

    /// A push from the feed's hub, by `result` (one of the fixed results above).
    pub fn websub_push(&self, result: &'static str) {
        self.websub_pushes
            .get_or_create(&ResultLabel { result })
            .inc();
    }

    /// A review refused, for `reason` (one of the fixed reasons above).
    pub fn refused(&self, reason: &'static str) {
        self.reviews_refused
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    /// A read or poll of the feed source, by its result.
    pub fn feed_read(&self, result: &'static str) {
        self.feed_polls.get_or_create(&ResultLabel { result }).inc();
    }

    /// A render asked for, by its result.
    pub fn render(&self, result: &'static str) {
        self.renders.get_or_create(&ResultLabel { result }).inc();
    }

    /// How long a store query took.
    pub fn store_query(&self, took: Duration) {
        self.store_latency.observe(took.as_secs_f64());
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The route a request matched, as its template (`static` for files and pages), and its
/// status class: the only labels a request gets.
pub async fn record(request: Request<axum::body::Body>, next: Next) -> Response {
    let route = crate::net::log::route(&request);
    let started = Instant::now();
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let m = metrics();
    m.latency
        .get_or_create(&RouteLabel {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels { route, class })
        .inc();
    response
}

/// What the store tells the metrics ([`newswire_store::observe`]): each query's time, in
/// `newswire_store_query_duration_seconds`, and the reviews each commit stored (a replay of a
/// stored one is no new review), in `newswire_reviews_stored_total`.
pub struct StoreObserver;

impl newswire_store::Observer for StoreObserver {
    fn query(&self, took: Duration) {
        metrics().store_query(took);
    }

    fn stored(&self, reviews: u64) {
        metrics().reviews_stored.inc_by(reviews);
    }
}

impl Metrics {
    /// The whole registry in Prometheus's text format, after the counts kept elsewhere are
    /// brought in (the log's dropped lines); `None` if it cannot be encoded.
    pub fn encoded(&self) -> Option<String> {
        {
            // Brought up to the log's own count; one scrape at a time, so none counts twice.
            static CATCHING_UP: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one = CATCHING_UP.lock().unwrap_or_else(|p| p.into_inner());
            let dropped = crate::net::log::dropped_lines() as u64;
            self.log_dropped
                .inc_by(dropped.saturating_sub(self.log_dropped.get()));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .ok()
            .map(|()| out)
    }
}
