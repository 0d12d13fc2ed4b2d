//! Fetches and parses the feed: a timeout per attempt and a bounded, jittered retry.

use super::Deadline;
use crate::feed::{self, Feed, FeedError};
use gloo_net::http::Request;
use web_sys::RequestCredentials;

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
    let deadline = Deadline::after(TIMEOUT_MS).ok_or(FeedError::Network)?;
    let signal = deadline.signal();
    let failed = |_| {
        if deadline.expired() {
            FeedError::Timeout
        } else {
            FeedError::Network
        }
    };
    let response = Request::get(url)
        .credentials(RequestCredentials::Omit)
        .abort_signal(Some(&signal))
        .send()
        .await
        .map_err(failed)?;
    if !response.ok() {
        return Err(FeedError::Status(response.status()));
    }
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|len| len.parse::<usize>().ok());
    if let Some(len) = declared.filter(|len| *len > MAX_BODY) {
        return Err(FeedError::TooLarge(len));
    }
    let body = response.text().await.map_err(failed)?;
    if body.len() > MAX_BODY {
        return Err(FeedError::TooLarge(body.len()));
    }
    feed::parse(&body)
}
