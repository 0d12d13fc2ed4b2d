//! Browser tests (wasm-bindgen-test in headless Chromium): the components mounted into a
//! real DOM, and the platform layer against the browser's own URL, DOMParser and Intl.
#![cfg(target_arch = "wasm32")]

use newswire::components::brief_list::BriefListProps;
use newswire::components::headline_strip::HeadlineStripProps;
use newswire::components::review_prompt::ReviewPromptProps;
use newswire::components::widget::{Notice, WidgetProps};
use newswire::components::{BriefList, HeadlineStrip, ReviewPrompt, Widget};
use newswire::config::Config;
use newswire::i18n::Locale;
use newswire::news::{Brief, Story};
use newswire::platform;
use newswire::state::ReviewDraft;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::{Callback, Renderer};

wasm_bindgen_test_configure!(run_in_browser);

fn mount_point() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

fn one(root: &Element, selector: &str) -> HtmlElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into()
        .unwrap()
}

/// Records what a callback was called with.
fn recorder<T: 'static>() -> (Callback<T>, Rc<RefCell<Vec<T>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    (Callback::from(move |v| sink.borrow_mut().push(v)), seen)
}

#[wasm_bindgen_test]
fn only_http_links_pass_the_browsers_url_parser() {
    assert_eq!(
        platform::http_url("https://agency.example/a b").as_deref(),
        Some("https://agency.example/a%20b")
    );
    assert_eq!(
        platform::http_url("  HTTP://Agency.Example").as_deref(),
        Some("http://agency.example/")
    );
    for bad in [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u{1}javascript:alert(1)",
        "javascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/relative",
        "",
    ] {
        assert_eq!(platform::http_url(bad), None, "{bad:?}");
    }
}

#[wasm_bindgen_test]
async fn html_becomes_text_without_running_or_loading_anything() {
    let text = platform::html_to_text(
        "<p>Vote <b>today</b><script>window.__nwRan = 1</script>\
         <img src=x onerror=\"window.__nwRan = 1\"><style>p{}</style> &amp; tomorrow</p>",
    );
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        ["Vote", "today", "&", "tomorrow"]
    );
    let blocks = platform::html_to_text(
        "<p>One.</p><p>Two.<br>Three.</p><ul><li>Four</li><li>Five</li></ul>",
    );
    assert_eq!(
        blocks.split_whitespace().collect::<Vec<_>>(),
        ["One.", "Two.", "Three.", "Four", "Five"]
    );
    gloo_timers::future::TimeoutFuture::new(50).await;
    let ran = js_sys::Reflect::get(&js_sys::global(), &"__nwRan".into()).unwrap();
    assert!(ran.is_undefined(), "nothing in the HTML ran");
}

#[wasm_bindgen_test]
fn languages_and_colours_are_checked_by_the_browser() {
    assert!(platform::supports_language("az-Latn-AZ"));
    assert!(!platform::supports_language("en_US"));
    assert!(newswire::i18n::is_language_tag("en-GB"));
    assert!(!newswire::i18n::is_language_tag("en_US"));
    assert!(platform::supports_colour("rebeccapurple"));
    assert!(platform::supports_colour("rgb(10 20 30 / 50%)"));
    assert!(!platform::supports_colour("banana"));
    assert!(!platform::supports_colour("rgb(x y z)"));
    // A bad zone (or locale) never throws out of the wasm: it falls back to ISO text.
    let fallback = platform::format_datetime(0, Some("en-GB"), Some("Mars/Olympus"), true);
    assert_eq!(fallback, "1970-01-01T00:00:00.000Z");
}

#[wasm_bindgen_test]
fn dates_follow_the_readers_locale() {
    let ms = 1_701_815_220_000; // 2023-12-05T22:27:00Z
    assert_eq!(
        platform::format_datetime(ms, Some("en-GB"), Some("UTC"), true),
        "5 December 2023 22:27"
    );
    assert_eq!(
        platform::format_datetime(ms, Some("en-GB"), Some("Asia/Baku"), true),
        "6 December 2023 02:27"
    );
    assert!(platform::format_datetime(ms, Some("ru"), Some("UTC"), true).contains("декабря"));
    // A date alone: the day, without a time.
    assert_eq!(
        platform::format_datetime(1_702_684_800_000, Some("en-GB"), Some("UTC"), false),
        "16 December 2023"
    );
}

