//! `GET /feed.json`: the feed file with an ETag, a max-age and CORS for every origin, so
//! any partner page may read it and a reader's browser revalidates cheaply.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long browsers may reuse the feed without asking again.
pub const MAX_AGE_SECONDS: u32 = 60;

pub async fn get_feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = match tokio::fs::read(state.feed.as_path()).await {
        Ok(body) => body,
        Err(_) => {
            let mut response = crate::reviews::json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the feed is not available right now",
            );
            allow_any_origin(response.headers_mut());
            return response;
        }
    };
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut ok = body.into_response();
        ok.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/feed+json; charset=utf-8"),
        );
        ok
    };
    let h = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    if let Ok(cache) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECONDS}")) {
        h.insert(header::CACHE_CONTROL, cache);
    }
    allow_any_origin(h);
    response
}

fn allow_any_origin(h: &mut HeaderMap) {
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Whether `If-None-Match` names `etag` (weak or strong), or is `*`.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// FNV-1a: a stable content hash for the ETag (no need for a cryptographic one).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
