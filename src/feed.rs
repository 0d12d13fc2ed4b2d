//! JSON Feed 1.1 models (version 1 is accepted too) and the mapping from parsed JSON.
//!
//! The text is parsed by the platform ([`Json`]: the browser's `JSON.parse` in the wasm,
//! serde_json natively), so no JSON parser ships in the wasm. The mapping here is lenient
//! per field, as the spec asks of readers: a field of the wrong type counts as absent, and
//! a malformed item is dropped on its own instead of failing the whole feed.

use crate::platform::Json;

/// The version URLs we accept; `https://jsonfeed.org/version/1.1` and `.../version/1`.
const VERSION_PREFIX: &str = "https://jsonfeed.org/version/1";
/// Only this many items are considered; a feed of 20,000 must not freeze a reader's tab.
pub const MAX_ITEMS: usize = 500;
/// The longest `id`, `url` or `external_url` read, in bytes: the longest URL the sitemaps
/// protocol allows, and that every browser and crawler follows. A longer link is dropped,
/// never cut (a cut link leads nowhere), and an item whose id is longer is dropped: links and
/// ids are written into each render, so one 300 KB link would make every render of the feed
/// weigh megabytes.
pub const MAX_LINK: usize = 2048;

/// What can go wrong between asking for a feed and holding a usable one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The request never got an answer: offline, DNS, CORS or a refused connection.
    #[error("the news service could not be reached")]
    Network,
    /// No answer came within the timeout, so the request was aborted.
    #[error("the news service took too long to answer")]
    Timeout,
    /// The server answered, but not with success.
    #[error("the news service answered with HTTP status {0}")]
    Status(u16),
    /// The body is larger than we are willing to parse.
    #[error("the news feed is too large to show")]
    TooLarge(usize),
    /// The body is not JSON at all (an HTML error page, say).
    #[error("the news feed is not valid JSON")]
    InvalidJson,
    /// JSON, but not a JSON Feed: the reason names what is missing.
    #[error("the news feed is not a JSON Feed: {0}")]
    NotAFeed(&'static str),
}

/// Where a feed's live stream is (`newswire-server`'s Server-Sent Events), and the revision
/// the widget has: what the server writes into its render, and a feed's response names in
/// its headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Live {
    /// The stream's URL, as given: relative to the feed's own origin.
    pub stream: String,
    pub revision: u64,
}

/// A JSON Feed document, reduced to the fields the widget reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feed {
    pub title: String,
    /// The feed's language (a BCP 47 tag), as the publisher declares it.
    pub language: Option<String>,
    /// Items that are objects and carry an id, in feed order, each id once.
    pub items: Vec<Item>,
}

/// One feed item, with the spec's field names. Fields the widget does not read are ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// Required by the spec; whole numbers are coerced to strings, as the spec asks.
    pub id: String,
    pub url: Option<String>,
    /// The page an item is about, when it is not the item's own page.
    pub external_url: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub content_text: Option<String>,
    pub content_html: Option<String>,
    /// RFC 3339, as the spec requires; anything else counts as "no date".
    pub date_published: Option<String>,
    /// The item's own language, when it differs from the feed's.
    pub language: Option<String>,
    pub tags: Vec<String>,
    /// Our extension object; the spec reserves keys starting with `_` for extensions.
    pub newswire: Extension,
}

/// The `_newswire` extension: editorial flags the agency sets per item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extension {
    /// A lead story for the headline strip.
    pub headline: bool,
}

/// Parses a JSON Feed body. Items without an id, items that are not objects, and items
/// that repeat an earlier item's id are dropped.
pub fn parse(body: &str) -> Result<Feed, FeedError> {
    let doc = Json::parse(body).ok_or(FeedError::InvalidJson)?;
    if !doc.is_object() {
        return Err(FeedError::NotAFeed("it is not a JSON object"));
    }
    match doc.get("version").and_then(|v| v.as_string()) {
        Some(v) if v.starts_with(VERSION_PREFIX) => {}
        Some(_) => return Err(FeedError::NotAFeed("its version is not JSON Feed 1")),
        None => return Err(FeedError::NotAFeed("it has no version")),
    }
    let items = doc
        .get("items")
        .and_then(|items| items.elements(MAX_ITEMS))
        .ok_or(FeedError::NotAFeed("it has no list of items"))?;
    let mut items: Vec<Item> = items.iter().filter_map(item).collect();
    // Ids key the rendered lists, so each may appear once. A linear scan over at most
    // MAX_ITEMS is quick, and ships less code than a set.
    let mut kept = 0;
    for i in 0..items.len() {
        if !items[..kept]
            .iter()
            .any(|earlier| earlier.id == items[i].id)
        {
            items.swap(kept, i);
            kept += 1;
        }
    }
    items.truncate(kept);
    Ok(Feed {
        title: string(&doc, "title").unwrap_or_default(),
        language: string(&doc, "language"),
        items,
    })
}

