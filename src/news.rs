//! Turns a [`Feed`] into what the view shows: the lead stories and the briefs.
//!
//! Everything here is decided once per fetch, so the components only lay out finished,
//! safe values: links are checked http(s) URLs, HTML is already text, and long texts are
//! already shortened.

use crate::date::{datetime_attribute, parse_date};
use crate::feed::{Feed, Item};
use crate::platform::{self, Json};
use std::rc::Rc;

/// How many of the newest items fill the strip when the agency flagged none.
pub const FALLBACK_HEADLINES: usize = 5;
/// The most headlines the strip carries, newest first, however many the agency flagged: a
/// feed that flags all its 500 items would otherwise make every render weigh half a
/// megabyte, for a ticker nobody reads to the end.
pub const MAX_HEADLINES: usize = 12;
/// Longest title we show, in characters, before shortening at a word boundary.
const MAX_TITLE: usize = 200;
/// Longest brief text we show.
const MAX_TEXT: usize = 320;

/// A lead story in the headline strip.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize))]
pub struct Story {
    pub id: String,
    pub title: String,
    /// A checked http(s) URL, if the item has one.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub link: Option<String>,
    /// The item's own language tag, for its `lang` attribute.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub lang: Option<String>,
    /// In the feed now but not at the previous fetch.
    #[cfg_attr(not(target_arch = "wasm32"), serde(skip))]
    pub new: bool,
}

/// A dated politics brief.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize))]
pub struct Brief {
    pub id: String,
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub title: Option<String>,
    /// `summary`, else `content_text`, else `content_html` as text; may be empty.
    pub text: String,
    /// The item's `date_published` as milliseconds since the epoch.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub published: Option<i64>,
    /// Whether `date_published` is a calendar date alone: shown without a time, and in UTC,
    /// so that no reader's time zone moves it to another day.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "std::ops::Not::not")
    )]
    pub date_only: bool,
    /// The same date for `<time datetime>` ([`crate::date::datetime_attribute`]): not in
    /// the hydration state, which has `published` already.
    #[cfg_attr(not(target_arch = "wasm32"), serde(skip))]
    pub datetime: Option<String>,
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub link: Option<String>,
    /// The item's own language tag, for its `lang` attribute.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub lang: Option<String>,
    /// In the feed now but not at the previous fetch.
    #[cfg_attr(not(target_arch = "wasm32"), serde(skip))]
    pub new: bool,
}

/// What the widget renders from one fetch of the feed. The server writes it with serde as
/// the hydration state, and the wasm reads it back with [`News::from_state`], so the
/// browser gets the server's very selection, not a second parse of the feed.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize))]
pub struct News {
    pub title: String,
    /// The feed's language, else the first shown item's: a hint for the widget's own.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        serde(skip_serializing_if = "Option::is_none")
    )]
    pub language: Option<String>,
    pub headlines: Rc<[Story]>,
    pub briefs: Rc<[Brief]>,
    /// Every item id in the feed, as its [`id_key`], to tell what a later fetch adds: the
    /// hydration state carries up to 500 of them, at 16 characters whatever an id's length.
    pub ids: Rc<[String]>,
}

impl News {
    /// Marks the stories and briefs whose items were not in `previous`'s feed as new.
    pub fn marked_new_since(mut self, previous: &News) -> News {
        // At most 500 ids against the few dozen items shown: a scan ships less than a sort.
        let new = |id: &String| !previous.ids.contains(&id_key(id));
        self.headlines = self
            .headlines
            .iter()
            .cloned()
            .map(|s| Story {
                new: new(&s.id),
                ..s
            })
            .collect();
        self.briefs = self
            .briefs
            .iter()
            .cloned()
            .map(|b| Brief {
                new: new(&b.id),
                ..b
            })
            .collect();
        self
    }
}

