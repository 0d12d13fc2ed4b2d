//! The publisher's moderation routes, behind `--admin-token` (or `NEWSWIRE_ADMIN_TOKEN`),
//! sent as `Authorization: Bearer TOKEN` and compared in constant time:
//!
//! - `GET /api/reviews?status=visible|hidden|all&since=UNIX&after=ID&limit=N`: one page,
//!   oldest first, with the cursor for the next page;
//! - `POST /api/reviews/{id}/hide` and `POST /api/reviews/{id}/show`.
//!
//! Hidden reviews stay in the database (and in exports) but leave the public summary.

use crate::reviews::json_error;
use crate::store::{Query, Visibility};
use crate::AppState;
use axum::extract::{Path, Query as QueryString, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// The largest page.
const MAX_LIMIT: usize = 200;

/// Whether two byte strings are equal, in time that depends only on their lengths.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// `None` when the request carries the admin token; else the refusal to send.
fn refused(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(expected) = state.policy.admin_token.as_deref() else {
        return Some(json_error(
            StatusCode::NOT_FOUND,
            "the admin routes are off; start the server with --admin-token",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given.trim().as_bytes(), expected.trim().as_bytes()) {
        return None;
    }
    let mut response = json_error(StatusCode::UNAUTHORIZED, "a valid admin token is required");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Some(response)
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// `GET /api/reviews`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryString(params): QueryString<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let number = |name: &str, default: i64| -> Result<i64, String> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("{name} must be a whole number")),
        }
    };
    let visibility = match params.get("status").map(String::as_str) {
        None | Some("visible") => Visibility::Visible,
        Some("hidden") => Visibility::Hidden,
        Some("all") => Visibility::All,
        Some(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "status must be visible, hidden or all",
            )
        }
    };
    let query = match (number("since", 0), number("after", 0), number("limit", 50)) {
        (Ok(since), Ok(after), Ok(limit)) => Query {
            visibility,
            since,
            after,
            limit: limit.clamp(1, MAX_LIMIT as i64) as usize,
        },
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return json_error(StatusCode::BAD_REQUEST, &e)
        }
    };
    let store = state.store.clone();
    let page = tokio::task::spawn_blocking(move || {
        let reviews = store.list(&query)?;
        let next = (reviews.len() == query.limit).then(|| reviews.last().map(|r| r.id));
        Ok::<_, crate::store::StoreError>((reviews, next.flatten()))
    })
    .await;
    match page {
        Ok(Ok((reviews, next))) => json(
            StatusCode::OK,
            serde_json::json!({ "reviews": reviews, "next": next }),
        ),
        _ => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the reviews could not be read",
        ),
    }
}

async fn set_hidden(state: AppState, headers: HeaderMap, id: i64, hidden: bool) -> Response {
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.set_hidden(id, hidden)).await {
        Ok(Ok(true)) => json(
            StatusCode::OK,
            serde_json::json!({ "id": id, "hidden": hidden }),
        ),
        Ok(Ok(false)) => json_error(StatusCode::NOT_FOUND, "there is no review with that id"),
        _ => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the review could not be changed",
        ),
    }
}

/// `POST /api/reviews/{id}/hide`.
pub async fn hide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    set_hidden(state, headers, id, true).await
}

/// `POST /api/reviews/{id}/show`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    set_hidden(state, headers, id, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"s3cret-token", b"s3cret-token"));
        assert!(!same_secret(b"s3cret-tokem", b"s3cret-token"));
        assert!(!same_secret(b"s3cret", b"s3cret-token"));
        assert!(!same_secret(b"", b"s3cret-token"));
    }
}
