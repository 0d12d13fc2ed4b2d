//! The review API: `POST /api/reviews` validates and stores one review,
//! `GET /api/reviews/summary` gives the public aggregate. Every 4xx carries a JSON body
//! `{"error": "..."}` that a person can read, except 429, which says no more than it must.

use crate::store::{NewReview, StoreError};
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;

/// The largest request body we read.
pub const MAX_BODY: usize = 8 * 1024;
/// The longest comment, in characters: the widget's own limit.
pub use newswire::review::MAX_COMMENT;
const MAX_SUBJECT: usize = 200;
const MAX_PAGE: usize = 2048;
const MAX_KEY: usize = 128;

/// The body as the widget sends it. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct ReviewInput {
    pub rating: i64,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    /// The honeypot: a field the widget hides from readers, so only bots fill it in.
    #[serde(default)]
    pub website: Option<String>,
}

/// Why a review was refused: each becomes a status and a readable message.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("send the review as application/json")]
    NotJson,
    #[error("the review is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the body is not valid JSON")]
    Malformed,
    #[error("{0}")]
    Invalid(String),
    #[error("this key was already used for a different review")]
    KeyReused,
    #[error("the review could not be stored; please try again")]
    Storage,
    /// The database is away; the review was not stored, and a retry may succeed.
    #[error("the review service is briefly unavailable; please try again shortly")]
    Unavailable,
    /// The body did not arrive in time; the connection is closed.
    #[error("the review's body did not arrive in time")]
    TimedOut,
    /// Over a rate limit; retry after this many seconds.
    #[error("too many requests")]
    TooMany(u64),
}