#[wasm_bindgen_test]
fn the_browser_json_reader_maps_feeds_like_the_native_one() {
    let body = r#"{
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Agency",
        "items": [
            {"id": "a", "title": "First", "_newswire": {"headline": true}},
            {"title": "No id"},
            {"id": 42, "tags": ["Politics", 3]},
            {"id": 7.5},
            {"id": "b", "title": 7, "__proto__": {"headline": true}},
            "not an object", null, [1]
        ]
    }"#;
    let feed = newswire::feed::parse(body).unwrap();
    let ids: Vec<_> = feed.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["a", "42", "b"]);
    assert!(feed.items[0].newswire.headline);
    assert_eq!(feed.items[1].tags, ["Politics"]);
    assert_eq!(feed.items[2].title, None);
    assert_eq!(
        newswire::feed::parse("<html>"),
        Err(newswire::feed::FeedError::InvalidJson)
    );
    assert!(newswire::feed::parse("[]").is_err());
}

#[wasm_bindgen_test]
async fn the_headline_strip_pauses_and_keeps_its_copy_out_of_reach() {
    // Assemble.
    let root = mount_point();
    let (on_toggle, toggles) = recorder::<()>();
    let headlines: Rc<[Story]> = vec![
        Story {
            id: "a".into(),
            title: "Lead one".into(),
            link: Some("https://agency.example/a".into()),
            lang: None,
            new: false,
        },
        Story {
            id: "b".into(),
            title: "Lead two".into(),
            link: Some("https://agency.example/b".into()),
            lang: None,
            new: true,
        },
    ]
    .into();
    Renderer::<HeadlineStrip>::with_root_and_props(
        root.clone(),
        HeadlineStripProps {
            headlines,
            paused: false,
            on_toggle,
            locale: Locale::choose(&[Some("en")]),
            level: 2,
        },
    )
    .render();
    yew::scheduler::flush().await;
    // Action.
    one(&root, "button").click();
    // Assert.
    assert_eq!(toggles.borrow().len(), 1);
    assert_eq!(
        one(&root, "button").get_attribute("aria-label").as_deref(),
        Some("Pause headlines")
    );
    assert_eq!(all(&root, "[part=headline]").len(), 2);
    let copy = one(&root, ".nw-copy");
    assert_eq!(copy.get_attribute("aria-hidden").as_deref(), Some("true"));
    assert!(copy.has_attribute("inert"));
    for link in all(&copy, "a") {
        assert_eq!(link.get_attribute("tabindex").as_deref(), Some("-1"));
    }
    let duration = one(&root, ".nw-track")
        .style()
        .get_property_value("animation-duration");
    assert_eq!(
        duration.unwrap(),
        "12s",
        "short headlines scroll at the slowest speed"
    );
}

#[wasm_bindgen_test]
async fn briefs_render_dated_and_linked() {
    let root = mount_point();
    let briefs: Rc<[Brief]> = vec![Brief {
        id: "one".into(),
        title: Some("<b>Budget</b> vote".into()),
        text: "Members agreed.".into(),
        published: Some(1_701_815_220_000),
        date_only: false,
        datetime: Some("2023-12-05T22:27:00Z".into()),
        link: Some("https://agency.example/one".into()),
        lang: None,
        new: true,
    }]
    .into();
    Renderer::<BriefList>::with_root_and_props(
        root.clone(),
        BriefListProps {
            briefs,
            category: "Politics".into(),
            locale: Locale::choose(&[Some("en-GB")]),
            level: 2,
            time_zone: None,
        },
    )
    .render();
    yew::scheduler::flush().await;
    let time = one(&root, "time");
    assert_eq!(
        time.get_attribute("datetime").as_deref(),
        Some("2023-12-05T22:27:00Z")
    );
    assert!(time.text_content().unwrap().contains("December 2023"));
    let link = one(&root, "[part=brief] a");
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(link.text_content().as_deref(), Some("<b>Budget</b> vote"));
    assert!(
        root.query_selector("b").unwrap().is_none(),
        "feed text is never markup"
    );
    assert_eq!(
        one(&root, "[part=brief] .nw-new").text_content().as_deref(),
        Some("New"),
        "a brief a refresh added is marked"
    );
}

