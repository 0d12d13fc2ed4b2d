//! The publisher's moderation routes, behind the admin token (`--admin-token-file`, the
//! `NEWSWIRE_ADMIN_TOKEN` variable or `--admin-token`), sent as `Authorization: Bearer TOKEN`.
//! The token is compared as a SHA-256 digest, in time that depends on neither its content nor
//! its length, and a client's failed attempts are limited to [`ADMIN_FAILURES_PER_MINUTE`](crate::state::ADMIN_FAILURES_PER_MINUTE):
//!
//! - `GET /api/reviews?status=visible|hidden|all&since=UNIX&after=ID&limit=N`: one page,
//!   oldest first, with the cursor for the next page;
//! - `POST /api/reviews/{id}/hide` and `POST /api/reviews/{id}/show`.
//!
//! Hidden reviews stay in the database (and in exports) but leave the public summary.

use crate::net::errors::json_error;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query as QueryString, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire_store::{Query, Visibility};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

/// The largest page.
const MAX_LIMIT: usize = 200;
/// The shortest admin token the server accepts.
pub const MIN_TOKEN_LENGTH: usize = 16;
/// The admin token to use, from `--admin-token-file`, else `--admin-token`, else the
/// `NEWSWIRE_ADMIN_TOKEN` variable (`env`); surrounding white space is not part of it.
/// `Ok(None)` when none is given; an error when one is given but unusable.
pub fn token(
    file: Option<&std::path::Path>,
    flag: Option<&str>,
    env: Option<String>,
) -> Result<Option<String>, String> {
    let given =
        match file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|err| {
                format!("cannot read the admin token in {}: {err}", path.display())
            })?),
            None => flag.map(str::to_owned).or(env),
        };
    let Some(token) = given.map(|t| t.trim().to_owned()) else {
        return Ok(None);
    };
    if token.chars().count() < MIN_TOKEN_LENGTH {
        return Err(format!(
            "the admin token must be at least {MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 24)"
        ));
    }
    Ok(Some(token))
}

/// Whether two secrets are equal, compared as SHA-256 digests: the time taken depends on
/// neither where they differ nor how long either is.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

/// `None` when the request carries the admin token; else the refusal to send. A client
/// with too many recent failures is refused before its token is even compared.
fn refused(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    let Some(expected) = state.policy.admin_token.as_deref() else {
        return Some(json_error(
            StatusCode::NOT_FOUND,
            "the admin routes are off; start the server with --admin-token-file",
        ));
    };
    let client = state.policy.proxies.client(peer.ip(), headers);
    let now = Instant::now();
    if let Err(wait) = state.admin_failures.peek(client, now) {
        return Some(crate::reviews::ReviewError::TooMany(wait.as_secs().max(1)).into_response());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given.trim().as_bytes(), expected.as_bytes()) {
        return None;
    }
    let _ = state.admin_failures.take(client, now);
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    QueryString(params): QueryString<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = refused(&state, peer, &headers) {
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
    let limit = query.limit;
    match state.store.list(query).await {
        Ok(reviews) => {
            let next = (reviews.len() == limit).then(|| reviews.last().map(|r| r.id));
            json(
                StatusCode::OK,
                serde_json::json!({ "reviews": reviews, "next": next.flatten() }),
            )
        }
        Err(err) => crate::net::errors::store_failure(&err, "the reviews could not be read"),
    }
}

async fn set_hidden(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    id: i64,
    hidden: bool,
) -> Response {
    if let Some(refusal) = refused(&state, peer, &headers) {
        return refusal;
    }
    match state.store.set_hidden(id, hidden).await {
        Ok(true) => json(
            StatusCode::OK,
            serde_json::json!({ "id": id, "hidden": hidden }),
        ),
        Ok(false) => json_error(StatusCode::NOT_FOUND, "there is no review with that id"),
        Err(err) => crate::net::errors::store_failure(&err, "the review could not be changed"),
    }
}

/// `POST /api/reviews/{id}/hide`.
pub async fn hide(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    set_hidden(state, peer, headers, id, true).await
}

/// `POST /api/reviews/{id}/show`.
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    set_hidden(state, peer, headers, id, false).await
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

    #[test]
    fn the_token_comes_from_a_file_the_flag_or_the_environment_and_is_long_enough() {
        let dir = std::env::temp_dir().join(format!("newswire-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "file-token-0123456789\n").unwrap();
        let env = || Some("env-token-0123456789".to_owned());
        assert_eq!(
            token(Some(&file), Some("flag-token-0123456789"), env()),
            Ok(Some("file-token-0123456789".into()))
        );
        assert_eq!(
            token(None, Some("flag-token-0123456789"), env()),
            Ok(Some("flag-token-0123456789".into()))
        );
        assert_eq!(
            token(None, None, env()),
            Ok(Some("env-token-0123456789".into()))
        );
        assert_eq!(token(None, None, None), Ok(None));
        assert!(token(None, Some("short"), None)
            .unwrap_err()
            .contains("at least 16"));
        assert!(token(Some(&dir.join("missing")), None, None)
            .unwrap_err()
            .contains("cannot read"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
