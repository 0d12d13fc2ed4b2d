//! The root component: owns the state reducer and lays out the headline strip, the briefs
//! and the review prompt, the ones `sections` shows. Its effects (the feed, the refresh, the
//! accent, sending a review, the rating summary) are hooks in `crate::hooks`.
//!
//! The same component renders on the server (`ServerRenderer`) and in the browser. Given
//! [`WidgetProps::initial`], it starts from what the server rendered, so the wasm can
//! hydrate the server's HTML in place: its first render matches it node for node, and it
//! fetches nothing until the first refresh.

use crate::components::review_prompt::status_text;
use crate::components::{BriefList, HeadlineStrip, ReviewPrompt};
use crate::config::Config;
use crate::feed::FeedError;
use crate::hooks;
use crate::i18n::{digits, fill, Key, Lang, Locale};
use crate::news::News;
use crate::platform;
use crate::state::{Action, Announce, FeedState, Initial, ReviewStatus, WidgetState};
use std::rc::Rc;
use yew::prelude::*;

/// What the widget tells its host page: the loader turns each into the host element's
/// `state` attribute and a `newswire:*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Loading,
    /// The news is on screen: how many headlines and briefs.
    Ready {
        headlines: usize,
        briefs: usize,
    },
    /// The feed cannot be shown; the message is the one the reader sees.
    Error(String),
    /// A review was stored under this id.
    Review(i64),
    /// The feed's live stream (absolute) and the revision on screen; `None`: not live.
    Live(Option<(String, u64)>),
}

#[derive(Properties, PartialEq, Clone)]
pub struct WidgetProps {
    pub config: Rc<Config>,
    #[prop_or_default]
    pub on_notice: Callback<Notice>,
    /// Each new value asks for a refresh (`Newswire.refresh()`); 0 at mount.
    #[prop_or_default]
    pub refresh: u32,
    /// What the server rendered with, when the widget takes over its HTML.
    #[prop_or_default]
    pub initial: Option<Rc<Initial>>,
    /// The latest revision the feed's stream announced (`Mounted::follow`); 0 before any.
    #[prop_or_default]
    pub announced: u64,
}

