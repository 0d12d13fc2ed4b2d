//! Where a feed's hub is: WebSub's discovery. The HTTP `Link` headers of the feed's response
//! come first, then the feed itself: `atom:link rel="hub"` and `rel="self"` in RSS and Atom,
//! and `hubs` of type `WebSub` (with `feed_url` as the topic) in JSON Feed. Only absolute
//! http(s) URLs count. Without a `self` link the topic is the URL the feed was fetched from.

use quick_xml::events::Event;

/// A hub and the topic to subscribe to there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub hub: String,
    pub topic: String,
}

/// The hub and topic that `links` (the response's `Link` header values) and `body` (the
/// feed) name, for a feed fetched from `url`; `None` when neither names a hub.
pub fn discover(links: &[String], body: &[u8], url: &str) -> Option<Found> {
    let (mut hub, mut topic) = link_headers(links);
    if hub.is_none() {
        let (in_hub, in_topic) = in_feed(body);
        hub = in_hub;
        topic = topic.or(in_topic);
    }
    Some(Found {
        hub: hub?,
        topic: topic.unwrap_or_else(|| url.to_owned()),
    })
}

/// An absolute http(s) URL, as given; else nothing.
fn web(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// Whether `rels` (a `rel` value: space-separated link relations) has `name`.
fn has_rel(rels: &str, name: &str) -> bool {
    rels.split_ascii_whitespace()
        .any(|rel| rel.eq_ignore_ascii_case(name))
}

/// The first `hub` and `self` in `Link` header values: `<url>; rel="hub", <url>; rel=self`.
fn link_headers(values: &[String]) -> (Option<String>, Option<String>) {
    let (mut hub, mut this) = (None, None);
    for value in values {
        let mut rest = value.as_str();
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let target = &rest[open + 1..open + close];
            let after = &rest[open + close + 1..];
            // The parameters run to the next link (a comma, then `<`).
            let end = after.find('<').unwrap_or(after.len());
            for param in after[..end].split(';') {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                if !name.trim().eq_ignore_ascii_case("rel") {
                    continue;
                }
                let rels = value.trim().trim_end_matches(',').trim().trim_matches('"');
                if has_rel(rels, "hub") && hub.is_none() {
                    hub = web(target);
                }
                if has_rel(rels, "self") && this.is_none() {
                    this = web(target);
                }
            }
            rest = &after[end..];
        }
    }
    (hub, this)
}

/// The hub and self links a feed's own text names.
fn in_feed(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('{') {
        in_json(start)
    } else {
        in_xml(body)
    }
}

/// JSON Feed: `hubs: [{"type": "WebSub", "url": …}]`, and `feed_url` as the topic.
fn in_json(text: &str) -> (Option<String>, Option<String>) {
    let Ok(feed) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, None);
    };
    let hub = feed["hubs"].as_array().and_then(|hubs| {
        hubs.iter().find_map(|h| {
            let websub = h["type"].as_str()?.eq_ignore_ascii_case("websub");
            websub.then(|| web(h["url"].as_str()?)).flatten()
        })
    });
    (hub, feed["feed_url"].as_str().and_then(web))
}

/// RSS and Atom: `<link rel="hub" href="…"/>` (as `atom:link` in RSS), at any depth; the
/// reader stops at the first item or entry, where a feed's own links have ended.
fn in_xml(body: &[u8]) -> (Option<String>, Option<String>) {
    let mut reader = quick_xml::Reader::from_reader(body);
    let (mut hub, mut this) = (None, None);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let name = e.local_name();
                let name = name.as_ref();
                if name == b"item" || name == b"entry" {
                    break;
                }
                if name == b"link" {
                    let (mut rel, mut href) = (None, None);
                    for attribute in e.attributes().flatten() {
                        let value = attribute.unescape_value().ok().map(|v| v.into_owned());
                        match attribute.key.local_name().as_ref() {
                            b"rel" => rel = value,
                            b"href" => href = value,
                            _ => {}
                        }
                    }
                    if let (Some(rel), Some(href)) = (rel, href) {
                        if has_rel(&rel, "hub") && hub.is_none() {
                            hub = web(&href);
                        }
                        if has_rel(&rel, "self") && this.is_none() {
                            this = web(&href);
                        }
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    (hub, this)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_come_first_with_any_spelling_of_rel() {
        let links = vec![
            r#"<https://agency.example/feed.json>; rel="self", <https://hub.example/>; rel="hub""#
                .to_owned(),
        ];
        let found = discover(&links, b"{}", "https://agency.example/x").unwrap();
        assert_eq!(found.hub, "https://hub.example/");
        assert_eq!(found.topic, "https://agency.example/feed.json");
        let separate = vec![
            "<https://hub.example/a>; rel=hub".to_owned(),
            "<https://agency.example/t>; rel=\"alternate self\"".to_owned(),
        ];
        let found = discover(&separate, b"", "https://agency.example/x").unwrap();
        assert_eq!(
            (found.hub.as_str(), found.topic.as_str()),
            ("https://hub.example/a", "https://agency.example/t")
        );
    }

    #[test]
    fn the_feed_names_its_hub_in_rss_atom_and_json_feed() {
        let rss = br#"<?xml version="1.0"?><rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>
            <atom:link rel="hub" href="https://hub.example/rss"/>
            <atom:link rel="self" href="https://agency.example/rss.xml"/>
            <link>https://agency.example/</link><item><atom:link rel="hub" href="https://no.example/"/></item>
            </channel></rss>"#;
        let found = discover(&[], rss, "https://agency.example/fetched").unwrap();
        assert_eq!(found.hub, "https://hub.example/rss");
        assert_eq!(found.topic, "https://agency.example/rss.xml");
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/atom"/></feed>"#;
        let found = discover(&[], atom, "https://agency.example/atom.xml").unwrap();
        assert_eq!(found.hub, "https://hub.example/atom");
        assert_eq!(
            found.topic, "https://agency.example/atom.xml",
            "the URL fetched"
        );
        let json = br#"{"feed_url": "https://agency.example/feed.json", "hubs": [
            {"type": "rssCloud", "url": "https://cloud.example/"},
            {"type": "WebSub", "url": "https://hub.example/json"}]}"#;
        let found = discover(&[], json, "https://agency.example/x").unwrap();
        assert_eq!(found.hub, "https://hub.example/json");
        assert_eq!(found.topic, "https://agency.example/feed.json");
    }

    #[test]
    fn no_hub_or_one_that_is_not_a_web_url_is_none() {
        assert_eq!(
            discover(&[], b"{\"items\": []}", "https://a.example/"),
            None
        );
        let links = vec!["<javascript:alert(1)>; rel=hub".to_owned()];
        assert_eq!(discover(&links, b"", "https://a.example/"), None);
        assert_eq!(
            discover(&["<https://h.example/>".to_owned()], b"<rss", "u"),
            None
        );
    }
}
