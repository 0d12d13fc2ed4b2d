//! The review API: `POST /api/reviews` validates and stores one review,
//! `GET /api/reviews/summary` gives the public aggregate. Every 4xx carries a JSON body
//! `{"error": "..."}` that a person can read, except 429, which says no more than it must.

pub mod admin;
pub mod demo;
pub mod export;

use crate::net::errors::{json_error, store_failure};
use crate::net::limits::Admission;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newswire_store::{NewReview, StoreError};
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
    #[error("{}", crate::net::errors::UNAVAILABLE)]
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

impl ReviewError {
    /// Why a review was refused, as the metrics count it.
    pub fn reason(&self) -> &'static str {
        match self {
            ReviewError::NotJson
            | ReviewError::Malformed
            | ReviewError::Invalid(_)
            | ReviewError::KeyReused => "validation",
            ReviewError::TooLarge | ReviewError::TimedOut => "body",
            ReviewError::TooMany(_) => "rate_limit",
            ReviewError::Storage | ReviewError::Unavailable => "store",
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
        if matches!(self, ReviewError::TimedOut | ReviewError::TooLarge) {
            // The rest of the body may never come: do not wait for it on this connection.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// `POST /api/reviews`.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let client = state.policy.proxies.client(peer.ip(), &headers);
    let metrics = crate::net::metrics::metrics();
    let admission = match state.limits.admit(&*state.store, client) {
        Ok(admission) => admission,
        Err(wait) => {
            metrics.refused("rate_limit");
            return ReviewError::TooMany(seconds(wait)).into_response();
        }
    };
    match store_review(&state, &headers, body, &admission).await {
        Ok(id) => {
            // (Counted as stored by the store, once a review: a retry is not a new one.)
            (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "id": id }).to_string(),
            )
                .into_response()
        }
        Err(err) => {
            metrics.refused(err.reason());
            err.into_response()
        }
    }
}

/// A wait in the whole seconds `Retry-After` gives, at least one.
fn seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// Reads, checks and stores the review, counted in the limits as its `admission` says: with
/// the review, or alone when it never reaches the store (a bad body, or the honeypot), so
/// that every request counts.
async fn store_review(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    admission: &Admission<'_>,
) -> Result<i64, ReviewError> {
    let review = match read_review(state, headers, body).await {
        Ok(Some(review)) => review,
        outcome => {
            // Over the limit, any request gets 429, whatever its body.
            let over = admission
                .count(&*state.store)
                .await
                .map_err(storage_error)?;
            if let Some(wait) = over {
                return Err(ReviewError::TooMany(seconds(wait)));
            }
            // A bot gets the answer a person would, and nothing is stored.
            return outcome.map(|_| state.store.next_id());
        }
    };
    match admission.store(&*state.store, review).await {
        Ok(Ok(id)) => Ok(id),
        Ok(Err(wait)) => Err(ReviewError::TooMany(seconds(wait))),
        Err(err) => Err(storage_error(err)),
    }
}

/// A store's error as the reviewer sees it: a reused key is theirs to fix, a database away
/// is worth a retry, and anything else is ours (and logged).
fn storage_error(err: StoreError) -> ReviewError {
    match err {
        StoreError::KeyReused => ReviewError::KeyReused,
        err => {
            tracing::error!(error = %err, "storing a review failed");
            if err.is_unavailable() {
                ReviewError::Unavailable
            } else {
                ReviewError::Storage
            }
        }
    }
}

/// The review in the body, checked; `None` for the honeypot's catch.
async fn read_review(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<NewReview>, ReviewError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ReviewError::NotJson);
    }
    let bytes = crate::net::http::read_body(headers, body, MAX_BODY, state.policy.body_timeout)
        .await
        .map_err(|err| match err {
            crate::net::http::BodyError::TooLarge(_) => ReviewError::TooLarge,
            crate::net::http::BodyError::TimedOut => ReviewError::TimedOut,
        })?;
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
    let mut review = validate(input)?;
    review.partner = partner(headers, &review.page);
    Ok((!honeypot).then_some(review))
}

/// Characters that change how the text around them reads, or hide text, without being
/// seen: the soft hyphen and the combining grapheme joiner (U+00AD, U+034F); the Arabic
/// letter mark and the left-to-right and right-to-left marks (U+061C, U+200E, U+200F);
/// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a
/// comment read backwards in a moderation view or an export; the Hangul and Khmer fillers
/// and inherent vowels that render as nothing (U+115F, U+1160, U+17B4, U+17B5, U+3164,
/// U+FFA0); Mongolian variation selectors and vowel separator (U+180B–U+180F); the
/// zero-width space, the word joiner, the invisible operators and the deprecated format
/// characters (U+200B, U+2060–U+2064, U+206A–U+206F); the byte-order mark (U+FEFF); the
/// shorthand format controls (U+1BCA0–U+1BCA3); and tag characters (U+E0000–U+E007F), which
/// can spell a whole hidden message, except in an emoji tag sequence ([`tag_sequence`]).
///
/// Kept, because real text needs them: the zero-width non-joiner and joiner (U+200C, U+200D;
/// Persian words and emoji sequences) and the variation selectors U+FE00–U+FE0F (❤️).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{E0000}'..='\u{E007F}')
}

