//! Small HTTP helpers shared by the routes: CORS for public resources, content ETags,
//! `nosniff` on every answer, and the one way a route reads a request body.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Longer than the route takes (declared, or found while reading).
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The whole body did not arrive within the route's deadline.
    #[error("the request body did not arrive in time")]
    TimedOut,
}

impl IntoResponse for BodyError {
    /// 413 or 408, and the connection closes: the rest of the body may never come, and is
    /// not waited for.
    fn into_response(self) -> Response {
        let status = match self {
            BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TimedOut => StatusCode::REQUEST_TIMEOUT,
        };
        let mut response = crate::net::errors::json_error(status, &self.to_string());
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

/// The whole body of a request: at most `limit` bytes, all of it within `deadline` of now.
/// The deadline is for the whole body, not for each read, so a client that trickles one
/// byte at a time cannot hold the route open for longer; a declared length over the limit
/// is refused before a byte is read.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    tokio::time::timeout(deadline, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| BodyError::TimedOut)?
        // Over the limit, or the client went away mid-body: nothing to store either way.
        .map_err(|_| BodyError::TooLarge(limit))
}

/// Every answer is what its `Content-Type` says: a browser never guesses (a JSON error read
/// as HTML, say).
pub async fn nosniff(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Public resources (the feed, the widget, the review API) may be read from any origin;
/// credentials are never allowed.
pub fn allow_any_origin(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// A strong ETag for `bytes`: FNV-1a, stable across restarts (no need for a cryptographic hash).
pub fn etag(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

/// The comma-separated entries of every `name` header, trimmed.
fn list(headers: &HeaderMap, name: header::HeaderName) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// Whether `If-None-Match` names `etag` (weak or strong), or is `*`.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    list(headers, header::IF_NONE_MATCH)
        .map(|tag| tag.trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// Whether `headers` accept the content coding `coding` (a `q` of 0 refuses it).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let name = pieces.next()?.trim();
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!refused).then_some(name)
        })
        .any(|name| name.eq_ignore_ascii_case(coding))
}

/// Brotli's quality for what the server compresses as it serves (a render, the feed): the
/// demo's render is 1,685 B at 10 against 1,644 B at 11 (2.5% more) for 40% of the CPU (3.5
/// ms against 8.8 ms), which every uncached render pays; quality 9 and below use another
/// method, 14% larger. Bodies over [`BROTLI_LARGE`] (a feed of megabytes) get quality 5.
const BROTLI_QUALITY: u32 = 10;
/// Above this, [`brotli`] trades bytes for time.
const BROTLI_LARGE: usize = 256 * 1024;
/// Brotli's window: 2^20 bytes.
const BROTLI_WINDOW: u32 = 20;

/// `bytes`, brotli-compressed: made once per render or per revision of the feed, off the
/// request workers.
pub fn brotli(bytes: &[u8]) -> Bytes {
    use std::io::Write;
    let quality = if bytes.len() > BROTLI_LARGE {
        5
    } else {
        BROTLI_QUALITY
    };
    let mut br = Vec::new();
    {
        let mut writer = ::brotli::CompressorWriter::new(&mut br, 4096, quality, BROTLI_WINDOW);
        let _ = writer.write_all(bytes);
    }
    Bytes::from(br)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn etags_match_weak_strong_and_star() {
        let tag = etag(b"feed");
        assert_eq!(tag, etag(b"feed"));
        assert_ne!(tag, etag(b"feed!"));
        let weak: &'static str = Box::leak(format!("\"x\", W/{tag}").into_boxed_str());
        assert!(if_none_match(&headers(header::IF_NONE_MATCH, weak), &tag));
        assert!(if_none_match(&headers(header::IF_NONE_MATCH, "*"), &tag));
        assert!(!if_none_match(
            &headers(header::IF_NONE_MATCH, "\"x\""),
            &tag
        ));
    }
}
