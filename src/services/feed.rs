//! Fetches and parses the feed: a timeout per attempt and a bounded, jittered retry.

use super::{exchange, Failure};
use crate::feed::{self, Feed, FeedError};
use gloo_net::http::Request;

/// How long one attempt may take.
const TIMEOUT_MS: u32 = 8_000;
/// Attempts in all, including the first.
const ATTEMPTS: u32 = 3;
/// The first pause between attempts; it doubles each time, with jitter.
const BACKOFF_MS: f64 = 400.0;
/// Bodies larger than this are refused before parsing.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Fetches the feed at `url`, retrying network failures, timeouts and 5xx answers.
pub async fn fetch_feed(url: &str) -> Result<Feed, FeedError> {
    let mut attempt = 1;
    loop {
        let result = fetch_once(url).await;
        let retryable = matches!(
            result,
            Err(FeedError::Network | FeedError::Timeout | FeedError::Status(500..=599))
        );
        if !retryable || attempt == ATTEMPTS {
            return result;
        }
        // Jitter spreads out the retries of many readers after an outage.
        let pause = BACKOFF_MS * f64::from(1u32 << (attempt - 1)) * (0.5 + js_sys::Math::random());
        gloo_timers::future::TimeoutFuture::new(pause as u32).await;
        attempt += 1;
    }
}

async fn fetch_once(url: &str) -> Result<Feed, FeedError> {
    let reply = exchange(Request::get(url), None, TIMEOUT_MS, MAX_BODY)
        .await
        .map_err(|failure| match failure {
            Failure::Network => FeedError::Network,
            Failure::Timeout => FeedError::Timeout,
            Failure::TooLarge(size) => FeedError::TooLarge(size),
        })?;
    if !(200..=299).contains(&reply.status) {
        return Err(FeedError::Status(reply.status));
    }
    feed::parse(&reply.body)
}
