//! The answers every domain gives when it cannot do what was asked, written once: a JSON
//! error body, a store that failed (503 when the database is away, so the client comes back;
//! 500 when it is broken), the console's page for the same, and a busy server. Handlers
//! answer with these instead of reaching into another domain's file.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire_store::StoreError;

/// What a client is told while the database is away.
pub const UNAVAILABLE: &str = "the review service is briefly unavailable; please try again shortly";

/// A JSON error body `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// 503 with `Retry-After`: the database is away, and a retry may succeed.
pub fn unavailable() -> Response {
    let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    response
}

/// The answer to a store that failed: [`unavailable`] when the database is away, else 500
/// with `message`.
pub fn store_failure(err: &StoreError, message: &str) -> Response {
    tracing::error!(error = %err, "{message}");
    if err.is_unavailable() {
        unavailable()
    } else {
        json_error(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// The console's page for a store that failed: the database is away (503) or broken (500).
pub fn store_failure_page(err: &StoreError) -> Response {
    tracing::error!(error = %err, "the console could not read the store");
    let status = if err.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        status,
        "The reviews cannot be read right now; please try again shortly.",
    )
        .into_response()
}

/// 429 with `Retry-After`: the client has used its allowance for now.
pub fn too_many(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too many requests from this address; please try again later",
    );
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A quick 503 that asks the client to come back in a second. The connection closes, so
/// that a body the request may still be sending is not waited for.
pub fn busy() -> Response {
    let mut response = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy; please try again shortly",
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
