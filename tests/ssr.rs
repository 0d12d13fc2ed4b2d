//! Native render tests: each component rendered to HTML by yew's server renderer.
#![cfg(not(target_arch = "wasm32"))]

use newswire::components::brief_list::BriefListProps;
use newswire::components::headline_strip::HeadlineStripProps;
use newswire::components::review_prompt::ReviewPromptProps;
use newswire::components::widget::WidgetProps;
use newswire::components::{BriefList, HeadlineStrip, ReviewPrompt, Widget};
use newswire::config::Config;
use newswire::i18n::{Lang, Locale};
use newswire::news::{Brief, Story};
use newswire::review::ReviewError;
use newswire::state::{ReviewDraft, ReviewStatus};
use std::rc::Rc;
use yew::{BaseComponent, Callback, LocalServerRenderer};

fn render<C: BaseComponent>(props: C::Properties) -> String {
    futures::executor::block_on(
        LocalServerRenderer::<C>::with_props(props)
            .hydratable(false)
            .render(),
    )
}

fn story(id: &str, title: &str, link: Option<&str>) -> Story {
    Story {
        id: id.into(),
        title: title.into(),
        link: link.map(Into::into),
        lang: None,
        new: false,
    }
}

fn brief(id: &str, title: Option<&str>, text: &str, link: Option<&str>) -> Brief {
    Brief {
        id: id.into(),
        title: title.map(Into::into),
        text: text.into(),
        published: Some(1_701_815_220_000),
        date_only: false,
        datetime: Some("2023-12-05T22:27:00Z".into()),
        link: link.map(Into::into),
        lang: None,
        new: false,
    }
}

fn locale(tag: &str) -> Locale {
    Locale::choose(&[Some(tag)])
}

fn english() -> Locale {
    locale("en")
}

/// Renders the whole widget from attributes, in its first (loading) state.
fn widget(attrs: &[(&str, &str)]) -> String {
    let (config, _) = Config::from_attributes(
        |name| {
            attrs
                .iter()
                .chain(&[("feed", "https://agency.example/feed.json")])
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        },
        |url| Some(url.to_owned()),
    )
    .unwrap();
    render::<Widget>(WidgetProps {
        config: Rc::new(config),
        on_notice: Callback::noop(),
        refresh: 0,
        initial: None,
        announced: 0,
    })
}