#[wasm_bindgen_test]
async fn the_review_prompt_reports_stars_comments_and_sends() {
    // Assemble.
    let root = mount_point();
    let (on_rate, rates) = recorder::<u8>();
    let (on_comment, comments) = recorder::<String>();
    let (on_submit, submits) = recorder::<()>();
    Renderer::<ReviewPrompt>::with_root_and_props(
        root.clone(),
        ReviewPromptProps {
            draft: ReviewDraft::default(),
            on_rate,
            on_comment,
            on_submit,
            on_restart: Callback::noop(),
            rating: None,
            locale: Locale::choose(&[Some("en")]),
            level: 2,
        },
    )
    .render();
    yew::scheduler::flush().await;
    // Action.
    one(&root, "input[aria-label='3 stars out of 5']").click();
    let textarea: web_sys::HtmlTextAreaElement = one(&root, "textarea").unchecked_into();
    textarea.set_value("Fair and short.");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let input =
        web_sys::InputEvent::new_with_event_init_dict("input", &init.unchecked_into()).unwrap();
    textarea.dispatch_event(&input).unwrap();
    one(&root, "button[type=submit]").click();
    // Assert.
    assert_eq!(*rates.borrow(), [3]);
    assert_eq!(*comments.borrow(), ["Fair and short."]);
    assert_eq!(submits.borrow().len(), 1);
}

#[wasm_bindgen_test]
async fn star_labels_follow_the_browsers_plural_rules_in_each_language() {
    let labels = |tag: &'static str| async move {
        let root = mount_point();
        Renderer::<ReviewPrompt>::with_root_and_props(
            root.clone(),
            ReviewPromptProps {
                draft: ReviewDraft::default(),
                on_rate: Callback::noop(),
                on_comment: Callback::noop(),
                on_submit: Callback::noop(),
                on_restart: Callback::noop(),
                rating: None,
                locale: Locale::choose(&[Some(tag)]),
                level: 2,
            },
        )
        .render();
        yew::scheduler::flush().await;
        all(&root, "input[type=radio]")
            .iter()
            .map(|input| input.get_attribute("aria-label").unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        labels("ru").await,
        [
            "1 звезда из 5",
            "2 звезды из 5",
            "3 звезды из 5",
            "4 звезды из 5",
            "5 звёзд из 5"
        ]
    );
    let arabic = labels("ar").await;
    assert_eq!(arabic[0], "نجمة واحدة من 5");
    assert_eq!(arabic[1], "نجمتان من 5");
    assert_eq!(arabic[2], "3 نجوم من 5");
    assert_eq!(labels("en").await[0], "1 star out of 5");
    assert_eq!(platform::plural_category(11.0, Some("ar")), "many");
    assert_eq!(platform::plural_category(21.0, Some("ru")), "one");
}