#[component]
pub fn Widget(props: &WidgetProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || match &initial {
        Some(initial) => WidgetState::hydrated(initial, platform::now_ms()),
        None => WidgetState::default(),
    });
    let root = use_node_ref();
    let config = &props.config;

    // A hydrated widget has its news and rating already: its first load and its first
    // summary are skipped, and its first refresh is conditional on the server's ETag.
    hooks::use_feed(
        state.clone(),
        config.clone(),
        props.refresh,
        props.initial.as_ref().map(|i| i.etag.clone()),
    );
    hooks::use_refresh(state.dispatcher(), config.refresh);
    hooks::use_live(
        &state,
        config,
        props.announced,
        props.on_notice.reform(Notice::Live),
    );
    hooks::use_accent(root.clone(), config.accent.clone());

    let news = match &state.feed {
        FeedState::Ready(news) => Some(news.clone()),
        _ => None,
    };
    // Sending is driven by state: whenever the draft enters `Sending`, post it once. The
    // draft always has its key once it is sending.
    let sending =
        (state.review.key.clone()).filter(|_| state.review.status == ReviewStatus::Sending);
    let subject = news
        .as_ref()
        .and_then(|n| n.headlines.first())
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let on_stored = props.on_notice.reform(Notice::Review);
    hooks::use_review_submit(
        state.clone(),
        config.review_endpoint.clone(),
        subject,
        sending,
        on_stored,
    );
    // The public summary by the prompt, fetched again after each stored review.
    hooks::use_rating_summary(
        state.clone(),
        config.review_endpoint.clone(),
        config.show_rating,
        matches!(state.review.status, ReviewStatus::Stored(_)),
        props.initial.as_ref().is_some_and(|i| i.rating.is_some()),
    );

    let locale = config.locale(news.as_ref().and_then(|n| n.language.as_deref()));
    let t = locale.lang;

    let title = config
        .title
        .clone()
        .or_else(|| news.as_ref().map(|n| n.title.clone()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| t.text(Key::LatestNews).to_owned());
    let body = match &state.feed {
        FeedState::Loading => loading(t),
        FeedState::Failed(error) => {
            let retry = {
                let dispatcher = state.dispatcher();
                Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::RefreshFeed))
            };
            html! {
                <div class="nw-error" role="alert">
                    <p class="nw-error-title">{ t.text(Key::CannotShow) }</p>
                    <p class="nw-muted">{ feed_error_text(t, error) }</p>
                    <button type="button" class="nw-submit" onclick={retry}>{ t.text(Key::TryAgain) }</button>
                </div>
            }
        }
        FeedState::Ready(news) => ready(&state, news, config, &locale),
    };

    // Tell the page: the load state with its counts or message, and each stored review.
    let notice = match &state.feed {
        FeedState::Loading => Notice::Loading,
        FeedState::Ready(news) => Notice::Ready {
            headlines: news.headlines.len(),
            briefs: news.briefs.len(),
        },
        FeedState::Failed(error) => Notice::Error(feed_error_text(t, error)),
    };
    {
        let on_notice = props.on_notice.clone();
        use_effect_with(notice, move |notice| on_notice.emit(notice.clone()));
    }

    let announcement = match state.announce {
        Announce::Nothing => String::new(),
        Announce::NewItems(n) => locale.plural(Key::NewItems, f64::from(n), &digits(n)),
        Announce::Review => status_text(t, &state.review.status),
    };

    // New news waits while the reader's pointer or focus is in the widget (the reducer
    // holds it), so that nothing moves under them.
    let pointer = |inside: bool| {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: PointerEvent| dispatcher.dispatch(Action::Pointer(inside)))
    };
    let on_focus_in = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: FocusEvent| dispatcher.dispatch(Action::Focus(true)))
    };
    let on_focus_out = {
        let dispatcher = state.dispatcher();
        let root = root.clone();
        Callback::from(move |event: FocusEvent| {
            // Focus that moves within the widget has not left it.
            let within = event
                .related_target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok())
                .zip(root.get())
                .is_some_and(|(target, root)| root.contains(Some(&target)));
            if !within {
                dispatcher.dispatch(Action::Focus(false));
            }
        })
    };

    html! {
        <section class={config.theme.class()} aria-label={title.clone()}
                 lang={locale.tag.clone()} dir={locale.lang.dir()} ref={root}
                 onpointerenter={pointer(true)} onpointerleave={pointer(false)}
                 onfocusin={on_focus_in} onfocusout={on_focus_out}>
            { super::heading(config.heading_level, 0, "nw-title", None, Some("title"), html! { title }) }
            { body }
            // One polite live region, present from the start so that changes are heard.
            <p class="nw-hidden" role="status">{ announcement }</p>
        </section>
    }
}

/// Why the feed cannot be shown, in the reader's words.
fn feed_error_text(t: Lang, error: &FeedError) -> String {
    match error {
        FeedError::Network | FeedError::Timeout => t.text(Key::FeedNetwork).to_owned(),
        FeedError::Status(code) => fill(t.text(Key::FeedStatus), &digits((*code).into())),
        // Readers need not know JSON from a feed: the detail is in the error, for tests
        // and developers.
        FeedError::TooLarge(_) | FeedError::InvalidJson | FeedError::NotAFeed(_) => {
            t.text(Key::FeedUnreadable).to_owned()
        }
    }
}

fn loading(t: Lang) -> Html {
    html! {
        <div class="nw-loading">
            <span class="nw-hidden">{ t.text(Key::Loading) }</span>
            <div class="nw-skeleton nw-skeleton-strip" />
            <div class="nw-skeleton" />
            <div class="nw-skeleton" />
            <div class="nw-skeleton" />
        </div>
    }
}

