//! The latest briefs in the configured category, newest first, each dated in the reader's
//! locale and linking to the full story.

use crate::i18n::{fill, isolate, Key, Locale};
use crate::news::Brief;
use crate::platform;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BriefListProps {
    pub briefs: Rc<[Brief]>,
    /// The category as configured, for the heading.
    pub category: AttrValue,
    pub locale: Locale,
    /// The widget's heading level; this section's heading is one below.
    pub level: u8,
    /// The zone dates are written in; `None`: the reader's (always, in the browser).
    #[prop_or_default]
    pub time_zone: Option<AttrValue>,
}

#[component]
pub fn BriefList(props: &BriefListProps) -> Html {
    let t = props.locale.lang;
    let lang = Some(props.locale.tag.as_str());
    let category = isolate(&props.category);
    let briefs = props.briefs.iter().map(|brief| {
        let date = brief.published.map(|ms| {
            html! {
                <time class="nw-brief-date" datetime={brief.datetime.clone()}>
                    { if brief.date_only {
                        platform::format_datetime(ms, lang, Some("UTC"), false)
                    } else {
                        platform::format_datetime(ms, lang, props.time_zone.as_deref(), true)
                    } }
                </time>
            }
        });
        let title = brief.title.as_ref().map(|title| {
            let text = match &brief.link {
                Some(href) => html! {
                    <a href={href.clone()} target="_blank" rel="noopener noreferrer">{ title }</a>
                },
                None => html! { { title } },
            };
            super::heading(props.level, 2, "nw-brief-title", None, None, text)
        });
        // Without a title, the link still needs words of its own.
        let more = match (&brief.title, &brief.link) {
            (None, Some(href)) => html! {
                <a class="nw-more" href={href.clone()} target="_blank" rel="noopener noreferrer">
                    { t.text(Key::ReadMore) }
                </a>
            },
            _ => html! {},
        };
        html! {
            <li key={brief.id.clone()} class="nw-brief" part="brief" lang={brief.lang.clone()}>
                if brief.new { <span class="nw-new" part="new">{ t.text(Key::NewBadge) }</span> }
                { title }
                if !brief.text.is_empty() {
                    <p class="nw-brief-text" dir="auto">{ &brief.text }</p>
                }
                { more }
                { date }
            </li>
        }
    });

    html! {
        <section class="nw-briefs" part="briefs" aria-labelledby="nw-briefs-heading">
            { super::heading(props.level, 1, "nw-section-title", Some("nw-briefs-heading"), None,
                             html! { fill(t.text(Key::LatestIn), &category) }) }
            if props.briefs.is_empty() {
                <p class="nw-empty">{ fill(t.text(Key::NoBriefs), &category) }</p>
            } else {
                <ol class="nw-brief-list" role="list">{ for briefs }</ol>
            }
        </section>
    }
}
