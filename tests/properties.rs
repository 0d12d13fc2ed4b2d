//! Property tests of the feed parser and the mapper: whatever the feed holds, parsing and
//! selecting never panic, keep their limits, and let only http(s) links through.
//!
//! `make test` runs the default number of cases; `make fuzz` runs many more
//! (`PROPTEST_CASES`). Natively JSON comes from serde_json rather than the browser's
//! `JSON.parse`, but everything after parsing is the code the wasm runs.
#![cfg(not(target_arch = "wasm32"))]

use newswire::feed::{parse, MAX_ITEMS};
use newswire::news::select;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Any JSON value, nested a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(Value::from),
        any_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Text with the awkward parts: markup, schemes, RTL, combining marks, emoji, controls.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z<>\"'&;:/#=()\\t\\n]{0,80}",
        Just("javascript:alert(1)".to_owned()),
        Just(" \tJaVa\tScRiPt:alert(1)".to_owned()),
        Just("https://agency.example/story".to_owned()),
        Just("//evil.example/x".to_owned()),
        Just("مجلس e\u{301} 👩‍👩‍👧 \u{202e}x".to_owned()),
        Just("2024-03-01T10:00:00Z".to_owned()),
        Just("Politics".to_owned()),
    ]
}

/// Mostly the names a feed item uses, so that generated values reach the mapper.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "url",
            "external_url",
            "title",
            "summary",
            "content_text",
            "content_html",
            "date_published",
            "tags",
            "_newswire",
            "headline",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// A feed whose items are arbitrary values, most of them objects with item fields.
fn any_feed() -> impl Strategy<Value = Value> {
    let item = prop_oneof![
        4 => prop::collection::btree_map(field_name(), any_json(), 0..10)
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        1 => any_json(),
    ];
    (
        any_json(),
        prop::collection::vec(item, 0..40),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(title, items, versioned)| {
            let mut feed = json!({ "title": title, "items": items });
            if versioned {
                feed["version"] = json!("https://jsonfeed.org/version/1.1");
            }
            feed
        })
}

fn check(body: &str, category: &str, max_briefs: usize) {
    let Ok(feed) = parse(body) else { return };
    assert!(feed.items.len() <= MAX_ITEMS);
    for (i, item) in feed.items.iter().enumerate() {
        assert!(!item.id.trim().is_empty());
        assert!(feed.items[..i].iter().all(|earlier| earlier.id != item.id));
    }
    let news = select(&feed, category, max_briefs);
    assert!(news.briefs.len() <= max_briefs);
    let links = news
        .headlines
        .iter()
        .filter_map(|s| s.link.as_deref())
        .chain(news.briefs.iter().filter_map(|b| b.link.as_deref()));
    for link in links {
        assert!(
            link.starts_with("http://") || link.starts_with("https://"),
            "{link}"
        );
    }
    for title in news
        .headlines
        .iter()
        .map(|s| s.title.as_str())
        .chain(news.briefs.iter().filter_map(|b| b.title.as_deref()))
    {
        assert!(title.chars().count() <= 201, "{title}");
    }
    for brief in news.briefs.iter() {
        assert!(brief.text.chars().count() <= 321);
    }
}

proptest! {
    #[test]
    fn any_feed_shaped_json_parses_and_maps_within_limits(
        feed in any_feed(),
        category in any_text(),
        max_briefs in 1usize..60,
    ) {
        check(&feed.to_string(), &category, max_briefs);
    }

    #[test]
    fn any_text_at_all_is_an_error_or_a_feed_never_a_panic(body in any::<String>()) {
        check(&body, "Politics", 5);
    }
}