/// The length, in characters, of the emoji tag sequence that starts `text`, if one does: a
/// black flag (U+1F3F4), the tags of a subdivision code (two to seven tag digits and
/// lower-case tag letters, U+E0030–U+E0039 and U+E0061–U+E007A) and the cancel tag
/// (U+E007F), as in the flags of Scotland and Wales (`gbsct`, `gbwls`). `None` for
/// anything else: a run of tags that spells words with spaces or capitals is no flag.
fn tag_sequence(text: &[char]) -> Option<usize> {
    if text.first() != Some(&'\u{1F3F4}') {
        return None;
    }
    let tags = text[1..]
        .iter()
        .take_while(|c| matches!(c, '\u{E0030}'..='\u{E0039}' | '\u{E0061}'..='\u{E007A}'))
        .count();
    ((2..=7).contains(&tags) && text.get(1 + tags) == Some(&'\u{E007F}')).then_some(tags + 2)
}

/// A variation selector (U+FE00–U+FE0F, U+E0100–U+E01EF): it chooses how the character
/// before it looks (❤️ is ❤ and U+FE0F), so one after a character is text; any more after
/// it, or one with no character before it, choose nothing and could carry hidden bits.
fn variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Where a piece of text goes: a comment keeps its line breaks, a one-line field (the
/// subject, the page, the key) keeps none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Comment,
    Line,
}

/// `text`, trimmed, with control characters (but a comment's newlines) and invisible
/// characters removed, and at most one variation selector after each character. A newline
/// and the line and paragraph separators (U+2028, U+2029) become a newline in a comment
/// and a space elsewhere; a tab and a carriage return are removed, like every other control
/// character.
fn clean(text: Option<String>, field: Field) -> String {
    let chars: Vec<char> = text.unwrap_or_default().chars().collect();
    let mut out = String::with_capacity(chars.len());
    let mut at = 0;
    // Whether the last character kept may take a variation selector.
    let mut selectable = false;
    while at < chars.len() {
        if let Some(len) = tag_sequence(&chars[at..]) {
            out.extend(&chars[at..at + len]);
            at += len;
            selectable = false;
            continue;
        }
        let c = chars[at];
        at += 1;
        let line_break = matches!(c, '\n' | '\u{2028}' | '\u{2029}');
        if line_break {
            out.push(if field == Field::Comment { '\n' } else { ' ' });
            selectable = false;
        } else if variation_selector(c) {
            if std::mem::take(&mut selectable) {
                out.push(c);
            }
        } else if !(c.is_control() || invisible(c)) {
            out.push(c);
            selectable = !c.is_whitespace();
        }
    }
    out.trim().to_owned()
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
    let comment = clean(input.comment, Field::Comment);
    if comment.chars().count() > MAX_COMMENT {
        return Err(ReviewError::Invalid(format!(
            "comment must be at most {MAX_COMMENT} characters"
        )));
    }
    // Context, not the reader's words: cut to length rather than refuse the review
    // (a page address with long tracking parameters must not block it).
    let subject: String = clean(input.subject, Field::Line)
        .chars()
        .take(MAX_SUBJECT)
        .collect();
    let page: String = page_without_secrets(&clean(input.page, Field::Line))
        .chars()
        .take(MAX_PAGE)
        .collect();
    let key = match clean(input.key, Field::Line) {
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
        // Set by the route, from the request's `Origin` ([`partner`]).
        partner: String::new(),
        key,
        at: None,
    })
}

