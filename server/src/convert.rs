//! Feed input: a JSON Feed is taken as it is; RSS 2.0 and Atom are converted to JSON Feed.
//! Categories become `tags`, and the newest item in the headline category (default
//! `Headline`) is flagged `"_newswire": {"headline": true}`. [`check`] lists every problem
//! of a feed, item by item, for `newswire-server check`.

use newswire::date::{civil_from_days, days_from_civil};
use quick_xml::escape::{resolve_html5_entity, resolve_xml_entity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Map, Value};

const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Why a source is not a usable feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("it is neither JSON Feed, RSS nor Atom")]
    UnknownFormat,
    #[error("it is not valid JSON: {0}")]
    Json(String),
    #[error("it is not well-formed XML: {0}")]
    Xml(String),
    #[error("it is not a JSON Feed: {0}")]
    NotAFeed(&'static str),
    #[error("it nests elements deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// The deepest element nesting read from RSS or Atom. Real feeds nest a handful of levels
/// (Atom's xhtml content a few more); a document far deeper is refused at once.
pub const MAX_DEPTH: usize = 64;

/// The feed in `text` (JSON Feed, RSS 2.0 or Atom) as a usable JSON Feed.
pub fn to_json_feed(text: &str, headline_category: &str) -> Result<Value, ConvertError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let feed = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| ConvertError::Json(e.to_string()))?
    } else if trimmed.starts_with('<') {
        from_xml(trimmed, headline_category)?
    } else {
        return Err(ConvertError::UnknownFormat);
    };
    usable(&feed)?;
    Ok(feed)
}

/// What the widget needs at the least: an object with a JSON Feed version and a list of items.
fn usable(feed: &Value) -> Result<(), ConvertError> {
    let version = feed.get("version").and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("https://jsonfeed.org/version/1")) {
        return Err(ConvertError::NotAFeed("no JSON Feed version"));
    }
    if !feed.get("items").is_some_and(Value::is_array) {
        return Err(ConvertError::NotAFeed("no list of items"));
    }
    Ok(())
}

/// One RSS item or Atom entry as it is read.
#[derive(Default)]
struct Entry {
    id: Option<String>,
    link: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    html: Option<String>,
    text: Option<String>,
    date: Option<String>,
    tags: Vec<String>,
    authors: Vec<String>,
}

#[derive(Default)]
struct Channel {
    title: Option<String>,
    link: Option<String>,
    description: Option<String>,
}

