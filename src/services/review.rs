//! Posts a reader's review to the publisher.

use super::{exchange, Cancel, Failure};
use crate::platform::Json;
use crate::review::{ReviewError, ReviewPayload};
use gloo_net::http::Method;

/// How long a submission may take before the reader is offered a retry.
const TIMEOUT_MS: u32 = 10_000;
/// The server answers with a few dozen bytes; anything much larger is not its answer.
const MAX_REPLY: usize = 16 * 1024;

/// The public summary at `{endpoint}/summary`: the average rating and how many reviews.
/// Optional decoration, so any failure (a cancelled request too) is simply `None`.
pub async fn fetch_summary(endpoint: &str, cancel: &Cancel) -> Option<(f64, u32)> {
    let url = endpoint.trim_end_matches('/').to_owned() + "/summary";
    let reply = exchange(Method::GET, &url, None, None, TIMEOUT_MS, MAX_REPLY, cancel)
        .await
        .ok()
        .filter(|reply| reply.status == 200)?;
    let json = Json::parse(&reply.body)?;
    let count = json.get("count")?.as_f64()?;
    let average = json.get("average").and_then(|a| a.as_f64())?;
    Some((average, count as u32))
}

/// Sends `payload` to `endpoint`. Not retried here: the reader retries with the same key,
/// which the server answers with the id it already stored. `None` when cancelled (the
/// widget has gone; a review it sent may still be stored, and a retry would find it).
pub async fn submit_review(
    endpoint: &str,
    payload: &ReviewPayload,
    cancel: &Cancel,
) -> Option<Result<i64, ReviewError>> {
    let json = Some(payload.to_json());
    let header = Some(("Content-Type", "application/json"));
    let reply = match exchange(
        Method::POST,
        endpoint,
        header,
        json,
        TIMEOUT_MS,
        MAX_REPLY,
        cancel,
    )
    .await
    {
        Ok(reply) => reply,
        Err(Failure::Cancelled) => return None,
        Err(Failure::Timeout) => return Some(Err(ReviewError::Timeout)),
        Err(Failure::Network | Failure::TooLarge(_)) => return Some(Err(ReviewError::Network)),
    };
    Some(submitted(reply))
}

/// What the server's answer means for the review.
fn submitted(reply: super::Reply) -> Result<i64, ReviewError> {
    // Success is `{"id": n}`; a refusal is `{"error": "..."}`.
    let status = reply.status;
    let json = Json::parse(&reply.body);
    let field = |name: &str| json.as_ref().and_then(|json| json.get(name));
    match status {
        200..=299 => field("id")
            .and_then(|id| id.as_f64())
            .map(|id| id as i64)
            .ok_or(ReviewError::Server(status)),
        400..=499 => Err(ReviewError::Rejected(
            field("error")
                .and_then(|e| e.as_string())
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "HTTP ".to_owned() + &crate::i18n::digits(status.into())),
        )),
        _ => Err(ReviewError::Server(status)),
    }
}
