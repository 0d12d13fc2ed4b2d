//! The latest briefs in the configured category, newest first, each dated in the reader's
//! locale and linking to the full story.

use crate::news::Brief;
use crate::platform;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BriefListProps {
    pub briefs: Rc<[Brief]>,
    /// The category as configured, for the heading.
    pub category: AttrValue,
    /// The reader's language for dates; `None` lets the browser choose.
    #[prop_or_default]
    pub lang: Option<AttrValue>,
}

#[component]
pub fn BriefList(props: &BriefListProps) -> Html {
    let lang = props.lang.as_deref();
    let briefs = props.briefs.iter().map(|brief| {
        let date = brief.published.map(|ms| {
            html! {
                <time class="nw-brief-date" datetime={brief.datetime.clone()}>
                    { platform::format_datetime(ms, lang, None) }
                </time>
            }
        });
        let title = brief.title.as_ref().map(|title| match &brief.link {
            Some(href) => html! {
                <h4 class="nw-brief-title">
                    <a href={href.clone()} target="_blank" rel="noopener noreferrer">{ title }</a>
                </h4>
            },
            None => html! { <h4 class="nw-brief-title">{ title }</h4> },
        });
        // Without a title, the link still needs words of its own.
        let more = match (&brief.title, &brief.link) {
            (None, Some(href)) => html! {
                <a class="nw-more" href={href.clone()} target="_blank" rel="noopener noreferrer">
                    { "Read the full story" }
                </a>
            },
            _ => html! {},
        };
        html! {
            <li key={brief.id.clone()} class="nw-brief" part="brief">
                if brief.new { <span class="nw-new" part="new">{ "New" }</span> }
                { title }
                if !brief.text.is_empty() {
                    <p class="nw-brief-text">{ &brief.text }</p>
                }
                { more }
                { date }
            </li>
        }
    });

    html! {
        <section class="nw-briefs" part="briefs" aria-labelledby="nw-briefs-heading">
            <h3 id="nw-briefs-heading" class="nw-section-title">
                { "Latest in " }{ &props.category }
            </h3>
            if props.briefs.is_empty() {
                <p class="nw-empty">{ "No briefs in " }{ &props.category }{ " right now." }</p>
            } else {
                <ol class="nw-brief-list" role="list">{ for briefs }</ol>
            }
        </section>
    }
}
