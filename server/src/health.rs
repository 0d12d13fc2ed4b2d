//! What an operator's tools ask. Liveness and readiness, for a load balancer or an
//! orchestrator that polls them every second: `GET /healthz` says the process answers;
//! `GET /readyz` says this replica can do its work, that the store answers a trivial query
//! within a deadline, a feed is loaded and the built widget is there, and otherwise answers
//! 503 with which is missing. Neither reads the store's data or counts as a view, and neither is
//! rate-limited or shed with the rest: a busy replica is alive, and a balancer must be able
//! to tell. And `GET /metrics`, on the metrics address only ([`metrics`]).

use crate::net::metrics::PoolLabel;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};

/// How long the store may take to answer the readiness query.
pub const STORE_DEADLINE: Duration = Duration::from_secs(1);

/// `GET /healthz`.
pub async fn healthz() -> Response {
    json(StatusCode::OK, serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = store_answer(&state).await;
    // The last good copy (a feed file is read here at the first probe, as at the first
    // request; after that only its metadata is looked at).
    let feed = if state.feed.current().await.is_some() {
        "ok"
    } else {
        "not loaded"
    };
    // The built widget: without its loader every partner's widget is dead, whatever else
    // answers (a `--www` that names the wrong folder, or a release not copied there).
    let widget = if state.www.join(WIDGET).is_file() {
        "ok"
    } else {
        "missing"
    };
    let ready = store == "ok" && feed == "ok" && widget == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(
        status,
        serde_json::json!({ "ready": ready, "store": store, "feed": feed, "widget": widget }),
    )
}

/// The file under `--www` that says the built widget is there: the loader every partner's
/// tag loads.
pub const WIDGET: &str = "newswire/embed.js";

/// The store's answer to the readiness query. One query at a time, whatever the number of
/// probes: a probe that arrives while one is in flight takes that one's answer (it came
/// after the probe asked), so a flood of probes costs the database one query at a time.
async fn store_answer(state: &AppState) -> &'static str {
    static LAST: tokio::sync::Mutex<Option<(Instant, &'static str)>> =
        tokio::sync::Mutex::const_new(None);
    let asked = Instant::now();
    let Ok(mut last) = tokio::time::timeout(STORE_DEADLINE, LAST.lock()).await else {
        return "no answer in time";
    };
    if let Some((at, answer)) = *last {
        if at >= asked {
            return answer;
        }
    }
    let answer = match tokio::time::timeout(STORE_DEADLINE, state.store.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(_)) => "unavailable",
        Err(_) => "no answer in time",
    };
    *last = Some((Instant::now(), answer));
    answer
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /metrics`, on the metrics address: the gauges read from the state now, then the
/// whole registry (`net::metrics`).
pub async fn metrics(State(state): State<AppState>) -> Response {
    let m = crate::net::metrics::metrics();
    let now = newswire_store::now();
    let health = state.feed.health();
    m.feed_age
        .set(health.last_good.map_or(-1.0, |at| (now - at).max(0) as f64));
    for (pool, in_use) in state.permits_in_use() {
        m.permits_in_use
            .get_or_create(&PoolLabel { pool })
            .set(in_use as i64);
    }
    m.store_pool_in_use
        .set(state.store.pool_in_use().unwrap_or(0) as i64);
    if let Ok(Ok(count)) = tokio::time::timeout(STORE_DEADLINE, state.store.sessions(now)).await {
        m.sessions.set(count as i64);
    }
    match m.encoded() {
        Some(out) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            out,
        )
            .into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