#[wasm_bindgen_test]
async fn an_unreachable_feed_ends_in_an_error_state_with_a_retry() {
    // Assemble: port 9 on loopback refuses connections at once.
    let root = mount_point();
    let (config, _) = Config::from_attributes(
        |name| (name == "feed").then(|| "http://127.0.0.1:9/feed.json".to_owned()),
        |url| Some(url.to_owned()),
    )
    .unwrap();
    let (on_notice, notices) = recorder::<Notice>();
    // Action.
    Renderer::<Widget>::with_root_and_props(
        root.clone(),
        WidgetProps {
            config: Rc::new(config),
            on_notice,
            refresh: 0,
            initial: None,
            announced: 0,
        },
    )
    .render();
    for _ in 0..200 {
        yew::scheduler::flush().await;
        if matches!(notices.borrow().last(), Some(Notice::Error(_))) {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    // Assert (a widget whose feed names no stream also says it is not live).
    let told: Vec<Notice> = notices
        .borrow()
        .iter()
        .filter(|n| **n != Notice::Live(None))
        .cloned()
        .collect();
    assert_eq!(
        told,
        [
            Notice::Loading,
            Notice::Error("The news service could not be reached.".into())
        ],
        "the page is told, in the reader's words"
    );
    let alert = one(&root, "[role=alert]");
    assert!(alert
        .text_content()
        .unwrap()
        .contains("can't be shown right now"));
    assert!(alert
        .text_content()
        .unwrap()
        .contains("could not be reached"));
    assert_eq!(
        one(&root, "[role=alert] button").text_content().as_deref(),
        Some("Try again")
    );
}

/// A feed body with `items` (JSON text) and the given feed title.
fn feed_with(title: &str, items: &str) -> String {
    format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": {title}, "items": [{items}]}}"#
    )
}

#[wasm_bindgen_test]
fn hostile_feeds_never_panic_and_one_bad_item_never_hides_the_good_ones() {
    use newswire::feed::{parse, FeedError, MAX_ITEMS};
    use newswire::news::select;
    // Not feeds at all: each is a clear error, never a panic.
    assert_eq!(parse(""), Err(FeedError::InvalidJson));
    assert_eq!(parse("{\"version\": "), Err(FeedError::InvalidJson));
    assert_eq!(
        parse("<!doctype html><title>502 Bad Gateway</title>"),
        Err(FeedError::InvalidJson)
    );
    assert!(matches!(parse("42"), Err(FeedError::NotAFeed(_))));
    assert!(matches!(
        parse(r#"{"items": []}"#),
        Err(FeedError::NotAFeed(_))
    ));
    let deep = "[".repeat(5_000) + &"]".repeat(5_000);
    assert!(parse(&deep).is_err());
    assert!(matches!(
        parse(&format!(
            r#"{{"version": "https://jsonfeed.org/version/1.1", "items": {deep}}}"#
        )),
        Ok(_) | Err(FeedError::NotAFeed(_))
    ));

    // A feed whose good items sit among bad ones.
    let nested = format!(r#"{{"id": "deep", "title": {deep}, "x": {deep}}}"#);
    let long_title = "word ".repeat(4_000);
    let unicode = "مجلس النواب يصوّت \u{202e}txt.exe e\u{301} 👩‍👩‍👧 🇦🇿 नमस्ते";
    let items = [
        r#"{"id": "good-1", "title": "Budget passes", "tags": ["Politics"], "date_published": "2024-03-01T10:00:00Z"}"#.to_owned(),
        r#"{"id": "types", "title": ["not", "text"], "tags": "Politics", "url": 5, "date_published": false, "_newswire": "yes"}"#.to_owned(),
        "17".to_owned(),
        "null".to_owned(),
        r#""a string""#.to_owned(),
        r#"{"title": "No id at all", "tags": ["Politics"]}"#.to_owned(),
        r#"{"id": "bad-date", "title": "Undated", "tags": ["Politics"], "date_published": "yesterday at noon"}"#.to_owned(),
        r#"{"id": "bad-date-2", "title": "Impossible", "tags": ["Politics"], "date_published": "2024-02-30T25:61:00Z"}"#.to_owned(),
        nested,
        format!(r#"{{"id": "long", "title": "{long_title}", "tags": ["Politics"]}}"#),
        format!(r#"{{"id": "unicode", "title": "{unicode}", "summary": "{unicode}", "tags": ["politics"]}}"#),
        r#"{"id": "good-2", "title": "Hearing set", "tags": ["Politics"], "date_published": "2024-03-02T09:00:00+04:00"}"#.to_owned(),
    ]
    .join(",");
    let feed = parse(&feed_with(r#"{"not": "a title"}"#, &items)).unwrap();
    let ids: Vec<_> = feed.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "good-1",
            "types",
            "bad-date",
            "bad-date-2",
            "deep",
            "long",
            "unicode",
            "good-2"
        ]
    );
    assert_eq!(feed.title, "");
    let typed = &feed.items[1];
    assert_eq!((typed.title.as_deref(), typed.url.as_deref()), (None, None));
    assert!(typed.tags.is_empty() && !typed.newswire.headline);

    let news = select(&feed, "Politics", 50);
    let briefs: Vec<_> = news.briefs.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        briefs,
        [
            "good-2",
            "good-1",
            "bad-date",
            "bad-date-2",
            "long",
            "unicode"
        ],
        "dated first, newest first; bad dates count as undated"
    );
    let long = news.briefs.iter().find(|b| b.id == "long").unwrap();
    let shown = long.title.as_deref().unwrap();
    assert!(
        shown.chars().count() <= 201 && shown.ends_with('…'),
        "{shown}"
    );
    assert!(!shown.trim_end_matches('…').ends_with(' '), "cut at a word");
    let unicode_brief = news.briefs.iter().find(|b| b.id == "unicode").unwrap();
    assert_eq!(
        unicode_brief.title.as_deref(),
        Some(unicode),
        "kept exactly"
    );

    // 20,000 items: only the first MAX_ITEMS are considered.
    let many: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"id": "{i}", "title": "Item {i}", "tags": ["Politics"]}}"#))
        .collect();
    let feed = parse(&feed_with("\"Many\"", &many.join(","))).unwrap();
    assert_eq!(feed.items.len(), MAX_ITEMS);
    assert_eq!(feed.items.last().unwrap().id, (MAX_ITEMS - 1).to_string());
}

#[wasm_bindgen_test]
fn memory_stays_flat_across_repeated_feeds() {
    // The allocator must reuse what each fetch frees: a widget refreshes for hours.
    let items: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"id": "{i}", "title": "Item {i} {}", "summary": "{}", "tags": ["Politics"], "date_published": "2024-03-01T10:{:02}:00Z"}}"#,
                "word ".repeat(i % 40),
                "text ".repeat(i % 70),
                i % 60
            )
        })
        .collect();
    let body = feed_with("\"Flat\"", &items.join(","));
    let cycle = || {
        let feed = newswire::feed::parse(&body).unwrap();
        let news = newswire::news::select(&feed, "Politics", 50);
        assert_eq!(news.briefs.len(), 50);
    };
    let pages = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length()
    };
    for _ in 0..30 {
        cycle();
    }
    let settled = pages();
    for _ in 0..300 {
        cycle();
    }
    assert_eq!(pages(), settled, "no growth over 300 more feeds");
}