impl News {
    /// The news as the server wrote it into the hydration state, read leniently field by
    /// field like a feed ([`crate::feed`]), with the browser's `JSON.parse` underneath, so
    /// no deserializer ships in the wasm. `None` when it is not such an object. Checked as
    /// a feed is: links must be http(s), languages tags the browser accepts, since a page
    /// could hold state of its own making.
    pub fn from_state(json: &Json) -> Option<News> {
        let text = |json: &Json, key: &str| json.get(key).and_then(|v| v.as_string());
        let link = |json: &Json| text(json, "link").and_then(|url| platform::http_url(&url));
        let lang = |json: &Json, key: &str| language_tag(text(json, key).as_deref());
        let list = |key: &str| {
            json.get(key)
                .and_then(|v| v.elements(crate::feed::MAX_ITEMS))
        };
        let headlines = list("headlines")?
            .iter()
            .map(|s| {
                Some(Story {
                    id: text(s, "id")?,
                    title: text(s, "title")?,
                    link: link(s),
                    lang: lang(s, "lang"),
                    new: false,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let briefs = list("briefs")?
            .iter()
            .map(|b| {
                let published = b
                    .get("published")
                    .and_then(|v| v.as_f64())
                    .map(|ms| ms as i64);
                let date_only = b.get("date_only").and_then(|v| v.as_bool()) == Some(true);
                Some(Brief {
                    id: text(b, "id")?,
                    title: text(b, "title"),
                    text: text(b, "text")?,
                    published,
                    date_only,
                    datetime: published.map(|ms| datetime_attribute(ms, date_only)),
                    link: link(b),
                    lang: lang(b, "lang"),
                    new: false,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let ids = list("ids")?
            .iter()
            .map(Json::as_string)
            .collect::<Option<Vec<_>>>()?;
        Some(News {
            title: text(json, "title")?,
            language: lang(json, "language"),
            headlines: headlines.into(),
            briefs: briefs.into(),
            ids: ids.into(),
        })
    }
}

/// Selects headlines and briefs from `feed`.
///
/// Headlines are the items flagged `_newswire.headline`, newest first; with none flagged,
/// the newest [`FALLBACK_HEADLINES`] items. Briefs are the items tagged `category`
/// (case-insensitively) that are not flagged headlines, newest first with undated items
/// last, at most `max_briefs` of them.
pub fn select(feed: &Feed, category: &str, max_briefs: usize) -> News {
    let mut items: Vec<(&Item, Option<(i64, bool)>)> = feed
        .items
        .iter()
        .map(|item| (item, item.date_published.as_deref().and_then(parse_date)))
        .collect();
    // Stable, so items with equal (or no) dates keep the agency's order.
    items.sort_by_key(|(_, published)| std::cmp::Reverse(published.map_or(i64::MIN, |(ms, _)| ms)));

    let flagged = items.iter().filter(|(item, _)| item.newswire.headline);
    let headlines: Vec<Story> = if items.iter().any(|(item, _)| item.newswire.headline) {
        flagged
            .filter_map(|(item, _)| story(item))
            .take(MAX_HEADLINES)
            .collect()
    } else {
        items
            .iter()
            .filter_map(|(item, _)| story(item))
            .take(FALLBACK_HEADLINES)
            .collect()
    };

    let category = platform::lowercase(category.trim());
    let briefs: Vec<Brief> = items
        .iter()
        .filter(|(item, _)| !item.newswire.headline)
        .filter(|(item, _)| {
            item.tags
                .iter()
                .any(|t| platform::lowercase(t.trim()) == category)
        })
        .filter_map(|(item, published)| brief(item, *published))
        .take(max_briefs)
        .collect();

    let ids: Vec<String> = feed.items.iter().map(|item| id_key(&item.id)).collect();
    let language = language_tag(feed.language.as_deref())
        .or_else(|| headlines.iter().find_map(|s| s.lang.clone()))
        .or_else(|| briefs.iter().find_map(|b| b.lang.clone()));
    News {
        title: shorten(feed.title.trim(), MAX_TITLE),
        language,
        headlines: headlines.into(),
        briefs: briefs.into(),
        ids: ids.into(),
    }
}

fn story(item: &Item) -> Option<Story> {
    let title = non_empty(item.title.as_deref())
        .or_else(|| non_empty(item.summary.as_deref()))
        .or_else(|| non_empty(item.content_text.as_deref()))?;
    Some(Story {
        id: item.id.clone(),
        title: shorten(title, MAX_TITLE),
        link: link(item),
        lang: language_tag(item.language.as_deref()),
        new: false,
    })
}

fn brief(item: &Item, date: Option<(i64, bool)>) -> Option<Brief> {
    let published = date.map(|(ms, _)| ms);
    let date_only = date.is_some_and(|(_, only)| only);
    let title = non_empty(item.title.as_deref()).map(|t| shorten(t, MAX_TITLE));
    let text = non_empty(item.summary.as_deref())
        .or_else(|| non_empty(item.content_text.as_deref()))
        .map(|t| shorten(t, MAX_TEXT))
        .or_else(|| {
            let html = item.content_html.as_deref()?;
            let text = platform::html_to_text(html);
            Some(shorten(&collapse_spaces(&text), MAX_TEXT))
        })
        .unwrap_or_default();
    if title.is_none() && text.is_empty() {
        return None;
    }
    Some(Brief {
        id: item.id.clone(),
        title,
        text,
        published,
        date_only,
        datetime: published.map(|ms| datetime_attribute(ms, date_only)),
        link: link(item),
        lang: language_tag(item.language.as_deref()),
        new: false,
    })
}

/// An item id as [`News::ids`] keeps it: its 64-bit FNV-1a digest folded to 48 bits, in 12
/// hex digits (each key is in every render's state, which counts against the 8 KB before
/// first content). Two ids of a 500-item feed share a key about once in 2·10^9 feeds, and
/// then one story shows unmarked.
pub fn id_key(id: &str) -> String {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let hash = hash ^ (hash >> 48);
    // Written out by hand: `format!` would ship its machinery in the wasm.
    (0..12)
        .rev()
        .map(|n| char::from(b"0123456789abcdef"[(hash >> (4 * n) & 0xf) as usize]))
        .collect()
}

/// A declared language, when it is a tag the browser accepts.
fn language_tag(tag: Option<&str>) -> Option<String> {
    non_empty(tag)
        .filter(|tag| crate::i18n::is_language_tag(tag))
        .map(str::to_owned)
}

/// The item's page (`url`, else `external_url`), when it is an http(s) URL. Any other
/// scheme (`javascript:`, `data:`, ...) leaves the item as plain text.
fn link(item: &Item) -> Option<String> {
    [&item.url, &item.external_url]
        .into_iter()
        .find_map(|url| url.as_deref().and_then(platform::http_url))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, cut at the last word boundary and ended with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    let Some((cut, _)) = s.char_indices().nth(max) else {
        return s.to_owned();
    };
    // `get` rather than indexing: no panic path, so no panic formatting in the wasm.
    let head = s.get(..cut).unwrap_or(s);
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space > cut / 2 => head.get(..space).unwrap_or(head),
        _ => head,
    };
    format!(
        "{}…",
        head.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.'))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Extension;

    fn item(id: &str, date: Option<&str>, tags: &[&str], headline: bool) -> Item {
        Item {
            id: id.into(),
            url: Some(format!("https://agency.example/{id}")),
            title: Some(format!("Title {id}")),
            date_published: date.map(Into::into),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            newswire: Extension { headline },
            ..Item::default()
        }
    }

    fn ids<T>(list: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
        list.iter().map(|x| id(x).to_owned()).collect()
    }

    #[test]
    fn flagged_headlines_lead_and_are_not_repeated_as_briefs() {
        // Assemble.
        let feed = Feed {
            title: "Agency".into(),
            language: None,
            items: vec![
                item(
                    "old-lead",
                    Some("2024-03-01T08:00:00Z"),
                    &["Politics"],
                    true,
                ),
                item("new-lead", Some("2024-03-02T08:00:00Z"), &["World"], true),
                item("p1", Some("2024-03-01T09:00:00Z"), &["politics"], false),
                item(
                    "p2",
                    Some("2024-03-03T09:00:00+05:00"),
                    &["POLITICS"],
                    false,
                ),
                item(
                    "p3",
                    Some("2024-03-03T09:00:00Z"),
                    &["Politics", "Economy"],
                    false,
                ),
                item("undated", None, &["Politics"], false),
                item("bad-date", Some("last Tuesday"), &["Politics"], false),
                item("sport", Some("2024-03-04T09:00:00Z"), &["Sport"], false),
            ],
        };
        // Action.
        let news = select(&feed, "Politics", 10);
        // Assert.
        assert_eq!(ids(&news.headlines, |s| &s.id), ["new-lead", "old-lead"]);
        assert_eq!(
            ids(&news.briefs, |b| &b.id),
            ["p3", "p2", "p1", "undated", "bad-date"]
        );
        assert_eq!(news.briefs[3].published, None);
        assert_eq!(news.briefs[4].datetime, None);
        assert_eq!(
            news.briefs[0].datetime.as_deref(),
            Some("2024-03-03T09:00:00Z")
        );
    }

    #[test]
    fn without_flags_the_newest_five_lead_and_briefs_are_capped() {
        let items = (0..8)
            .map(|i| {
                let date = format!("2024-01-0{}T12:00:00Z", i + 1);
                item(&format!("i{i}"), Some(&date), &["Politics"], false)
            })
            .collect();
        let feed = Feed {
            items,
            ..Feed::default()
        };
        let news = select(&feed, "politics", 3);
        assert_eq!(
            ids(&news.headlines, |s| &s.id),
            ["i7", "i6", "i5", "i4", "i3"]
        );
        assert_eq!(ids(&news.briefs, |b| &b.id), ["i7", "i6", "i5"]);
    }

    #[test]
    fn brief_text_falls_back_from_summary_to_text_to_html() {
        let base = item("x", None, &["Politics"], false);
        let with = |f: fn(&mut Item)| {
            let mut i = base.clone();
            f(&mut i);
            let feed = Feed {
                items: vec![i],
                ..Feed::default()
            };
            select(&feed, "Politics", 5).briefs.first().cloned()
        };
        let summary = with(|i| {
            i.summary = Some("Short.".into());
            i.content_text = Some("Long.".into());
        });
        assert_eq!(summary.unwrap().text, "Short.");
        let text = with(|i| i.content_text = Some("  Plain text.  ".into()));
        assert_eq!(text.unwrap().text, "Plain text.");
        let html =
            with(|i| i.content_html = Some("<p>Vote  <b>today</b> &amp; tomorrow</p>".into()));
        assert_eq!(html.unwrap().text, "Vote today & tomorrow");
        let neither = with(|i| i.title = None);
        assert_eq!(
            neither, None,
            "an item with no title and no text is not a brief"
        );
    }

    #[test]
    fn only_http_links_survive() {
        let good = item("good", None, &["Politics"], false);
        let mut bad = item("bad", None, &["Politics"], false);
        bad.url = Some("javascript:alert(1)".into());
        let mut data = item("data", None, &["Politics"], false);
        data.url = Some("data:text/html,<script>alert(1)</script>".into());
        let mut none = item("none", None, &["Politics"], false);
        none.url = None;
        let feed = Feed {
            items: vec![good, bad, data, none],
            ..Feed::default()
        };
        let news = select(&feed, "Politics", 5);
        let links: Vec<_> = news.briefs.iter().map(|b| b.link.as_deref()).collect();
        assert_eq!(
            links,
            [Some("https://agency.example/good"), None, None, None]
        );
    }

    // The server's side of the round trip writes with serde, natively.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_hydration_state_reads_back_as_the_very_news_it_was_written_from() {
        // Assemble: news with every optional field both given and missing.
        let mut items: Vec<Item> = (0..4)
            .map(|i| {
                let date = format!("2024-01-0{}T12:00:00.250+02:00", i + 1);
                item(&format!("i{i}"), Some(&date), &["Politics"], i == 0)
            })
            .collect();
        items[1].language = Some("az-Latn-AZ".into());
        items[2].title = None;
        items[2].summary = Some("Only a summary".into());
        items[3].url = None;
        items[3].date_published = None;
        items.push(item("i4", Some("2023-12-16"), &["Politics"], false));
        let feed = Feed {
            title: "Agency".into(),
            language: Some("en".into()),
            items,
        };
        let news = select(&feed, "Politics", 5);
        assert!(news.briefs.iter().any(|b| b.date_only));
        // Action: written as the server writes it, read as the wasm reads it.
        let written = serde_json::to_string(&news).unwrap();
        let read = News::from_state(&Json::parse(&written).unwrap()).unwrap();
        // Assert.
        assert_eq!(read, news);
        assert!(
            !written.contains("null"),
            "nothing empty is written: {written}"
        );
        assert!(!written.contains("datetime"), "{written}");
        assert!(News::from_state(&Json::parse(r#"{"title": "x"}"#).unwrap()).is_none());
        // A link that is not http(s), or a tag that is none, is left out, as from a feed.
        let planted = r#"{"title": "x", "headlines": [{"id": "h", "title": "t",
            "link": "javascript:alert(1)", "lang": "not a tag"}], "briefs": [], "ids": []}"#;
        let read = News::from_state(&Json::parse(planted).unwrap()).unwrap();
        assert_eq!(
            (
                read.headlines[0].link.as_deref(),
                read.headlines[0].lang.as_deref()
            ),
            (None, None)
        );
    }

    #[test]
    fn a_date_alone_sorts_by_its_day_and_stays_that_day() {
        let feed = Feed {
            title: "Agency".into(),
            language: None,
            items: vec![
                item(
                    "old",
                    Some("2023-12-15T23:00:00-05:00"),
                    &["Politics"],
                    false,
                ),
                item("day", Some("2023-12-16"), &["Politics"], false),
                item("new", Some("2023-12-17T01:00:00Z"), &["Politics"], false),
            ],
        };
        let news = select(&feed, "Politics", 5);
        let order: Vec<_> = news.briefs.iter().map(|b| b.id.as_str()).collect();
        // 23:00 at UTC-5 is 04:00 UTC on the 16th: after that day's midnight.
        assert_eq!(order, ["new", "old", "day"]);
        let day = &news.briefs[2];
        assert!(day.date_only);
        assert_eq!(day.datetime.as_deref(), Some("2023-12-16"));
        assert!(!news.briefs[0].date_only);
    }

    #[test]
    fn long_texts_are_shortened_at_a_word_boundary() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four", 10), "one two…");
        assert_eq!(shorten("unbreakableword", 5), "unbre…");
        assert_eq!(shorten("ünïcödé wörds hérè", 12), "ünïcödé…");
        assert_eq!(shorten("first, second", 8), "first…");
    }

    #[test]
    fn flagged_headlines_are_capped_newest_first() {
        // Assemble: thirty flagged items, a day apart.
        let items: Vec<Item> = (1..=30)
            .map(|day| {
                let date = format!("2026-11-{day:02}T09:00:00Z");
                item(&format!("lead-{day}"), Some(&date), &[], true)
            })
            .collect();
        let feed = Feed {
            title: "Agency".into(),
            language: None,
            items,
        };
        // Action.
        let news = select(&feed, "Politics", 5);
        // Assert: the newest twelve.
        assert_eq!(news.headlines.len(), MAX_HEADLINES);
        assert_eq!(news.headlines[0].id, "lead-30");
        assert_eq!(news.headlines[MAX_HEADLINES - 1].id, "lead-19");
    }

    #[test]
    fn a_later_fetch_marks_only_what_it_adds_whatever_the_ids_length() {
        // Assemble: a feed whose ids are 2,000 characters, then the same with one more.
        let long = |n: u8| {
            let path = char::from(b'a' + n).to_string().repeat(2000);
            format!("https://agency.example/{path}")
        };
        let feed = |count: u8| Feed {
            title: "Agency".into(),
            language: None,
            items: (0..count)
                .map(|n| item(&long(n), Some("2026-11-20T09:00:00Z"), &["Politics"], false))
                .collect(),
        };
        let before = select(&feed(2), "Politics", 5);
        // Action.
        let after = select(&feed(3), "Politics", 5).marked_new_since(&before);
        // Assert: one new brief, and ids kept as keys of twelve characters.
        let new: Vec<bool> = after.briefs.iter().map(|b| b.new).collect();
        assert_eq!(new.iter().filter(|n| **n).count(), 1);
        assert!(after.briefs.iter().any(|b| b.new && b.id == long(2)));
        assert!(before.ids.iter().all(|id| id.len() == 12));
        assert_eq!(id_key(""), "9ce48422e8d7");
        assert_eq!(id_key("a"), "dc4c860143ef");
    }
}