impl ReviewError {
    fn status(&self) -> StatusCode {
        match self {
            ReviewError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ReviewError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ReviewError::Malformed => StatusCode::BAD_REQUEST,
            ReviewError::Invalid(_) | ReviewError::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ReviewError::Storage => StatusCode::INTERNAL_SERVER_ERROR,
            ReviewError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ReviewError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            ReviewError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl IntoResponse for ReviewError {
    fn into_response(self) -> Response {
        if let ReviewError::TooMany(seconds) = self {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
            )
                .into_response();
        }
        let mut response = json_error(self.status(), &self.to_string());
        if matches!(self, ReviewError::Unavailable) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        if matches!(self, ReviewError::TimedOut) {
            // The rest of the body may never come: do not wait for it on this connection.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// The answer to a store that failed: 503 with `Retry-After` when the database is away (the
/// client should come back), else 500 with `message`.
pub fn store_failure(err: &StoreError, message: &str) -> Response {
    eprintln!("newswire-server: {message}: {err}");
    if err.is_unavailable() {
        ReviewError::Unavailable.into_response()
    } else {
        json_error(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// A JSON error body with `status`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `POST /api/reviews`.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let client = crate::limits::client_address(peer.ip(), &headers, state.policy.trust_proxy);
    let limited =
        match crate::limits::take_shared(&*state.store, client, state.policy.client_rate).await {
            // Several replicas: the client's limits are counted in the database, the global
            // one in this replica.
            Ok(Some(Ok(()))) => state.limits.take_global(std::time::Instant::now()),
            Ok(Some(Err(wait))) => Err(wait),
            Ok(None) => state.limits.take(client, std::time::Instant::now()),
            Err(err) => return store_failure(&err, "the rate limits could not be checked"),
        };
    if let Err(wait) = limited {
        return ReviewError::TooMany(wait.as_secs_f64().ceil().max(1.0) as u64).into_response();
    }
    match store_review(state, &headers, body).await {
        Ok(id) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "id": id }).to_string(),
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

async fn store_review(
    state: AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<i64, ReviewError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ReviewError::NotJson);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return Err(ReviewError::TooLarge);
    }
    let bytes = tokio::time::timeout(state.policy.body_timeout, to_bytes(body, MAX_BODY))
        .await
        .map_err(|_| ReviewError::TimedOut)?
        .map_err(|_| ReviewError::TooLarge)?;
    let input: ReviewInput = serde_json::from_slice(&bytes).map_err(|err| {
        if err.is_data() {
            ReviewError::Invalid(format!("the review has a wrong or missing field: {err}"))
        } else {
            ReviewError::Malformed
        }
    })?;
    let honeypot = input
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty());
    let review = validate(input)?;
    if honeypot {
        // A bot: it gets the answer a person would, and nothing is stored.
        return Ok(state.store.next_id());
    }
    match state.store.insert(review).await {
        Ok(id) => Ok(id),
        Err(StoreError::KeyReused) => Err(ReviewError::KeyReused),
        Err(err) => {
            eprintln!("newswire-server: storing a review failed: {err}");
            Err(if err.is_unavailable() {
                ReviewError::Unavailable
            } else {
                ReviewError::Storage
            })
        }
    }
}

/// Characters that change how the text around them reads without being seen: bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a
/// comment read backwards in a moderation view or an export, and zero-width spaces, the
/// word joiner and the byte-order mark (U+200B, U+2060, U+FEFF), which can hide words.
/// The zero-width joiner and non-joiner stay: emoji and several scripts need them.
fn invisible(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// The page a review came from, without its query and fragment (the widget's own rule, so
/// older widgets' reviews get it too).
pub use newswire::review::page_without_secrets;

/// Checks the limits and normalises the text: trimmed, control and invisible formatting
/// characters removed (line breaks in the comment are kept).
pub fn validate(input: ReviewInput) -> Result<NewReview, ReviewError> {
    let rating = u8::try_from(input.rating)
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| ReviewError::Invalid("rating must be a whole number from 1 to 5".into()))?;
    let clean = |s: Option<String>, keep_newlines: bool| -> String {
        s.unwrap_or_default()
            .chars()
            .filter(|c| (!c.is_control() || (keep_newlines && *c == '\n')) && !invisible(*c))
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let comment = clean(input.comment, true);
    if comment.chars().count() > MAX_COMMENT {
        return Err(ReviewError::Invalid(format!(
            "comment must be at most {MAX_COMMENT} characters"
        )));
    }
    // Context, not the reader's words: cut to length rather than refuse the review
    // (a page address with long tracking parameters must not block it).
    let subject: String = clean(input.subject, false)
        .chars()
        .take(MAX_SUBJECT)
        .collect();
    let page: String = page_without_secrets(&clean(input.page, false))
        .chars()
        .take(MAX_PAGE)
        .collect();
    let key = match clean(input.key, false) {
        key if key.is_empty() => None,
        key if key.chars().count() > MAX_KEY => {
            return Err(ReviewError::Invalid(format!(
                "key must be at most {MAX_KEY} characters"
            )))
        }
        key => Some(key),
    };
    Ok(NewReview {
        rating,
        comment,
        subject,
        page,
        key,
        at: None,
    })
}

/// `OPTIONS /api/reviews`: the CORS preflight for cross-origin JSON posts.
pub async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

/// Any other method on `/api/reviews`: still a readable JSON answer.
pub async fn method_not_allowed() -> Response {
    let mut response = json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "reviews are sent with POST as application/json (GET lists them, for the publisher)",
    );
    response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    response
}

/// `GET /api/reviews/summary`: kept current (SQLite) or cached for a second (PostgreSQL) by
/// the store, so a busy widget does not count the table on every request.
pub async fn summary(State(state): State<AppState>) -> Response {
    match state.store.summary().await {
        Ok(summary) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                // A reader who just sent a review must see it counted.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            serde_json::to_string(&summary).unwrap_or_default(),
        )
            .into_response(),
        Err(err) => store_failure(&err, "the summary could not be read"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rating: i64, comment: &str) -> ReviewInput {
        ReviewInput {
            rating,
            comment: Some(comment.into()),
            subject: Some(" lead-1 ".into()),
            page: None,
            key: Some("k".into()),
            website: None,
        }
    }

    #[test]
    fn text_is_trimmed_and_control_characters_go() {
        let review = validate(input(4, "  Good\u{0}\u{7} work\nthanks \t")).unwrap();
        assert_eq!(review.comment, "Good work\nthanks");
        assert_eq!(review.subject, "lead-1");
        assert_eq!(review.rating, 4);
    }

    #[test]
    fn invisible_formatting_goes_and_joiners_stay() {
        let review = validate(input(
            5,
            "\u{202E}evil\u{202C} a\u{200B}b \u{2066}x\u{2069} \u{FEFF}👩\u{200D}💻 \u{0645}\u{200C}\u{0627}",
        ))
        .unwrap();
        assert_eq!(
            review.comment,
            "evil ab x 👩\u{200D}💻 \u{0645}\u{200C}\u{0627}"
        );
    }

    #[test]
    fn the_page_keeps_no_query_or_fragment() {
        let mut with_secrets = input(4, "ok");
        with_secrets.page =
            Some("https://partner.example/news/a?reset=tok3n#access_token=abc".into());
        assert_eq!(
            validate(with_secrets).unwrap().page,
            "https://partner.example/news/a"
        );
        assert_eq!(
            page_without_secrets("https://p.example/#x"),
            "https://p.example/"
        );
        assert_eq!(
            page_without_secrets("https://p.example/a"),
            "https://p.example/a"
        );
    }

    #[test]
    fn long_context_is_cut_not_refused() {
        let mut long = input(3, "ok");
        long.page = Some(format!("https://partner.example/{}", "x".repeat(5000)));
        long.subject = Some("s".repeat(500));
        let review = validate(long).unwrap();
        assert_eq!(review.page.chars().count(), MAX_PAGE);
        assert_eq!(review.subject.chars().count(), MAX_SUBJECT);
    }

    #[test]
    fn limits_are_enforced() {
        assert!(validate(input(0, "")).is_err());
        assert!(validate(input(6, "")).is_err());
        assert!(validate(input(-300, "")).is_err());
        assert!(validate(input(5, &"é".repeat(1000))).is_ok());
        assert!(validate(input(5, &"é".repeat(1001))).is_err());
    }
}