fn from_xml(text: &str, headline_category: &str) -> Result<Value, ConvertError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut atom = None::<bool>;
    let mut channel = Channel::default();
    let mut entries: Vec<Entry> = Vec::new();
    let mut entry: Option<Entry> = None;
    let mut content_type = String::new();
    let mut buffer = String::new();
    // How many of the open elements are an entry's content or summary: kept as a count, so
    // that each tag costs the same however deep it sits.
    let mut text_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ConvertError::Xml(e.to_string()))?;
        match event {
            Event::Start(start) => {
                let name = local_name(&start);
                if atom.is_none() {
                    atom = match name.as_str() {
                        "rss" | "RDF" => Some(false),
                        "feed" => Some(true),
                        _ => return Err(ConvertError::UnknownFormat),
                    };
                }
                if matches!(name.as_str(), "item" | "entry") {
                    entry = Some(Entry::default());
                }
                on_attributes(
                    &start,
                    &name,
                    atom == Some(true),
                    &mut entry,
                    &mut channel,
                    &path,
                );
                // Inside content or a summary (Atom's xhtml nests elements there), the text
                // of every nested element counts; elsewhere each element starts afresh.
                if text_depth > 0 {
                    buffer.push(' ');
                } else {
                    content_type = attribute(&start, "type").unwrap_or_default();
                    buffer.clear();
                }
                if path.len() >= MAX_DEPTH {
                    return Err(ConvertError::TooDeep);
                }
                text_depth += usize::from(is_text(&name));
                path.push(name);
            }
            Event::Empty(start) => {
                let name = local_name(&start);
                on_attributes(
                    &start,
                    &name,
                    atom == Some(true),
                    &mut entry,
                    &mut channel,
                    &path,
                );
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(t.as_ref()).unwrap_or_default();
                let unescaped = quick_xml::escape::unescape_with(raw, |e| {
                    resolve_xml_entity(e).or_else(|| resolve_html5_entity(e))
                })
                .map_err(|e| ConvertError::Xml(e.to_string()))?;
                buffer.push_str(&unescaped);
            }
            Event::CData(c) => buffer.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                let Some(name) = path.pop() else { continue };
                text_depth -= usize::from(is_text(&name));
                if text_depth > 0 {
                    buffer.push(' ');
                    continue;
                }
                let value = std::mem::take(&mut buffer).trim().to_owned();
                let parent = path.last().map(String::as_str).unwrap_or_default();
                if let Some(e) = entry.as_mut() {
                    on_entry_field(e, &name, parent, value, &content_type);
                    if matches!(name.as_str(), "item" | "entry") {
                        entries.push(entry.take().unwrap_or_default());
                    }
                } else if matches!(parent, "channel" | "feed") && !value.is_empty() {
                    match name.as_str() {
                        "title" => channel.title = Some(value),
                        "link" if channel.link.is_none() => channel.link = Some(value),
                        "description" | "subtitle" => channel.description = Some(value),
                        _ => {}
                    }
                }
            }
            Event::Eof => {
                // A file cut short (half written, say) is not a feed with fewer items.
                if let Some(open) = path.last() {
                    return Err(ConvertError::Xml(format!(
                        "the document ends inside <{}>",
                        printable(open)
                    )));
                }
                break;
            }
            _ => {}
        }
    }
    if atom.is_none() {
        return Err(ConvertError::UnknownFormat);
    }
    Ok(assemble(channel, entries, headline_category))
}

/// Whether an element holds an entry's content or summary, whose nested markup is text.
fn is_text(name: &str) -> bool {
    name == "content" || name == "summary"
}

/// `s` with every control character written out as an escape (`\u{1b}`), so that text from
/// a feed printed to a terminal cannot move the cursor, recolour or clear it.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Atom carries links and categories in attributes.
fn on_attributes(
    start: &BytesStart<'_>,
    name: &str,
    atom: bool,
    entry: &mut Option<Entry>,
    channel: &mut Channel,
    path: &[String],
) {
    if !atom {
        return;
    }
    match name {
        "link" => {
            let rel = attribute(start, "rel").unwrap_or_else(|| "alternate".into());
            let href = attribute(start, "href");
            if rel != "alternate" {
                return;
            }
            match entry.as_mut() {
                Some(e) if e.link.is_none() => e.link = href,
                None if path.last().map(String::as_str) == Some("feed") => channel.link = href,
                _ => {}
            }
        }
        "category" => {
            if let (Some(e), Some(term)) = (entry.as_mut(), attribute(start, "term")) {
                e.tags.push(term);
            }
        }
        _ => {}
    }
}

fn on_entry_field(e: &mut Entry, name: &str, parent: &str, value: String, kind: &str) {
    if value.is_empty() {
        return;
    }
    match (name, parent) {
        ("guid" | "id", "item" | "entry") => e.id = Some(value),
        ("link", "item") => e.link = Some(value),
        ("title", "item" | "entry") => e.title = Some(value),
        ("description", "item") | ("summary", "entry") => {
            if looks_like_html(&value) || kind == "html" {
                e.html.get_or_insert(value);
            } else {
                e.summary = Some(value);
            }
        }
        ("encoded", "item") => e.html = Some(value),
        ("content", "entry") => match kind {
            "html" | "xhtml" => e.html = Some(value),
            _ => e.text = Some(value),
        },
        ("pubDate" | "date", "item") => e.date = rfc2822_to_rfc3339(&value).or(Some(value)),
        ("published", "entry") => e.date = Some(value),
        ("updated", "entry") if e.date.is_none() => e.date = Some(value),
        ("category", "item") => e.tags.push(value),
        ("author" | "creator", "item") | ("name", "author") => e.authors.push(value),
        _ => {}
    }
}

fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>')
}

fn assemble(channel: Channel, entries: Vec<Entry>, headline_category: &str) -> Value {
    let mut items: Vec<Value> = Vec::new();
    let mut headline: Option<(usize, Option<String>)> = None;
    for e in entries {
        let id = e.id.clone().or_else(|| e.link.clone()).or_else(|| {
            e.title.clone().map(|t| {
                format!("{t} {}", e.date.clone().unwrap_or_default())
                    .trim()
                    .to_owned()
            })
        });
        let Some(id) = id else { continue };
        let date = e.date.clone().filter(|d| is_rfc3339(d));
        if e.tags
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case(headline_category))
        {
            let newer = match &headline {
                None => true,
                Some((_, best)) => {
                    date.as_deref().map(rfc3339_key) > best.as_deref().map(rfc3339_key)
                }
            };
            if newer {
                headline = Some((items.len(), date.clone()));
            }
        }
        let mut item = Map::new();
        item.insert("id".into(), json!(id));
        let link = e
            .link
            .filter(|l| is_http(l))
            .or_else(|| e.id.filter(|g| is_http(g)));
        let fields = [
            ("url", link),
            ("title", e.title),
            ("summary", e.summary),
            ("content_html", e.html),
            ("content_text", e.text),
            ("date_published", date),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                item.insert(key.into(), json!(value));
            }
        }
        if !e.tags.is_empty() {
            item.insert("tags".into(), json!(e.tags));
        }
        if !e.authors.is_empty() {
            let authors: Vec<Value> = e.authors.iter().map(|a| json!({ "name": a })).collect();
            item.insert("authors".into(), Value::Array(authors));
        }
        items.push(Value::Object(item));
    }
    if let Some((index, _)) = headline {
        items[index]["_newswire"] = json!({ "headline": true });
    }
    let mut feed = json!({
        "version": JSON_FEED_VERSION,
        "title": channel.title.unwrap_or_default(),
        "items": items,
    });
    if let Some(link) = channel.link.filter(|l| is_http(l)) {
        feed["home_page_url"] = json!(link);
    }
    if let Some(description) = channel.description {
        feed["description"] = json!(description);
    }
    feed
}

fn is_http(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A sortable form of an RFC 3339 time: UTC seconds.
fn rfc3339_key(s: &str) -> i64 {
    parse_rfc3339(s).unwrap_or(i64::MIN)
}

/// Seconds since the epoch for an RFC 3339 date-time, or `None` if it is not one: the
/// widget's own parser, so that a date the server accepts is one the widget sorts by.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    newswire::date::parse_rfc3339(s).map(|ms| ms.div_euclid(1000))
}

/// Whether `s` is an RFC 3339 date-time.
pub fn is_rfc3339(s: &str) -> bool {
    parse_rfc3339(s).is_some()
}

