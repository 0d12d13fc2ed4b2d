//! Static files: the built widget under `/newswire/` (CORS for every origin, since partner
//! pages load it cross-origin), each published release under `/newswire/v/{release}/`
//! cached immutably (the build writes them, named by a hash of their content, with
//! `/newswire/release.json` naming the latest), and the demo pages and the configurator
//! from the root of the www folder.
//!
//! Unversioned files are revalidated by ETag. Where the build wrote `NAME.br` or `NAME.gz` beside a file,
//! the smallest encoding the browser accepts is sent instead.

use crate::http::{accepts_encoding, allow_any_origin, etag, if_none_match};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// `GET /newswire/{path}`.
pub async fn widget_asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut response = file(state.www.join("newswire"), &path, &headers, "no-cache").await;
    allow_any_origin(response.headers_mut());
    response
}

/// The files a release holds: what a page downloads before the widget's first render.
const RELEASE_FILES: [&str; 4] = [
    "embed.js",
    "newswire.js",
    "newswire_bg.wasm",
    "newswire.css",
];

/// `GET /newswire/v/{release}/{file}`: a file of a published release. Its bytes never change
/// under this URL (the release is named by their hash), so it is cached for good.
pub async fn released_asset(
    State(state): State<AppState>,
    Path((release, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let id = release.len() == 12
        && release
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !id || !RELEASE_FILES.contains(&name.as_str()) {
        return not_found();
    }
    let dir = state.www.join("newswire").join("v").join(&release);
    let immutable = "public, max-age=31536000, immutable";
    let mut response = file(dir, &name, &headers, immutable).await;
    allow_any_origin(response.headers_mut());
    response
}

/// `GET /configurator`: the page where partners compose their snippet.
pub async fn configurator(State(state): State<AppState>, headers: HeaderMap) -> Response {
    file(
        state.www.as_ref().clone(),
        "configurator.html",
        &headers,
        "no-cache",
    )
    .await
}

/// Everything else: `/` is the demo partner page, other paths are files in the www folder.
pub async fn page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    file(state.www.as_ref().clone(), path, &headers, "no-cache").await
}

async fn file(dir: PathBuf, path: &str, request: &HeaderMap, cache: &'static str) -> Response {
    // Only plain names: no parent steps, no hidden files, no absolute paths.
    let safe = !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.contains('\\'));
    if !safe {
        return not_found();
    }
    let full = dir.join(path);
    let mut encoding = None;
    let mut body = None;
    for (coding, suffix) in [("br", "br"), ("gzip", "gz")] {
        if accepts_encoding(request, coding) {
            if let Ok(bytes) = tokio::fs::read(format!("{}.{suffix}", full.display())).await {
                encoding = Some(coding);
                body = Some(bytes);
                break;
            }
        }
    }
    let body = match body {
        Some(body) => body,
        None => match tokio::fs::read(&full).await {
            Ok(body) => body,
            Err(_) => return not_found(),
        },
    };
    let tag = etag(&body);
    let mut response = if if_none_match(request, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type(path))], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, tag);
    }
    if let Some(coding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}