#[wasm_bindgen_test]
fn the_servers_hydration_state_reads_back_through_json_parse() {
    // Assemble: state as the server writes it (serde, nothing empty written).
    let state = r#"{"title": "Agency", "language": "en",
        "headlines": [{"id": "h", "title": "Lead", "link": "https://agency.example/h"}],
        "briefs": [{"id": "b", "text": "", "title": "Brief", "published": 1701815220500}],
        "ids": ["h", "b", "c"]}"#;
    // Action: read as the wasm reads it, through the browser's JSON.parse.
    let news = newswire::news::News::from_state(&platform::Json::parse(state).unwrap()).unwrap();
    // Assert.
    assert_eq!(
        news.headlines[0].link.as_deref(),
        Some("https://agency.example/h")
    );
    assert_eq!(news.briefs[0].published, Some(1_701_815_220_500));
    assert_eq!(
        news.briefs[0].datetime.as_deref(),
        Some("2023-12-05T22:27:00.500Z")
    );
    assert_eq!(news.ids.len(), 3);
    // Anything else is no state: the widget then renders on its own.
    for bad in [r#"{"news": 7}"#, r#"{"title": "x", "headlines": 3}"#, "[]"] {
        assert!(
            newswire::news::News::from_state(&platform::Json::parse(bad).unwrap()).is_none(),
            "{bad}"
        );
    }
}

/// The browser tier's own feed host (`tests/browser-server.mjs`, which `make test-browser`
/// starts), on another origin than this page, with CORS as a real feed host sends it.
fn host(path: &str) -> String {
    let Some(base) = option_env!("NEWSWIRE_TEST_SERVER") else {
        panic!("NEWSWIRE_TEST_SERVER: run through `make test-browser`, which starts its server")
    };
    format!("{base}{path}")
}

/// What the test server saw for `id`: requests, and how many are still open.
async fn seen(id: &str) -> (u64, u64) {
    let reply = gloo_net::http::Request::get(&host(&format!("/hits/{id}")))
        .send()
        .await
        .unwrap();
    let json = js_sys::JSON::parse(&reply.text().await.unwrap()).unwrap();
    let number = |name: &str| {
        js_sys::Reflect::get(&json, &name.into())
            .unwrap()
            .as_f64()
            .unwrap() as u64
    };
    (number("hits"), number("open"))
}