#[test]
fn headline_strip_lists_each_story_once_for_readers() {
    // Assemble.
    let headlines: Rc<[Story]> = vec![
        story(
            "a",
            "Assembly backs the rail line",
            Some("https://agency.example/a"),
        ),
        story("b", "No link here", None),
    ]
    .into();
    // Action.
    let html = render::<HeadlineStrip>(HeadlineStripProps {
        headlines,
        paused: false,
        on_toggle: Callback::noop(),
        locale: english(),
        level: 2,
    });
    // Assert.
    assert_eq!(html.matches(r#"part="headline""#).count(), 2, "{html}");
    assert!(html.contains(r#"part="headlines""#));
    assert!(html.contains(r#"aria-label="Pause headlines""#));
    assert!(
        html.contains(r#"aria-hidden="true""#),
        "the copy is hidden: {html}"
    );
    assert!(html.contains("inert"));
    assert!(html.contains(r#"href="https://agency.example/a""#));
    assert!(html.contains(r#"rel="noopener noreferrer""#));
    assert_eq!(html.matches("Assembly backs the rail line").count(), 2);
}

#[test]
fn a_paused_strip_offers_to_play_and_an_empty_one_renders_nothing() {
    let one: Rc<[Story]> = vec![story("a", "Lead", None)].into();
    let paused = render::<HeadlineStrip>(HeadlineStripProps {
        headlines: one,
        paused: true,
        on_toggle: Callback::noop(),
        locale: english(),
        level: 2,
    });
    assert!(paused.contains(r#"aria-label="Play headlines""#));
    assert!(paused.contains("is-paused"));
    let empty = render::<HeadlineStrip>(HeadlineStripProps {
        headlines: Rc::from(Vec::new()),
        paused: false,
        on_toggle: Callback::noop(),
        locale: english(),
        level: 2,
    });
    assert_eq!(empty.trim(), "");
}

#[test]
fn brief_list_shows_dated_linked_briefs_as_text() {
    let briefs: Rc<[Brief]> = vec![
        brief(
            "one",
            Some("<script>alert(1)</script> Budget vote"),
            "Members agreed.",
            Some("https://agency.example/one"),
        ),
        brief(
            "two",
            None,
            "A hearing drew a crowd.",
            Some("https://agency.example/two"),
        ),
        Brief {
            new: true,
            ..brief("three", Some("Plain"), "", None)
        },
        // A date alone: shown as that day, whatever the zone, without a time.
        Brief {
            published: Some(1_702_684_800_000),
            date_only: true,
            datetime: Some("2023-12-16".into()),
            ..brief("four", Some("Dated by day"), "", None)
        },
    ]
    .into();
    let html = render::<BriefList>(BriefListProps {
        briefs,
        category: "Politics".into(),
        locale: english(),
        level: 2,
        time_zone: Some("America/New_York".into()),
    });
    assert!(
        html.contains(r#"<time datetime="2023-12-16" class="nw-brief-date">2023-12-16</time>"#),
        "{html}"
    );
    assert_eq!(html.matches(r#"part="brief""#).count(), 4);
    assert_eq!(
        html.matches(r#"<span part="new" class="nw-new">New</span>"#)
            .count(),
        1,
        "only the brief a refresh added is marked: {html}"
    );
    assert!(html.contains(r#"part="briefs""#));
    assert!(
        html.contains("Latest in \u{2068}Politics\u{2069}"),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<time datetime="2023-12-05T22:27:00Z" class="nw-brief-date">2023-12-05 17:27 EST</time>"#
        ),
        "{html}"
    );
    assert!(!html.contains("<script>"), "feed text is escaped: {html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("Read the full story"));
    assert_eq!(html.matches("<a ").count(), 2, "no link without a URL");
}

#[test]
fn an_empty_brief_list_says_so() {
    let html = render::<BriefList>(BriefListProps {
        briefs: Rc::from(Vec::new()),
        category: "Economy".into(),
        locale: english(),
        level: 2,
        time_zone: None,
    });
    assert!(html.contains("No briefs in \u{2068}Economy\u{2069} right now."));
    assert!(!html.contains("<ol"));
}

fn prompt(draft: ReviewDraft) -> String {
    render::<ReviewPrompt>(ReviewPromptProps {
        draft,
        on_rate: Callback::noop(),
        on_comment: Callback::noop(),
        on_submit: Callback::noop(),
        on_restart: Callback::noop(),
        rating: None,
        locale: english(),
        level: 2,
    })
}

#[test]
fn review_prompt_shows_the_public_summary_only_when_given() {
    let props = |rating: Option<&'static str>| ReviewPromptProps {
        draft: ReviewDraft::default(),
        on_rate: Callback::noop(),
        on_comment: Callback::noop(),
        on_submit: Callback::noop(),
        on_restart: Callback::noop(),
        rating: rating.map(|text| yew::html! { { text } }),
        locale: english(),
        level: 2,
    };
    let with = render::<ReviewPrompt>(props(Some("4.6 ★ · 120 reader reviews")));
    assert!(with.contains(r#"part="rating""#), "{with}");
    assert!(with.contains("4.6 ★ · 120 reader reviews"));
    assert!(!render::<ReviewPrompt>(props(None)).contains(r#"part="rating""#));
}

#[test]
fn review_prompt_is_a_labelled_star_radio_group() {
    let html = prompt(ReviewDraft {
        rating: Some(4),
        ..ReviewDraft::default()
    });
    assert!(html.contains("Leave a review"));
    assert_eq!(html.matches(r#"type="radio""#).count(), 5);
    assert!(html.contains(r#"aria-label="1 star out of 5""#));
    assert!(html.contains(r#"aria-label="4 stars out of 5""#));
    assert_eq!(html.matches("is-lit").count(), 4);
    assert!(html.contains(r#"maxlength="1000""#));
    for part in ["review", "stars", "comment", "submit", "status"] {
        assert!(html.contains(&format!(r#"part="{part}""#)), "part {part}");
    }
}

#[test]
fn review_prompt_shows_sending_thanks_and_errors() {
    let sending = prompt(ReviewDraft {
        rating: Some(5),
        status: ReviewStatus::Sending,
        ..ReviewDraft::default()
    });
    assert!(sending.contains("Sending your review…"));
    assert!(sending.contains("disabled"));

    let thanks = prompt(ReviewDraft {
        rating: Some(5),
        status: ReviewStatus::Stored(12),
        ..ReviewDraft::default()
    });
    assert!(thanks.contains("Thank you! Your review was sent."));
    assert!(!thanks.contains("<form"));

    let failed = prompt(ReviewDraft {
        rating: Some(2),
        comment: "Keep this text".into(),
        status: ReviewStatus::Failed(ReviewError::Network),
        ..ReviewDraft::default()
    });
    assert!(failed.contains("could not be sent"));
    assert!(failed.contains(">Retry</button>"));
    assert!(
        failed.contains("Keep this text"),
        "the draft stays: {failed}"
    );

    let unrated = prompt(ReviewDraft {
        status: ReviewStatus::Failed(ReviewError::MissingRating),
        ..ReviewDraft::default()
    });
    assert!(unrated.contains("Choose a rating"));
    assert!(!unrated.contains(">Retry</button>"));
}

#[test]
fn the_widget_starts_in_a_labelled_loading_state() {
    let html = widget(&[]);
    assert!(html.contains(r#"aria-label="Latest news""#), "{html}");
    assert!(html.contains(r#"lang="en""#) && html.contains(r#"dir="ltr""#));
    assert!(html.contains("theme-auto"));
    assert!(html.contains(r#"<h2 part="title""#), "{html}");
    assert!(
        html.contains(r#"<p role="status" class="nw-hidden"></p>"#),
        "the live region is there from the start, silent: {html}"
    );
    assert!(html.contains("Loading the latest news…"));
}

#[test]
fn the_lang_attribute_picks_the_words_and_arabic_turns_the_widget_right_to_left() {
    let arabic = widget(&[("lang", "ar")]);
    assert!(
        arabic.contains(r#"lang="ar""#) && arabic.contains(r#"dir="rtl""#),
        "{arabic}"
    );
    assert!(arabic.contains("جارٍ تحميل آخر الأخبار…"));
    let russian = widget(&[("lang", "ru-RU")]);
    assert!(russian.contains(r#"lang="ru-RU""#) && russian.contains(r#"dir="ltr""#));
    assert!(russian.contains(r#"aria-label="Последние новости""#));
    // A language without words of its own falls through to English.
    assert!(widget(&[("lang", "fr")]).contains("Loading the latest news…"));
}

#[test]
fn heading_level_sets_the_outline_inside_the_widget() {
    assert!(widget(&[("heading-level", "4")]).contains(r#"<h4 part="title""#));
    let briefs = |level| {
        render::<BriefList>(BriefListProps {
            briefs: vec![brief("a", Some("Budget"), "", None)].into(),
            category: "Politics".into(),
            locale: english(),
            level,
            time_zone: None,
        })
    };
    let three = briefs(3);
    assert!(three.contains("<h4 id=\"nw-briefs-heading\""), "{three}");
    assert!(
        three.contains(r#"<h5 dir="auto" class="nw-brief-title">"#),
        "{three}"
    );
    // Never past h6.
    assert!(briefs(6).contains("<h6 id=\"nw-briefs-heading\""));
}

#[test]
fn star_labels_and_statuses_follow_each_language_and_its_plurals() {
    let rendered = |tag: &str, status| {
        render::<ReviewPrompt>(ReviewPromptProps {
            draft: ReviewDraft {
                rating: Some(3),
                status,
                ..ReviewDraft::default()
            },
            on_rate: Callback::noop(),
            on_comment: Callback::noop(),
            on_submit: Callback::noop(),
            on_restart: Callback::noop(),
            rating: None,
            locale: locale(tag),
            level: 2,
        })
    };
    let ru = rendered("ru", ReviewStatus::Editing);
    let label = |n: &str, words: &str| format!("aria-label=\"{n} {words}\"");
    assert!(ru.contains(&label("1", "звезда из 5")), "{ru}");
    assert!(ru.contains(&label("3", "звезды из 5")));
    assert!(ru.contains(&label("5", "звёзд из 5")));
    let ar = rendered("ar", ReviewStatus::Failed(ReviewError::Timeout));
    assert!(ar.contains(r#"aria-label="نجمة واحدة من 5""#), "{ar}");
    assert!(ar.contains(r#"aria-label="نجمتان من 5""#));
    assert!(
        ar.contains("تعذّر إرسال التقييم"),
        "a timeout reads as a failed send"
    );
    let tr = rendered("tr", ReviewStatus::Stored(1));
    assert!(
        tr.contains("Teşekkürler! Değerlendirmeniz gönderildi."),
        "{tr}"
    );
    let az = rendered("az", ReviewStatus::Editing);
    assert!(az.contains("Rəyi göndər") && az.contains(r#"aria-label="5 ulduzdan 4""#));
    assert_eq!(Locale::choose(&[Some("az")]).lang, Lang::Az);
}

#[test]
fn a_widget_given_the_servers_news_renders_it_at_once_with_its_rating() {
    // Assemble: the news and the public rating the server has.
    let (config, _) = Config::from_attributes(
        |name| match name {
            "feed" => Some("https://agency.example/feed.json".into()),
            "show-rating" => Some(String::new()),
            "sections" => Some("briefs,review".into()),
            _ => None,
        },
        |url| Some(url.to_owned()),
    )
    .unwrap();
    let news = newswire::news::News {
        title: "Agency".into(),
        briefs: vec![brief(
            "a",
            Some("Budget"),
            "Text",
            Some("https://agency.example/a"),
        )]
        .into(),
        ids: vec!["a".to_owned()].into(),
        ..Default::default()
    };
    let initial = newswire::state::Initial {
        news: Rc::new(news),
        rating: Some((4.56, 120)),
        ..Default::default()
    };
    // Action.
    let html = render::<Widget>(WidgetProps {
        config: Rc::new(config),
        on_notice: Callback::noop(),
        refresh: 0,
        initial: Some(Rc::new(initial)),
        announced: 0,
    });
    // Assert: ready, not loading; only the sections asked for; each number a `<data>` for
    // the browser's Intl to write in the reader's locale; the note for pages with no script
    // shown here, and a form that sends nowhere without the wasm.
    assert!(!html.contains("nw-loading"), "{html}");
    assert!(html.contains(r#"part="brief""#) && !html.contains(r#"part="headlines""#));
    assert!(
        html.contains(
            r#"<data value="4.6">4.6</data> ★ · <data value="120">120</data> reader reviews"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="nw-offline nw-muted">"#),
        "{html}"
    );
    assert!(html.contains(r#"method="dialog""#));
}

/// With `show-rating`, the rating line is in the widget before the summary is known (or
/// while there is no review), empty, so that the summary arriving moves nothing below it.
#[test]
fn show_rating_holds_the_rating_line_before_the_summary_comes() {
    let render_with = |show: bool, rating: Option<(f64, u32)>| {
        let (config, _) = Config::from_attributes(
            |name| match name {
                "feed" => Some("https://agency.example/feed.json".into()),
                "show-rating" => show.then(String::new),
                _ => None,
            },
            |url| Some(url.to_owned()),
        )
        .unwrap();
        let initial = newswire::state::Initial {
            rating,
            ..Default::default()
        };
        render::<Widget>(WidgetProps {
            config: Rc::new(config),
            on_notice: Callback::noop(),
            refresh: 0,
            initial: Some(Rc::new(initial)),
            announced: 0,
        })
    };
    let empty = r#"<p part="rating" class="nw-rating nw-muted"></p>"#;
    for rating in [None, Some((0.0, 0))] {
        let html = render_with(true, rating);
        assert!(html.contains(empty), "{rating:?}: {html}");
    }
    assert!(!render_with(false, Some((4.0, 3))).contains(r#"part="rating""#));
    assert!(render_with(true, Some((4.0, 3))).contains("reader reviews"));
}
