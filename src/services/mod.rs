//! All of the widget's network I/O. Components call these functions and never build a
//! request themselves. Every request goes through [`exchange`]: credentials are omitted (no
//! cookies go to the agency), a deadline aborts it, and the body size is capped.

pub mod feed;
pub mod review;

use gloo_net::http::RequestBuilder;
use gloo_timers::callback::Timeout;
use web_sys::{AbortController, RequestCredentials};

/// A finished exchange: the status and the body as text.
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    /// The validator for a conditional refresh, when the server exposes one.
    pub etag: Option<String>,
}

/// Why an exchange produced no reply.
pub(crate) enum Failure {
    /// Offline, refused, blocked by CORS, or cancelled.
    Network,
    /// The deadline passed and the request was aborted.
    Timeout,
    /// The body is larger than the caller accepts; the size as far as it is known.
    TooLarge(usize),
}

/// Sends `request` (with `body`, if any), and reads the whole answer within `timeout_ms`.
pub(crate) async fn exchange(
    request: RequestBuilder,
    body: Option<String>,
    timeout_ms: u32,
    max_body: usize,
) -> Result<Reply, Failure> {
    let controller = AbortController::new().map_err(|_| Failure::Network)?;
    let signal = controller.signal();
    let on_timeout = controller.clone();
    // Dropped (and so cancelled) when this function returns.
    let _timer = Timeout::new(timeout_ms, move || on_timeout.abort());
    let failed = |_| {
        if signal.aborted() {
            Failure::Timeout
        } else {
            Failure::Network
        }
    };
    let request = request
        .credentials(RequestCredentials::Omit)
        .abort_signal(Some(&signal));
    let request = match body {
        Some(body) => request.body(body),
        None => request.build(),
    };
    let response = request
        .map_err(|_| Failure::Network)?
        .send()
        .await
        .map_err(failed)?;
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|len| len.parse::<usize>().ok());
    if let Some(len) = declared.filter(|len| *len > max_body) {
        return Err(Failure::TooLarge(len));
    }
    let body = response.text().await.map_err(failed)?;
    if body.len() > max_body {
        return Err(Failure::TooLarge(body.len()));
    }
    Ok(Reply {
        status: response.status(),
        body,
        etag: response.headers().get("etag"),
    })
}
