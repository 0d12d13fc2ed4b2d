//! Fetches and parses the feed: a timeout per attempt and a bounded, jittered retry.

use super::{exchange, Failure};
use crate::feed::{self, Feed, FeedError};

/// How long one attempt may take.
const TIMEOUT_MS: u32 = 8_000;
/// Attempts in all, including the first.
const ATTEMPTS: u32 = 3;
/// The first pause between attempts; it doubles each time, with jitter.
const BACKOFF_MS: f64 = 400.0;
/// Bodies larger than this are refused before parsing.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// What a fetch found.
pub enum Fetched {
    /// A new copy of the feed, and its ETag for the next conditional request.
    Fresh { feed: Feed, etag: Option<String> },
    /// `304 Not Modified`: the copy on screen is current.
    Unchanged,
}

/// Fetches the feed at `url`, retrying network failures, timeouts and 5xx answers. With
/// `etag` (from the last fetch) the request is conditional, so an unchanged feed costs no body.
pub async fn fetch_feed(url: &str, etag: Option<&str>) -> Result<Fetched, FeedError> {
    let mut attempt = 1;
    loop {
        let result = fetch_once(url, etag).await;
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

async fn fetch_once(url: &str, etag: Option<&str>) -> Result<Fetched, FeedError> {
    let header = etag.map(|etag| ("If-None-Match", etag));
    let reply = exchange("GET", url, header, None, TIMEOUT_MS, MAX_BODY)
        .await
        .map_err(|failure| match failure {
            Failure::Network => FeedError::Network,
            Failure::Timeout => FeedError::Timeout,
            Failure::TooLarge(size) => FeedError::TooLarge(size),
        })?;
    match reply.status {
        304 if etag.is_some() => Ok(Fetched::Unchanged),
        200..=299 => Ok(Fetched::Fresh {
            feed: feed::parse(&reply.body)?,
            etag: reply.etag,
        }),
        status => Err(FeedError::Status(status)),
    }
}