/// The requests for `id` still open once they have all closed, or after `ms` at the most.
async fn open_after(ms: u32, id: &str) -> u64 {
    let mut open = seen(id).await.1;
    for _ in 0..ms / 50 {
        if open == 0 {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
        open = seen(id).await.1;
    }
    open
}

#[wasm_bindgen_test]
async fn a_feed_is_fetched_then_revalidated_with_its_etag_as_a_bodiless_304() {
    use newswire::feed::Live;
    use newswire::services::{feed::fetch_feed, feed::Fetched, Cancel};
    let url = host("/feed/etag");
    let first = fetch_feed(&url, None, &Cancel::new()).await.unwrap();
    let live = Some(Live {
        stream: "/feed/events".into(),
        revision: 7,
    });
    let etag = match first {
        Ok(Fetched::Fresh {
            feed,
            etag,
            live: named,
        }) => {
            assert_eq!(feed.items.len(), 1);
            assert_eq!(named, live, "the exposed stream and revision are read");
            etag.expect("the exposed ETag is read")
        }
        _ => panic!("a fresh feed"),
    };
    assert_eq!(etag, "\"browser-v1\"");
    let again = fetch_feed(&url, Some(&etag), &Cancel::new()).await.unwrap();
    assert!(
        matches!(&again, Ok(Fetched::Unchanged { live: named }) if *named == live),
        "304 is unchanged, at the revision named"
    );
    assert_eq!(seen("etag").await, (2, 0));
    // A feed whose server names no stream has none.
    let plain = fetch_feed(&host("/feed/plain"), None, &Cancel::new())
        .await
        .unwrap();
    assert!(matches!(plain, Ok(Fetched::Fresh { live: None, .. })));
}

#[wasm_bindgen_test]
fn a_stream_is_followed_only_on_the_feed_s_own_origin_and_a_revision_goes_in_the_query() {
    use newswire::platform::{same_origin, with_revision};
    let feed = "https://agency.example/news/feed.json?lang=en";
    assert_eq!(
        same_origin("/feed/events", feed).as_deref(),
        Some("https://agency.example/feed/events")
    );
    assert_eq!(
        same_origin("https://elsewhere.example/feed/events", feed),
        None
    );
    assert_eq!(same_origin("//elsewhere.example/x", feed), None);
    assert_eq!(same_origin("http://agency.example/feed/events", feed), None);
    assert_eq!(
        with_revision(feed, 12),
        "https://agency.example/news/feed.json?lang=en&rev=12"
    );
    assert_eq!(
        with_revision("https://agency.example/feed.json?rev=3", 4_000_000_000),
        "https://agency.example/feed.json?rev=4000000000"
    );
}

#[wasm_bindgen_test]
async fn server_errors_are_retried_with_a_pause_and_then_succeed() {
    use newswire::services::{feed::fetch_feed, feed::Fetched, Cancel};
    let started = js_sys::Date::now();
    let result = fetch_feed(&host("/flaky/retry"), None, &Cancel::new())
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(Fetched::Fresh { .. })),
        "the third attempt"
    );
    assert_eq!(seen("retry").await.0, 3, "two 503s, then the feed");
    // Two pauses: at least half of 400 ms, then half of 800 ms (the jitter's floor).
    assert!(js_sys::Date::now() - started >= 600.0);
}

#[wasm_bindgen_test]
async fn a_cancelled_fetch_ends_at_once_and_leaves_no_request_open() {
    use newswire::services::{feed::fetch_feed, Cancel};
    // Assemble: a feed whose body never ends, fetched in the background.
    let cancel = Cancel::new();
    let ended = Rc::new(RefCell::new(None));
    let (running, into) = (cancel.clone(), ended.clone());
    wasm_bindgen_futures::spawn_local(async move {
        let result = fetch_feed(&host("/slow/cancel"), None, &running).await;
        *into.borrow_mut() = Some(result.is_none());
    });
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(seen("cancel").await, (1, 1), "on the wire");
    // Action.
    cancel.abort();
    // Assert: well before the fetch's own 8 s deadline could have ended it, it has ended as
    // cancelled, and the server has seen the connection close.
    let open = open_after(2000, "cancel").await;
    gloo_timers::future::TimeoutFuture::new(50).await;
    assert_eq!(
        (*ended.borrow(), open),
        (Some(true), 0),
        "(ended as cancelled, requests open)"
    );
    assert_eq!(seen("cancel").await.0, 1, "and nothing retried");
}

#[wasm_bindgen_test]
async fn a_body_past_the_cap_is_refused_as_it_streams_and_the_stream_is_closed() {
    use newswire::feed::FeedError;
    use newswire::services::{feed::fetch_feed, Cancel};
    let result = fetch_feed(&host("/huge/cap"), None, &Cancel::new())
        .await
        .unwrap();
    match result {
        Err(FeedError::TooLarge(size)) => {
            assert!(size > 2 * 1024 * 1024 && size < 8 * 1024 * 1024, "{size}")
        }
        _ => panic!("too large"),
    }
    assert_eq!(
        open_after(2000, "cap").await,
        0,
        "not read to its 64 MB end"
    );
}
