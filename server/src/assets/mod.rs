//! Static files, through tower-http's `ServeDir`: precompressed `NAME.br` and `NAME.gz`
//! (written by the build) by `Accept-Encoding`, `HEAD`, `Range`, and `Last-Modified` with
//! conditional requests, all from the file's metadata, never by reading and hashing it.
//!
//! - `/newswire/v/{release}/…`: each published release (the build names it by a hash of its
//!   content, and `/newswire/release.json` names the latest), cached for good.
//! - `/newswire/…`: the latest build, revalidated on each use.
//! - Both for every origin (CORS and `Cross-Origin-Resource-Policy`), since partner pages
//!   load them cross-origin, including pages that require CORP under COEP.
//! - The demo pages and the configurator from the root of the www folder, each under a
//!   Content-Security-Policy that allows no inline code and no framing.

pub mod views;

use crate::assets::views::{Asked, Counter};
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use std::path::Path;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// A release's bytes never change under its URL.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else is revalidated (a cheap 304 while it is unchanged).
const REVALIDATE: &str = "no-cache";

/// The demo pages load the widget from this server and send reviews to it.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The configurator previews the partner's own feed, which may live anywhere on the web.
pub const CONFIGURATOR_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self' https: http:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Types that `ServeDir`'s guess gets wrong for us, by the end of the file's name. A
/// TypeScript declaration would otherwise be `video/mp2t` (an MPEG transport stream), which
/// `nosniff` then holds a browser to.
const TYPES: &[(&str, &str)] = &[(".d.ts", "text/plain; charset=utf-8")];

/// Puts right the type of a file that `TYPES` names, after `ServeDir` has guessed it.
async fn correct_type(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    let fixed = TYPES
        .iter()
        .find(|(ending, _)| request.uri().path().ends_with(ending))
        .map(|(_, kind)| HeaderValue::from_static(kind));
    let mut response = next.run(request).await;
    if let Some(kind) = fixed {
        if response.status().is_success() {
            response.headers_mut().insert(header::CONTENT_TYPE, kind);
        }
    }
    response
}

fn set(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// The widget's files, for pages on any origin. A request for the wasm counts where the
/// widget is shown (`views`).
fn widget_files(dir: &Path, cache: &'static str, views: Arc<Counter>) -> Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_request(move |request: Request| {
            let views = views.clone();
            async move {
                if request.uri().path().ends_with("/newswire_bg.wasm") {
                    views.record(request.headers(), Asked::Widget);
                }
                request
            }
        }))
        .layer(axum::middleware::from_fn(correct_type))
        .layer(set(header::CACHE_CONTROL, cache))
        .layer(set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .layer(set(
            HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ))
        // The encoding depends on Accept-Encoding, so shared caches must key on it.
        .layer(set(header::VARY, "accept-encoding"))
}

/// `/newswire/v/{release}/…`.
pub fn releases(www: &Path, views: Arc<Counter>) -> Router {
    widget_files(&www.join("newswire").join("v"), IMMUTABLE, views)
}

/// `/newswire/…`.
pub fn widget(www: &Path, views: Arc<Counter>) -> Router {
    widget_files(&www.join("newswire"), REVALIDATE, views)
}

/// A page of ours: no inline code, no framing, no referrer beyond our origin.
fn page_headers(router: Router, csp: &'static str) -> Router {
    router
        .layer(set(header::CACHE_CONTROL, REVALIDATE))
        .layer(set(header::CONTENT_SECURITY_POLICY, csp))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
}

/// `/configurator`: where partners compose their snippet.
pub fn configurator(www: &Path) -> Router {
    let page = ServeFile::new(www.join("configurator.html"));
    page_headers(Router::new().fallback_service(page), CONFIGURATOR_CSP)
}

/// Everything else: `/` is the demo partner page, other paths are files in the www folder.
pub fn pages(www: &Path) -> Router {
    let files = ServeDir::new(www).precompressed_br().precompressed_gzip();
    let files = Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(correct_type));
    page_headers(files, PAGE_CSP).layer(set(header::VARY, "accept-encoding"))
}