fn ready(
    state: &UseReducerHandle<WidgetState>,
    news: &Rc<News>,
    config: &Config,
    locale: &Locale,
) -> Html {
    let t = locale.lang;
    let dispatch = |action: fn() -> Action| {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(action()))
    };
    let on_toggle = if state.ticker_paused {
        dispatch(|| Action::ResumeTicker)
    } else {
        dispatch(|| Action::PauseTicker)
    };
    #[cfg(feature = "fault-injection")]
    let on_toggle = {
        let fault = config.category == "fault";
        Callback::from(move |()| {
            assert!(!fault, "fault injected by the test build");
            on_toggle.emit(())
        })
    };
    let on_rate = {
        let state = state.clone();
        Callback::from(move |stars| state.dispatch(Action::RateReview(stars)))
    };
    let on_comment = {
        let state = state.clone();
        Callback::from(move |text| state.dispatch(Action::EditComment(text)))
    };
    let on_submit = {
        let state = state.clone();
        Callback::from(move |()| {
            let key = platform::random_key();
            state.dispatch(Action::SubmitReview { key })
        })
    };
    // A discreet note when a refresh failed and the news on screen may be old.
    let stale = state.stale.then(|| {
        let minutes = ((platform::now_ms() - state.updated_at) / 60_000.0).max(1.0) as u32;
        let lang = Some(locale.tag.as_str());
        // Without relative words for the language, the time it was last confirmed.
        let ago = platform::minutes_ago(minutes, lang).unwrap_or_else(|| {
            platform::format_datetime(state.updated_at as i64, lang, None, true)
        });
        // Not a live region: it re-renders with each minute, and one region speaks.
        html! { <p class="nw-stale nw-muted">{ fill(t.text(Key::Updated), &ago) }</p> }
    });
    // With `show-rating`, the line is there from the first render, empty until the summary
    // comes (and while there is no review): its space is held, so the summary arriving
    // moves nothing below it.
    let rating = config.show_rating.then(|| {
        state
            .rating
            .filter(|(_, count)| *count > 0)
            .map(|(average, count)| rating_line(locale, average, count))
            .unwrap_or_default()
    });
    let level = config.heading_level;
    let shown = config.sections;
    html! {
        <>
            { for stale }
            if shown.headlines {
                <HeadlineStrip headlines={news.headlines.clone()} paused={state.ticker_paused}
                               locale={locale.clone()} {level} {on_toggle} />
            }
            if shown.briefs {
                <BriefList briefs={news.briefs.clone()} category={config.category.clone()}
                           locale={locale.clone()} {level}
                           time_zone={config.time_zone.clone().map(AttrValue::from)} />
            }
            if shown.review {
                <ReviewPrompt draft={state.review.clone()} {on_rate} {on_comment} {on_submit}
                              {rating} locale={locale.clone()} {level}
                              on_restart={dispatch(|| Action::StartNewReview)} />
            }
        </>
    }
}

/// "4.6 ★ · 120 reader reviews", in the reader's plural forms. Each number is a `<data>`
/// with its value: the browser's `Intl` writes it in the reader's locale (the wasm here,
/// and the loader for the server's HTML before it is shown, so both read the same).
fn rating_line(locale: &Locale, average: f64, count: u32) -> Html {
    let lang = Some(locale.tag.as_str());
    // One decimal, rounded once here and written through integers (float printing would
    // ship in the wasm): the loader and `Intl` then format this very number.
    let tenths = (average * 10.0).round().max(0.0) as u32;
    let value = digits(tenths / 10) + "." + &digits(tenths % 10);
    let reviews = crate::i18n::plural(
        locale.text(Key::Reviews),
        &platform::plural_category(f64::from(count), lang),
    );
    let average = html! {
        <data value={value}>{ platform::format_number(f64::from(tenths) / 10.0, "1", lang) }</data>
    };
    // Some forms say the number in words ("تقييمان", two reviews): no digits then.
    let reviews = match reviews.split_once("{}") {
        Some((before, after)) => html! {
            <>
                { before }
                <data value={digits(count)}>{ platform::format_number(f64::from(count), "0", lang) }</data>
                { after }
            </>
        },
        None => html! { { reviews } },
    };
    html! { <>{ average }{ " ★ · " }{ reviews }</> }
}
