//! Static files: the built widget under `/newswire/` (CORS for every origin, since partner
//! pages load it cross-origin) and the demo pages from the root of the www folder.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// `GET /newswire/{path}`.
pub async fn widget_asset(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let mut response = file(state.www.join("newswire"), &path).await;
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Everything else: `/` is the demo partner page, other paths are files in the www folder.
pub async fn page(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    file(state.www.as_ref().clone(), path).await
}

async fn file(dir: PathBuf, path: &str) -> Response {
    // Only plain names: no parent steps, no hidden files, no absolute paths.
    let safe = !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.contains('\\'));
    if !safe {
        return StatusCode::NOT_FOUND.into_response();
    }
    let full = dir.join(path);
    match tokio::fs::read(&full).await {
        Ok(body) => {
            let headers = [
                (header::CONTENT_TYPE, content_type(path)),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ];
            (headers, body).into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
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
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
