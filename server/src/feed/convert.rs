//! Feed input: a JSON Feed is taken as it is; RSS 2.0 and Atom are converted to JSON Feed.
//! Categories become `tags`, and the newest item in the headline category (default
//! `Headline`) is flagged `"_newswire": {"headline": true}`. [`check`] lists every problem
//! of a feed, item by item, for `newswire-server check`.

use crate::net::log::printable;
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
    #[error("{0}")]
    Encoding(#[from] crate::feed::decode::DecodeError),
}

/// A feed as read from its bytes: the JSON Feed, the encoding its bytes were in, whether it
/// came as JSON Feed (served as it came when nothing needs changing), and what converting
/// RSS or Atom left out (for `check`).
#[derive(Debug, Clone)]
pub struct Converted {
    pub feed: Value,
    pub encoding: &'static str,
    pub json: bool,
    pub notes: Vec<String>,
}

/// The feed in `bytes` (JSON Feed, RSS or Atom, in any encoding `decode` knows), with the
/// `charset` of the HTTP response that carried it, if any.
pub fn read(
    bytes: &[u8],
    http_charset: Option<&str>,
    headline_category: &str,
) -> Result<Converted, ConvertError> {
    let (text, encoding) = crate::feed::decode::decode(bytes, http_charset)?;
    let json = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{');
    let mut notes = Vec::new();
    Ok(Converted {
        feed: to_json_feed_noting(&text, headline_category, &mut notes)?,
        encoding: encoding.name(),
        json,
        notes,
    })
}

/// Makes every item's `date_published` and `date_modified` one the widget reads: RFC 3339,
/// or a date alone. Another form that can be read (RFC 2822, W3CDTF without seconds) is
/// rewritten; one that cannot is dropped, so the item shows undated rather than not at all.
/// Whether anything changed: a feed whose dates were all fine is served byte for byte.
pub fn normalise_dates(feed: &mut Value) -> bool {
    let mut changed = false;
    let Some(items) = feed.get_mut("items").and_then(Value::as_array_mut) else {
        return false;
    };
    for item in items.iter_mut().filter_map(Value::as_object_mut) {
        for key in ["date_published", "date_modified"] {
            let Some(value) = item.get(key) else { continue };
            if value.as_str().is_some_and(|d| parse_date(d).is_some()) {
                continue;
            }
            changed = true;
            match value.as_str().and_then(read_date) {
                Some(date) => item.insert(key.into(), json!(date)),
                None => item.remove(key),
            };
        }
    }
    changed
}

/// The links a feed may give relative to where it is published: the feed's own two, and
/// each item's page.
const FEED_LINKS: [&str; 2] = ["home_page_url", "feed_url"];
const ITEM_LINKS: [&str; 2] = ["url", "external_url"];

/// Makes each relative link in `feed` absolute against `base` (where the feed is
/// published), as a reader resolves a relative link on a web page: `story.html#a` in the
/// feed at `https://agency.example/news/feed.json` is that folder's `story.html`. The
/// widget shows the feed on a partner's page, where a relative link would point into the
/// partner's site, so it links only absolute http(s) URLs; this keeps a feed written with
/// relative links (the demo's, so that it follows the server's address) linking to its
/// stories. A link with a scheme of its own (`javascript:`, too) is left as it is, for the
/// widget to judge. Whether anything changed.
pub fn resolve_links(feed: &mut Value, base: &str) -> bool {
    let mut changed = false;
    let mut resolve = |object: &mut serde_json::Map<String, Value>, keys: &[&str]| {
        for key in keys {
            let Some(link) = object.get(*key).and_then(Value::as_str) else {
                continue;
            };
            if has_scheme(link) {
                continue;
            }
            if let Some(absolute) = newswire::platform::resolve_url(link.trim(), base) {
                object.insert((*key).into(), json!(absolute));
                changed = true;
            }
        }
    };
    if let Some(top) = feed.as_object_mut() {
        resolve(top, &FEED_LINKS);
    }
    if let Some(items) = feed.get_mut("items").and_then(Value::as_array_mut) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            resolve(item, &ITEM_LINKS);
        }
    }
    changed
}

