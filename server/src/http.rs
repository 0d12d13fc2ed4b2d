//! Small HTTP helpers shared by the routes: CORS for public resources, content ETags, and
//! `nosniff` on every answer.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

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
