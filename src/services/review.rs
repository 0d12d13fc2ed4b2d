//! Posts a reader's review to the publisher.

use super::Deadline;
use crate::review::{ReviewError, ReviewPayload, ReviewReceipt, ReviewRejection};
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
        .json(payload)
        .map_err(|_| ReviewError::Network)?
        .send()
        .await
        .map_err(failed)?;
    let status = response.status();
    match status {
        200..=299 => response
            .json::<ReviewReceipt>()
            .await
            .map(|receipt| receipt.id)
            .map_err(|_| ReviewError::Server(status)),
        400..=499 => {
            let reason = response
                .json::<ReviewRejection>()
                .await
                .map(|r| r.error)
                .unwrap_or_default();
            Err(ReviewError::Rejected(if reason.is_empty() {
                format!("HTTP {status}")
            } else {
                reason
            }))
        }
        _ => Err(ReviewError::Server(status)),
    }
}