/// Whether `link` starts with a URL scheme (`https:`, `javascript:`): it is not relative.
/// Whether the feed in `bytes` links anything relative to where it is published: then
/// what is served depends on that place (`--public-url`, or the server's own address).
pub fn has_relative_links(bytes: &[u8], headline_category: &str) -> bool {
    read(bytes, None, headline_category)
        .is_ok_and(|mut read| resolve_links(&mut read.feed, "http://newswire.invalid/"))
}

fn has_scheme(link: &str) -> bool {
    let link = link.trim_start();
    link.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The deepest element nesting read from RSS or Atom. Real feeds nest a handful of levels
/// (Atom's xhtml content a few more); a document far deeper is refused at once.
pub const MAX_DEPTH: usize = 64;

/// The feed in `text` (JSON Feed, RSS 2.0 or Atom) as a usable JSON Feed.
pub fn to_json_feed(text: &str, headline_category: &str) -> Result<Value, ConvertError> {
    to_json_feed_noting(text, headline_category, &mut Vec::new())
}

/// The same, with what converting RSS or Atom left out (an entry with nothing to name it
/// by, a date that cannot be read, a link that is not absolute) in `notes`, for `check`.
fn to_json_feed_noting(
    text: &str,
    headline_category: &str,
    notes: &mut Vec<String>,
) -> Result<Value, ConvertError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let feed = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| ConvertError::Json(e.to_string()))?
    } else if trimmed.starts_with('<') {
        from_xml(trimmed, headline_category, notes)?
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
    modified: Option<String>,
    tags: Vec<String>,
    authors: Vec<String>,
    /// Atom's `xml:lang` on the entry.
    language: Option<String>,
    /// What the conversion left out, for `check` to name: (field, value).
    dropped: Vec<(&'static str, String)>,
}

#[derive(Default)]
struct Channel {
    title: Option<String>,
    link: Option<String>,
    description: Option<String>,
    /// RSS's `<language>` (or `dc:language`), Atom's `xml:lang` on the feed.
    language: Option<String>,
}

fn from_xml(
    text: &str,
    headline_category: &str,
    notes: &mut Vec<String>,
) -> Result<Value, ConvertError> {
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
                    entry = Some(Entry {
                        language: attribute(&start, "lang"),
                        ..Entry::default()
                    });
                }
                if name == "feed" && path.is_empty() {
                    channel.language = attribute(&start, "lang");
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
                        "language" => channel.language = Some(value),
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
    Ok(assemble(channel, entries, headline_category, notes))
}

/// Whether an element holds an entry's content or summary, whose nested markup is text.
fn is_text(name: &str) -> bool {
    name == "content" || name == "summary"
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
        ("pubDate" | "date", "item") | ("published", "entry") => {
            e.date = read_date(&value);
            if e.date.is_none() {
                e.dropped.push((
                    if parent == "item" {
                        "pubDate"
                    } else {
                        "published"
                    },
                    value,
                ));
            }
        }
        ("updated", "entry") => {
            e.modified = read_date(&value);
            if e.modified.is_none() {
                e.dropped.push(("updated", value));
            }
            if e.date.is_none() {
                e.date = e.modified.clone();
            }
        }
        ("modified", "item") => {
            e.modified = read_date(&value);
            if e.modified.is_none() {
                e.dropped.push(("modified", value));
            }
        }
        ("category" | "subject", "item") => e.tags.push(value),
        ("author" | "creator", "item") | ("name", "author") => e.authors.push(value),
        _ => {}
    }
}

fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>')
}