/// RSS dates (RFC 822/2822: `Wed, 02 Oct 2002 13:00:00 GMT`) as RFC 3339, in UTC.
pub fn rfc2822_to_rfc3339(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.split_once(',').map_or(s, |(_, rest)| rest).trim();
    let mut parts = s.split_whitespace();
    let day: i64 = parts.next()?.parse().ok()?;
    let month = parts.next()?.get(..3)?.to_ascii_lowercase();
    let month = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| *m == month)? as i64
        + 1;
    let year: i64 = match parts.next()?.parse::<i64>().ok()? {
        y @ 0..=49 => 2000 + y,
        y @ 50..=99 => 1900 + y,
        y => y,
    };
    let mut clock = parts.next()?.split(':');
    let hour: i64 = clock.next()?.parse().ok()?;
    let minute: i64 = clock.next()?.parse().ok()?;
    let second: i64 = clock.next().map_or(Some(0), |s| s.parse().ok())?;
    let zone = parts.next().unwrap_or("GMT");
    let offset_minutes = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        "EST" => -300,
        "EDT" => -240,
        "CST" => -360,
        "CDT" => -300,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let h: i64 = z.get(1..3)?.parse().ok()?;
            let m: i64 = z.get(3..5)?.parse().ok()?;
            (h * 60 + m) * if z.starts_with('-') { -1 } else { 1 }
        }
        _ => return None,
    };
    if !(1..=31).contains(&day)
        || !(1..=9999).contains(&year)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let t = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

/// Every problem `newswire-server check` reports, and whether the widget could use the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub usable: bool,
    pub items: usize,
    pub problems: Vec<String>,
}

