//! What a reader's review is on the wire, and what can go wrong sending it.

/// The longest comment, in characters; the server enforces the same limit.
pub const MAX_COMMENT: usize = 1000;

/// `href` without its query and fragment: the page a review came from, and nothing that
/// could identify or authenticate the reader.
pub fn page_without_secrets(href: &str) -> &str {
    // `split`, not a slice at an index: a slice could panic, which would pull Rust's panic
    // formatting into the wasm.
    href.split(['?', '#']).next().unwrap_or(href)
}

/// The JSON body posted to the review endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPayload {
    pub rating: u8,
    pub comment: String,
    /// The id of the first headline: what the reader was looking at.
    pub subject: String,
    /// The partner page's origin and path ([`page_without_secrets`]).
    pub page: String,
    /// A random id per submission, kept across retries, so a retry never stores twice.
    pub key: String,
}

impl ReviewPayload {
    /// The body as JSON text. Written out by hand: five fields do not need a serializer
    /// in the wasm.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.comment.len() + self.page.len());
        out.push_str("{\"rating\":");
        out.push(char::from(b'0' + self.rating.min(9)));
        for (name, value) in [
            ("comment", &self.comment),
            ("subject", &self.subject),
            ("page", &self.page),
            ("key", &self.key),
        ] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            push_json_string(&mut out, value);
        }
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Why a review was not stored. The draft is kept in every case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The reader has not picked a star rating yet.
    #[error("Choose a rating from 1 to 5 stars first.")]
    MissingRating,
    /// The review service could not be reached.
    #[error("The review could not be sent. Check your connection and try again.")]
    Network,
    /// No answer in time; the request was aborted.
    #[error("The review service took too long to answer. Please try again.")]
    Timeout,
    /// The server refused the review and said why.
    #[error("The review was not accepted: {0}")]
    Rejected(String),
    /// The server failed or answered with something we do not understand.
    #[error("The review service had a problem (HTTP {0}). Please try again.")]
    Server(u16),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Json;

    #[test]
    fn the_page_loses_its_query_and_fragment() {
        assert_eq!(
            page_without_secrets("https://partner.example/news/a?reset=t0k#access_token=x"),
            "https://partner.example/news/a"
        );
        assert_eq!(
            page_without_secrets("https://partner.example/#top"),
            "https://partner.example/"
        );
        assert_eq!(
            page_without_secrets("https://partner.example/a"),
            "https://partner.example/a"
        );
    }

    #[test]
    fn the_payload_is_valid_json_with_every_field() {
        // Assemble.
        let payload = ReviewPayload {
            rating: 4,
            comment: "Quotes \" and \\ and\nlines\u{1} and émoji 🗞️".into(),
            subject: "lead-1".into(),
            page: "https://partner.example/a?b=c&d".into(),
            key: "0123abcd".into(),
        };
        // Action.
        let json = Json::parse(&payload.to_json()).expect("valid JSON");
        // Assert.
        let field = |name| json.get(name).and_then(|v| v.as_string());
        assert_eq!(json.get("rating").and_then(|v| v.as_f64()), Some(4.0));
        assert_eq!(field("comment").as_deref(), Some(payload.comment.as_str()));
        assert_eq!(field("subject").as_deref(), Some("lead-1"));
        assert_eq!(field("page").as_deref(), Some(payload.page.as_str()));
        assert_eq!(field("key").as_deref(), Some("0123abcd"));
    }
}