/// The JSON Feed of `channel` and `entries`; what was left out of them goes in `notes`, an
/// item at a time, for `check`.
fn assemble(
    channel: Channel,
    entries: Vec<Entry>,
    headline_category: &str,
    notes: &mut Vec<String>,
) -> Value {
    let mut items: Vec<Value> = Vec::new();
    let mut headline: Option<(usize, Option<String>)> = None;
    for (n, e) in entries.into_iter().enumerate() {
        // An id the widget's model would drop (longer than `MAX_LINK`) gives way to the next.
        let fits = |id: &String| id.len() <= newswire::feed::MAX_LINK;
        let id =
            e.id.clone()
                .filter(fits)
                .or_else(|| e.link.clone().filter(fits))
                .or_else(|| {
                    e.title.clone().map(|t| {
                        format!("{t} {}", e.date.clone().unwrap_or_default())
                            .trim()
                            .to_owned()
                    })
                })
                .filter(fits)
                .or_else(|| text_id(&e));
        let Some(id) = id else {
            notes.push(format!(
                "entry {}: has no id, link, title or text, so it is dropped",
                n + 1
            ));
            continue;
        };
        let at = format!("item {} (id {})", items.len() + 1, printable(&id));
        for (field, value) in &e.dropped {
            notes.push(format!(
                "{at}: {field} {:?} is not a date we can read, so it is left out",
                printable(value)
            ));
        }
        let date = e.date.clone();
        if e.tags
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case(headline_category))
        {
            let newer = match &headline {
                None => true,
                Some((_, best)) => date.as_deref().map(date_key) > best.as_deref().map(date_key),
            };
            if newer {
                headline = Some((items.len(), date.clone()));
            }
        }
        let mut item = Map::new();
        item.insert("id".into(), json!(id));
        let given = e.link.clone();
        let link = e
            .link
            .filter(|l| is_http(l))
            .or_else(|| e.id.filter(|g| is_http(g)));
        if let (Some(given), None) = (given, &link) {
            notes.push(format!(
                "{at}: link {:?} is not an absolute http(s) URL of at most {} bytes, so it is \
                 not linked",
                printable(&given.chars().take(80).collect::<String>()),
                newswire::feed::MAX_LINK
            ));
        }
        let fields = [
            ("url", link),
            ("title", e.title),
            ("summary", e.summary),
            ("content_html", e.html),
            ("content_text", e.text),
            ("date_published", date),
            ("date_modified", e.modified),
            ("language", e.language),
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
    if let Some(language) = channel.language.filter(|l| !l.trim().is_empty()) {
        feed["language"] = json!(language.trim());
    }
    feed
}

/// An http(s) link of at most [`newswire::feed::MAX_LINK`] bytes, the longest the widget's
/// model reads: a longer one is dropped here too, not cut.
fn is_http(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && s.len() <= newswire::feed::MAX_LINK
}

/// A sortable form of a feed date: UTC milliseconds (a date alone at its midnight).
fn date_key(s: &str) -> i64 {
    parse_date(s).map_or(i64::MIN, |(ms, _)| ms)
}

/// An id for an item with neither guid, link nor title, only text (RSS allows it, and a
/// politics brief is often just that): a SHA-256 of the text, the same in every poll and
/// every release, so that the widget's "New" marks stay put.
fn text_id(e: &Entry) -> Option<String> {
    use sha2::{Digest, Sha256};
    let text = [&e.summary, &e.html, &e.text]
        .into_iter()
        .find_map(|t| t.as_deref().map(str::trim).filter(|t| !t.is_empty()))?;
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("text:{hex}"))
}

/// A date from a feed, in the form the widget reads: RFC 3339 as it is, a date alone
/// (`2023-12-16`) as it is, and RFC 2822 (RSS's `pubDate`) or any other W3CDTF form (RSS
/// 1.0's `dc:date`: a year, a month, or minutes without seconds) rewritten. `None` for
/// anything else.
pub fn read_date(s: &str) -> Option<String> {
    let s = s.trim();
    if parse_date(s).is_some() {
        return Some(s.to_owned());
    }
    rfc2822_to_rfc3339(s).or_else(|| w3cdtf(s))
}

/// The W3CDTF forms that are not already RFC 3339: `YYYY` and `YYYY-MM` (read as the
/// period's first day, a date alone), and `YYYY-MM-DDThh:mmTZD` (seconds 00).
fn w3cdtf(s: &str) -> Option<String> {
    let candidate = match s.len() {
        4 => format!("{s}-01-01"),
        7 => format!("{s}-01"),
        _ if s.len() > 16 && s.as_bytes().get(16) != Some(&b':') => {
            format!("{}:00{}", s.get(..16)?, s.get(16..)?)
        }
        _ => return None,
    };
    parse_date(&candidate).map(|_| candidate)
}