/// Checks the feed in `text` (any accepted format) field by field.
pub fn check(text: &str, headline_category: &str) -> Report {
    let feed = match to_json_feed(text, headline_category) {
        Ok(feed) => feed,
        Err(err) => {
            return Report {
                usable: false,
                items: 0,
                problems: vec![printable(&format!("the feed is unusable: {err}"))],
            }
        }
    };
    let mut problems = Vec::new();
    if !feed.get("title").is_some_and(Value::is_string) {
        problems.push("feed: title is missing or not text".to_owned());
    }
    let items = feed["items"].as_array().cloned().unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    for (n, item) in items.iter().enumerate() {
        let n = n + 1;
        let Some(fields) = item.as_object() else {
            problems.push(format!("item {n}: is not an object"));
            continue;
        };
        let id = match fields.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(num)) if num.is_i64() || num.is_u64() => num.to_string(),
            _ => {
                problems.push(format!("item {n}: id is missing, so the item is dropped"));
                continue;
            }
        };
        let at = format!("item {n} (id {})", printable(&id));
        if !seen.insert(id) {
            problems.push(format!(
                "{at}: id repeats an earlier item, so the item is dropped"
            ));
        }
        for key in ["title", "summary", "content_text", "content_html"] {
            if fields.get(key).is_some_and(|v| !v.is_string()) {
                problems.push(format!("{at}: {key} is not text"));
            }
        }
        if !["title", "summary", "content_text", "content_html"]
            .iter()
            .any(|k| {
                fields
                    .get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.trim().is_empty())
            })
        {
            problems.push(format!("{at}: has no title, summary or content to show"));
        }
        for key in ["url", "external_url"] {
            match fields.get(key) {
                None => {}
                Some(Value::String(u)) if is_http(u) => {}
                Some(_) => problems.push(format!(
                    "{at}: {key} is not an http(s) URL, so it is not linked"
                )),
            }
        }
        for key in ["date_published", "date_modified"] {
            match fields.get(key) {
                None => {}
                Some(Value::String(d)) if is_rfc3339(d) => {}
                Some(_) => problems.push(format!("{at}: {key} is not RFC 3339")),
            }
        }
        match fields.get("tags") {
            None => {}
            Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {}
            Some(_) => problems.push(format!("{at}: tags is not a list of text")),
        }
    }
    Report {
        usable: true,
        items: items.len(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = include_str!("../tests/fixtures/agency.rss");
    const ATOM: &str = include_str!("../tests/fixtures/agency.atom");

    fn item<'a>(feed: &'a Value, id: &str) -> &'a Value {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}"))
    }

    #[test]
    fn rss_becomes_json_feed_with_tags_dates_html_and_one_headline() {
        let feed = to_json_feed(RSS, "Headline").unwrap();
        assert_eq!(feed["version"], JSON_FEED_VERSION);
        assert_eq!(feed["title"], "Harbour Wire & Partners");
        assert_eq!(feed["home_page_url"], "https://harbour-wire.example/");
        assert_eq!(
            feed["description"], "Briefs from the harbour district\u{a0}newsroom",
            "an HTML entity outside CDATA"
        );
        let ferry = item(&feed, "hw-2041");
        assert_eq!(
            ferry["url"],
            "https://harbour-wire.example/news/ferry-timetable"
        );
        assert_eq!(ferry["date_published"], "2026-11-26T17:05:00Z");
        assert_eq!(ferry["tags"], json!(["Politics", "Headline"]));
        assert_eq!(ferry["authors"], json!([{ "name": "Mira Odell" }]));
        assert_eq!(
            ferry["content_html"],
            "<p>The vote was <b>31 to 9</b>; the new timetable starts in spring.</p>"
        );
        assert_eq!(
            ferry["_newswire"]["headline"], true,
            "the newest Headline item"
        );
        let bridge = item(&feed, "https://harbour-wire.example/news/bridge");
        assert!(
            bridge.get("_newswire").is_none(),
            "an older Headline item is not flagged"
        );
        assert_eq!(bridge["summary"], "Traffic returns after the repairs.");
        let hearing = item(&feed, "https://harbour-wire.example/news/budget-hearing");
        assert_eq!(
            hearing["title"],
            "Budget hearing \u{2013} what was said \u{2019}tonight\u{2019}"
        );
        assert_eq!(
            hearing["date_published"], "2026-11-26T14:30:00Z",
            "EST, no seconds"
        );
        assert!(hearing["content_html"]
            .as_str()
            .unwrap()
            .contains("<a href="));
        let bare = item(&feed, "hw-2039");
        assert!(bare.get("url").is_none() && bare.get("date_published").is_none());
        assert_eq!(
            item(&feed, "An item that has nothing to identify it")["title"],
            "An item that has nothing to identify it"
        );
    }

    #[test]
    fn atom_becomes_json_feed() {
        let feed = to_json_feed(ATOM, "Headline").unwrap();
        assert_eq!(feed["title"], "Harbour Wire (Atom)");
        assert_eq!(feed["home_page_url"], "https://harbour-wire.example/");
        let ferry = item(&feed, "urn:hw:2041");
        assert_eq!(
            ferry["url"],
            "https://harbour-wire.example/news/ferry-timetable"
        );
        assert_eq!(
            ferry["date_published"], "2026-11-26T17:05:00Z",
            "published, not updated"
        );
        assert_eq!(ferry["content_html"], "<p>The vote was 31 to 9.</p>");
        assert_eq!(ferry["authors"], json!([{ "name": "Mira Odell" }]));
        assert_eq!(ferry["_newswire"]["headline"], true);
        let hearing = item(&feed, "urn:hw:2040");
        assert_eq!(hearing["content_text"], "Members asked about the budget.");
        assert_eq!(hearing["date_published"], "2026-11-26T09:30:00+04:00");
        assert_eq!(hearing["tags"], json!(["Politics"]));
    }

    #[test]
    fn unusable_sources_are_refused_with_a_reason() {
        assert_eq!(
            to_json_feed("hello", "Headline"),
            Err(ConvertError::UnknownFormat)
        );
        assert!(matches!(
            to_json_feed("{oops", "Headline"),
            Err(ConvertError::Json(_))
        ));
        assert_eq!(
            to_json_feed("<rss><channel><title>Cut short", "Headline"),
            Err(ConvertError::Xml("the document ends inside <title>".into())),
            "a half-written file is refused, so the last good copy stays"
        );
        assert_eq!(
            to_json_feed("<html><body>502</body></html>", "Headline"),
            Err(ConvertError::UnknownFormat)
        );
        assert_eq!(
            to_json_feed(r#"{"items": []}"#, "Headline"),
            Err(ConvertError::NotAFeed("no JSON Feed version"))
        );
    }

    #[test]
    fn deep_nesting_is_refused_at_once_and_reasonable_nesting_is_read() {
        // 300,000 nested elements: scanning the open path at every tag took hours.
        let deep = format!("<rss><channel>{}", "<x>".repeat(300_000));
        assert_eq!(to_json_feed(&deep, "Headline"), Err(ConvertError::TooDeep));
        let atom = format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>x1</id>
            <content type="xhtml">{}deep text{}</content></entry></feed>"#,
            "<div>".repeat(MAX_DEPTH - 5),
            "</div>".repeat(MAX_DEPTH - 5)
        );
        let feed = to_json_feed(&atom, "Headline").unwrap();
        assert_eq!(feed["items"][0]["content_html"], "deep text");
    }

    #[test]
    fn check_escapes_terminal_codes_in_what_it_prints() {
        let feed = json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "items": [{"id": "a\u{1b}[2J\u{1b}]0;owned\u{7}", "title": "x", "date_published": "no"}]
        });
        let report = check(&feed.to_string(), "Headline");
        assert_eq!(
            report.problems,
            ["item 1 (id a\\u{1b}[2J\\u{1b}]0;owned\\u{7}): date_published is not RFC 3339"]
        );
        assert!(report
            .problems
            .iter()
            .all(|p| !p.chars().any(char::is_control)));
    }

    #[test]
    fn atom_xhtml_content_keeps_all_its_text() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
            <entry><id>x1</id><title>X</title>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First part.</p><p>Second <b>bold</b> part.</p></div></content>
            </entry></feed>"#;
        let feed = to_json_feed(atom, "Headline").unwrap();
        let html = feed["items"][0]["content_html"].as_str().unwrap();
        let words: Vec<&str> = html.split_whitespace().collect();
        assert_eq!(words, ["First", "part.", "Second", "bold", "part."]);
        assert_eq!(
            rfc2822_to_rfc3339("Mon, 01 Jan 99999999999 00:00:00 GMT"),
            None
        );
    }

    #[test]
    fn dates_convert_and_check() {
        assert_eq!(
            rfc2822_to_rfc3339("Sat, 07 Sep 2002 00:00:01 +0230").as_deref(),
            Some("2002-09-06T21:30:01Z")
        );
        assert_eq!(
            rfc2822_to_rfc3339("7 Sep 02 10:00 PDT").as_deref(),
            Some("2002-09-07T17:00:00Z")
        );
        assert_eq!(rfc2822_to_rfc3339("yesterday"), None);
        assert!(is_rfc3339("2026-11-27T07:40:00.25+04:00"));
        for bad in [
            "2026-02-30T10:00:00Z",
            "2026-11-27 7:40",
            "2026-11-27T07:40:00",
            "26 Nov 2026",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn check_names_the_item_and_the_field() {
        let feed = json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "items": [
                {"id": "a", "title": "Fine", "date_published": "2026-11-27T07:40:00Z"},
                {"id": "b", "title": "Bad date", "date_published": "27/11/2026"},
                {"title": "No id"},
                {"id": "a", "title": "Again"},
                {"id": "c", "url": "javascript:alert(1)", "tags": "Politics"},
                "not an object"
            ]
        });
        let report = check(&feed.to_string(), "Headline");
        assert!(report.usable);
        assert_eq!(report.items, 6);
        assert_eq!(
            report.problems,
            [
                "item 2 (id b): date_published is not RFC 3339",
                "item 3: id is missing, so the item is dropped",
                "item 4 (id a): id repeats an earlier item, so the item is dropped",
                "item 5 (id c): has no title, summary or content to show",
                "item 5 (id c): url is not an http(s) URL, so it is not linked",
                "item 5 (id c): tags is not a list of text",
                "item 6: is not an object",
            ]
        );
        let unusable = check("<html>oops</html>", "Headline");
        assert!(!unusable.usable);
        assert_eq!(unusable.problems.len(), 1);
    }
}
