//! Fetches and parses the feed: a timeout per attempt and a bounded, jittered retry.

use super::{exchange, pause, Cancel, Failure};
use crate::feed::{self, Feed, FeedError, Live};
use gloo_net::http::Method;

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
    /// A new copy of the feed, its ETag for the next conditional request, and its live
    /// stream and revision when its server has one.
    Fresh {
        feed: Feed,
        etag: Option<String>,
        live: Option<Live>,
    },
    /// `304 Not Modified`: the copy on screen is current (at this revision).
    Unchanged { live: Option<Live> },
}

/// The stream and the revision a feed's server names (`Newswire-Stream`,
/// `Newswire-Revision`), as given: the widget resolves the stream against the feed and
/// accepts it only on the feed's own origin.
fn live(reply: &super::Reply) -> Option<Live> {
    Some(Live {
        stream: reply.header("newswire-stream")?,
        revision: reply.header("newswire-revision")?.trim().parse().ok()?,
    })
}

/// Fetches the feed at `url`, retrying network failures, timeouts and 5xx answers. With
/// `etag` (from the last fetch) the request is conditional, so an unchanged feed costs no body.
/// `None` once `cancel` is aborted: nobody is waiting for the answer any more.
pub async fn fetch_feed(
    url: &str,
    etag: Option<&str>,
    cancel: &Cancel,
) -> Option<Result<Fetched, FeedError>> {
    let mut attempt = 1;
    loop {
        let result = fetch_once(url, etag, cancel).await?;
        let retryable = matches!(
            result,
            Err(FeedError::Network | FeedError::Timeout | FeedError::Status(500..=599))
        );
        if !retryable || attempt == ATTEMPTS {
            return Some(result);
        }
        // Jitter spreads out the retries of many readers after an outage.
        let wait = BACKOFF_MS * f64::from(1u32 << (attempt - 1)) * (0.5 + js_sys::Math::random());
        pause(wait as u32, cancel).await;
        if cancel.aborted() {
            return None;
        }
        attempt += 1;
    }
}

/// One attempt; `None` when cancelled.
async fn fetch_once(
    url: &str,
    etag: Option<&str>,
    cancel: &Cancel,
) -> Option<Result<Fetched, FeedError>> {
    let header = etag.map(|etag| ("If-None-Match", etag));
    let reply = match exchange(Method::GET, url, header, None, TIMEOUT_MS, MAX_BODY, cancel).await {
        Ok(reply) => reply,
        Err(Failure::Cancelled) => return None,
        Err(Failure::Network) => return Some(Err(FeedError::Network)),
        Err(Failure::Timeout) => return Some(Err(FeedError::Timeout)),
        Err(Failure::TooLarge(size)) => return Some(Err(FeedError::TooLarge(size))),
    };
    Some(match reply.status {
        304 if etag.is_some() => Ok(Fetched::Unchanged { live: live(&reply) }),
        200..=299 => feed::parse(&reply.body).map(|feed| Fetched::Fresh {
            feed,
            etag: reply.header("etag"),
            live: live(&reply),
        }),
        status => Err(FeedError::Status(status)),
    })
}