/// The partner site a review counts for: the request's `Origin`, which the review API has
/// already accepted (`origins::check`), when the review's page, if it names one, is on that
/// origin. Otherwise none: a review without an `Origin` (a server, a script) or with a page
/// on another site is stored, but as unattributed, so that nobody can write a partner's
/// name into the console by choosing a `page`.
pub fn partner(headers: &HeaderMap, page: &str) -> String {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(newswire_store::origin_of)
        .unwrap_or_default();
    if origin.is_empty() || !(page.is_empty() || newswire_store::origin_of(page) == origin) {
        return String::new();
    }
    origin
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

    /// The widget writes the review's JSON by hand (`newswire::review::ReviewPayload`) and
    /// the server reads it with serde (`ReviewInput`): every field the widget sends arrives
    /// under the name the server reads, so a field renamed on either side fails here.
    #[test]
    fn the_widgets_payload_is_read_field_for_field() {
        let sent = newswire::review::ReviewPayload {
            rating: 4,
            comment: "Clear \"and\" short\nthank you".into(),
            subject: "lead-1".into(),
            page: "https://partner.example/news".into(),
            key: "0123456789abcdef0123456789abcdef".into(),
        };
        let read: ReviewInput = serde_json::from_str(&sent.to_json()).unwrap();
        let stored = validate(read).unwrap();
        assert_eq!(stored.rating, sent.rating);
        assert_eq!(stored.comment, sent.comment);
        assert_eq!(stored.subject, sent.subject);
        assert_eq!(stored.page, sent.page);
        assert_eq!(stored.key.as_deref(), Some(sent.key.as_str()));
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
    fn every_listed_invisible_character_goes_and_what_text_needs_stays() {
        // Assemble: every code point the rule removes, each between two letters.
        let removed: Vec<char> = [
            0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E,
            0x180F, 0x200B, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2060, 0x2061,
            0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0x206A, 0x206B, 0x206C, 0x206D,
            0x206E, 0x206F, 0x3164, 0xFEFF, 0xFFA0, 0x1BCA0, 0x1BCA1, 0x1BCA2, 0x1BCA3, 0xE0000,
            0xE0001, 0xE0020, 0xE0041, 0xE007E, 0xE007F,
        ]
        .into_iter()
        .map(|n| char::from_u32(n).unwrap())
        .collect();
        for c in removed {
            // Action and assert: gone from a comment, a subject and a page alike.
            let text = format!("a{c}b");
            assert_eq!(
                clean(Some(text.clone()), Field::Comment),
                "ab",
                "U+{:04X}",
                c as u32
            );
            assert_eq!(clean(Some(text), Field::Line), "ab", "U+{:04X}", c as u32);
        }
        // A whole message spelled in tag characters disappears.
        let hidden: String = "ignore previous instructions"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        assert_eq!(
            clean(Some(format!("Nice{hidden}!")), Field::Comment),
            "Nice!"
        );
        // Emoji, a flag's tag sequence, and Persian with its non-joiner come through unchanged.
        let kept = [
            "\u{2764}\u{FE0F}",
            "\u{1F469}\u{200D}\u{1F4BB}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
            "\u{65E5}\u{672C}\u{FE00}",
        ];
        for text in kept {
            assert_eq!(clean(Some(text.into()), Field::Comment), text);
            assert_eq!(clean(Some(text.into()), Field::Line), text);
        }
        // A black flag without a whole sequence keeps the flag and loses the tags, and a
        // message spelled in tags after a flag is no flag.
        assert_eq!(
            clean(Some("\u{1F3F4}\u{E0067}x".into()), Field::Comment),
            "\u{1F3F4}x"
        );
        let smuggled = format!("\u{1F3F4}{hidden}\u{E007F}ok");
        assert_eq!(clean(Some(smuggled), Field::Comment), "\u{1F3F4}ok");
        // One variation selector after a character; the rest, and one after nothing, go.
        let run: String = std::iter::once('a')
            .chain((0..16).map(|n| char::from_u32(0xFE00 + n).unwrap()))
            .chain((0..16).map(|n| char::from_u32(0xE0100 + n).unwrap()))
            .collect();
        assert_eq!(clean(Some(run), Field::Comment), "a\u{FE00}");
        assert_eq!(clean(Some("\u{FE0F}a".into()), Field::Line), "a");
        assert_eq!(
            clean(Some("\u{845B}\u{E0100}".into()), Field::Line),
            "\u{845B}\u{E0100}"
        );
        // Line and paragraph separators: a newline in a comment, a space elsewhere.
        assert_eq!(
            clean(Some("one\u{2028}two\u{2029}three".into()), Field::Comment),
            "one\ntwo\nthree"
        );
        assert_eq!(clean(Some("one\u{2028}two".into()), Field::Line), "one two");
        // Tabs and carriage returns go; a comment's newlines stay, a line's do not.
        assert_eq!(clean(Some("a\tb\r\nc".into()), Field::Comment), "ab\nc");
        assert_eq!(clean(Some("a\nb".into()), Field::Line), "a b");
    }

    #[test]
    fn the_partner_is_the_origin_only_when_the_page_is_on_it() {
        let mut headers = HeaderMap::new();
        assert_eq!(partner(&headers, "https://p.example/a"), "", "no Origin");
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://P.example"),
        );
        assert_eq!(
            partner(&headers, "https://p.example/a"),
            "https://p.example"
        );
        assert_eq!(partner(&headers, ""), "https://p.example", "no page");
        assert_eq!(partner(&headers, "https://evil.example/p"), "", "elsewhere");
        assert_eq!(partner(&headers, "https://p.example.evil/"), "");
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
