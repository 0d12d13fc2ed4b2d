//! `GET /websub/{path}` and `POST /websub/{path}`: what a hub sends to the callback of one of
//! our subscriptions. Anyone can send these, so each answers only what we asked for.
//!
//! - A path that is not 64 hex digits is not ours: 404 before the store is asked.
//! - Verification of intent (GET) is answered, echoing `hub.challenge`, only for a request of
//!   ours the hub has not verified yet (`subscribe` or `unsubscribe`) of our own topic; a
//!   hub's denial is noted; anything else is 404.
//! - A push (POST) is hashed as it streams in (nothing is buffered, at most
//!   [`MAX_PUSH`] bytes, within the body deadline) and checked against `X-Hub-Signature`
//!   (`sha1`, `sha256`, `sha384` or `sha512`) in constant time. A push without the right
//!   signature is answered 2xx and ignored, as the spec says, and counted. One with it makes
//!   the server fetch the feed now: its body is never taken as the feed.

use crate::feed::websub::MAX_LEASE;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use newswire_store::{now, Subscription};
use std::collections::HashMap;

/// The largest push read: a hub may send the whole feed (8 MiB at most, as the poller reads).
pub const MAX_PUSH: usize = 9 * 1024 * 1024;
/// The longest `hub.challenge` echoed.
const MAX_CHALLENGE: usize = 1024;

/// The subscription `path` names, if the path could be one of ours and the store has it.
async fn ours(state: &AppState, path: &str) -> Option<Subscription> {
    let plausible = path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit());
    if !plausible {
        return None;
    }
    state.store.subscription(path).await.ok().flatten()
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// `GET /websub/{path}`: the hub verifies our intent, or says it denied it.
pub async fn verify(
    State(state): State<AppState>,
    Path(path): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(mut subscription) = ours(&state, &path).await else {
        return not_found();
    };
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if param("hub.topic") != subscription.topic {
        return not_found();
    }
    match param("hub.mode") {
        "denied" if subscription.state == "subscribe" => {
            subscription.state = "denied".into();
            let _ = state.store.save_subscription(&subscription).await;
            tracing::warn!(
                "the feed's hub denied our subscription: {}",
                crate::net::log::printable(
                    &param("hub.reason").chars().take(200).collect::<String>()
                )
            );
            StatusCode::OK.into_response()
        }
        mode if mode == subscription.state => {
            let challenge = param("hub.challenge");
            if challenge.is_empty() || challenge.len() > MAX_CHALLENGE {
                return not_found();
            }
            let stored = if mode == "subscribe" {
                let min = state.policy.websub_min_lease.max(1);
                let lease = param("hub.lease_seconds")
                    .parse::<i64>()
                    .unwrap_or(MAX_LEASE)
                    .clamp(min, MAX_LEASE);
                subscription.state = "active".into();
                subscription.lease = lease;
                subscription.expires = now() + lease;
                state.store.save_subscription(&subscription).await
            } else {
                state.store.forget_subscription(&subscription.path).await
            };
            if stored.is_err() {
                return crate::net::errors::busy();
            }
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                challenge.to_owned(),
            )
                .into_response()
        }
        _ => not_found(),
    }
}

/// The algorithm `X-Hub-Signature` names, for ring.
fn algorithm(name: &str) -> Option<ring::hmac::Algorithm> {
    Some(match name.to_ascii_lowercase().as_str() {
        "sha1" => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => ring::hmac::HMAC_SHA256,
        "sha384" => ring::hmac::HMAC_SHA384,
        "sha512" => ring::hmac::HMAC_SHA512,
        _ => return None,
    })
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `hex` as bytes, if it is hex.
fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `POST /websub/{path}`: a hub's push.
pub async fn push(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(subscription) = ours(&state, &path).await else {
        return not_found();
    };
    let metrics = crate::net::metrics::metrics();
    let signature = headers
        .get("x-hub-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once('='))
        .and_then(|(name, hex)| Some((algorithm(name.trim())?, unhex(hex.trim())?)));
    // The body is read (and hashed) in full either way, within the deadline: a hub that
    // gets no answer tries again.
    let key = signature
        .as_ref()
        .map(|(algorithm, _)| ring::hmac::Key::new(*algorithm, subscription.secret.as_bytes()));
    let mut context = key.as_ref().map(ring::hmac::Context::with_key);
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    let read = tokio::time::timeout(state.policy.body_timeout, async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ())?;
            size += chunk.len();
            if size > MAX_PUSH {
                return Err(());
            }
            if let Some(context) = context.as_mut() {
                context.update(&chunk);
            }
        }
        Ok(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        metrics.websub_push("unread");
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let verified = match (signature, context) {
        (Some((_, given)), Some(context)) => same(context.sign().as_ref(), &given),
        _ => {
            metrics.websub_push("unsigned");
            return StatusCode::ACCEPTED.into_response();
        }
    };
    if !verified || subscription.state != "active" {
        metrics.websub_push("bad_signature");
        return StatusCode::ACCEPTED.into_response();
    }
    metrics.websub_push("verified");
    state.feed.push();
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_compared_whole_and_hex_is_read_strictly() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert_eq!(unhex("00ff"), Some(vec![0, 255]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
        assert!(algorithm("SHA256").is_some() && algorithm("md5").is_none());
    }
}
