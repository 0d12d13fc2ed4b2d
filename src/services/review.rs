//! Posts a reader's review to the publisher.

use super::Deadline;
use crate::platform::Json;
use crate::review::{ReviewError, ReviewPayload};
use gloo_net::http::Request;
use web_sys::RequestCredentials;

/// How long a submission may take before the reader is offered a retry.
const TIMEOUT_MS: u32 = 10_000;

/// Sends `payload` to `endpoint`. Not retried here: the reader retries with the same key,
/// which the server answers with the id it already stored.
pub async fn submit_review(endpoint: &str, payload: &ReviewPayload) -> Result<i64, ReviewError> {
    let deadline = Deadline::after(TIMEOUT_MS).ok_or(ReviewError::Network)?;
    let signal = deadline.signal();
    let failed = |_| {
        if deadline.expired() {
            ReviewError::Timeout
        } else {
            ReviewError::Network
        }
    };
    let response = Request::post(endpoint)
        .credentials(RequestCredentials::Omit)
        .abort_signal(Some(&signal))
        .header("Content-Type", "application/json")
        .body(payload.to_json())
        .map_err(|_| ReviewError::Network)?
        .send()
        .await
        .map_err(failed)?;
    let status = response.status();
    // Success is `{"id": n}`; a refusal is `{"error": "..."}`.
    let body = response
        .text()
        .await
        .ok()
        .and_then(|text| Json::parse(&text));
    let field = |name: &str| body.as_ref().and_then(|json| json.get(name));
    match status {
        200..=299 => field("id")
            .and_then(|id| id.as_f64())
            .map(|id| id as i64)
            .ok_or(ReviewError::Server(status)),
        400..=499 => Err(ReviewError::Rejected(
            field("error")
                .and_then(|e| e.as_string())
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| format!("HTTP {status}")),
        )),
        _ => Err(ReviewError::Server(status)),
    }
}
