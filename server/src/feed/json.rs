//! `GET /feed.json`: the feed (converted to JSON Feed, the last good copy) with an ETag, a
//! max-age and CORS for every origin, so any partner page may read it and a reader's
//! browser revalidates cheaply. The widget refreshes with `If-None-Match`; a cross-origin
//! page may send that header only after a preflight, and may read the `ETag` only because
//! it is exposed.
//!
//! Every answer names the feed's revision (`Newswire-Revision`) and where its live stream is
//! (`Newswire-Stream`, a path on this server), both exposed to CORS, so that a widget that
//! rendered the feed itself can go live. A widget told of a newer revision asks for
//! `/feed.json?rev=N`: a URL no cache has a copy of before that revision, and which this
//! server answers with revision N or later (waiting up to a second for a replica that has not
//! heard of it yet).

use crate::net::http::{accepts, allow_any_origin, if_none_match};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::time::Duration;

/// Where the live stream is, relative to this server.
pub const STREAM: &str = "/feed/events";
/// How long `?rev=N` waits for revision N to arrive on this replica.
const REVISION_WAIT: Duration = Duration::from_secs(1);

/// How long browsers may reuse the feed without asking again, and how much longer a cache
/// may serve it while it revalidates in the background.
pub const CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";

pub async fn get_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    state
        .views
        .record(&headers, crate::assets::views::Asked::Feed);
    let wanted = params.get("rev").and_then(|r| r.parse::<i64>().ok());
    let mut served = state.feed.current().await;
    if let Some(wanted) = wanted.filter(|w| served.as_ref().is_none_or(|s| s.revision < *w)) {
        let mut feed = state.feed.subscribe();
        let arrived = tokio::time::timeout(
            REVISION_WAIT,
            feed.wait_for(|s| s.as_ref().is_some_and(|s| s.revision >= wanted)),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .map(|now| now.clone());
        if let Some(now) = arrived {
            served = now;
        }
    }
    let mut response = match served {
        Some(served) => {
            let mut response = if if_none_match(&headers, &served.etag) {
                StatusCode::NOT_MODIFIED.into_response()
            } else {
                let content_type = "application/feed+json; charset=utf-8";
                if accepts(&headers, "br") {
                    let encoding = (header::CONTENT_ENCODING, "br");
                    ([(header::CONTENT_TYPE, content_type), encoding], served.br).into_response()
                } else {
                    ([(header::CONTENT_TYPE, content_type)], served.body).into_response()
                }
            };
            let h = response.headers_mut();
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            );
            if let Ok(tag) = HeaderValue::from_str(&served.etag) {
                h.insert(header::ETAG, tag);
            }
            h.insert("newswire-revision", HeaderValue::from(served.revision));
            h.insert("newswire-stream", HeaderValue::from_static(STREAM));
            response
        }
        None => crate::net::errors::json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the feed is not available right now",
        ),
    };
    allow_any_origin(response.headers_mut());
    response.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("etag, newswire-revision, newswire-stream"),
    );
    response
}

/// `OPTIONS /feed.json`: lets any origin refresh conditionally, and caches that answer for a day.
pub async fn preflight() -> Response {
    let mut response = (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "if-none-match"),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response();
    allow_any_origin(response.headers_mut());
    response
}