fn item(json: &Json) -> Option<Item> {
    if !json.is_object() {
        return None;
    }
    let id = json.get("id").and_then(|id| {
        id.as_string().or_else(|| {
            // Whole numbers only: formatting arbitrary floats would ship float printing.
            let n = id
                .as_f64()
                .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)?;
            Some((n as i64).to_string())
        })
    });
    let id = id.filter(|id| !id.trim().is_empty() && id.len() <= MAX_LINK)?;
    let tags = json
        .get("tags")
        .and_then(|tags| tags.elements(64))
        .map(|tags| tags.iter().filter_map(Json::as_string).collect())
        .unwrap_or_default();
    let headline = json
        .get("_newswire")
        .and_then(|ext| ext.get("headline"))
        .and_then(|flag| flag.as_bool())
        .unwrap_or(false);
    Some(Item {
        id,
        url: link(json, "url"),
        external_url: link(json, "external_url"),
        title: string(json, "title"),
        summary: string(json, "summary"),
        content_text: string(json, "content_text"),
        content_html: string(json, "content_html"),
        date_published: string(json, "date_published"),
        language: string(json, "language"),
        tags,
        newswire: Extension { headline },
    })
}

/// A string field; absent, null and wrong types are all `None`.
fn string(json: &Json, key: &str) -> Option<String> {
    json.get(key).and_then(|v| v.as_string())
}

/// A link field, when it is a string of at most [`MAX_LINK`] bytes.
fn link(json: &Json, key: &str) -> Option<String> {
    string(json, key).filter(|link| link.len() <= MAX_LINK)
}

pub use crate::date::parse_rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_feed_and_drops_items_without_ids() {
        // Assemble.
        let body = r#"{
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Agency",
            "unknown_field": {"ignored": true},
            "items": [
                {"id": "a", "title": "First", "tags": ["Politics"], "_newswire": {"headline": true}},
                {"title": "No id"},
                {"id": "", "title": "Empty id"},
                {"id": 42, "content_text": "Numeric id"},
                {"id": 7.5, "content_text": "Fractional id"},
                {"id": "b", "title": 7, "tags": ["Politics", 3, null], "_newswire": "yes"},
                "not an object",
                null,
                {"id": "a", "title": "A repeated id"}
            ]
        }"#;
        // Action.
        let feed = parse(body).expect("a valid feed");
        // Assert.
        assert_eq!(feed.title, "Agency");
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some("First"),
            "the first of a repeated id wins"
        );
        let ids: Vec<_> = feed.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a", "42", "b"]);
        assert!(feed.items[0].newswire.headline);
        assert!(!feed.items[1].newswire.headline);
        assert_eq!(feed.items[2].title, None, "a wrong type counts as absent");
        assert_eq!(feed.items[2].tags, ["Politics"]);
        assert!(!feed.items[2].newswire.headline);
    }

    #[test]
    fn accepts_version_1_and_rejects_other_documents() {
        let v1 = r#"{"version": "https://jsonfeed.org/version/1", "items": []}"#;
        assert!(parse(v1).is_ok());
        assert_eq!(parse("<html>502</html>"), Err(FeedError::InvalidJson));
        assert_eq!(parse(""), Err(FeedError::InvalidJson));
        assert!(matches!(
            parse(r#"{"items": []}"#),
            Err(FeedError::NotAFeed(_))
        ));
        assert!(matches!(
            parse(r#"{"version": "https://example.com/rss", "items": []}"#),
            Err(FeedError::NotAFeed(_))
        ));
        assert!(matches!(
            parse(r#"{"version": "https://jsonfeed.org/version/1.1"}"#),
            Err(FeedError::NotAFeed(_))
        ));
        assert!(matches!(parse("[1, 2]"), Err(FeedError::NotAFeed(_))));
        assert!(matches!(
            parse(r#"{"version": "https://jsonfeed.org/version/1.1", "items": 5}"#),
            Err(FeedError::NotAFeed(_))
        ));
    }

    #[test]
    fn over_long_links_are_dropped_and_items_with_over_long_ids_too() {
        // Assemble: links and ids at the bound, and one byte over it.
        let at = format!("https://agency.example/{}", "a".repeat(MAX_LINK - 23));
        let over = format!("{at}b");
        assert_eq!(at.len(), MAX_LINK);
        let body = format!(
            r#"{{"version": "https://jsonfeed.org/version/1.1", "items": [
                {{"id": "{at}", "url": "{at}", "external_url": "{over}"}},
                {{"id": "short", "url": "{over}", "external_url": "{at}"}},
                {{"id": "{over}", "url": "https://agency.example/"}}
            ]}}"#
        );
        // Action.
        let feed = parse(&body).unwrap();
        // Assert: kept whole at the bound, dropped (never cut) over it.
        let ids: Vec<_> = feed.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, [at.as_str(), "short"]);
        assert_eq!(feed.items[0].url.as_deref(), Some(at.as_str()));
        assert_eq!(feed.items[0].external_url, None);
        assert_eq!(feed.items[1].url, None);
        assert_eq!(feed.items[1].external_url.as_deref(), Some(at.as_str()));
    }

    #[test]
    fn only_the_first_items_are_considered() {
        let items: Vec<String> = (0..MAX_ITEMS + 20)
            .map(|i| format!(r#"{{"id": "{i}"}}"#))
            .collect();
        let body = format!(
            r#"{{"version": "https://jsonfeed.org/version/1.1", "items": [{}]}}"#,
            items.join(",")
        );
        assert_eq!(parse(&body).unwrap().items.len(), MAX_ITEMS);
    }
}
