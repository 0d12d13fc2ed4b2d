//! The headline strip: lead stories as a ticker that a reader can pause.
//!
//! The stories are rendered twice side by side so that the scroll loops without a seam;
//! the second copy is `aria-hidden` and `inert`, so readers and keyboards meet each story
//! once. Motion itself is CSS: it stops on hover, on keyboard focus, with the button, and
//! entirely under `prefers-reduced-motion`.

use crate::i18n::{digits, Key, Locale};
use crate::news::Story;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeadlineStripProps {
    pub headlines: Rc<[Story]>,
    pub paused: bool,
    pub locale: Locale,
    /// The widget's heading level; the strip's hidden heading is one below.
    pub level: u8,
    /// The pause/play button was pressed.
    pub on_toggle: Callback<()>,
}

#[component]
pub fn HeadlineStrip(props: &HeadlineStripProps) -> Html {
    let track = use_node_ref();
    // The scroll speed depends on how much text there is.
    let seconds = crate::state::ticker_seconds(&props.headlines);
    {
        let track = track.clone();
        use_effect_with(seconds, move |seconds| {
            if let Some(el) = track.cast::<web_sys::HtmlElement>() {
                let _ = el
                    .style()
                    .set_property("animation-duration", &(digits(*seconds) + "s"));
            }
        });
    }

    if props.headlines.is_empty() {
        return html! {};
    }
    let on_toggle = props.on_toggle.reform(|_: MouseEvent| ());
    let t = props.locale.lang;
    // The button says what it will do.
    let label = if props.paused {
        t.text(Key::Play)
    } else {
        t.text(Key::Pause)
    };
    let run = |copy: bool| {
        props
            .headlines
            .iter()
            .map(|story| {
                let text = html! {
                    <span class="nw-headline-text">
                        if story.new { <span class="nw-new">{ t.text(Key::NewBadge) }</span>{ " " } }
                        <bdi lang={story.lang.clone()}>{ &story.title }</bdi>
                    </span>
                };
                let body = match &story.link {
                    Some(href) => html! {
                        <a href={href.clone()} target="_blank" rel="noopener noreferrer"
                           tabindex={copy.then_some("-1")}>{ text }</a>
                    },
                    None => text,
                };
                html! {
                    <li key={story.id.clone()} class="nw-headline"
                        part={(!copy).then_some("headline")}>{ body }</li>
                }
            })
            .collect::<Html>()
    };

    html! {
        <div class="nw-strip" part="headlines">
            { super::heading(props.level, 1, "nw-hidden", None, None, html! { t.text(Key::Headlines) }) }
            <button type="button" class="nw-ticker-btn" part="ticker-control"
                    aria-label={label} title={label} onclick={on_toggle}>
                if props.paused {
                    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                        <path d="M4 2.5v11l9-5.5z" fill="currentColor" />
                    </svg>
                } else {
                    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                        <path d="M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z" fill="currentColor" />
                    </svg>
                }
            </button>
            <div class={if props.paused { "nw-ticker is-paused" } else { "nw-ticker" }}>
                <div class="nw-track" ref={track}>
                    <ul class="nw-run" role="list">{ run(false) }</ul>
                    <ul class="nw-run nw-copy" role="list" aria-hidden="true" inert=true>
                        { run(true) }
                    </ul>
                </div>
            </div>
        </div>
    }
}