/// Milliseconds and "a date alone" for a date the widget reads.
fn parse_date(s: &str) -> Option<(i64, bool)> {
    newswire::date::parse_date(s)
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
    /// The encoding the feed was read in (`UTF-8`, `windows-1252`…), when it could be.
    pub encoding: Option<&'static str>,
}

/// Checks the feed in `bytes` (any accepted format and encoding; `http_charset` from the
/// response that carried it) field by field, as the server will serve it: its relative links
/// made absolute against `base` (where it is published: a feed URL itself; for a file, the
/// server's `--public-url` or address, which `check` stands in for), and every item the
/// widget would drop named. `items` is how many it keeps.
pub fn check(
    bytes: &[u8],
    http_charset: Option<&str>,
    headline_category: &str,
    base: &str,
) -> Report {
    let (mut feed, encoding, mut problems) = match read(bytes, http_charset, headline_category) {
        Ok(read) => (read.feed, read.encoding, read.notes),
        Err(err) => {
            let encoding = crate::feed::decode::decode(bytes, http_charset)
                .ok()
                .map(|(_, e)| e.name());
            return Report {
                usable: false,
                items: 0,
                problems: vec![printable(&format!("the feed is unusable: {err}"))],
                encoding,
            };
        }
    };
    resolve_links(&mut feed, base);
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
        if id.len() > newswire::feed::MAX_LINK {
            problems.push(format!(
                "item {n}: id is longer than {} bytes, so the item is dropped",
                newswire::feed::MAX_LINK
            ));
            continue;
        }
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
                Some(Value::String(u)) if u.len() > newswire::feed::MAX_LINK => {
                    problems.push(format!(
                        "{at}: {key} is longer than {} bytes, so it is not linked",
                        newswire::feed::MAX_LINK
                    ))
                }
                Some(_) => problems.push(format!(
                    "{at}: {key} is not an http(s) URL, so it is not linked"
                )),
            }
        }
        for key in ["date_published", "date_modified"] {
            match fields.get(key) {
                None => {}
                Some(Value::String(d)) if parse_date(d).is_some() => {}
                Some(Value::String(d)) => match read_date(d) {
                    Some(read) => problems.push(format!(
                        "{at}: {key} {:?} is not RFC 3339; it is served as {read}",
                        printable(d)
                    )),
                    None => problems.push(format!(
                        "{at}: {key} {:?} is not a date we can read, so it is left out",
                        printable(d)
                    )),
                },
                Some(_) => problems.push(format!("{at}: {key} is not RFC 3339")),
            }
        }
        match fields.get("tags") {
            None => {}
            Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {}
            Some(_) => problems.push(format!("{at}: tags is not a list of text")),
        }
    }
    // What the widget's model keeps: items with a usable id, each id once.
    let kept = newswire::feed::parse(&feed.to_string()).map_or(0, |model| model.items.len());
    Report {
        usable: true,
        items: kept,
        problems,
        encoding: Some(encoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = include_str!("../../tests/fixtures/agency.rss");
    const ATOM: &str = include_str!("../../tests/fixtures/agency.atom");

    fn item<'a>(feed: &'a Value, id: &str) -> &'a Value {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}"))
    }

    /// Where `check` takes a file's feed to be published.
    const BASE: &str = "https://agency.example/feed.json";

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn declared_encodings_are_decoded_character_for_character() {
        /// The file, the HTTP charset, the encoding used, and (id, title, summary) expected.
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            &'a str,
            &'a [(&'a str, &'a str, &'a str)],
        );
        let cases: [Case; 6] = [
            (
                "encodings/latin1-declared.rss",
                None,
                "windows-1252",
                &[
                    (
                        "pt-1",
                        "Expansão da rede de metrô aprovada",
                        "A câmara votou a favor; o orçamento é de 5 € milhões.",
                    ),
                    (
                        "de-1",
                        "Glasfaserförderung für Dörfer",
                        "Die Förderung gilt ab März.",
                    ),
                ],
            ),
            (
                "encodings/cp1252-declared.rss",
                None,
                "windows-1252",
                &[(
                    "fr-1",
                    "Comité élu à Genève",
                    "Le conseil a «\u{a0}tranché\u{a0}» — enfin.",
                )],
            ),
            (
                "encodings/cp1251.rss",
                None,
                "windows-1251",
                &[(
                    "ru-1",
                    "Парламент утвердил бюджет",
                    "Голосование прошло в среду; «за» — 31 депутат.",
                )],
            ),
            (
                "encodings/cp1254.rss",
                None,
                "windows-1254",
                &[(
                    "tr-1",
                    "Meclis bütçeyi onayladı",
                    "İstanbul, Şişli ve Üsküdar için ğ, ı, ç, ö.",
                )],
            ),
            (
                "encodings/utf16-bom.rss",
                None,
                "UTF-16LE",
                &[(
                    "az-1",
                    "Milli Məclis büdcəni təsdiqlədi",
                    "Səsvermə çərşənbə günü keçirildi; Əli Həsənov çıxış etdi.",
                )],
            ),
            (
                "encodings/cp1251-undeclared.rss",
                Some("windows-1251"),
                "windows-1251",
                &[("ru-2", "Дума", "")],
            ),
        ];
        for (name, charset, encoding, expected) in cases {
            let read =
                read(&fixture(name), charset, "Headline").unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(read.encoding, encoding, "{name}");
            for (id, title, text) in expected {
                let got = item(&read.feed, id);
                assert_eq!(got["title"], *title, "{name}");
                if !text.is_empty() {
                    assert_eq!(got["summary"], *text, "{name}");
                }
            }
        }
        // Read as UTF-8, as before, the same bytes would have lost their letters.
        let lossy = String::from_utf8_lossy(&fixture("encodings/cp1251.rss")).into_owned();
        assert!(lossy.contains('\u{fffd}'));
    }

    #[test]
    fn an_unknown_encoding_is_refused_by_name() {
        let err = read(&fixture("encodings/unknown.rss"), None, "Headline").unwrap_err();
        assert_eq!(
            err.to_string(),
            "it declares the encoding \"x-newsroom-7\", which is not one we know"
        );
        let report = check(&fixture("encodings/unknown.rss"), None, "Headline", BASE);
        assert!(!report.usable);
        let report = check(&fixture("encodings/cp1254.rss"), None, "Headline", BASE);
        assert_eq!(report.encoding, Some("windows-1254"));
    }

    #[test]
    fn relative_links_resolve_against_where_the_feed_is_published_and_others_stay() {
        let mut feed = json!({
            "home_page_url": "./",
            "feed_url": "feed.json",
            "items": [
                {"id": "a", "url": "story.html#a", "external_url": "/elsewhere"},
                {"id": "b", "url": "https://agency.example/b", "external_url": "//cdn.example/b"},
                {"id": "c", "url": "javascript:alert(1)", "external_url": " JavaScript:x"},
                {"id": "d", "url": 7}
            ]
        });
        assert!(resolve_links(&mut feed, "http://127.0.0.1:9000/feed.json"));
        assert_eq!(feed["home_page_url"], "http://127.0.0.1:9000/");
        assert_eq!(feed["feed_url"], "http://127.0.0.1:9000/feed.json");
        let items = &feed["items"];
        assert_eq!(items[0]["url"], "http://127.0.0.1:9000/story.html#a");
        assert_eq!(items[0]["external_url"], "http://127.0.0.1:9000/elsewhere");
        assert_eq!(items[1]["url"], "https://agency.example/b");
        assert_eq!(items[1]["external_url"], "http://cdn.example/b");
        // A scheme of its own is not relative: the widget refuses it, as before.
        assert_eq!(items[2]["url"], "javascript:alert(1)");
        assert_eq!(items[2]["external_url"], " JavaScript:x");
        assert_eq!(items[3]["url"], 7);
        // An absolute feed is left alone, so it is served byte for byte.
        let mut absolute = json!({"items": [{"id": "b", "url": "https://agency.example/b"}]});
        assert!(!resolve_links(
            &mut absolute,
            "http://127.0.0.1:9000/feed.json"
        ));
    }

    #[test]
    fn every_w3cdtf_form_is_read_and_a_date_alone_stays_a_date() {
        let feed = read(&fixture("dates.rdf"), None, "Headline").unwrap().feed;
        let date = |id: &str| {
            item(&feed, &format!("https://harbour-wire.example/{id}"))["date_published"].clone()
        };
        assert_eq!(date("day"), "2026-11-16");
        assert_eq!(date("minutes"), "2026-11-16T10:30:00+04:00");
        assert_eq!(date("seconds"), "2026-11-16T10:30:15.25Z");
        assert_eq!(date("month"), "2026-10-01");
        assert_eq!(date("year"), "2025-01-01");
        assert_eq!(date("bad"), Value::Null, "an unreadable date is left out");
        let day = item(&feed, "https://harbour-wire.example/day");
        assert_eq!(day["date_modified"], "2026-11-17T08:15:00+01:00");
        assert_eq!(day["tags"], json!(["Politics"]), "dc:subject");
    }

    #[test]
    fn items_with_only_text_are_kept_with_a_stable_id() {
        let feed = read(&fixture("untitled.rss"), None, "Headline")
            .unwrap()
            .feed;
        let items = feed["items"].as_array().unwrap();
        assert_eq!(
            items.len(),
            3,
            "the item with nothing to show is still dropped"
        );
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        // The SHA-256 of the text, so the same in every poll and every release.
        assert_eq!(ids[0], "text:46d27e6e2491313e2c4e2df6d3798705");
        assert!(ids
            .iter()
            .all(|id| id.starts_with("text:") && id.len() == 37));
        assert_ne!(ids[0], ids[1]);
        assert_eq!(
            items[0]["summary"],
            "The port authority confirmed the night ferry will run until March."
        );
        assert!(items[2]["content_html"]
            .as_str()
            .unwrap()
            .contains("back on"));
        let again = read(&fixture("untitled.rss"), None, "Headline")
            .unwrap()
            .feed;
        assert_eq!(again, feed);
    }

    #[test]
    fn json_feed_dates_in_another_form_are_normalised_and_reported() {
        let bytes = fixture("rfc2822-dates.json");
        let mut feed = read(&bytes, None, "Headline").unwrap().feed;
        assert!(normalise_dates(&mut feed));
        assert_eq!(
            item(&feed, "mail")["date_published"],
            "2026-11-27T19:17:58Z"
        );
        assert_eq!(
            item(&feed, "good")["date_published"],
            "2026-11-27T09:00:00Z"
        );
        assert_eq!(item(&feed, "bad").get("date_published"), None);
        assert_eq!(item(&feed, "bad")["date_modified"], "2026-11-28");
        // A feed whose dates are all fine is left alone.
        assert!(!normalise_dates(&mut feed));
        let report = check(&bytes, None, "Headline", BASE);
        assert_eq!(
            report.problems,
            [
                "item 1 (id mail): date_published \"Fri, 27 Nov 2026 12:17:58 -0700\" is not RFC 3339; it is served as 2026-11-27T19:17:58Z",
                "item 3 (id bad): date_published \"last Friday\" is not a date we can read, so it is left out",
            ]
        );
    }

    #[test]
    fn rss_becomes_json_feed_with_tags_dates_html_and_one_headline() {
        let feed = to_json_feed(RSS, "Headline").unwrap();
        assert_eq!(feed["version"], JSON_FEED_VERSION);
        assert_eq!(feed["title"], "Harbour Wire & Partners");
        assert_eq!(feed["home_page_url"], "https://harbour-wire.example/");
        assert_eq!(
            feed["language"], "en-gb",
            "RSS <language> is JSON Feed's language"
        );
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
        let report = check(feed.to_string().as_bytes(), None, "Headline", BASE);
        assert_eq!(
            report.problems,
            ["item 1 (id a\\u{1b}[2J\\u{1b}]0;owned\\u{7}): date_published \"no\" is not a date we can read, so it is left out"]
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
        let report = check(feed.to_string().as_bytes(), None, "Headline", BASE);
        assert!(report.usable);
        assert_eq!(report.items, 3, "a, b and c: the items the widget keeps");
        assert_eq!(
            report.problems,
            [
                "item 2 (id b): date_published \"27/11/2026\" is not a date we can read, so it is left out",
                "item 3: id is missing, so the item is dropped",
                "item 4 (id a): id repeats an earlier item, so the item is dropped",
                "item 5 (id c): has no title, summary or content to show",
                "item 5 (id c): url is not an http(s) URL, so it is not linked",
                "item 5 (id c): tags is not a list of text",
                "item 6: is not an object",
            ]
        );
        let unusable = check(b"<html>oops</html>", None, "Headline", BASE);
        assert!(!unusable.usable);
        assert_eq!(unusable.problems.len(), 1);
    }

    /// Ids and links the widget's model would drop: an RSS item whose guid is too long keeps
    /// its link as its id, and `check` names a JSON Feed item it drops for its id.
    #[test]
    fn over_long_ids_give_way_in_rss_and_are_named_by_check() {
        let long = format!("urn:agency:{}", "g".repeat(newswire::feed::MAX_LINK));
        let rss = format!(
            "<rss version=\"2.0\"><channel><title>T</title><item><guid>{long}</guid>\
             <link>https://agency.example/kept</link><title>Kept</title></item></channel></rss>"
        );
        let feed = to_json_feed(&rss, "Headline").unwrap();
        assert_eq!(feed["items"][0]["id"], "https://agency.example/kept");
        let json = format!(
            r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "T",
                "items": [{{"id": "{long}", "title": "Dropped"}}, {{"id": "a", "title": "A"}}]}}"#
        );
        let report = check(json.as_bytes(), None, "Headline", BASE);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("id is longer than 2048 bytes")),
            "{:?}",
            report.problems
        );
    }

    /// Atom's `xml:lang`, on the feed and on an entry, is JSON Feed's `language`.
    #[test]
    fn atom_languages_are_kept() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="az"><title>T</title>
            <entry xml:lang="ru"><id>e1</id><title>Дума</title></entry>
            <entry><id>e2</id><title>Məclis</title></entry></feed>"#;
        let feed = to_json_feed(atom, "Headline").unwrap();
        assert_eq!(feed["language"], "az");
        assert_eq!(feed["items"][0]["language"], "ru");
        assert_eq!(feed["items"][1].get("language"), None);
    }

    /// `check` says what the server will serve: relative links made absolute, and every
    /// date and link that RSS or Atom conversion leaves out named with its item.
    #[test]
    fn check_names_what_conversion_leaves_out_and_takes_relative_links_as_served() {
        let rss = r#"<rss version="2.0"><channel><title>T</title>
            <item><guid>r1</guid><title>Dated</title><pubDate>yesterday</pubDate>
                  <link>story.html</link></item>
            <item><guid>r2</guid><title>Fine</title><link>https://agency.example/r2</link></item>
            </channel></rss>"#;
        let report = check(rss.as_bytes(), None, "Headline", BASE);
        assert_eq!(report.items, 2);
        assert_eq!(
            report.problems,
            [
                "item 1 (id r1): pubDate \"yesterday\" is not a date we can read, so it is left out",
                "item 1 (id r1): link \"story.html\" is not an absolute http(s) URL of at most 2048 bytes, so it is not linked",
            ]
        );
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
            <entry><id>a1</id><title>A</title><published>last tuesday</published></entry></feed>"#;
        let report = check(atom.as_bytes(), None, "Headline", BASE);
        assert_eq!(
            report.problems,
            ["item 1 (id a1): published \"last tuesday\" is not a date we can read, so it is left out"]
        );
        // A JSON Feed's relative links are served absolute: nothing to say.
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "items": [{"id": "j", "title": "J", "url": "story.html#j"}]}"#;
        let report = check(json.as_bytes(), None, "Headline", BASE);
        assert_eq!(report.problems, Vec::<String>::new());
    }
}
