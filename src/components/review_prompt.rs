//! "Leave a review": a star rating, an optional comment, and a visible sending, thanks or
//! error state. The stars are native radio buttons, so arrow keys and screen readers work
//! as they do everywhere else. The widget's live region announces the outcome
//! ([`status_text`]); the visible status here is not a live region too, or it would be
//! read twice.

use crate::i18n::{digits, fill, isolate, Key, Lang, Locale};
use crate::review::{ReviewError, MAX_COMMENT};
use crate::state::{ReviewDraft, ReviewStatus};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ReviewPromptProps {
    pub draft: ReviewDraft,
    pub on_rate: Callback<u8>,
    pub on_comment: Callback<String>,
    /// Send, or send again after a failure.
    pub on_submit: Callback<()>,
    /// Start another review after a stored one.
    pub on_restart: Callback<()>,
    /// The public summary ("4.6 ★ · 120 reader reviews"), when `show-rating` is on: empty
    /// until it comes, and while there is no review, holding its line.
    #[prop_or_default]
    pub rating: Option<Html>,
    pub locale: Locale,
    /// The widget's heading level; this section's heading is one below.
    pub level: u8,
}

/// What the reader is told about their review, in words: the visible status and the
/// announcement. Empty while they write.
pub fn status_text(t: Lang, status: &ReviewStatus) -> String {
    match status {
        ReviewStatus::Editing => String::new(),
        ReviewStatus::Sending => t.text(Key::Sending).to_owned(),
        ReviewStatus::Stored(_) => t.text(Key::Thanks).to_owned(),
        ReviewStatus::Failed(error) => match error {
            ReviewError::MissingRating => t.text(Key::MissingRating).to_owned(),
            ReviewError::Network | ReviewError::Timeout => t.text(Key::ReviewNetwork).to_owned(),
            ReviewError::Rejected(why) => fill(t.text(Key::ReviewRejected), &isolate(why)),
            ReviewError::Server(code) => fill(t.text(Key::ReviewServer), &digits((*code).into())),
        },
    }
}

#[component]
pub fn ReviewPrompt(props: &ReviewPromptProps) -> Html {
    let draft = &props.draft;
    let t = props.locale.lang;
    let heading = html! {
        <>
            { super::heading(props.level, 1, "nw-section-title", Some("nw-review-heading"), None,
                             html! { t.text(Key::ReviewHeading) }) }
            if let Some(rating) = &props.rating {
                <p class="nw-rating nw-muted" part="rating">{ rating.clone() }</p>
            }
        </>
    };
    if let ReviewStatus::Stored(_) = draft.status {
        let on_restart = props.on_restart.reform(|_: MouseEvent| ());
        return html! {
            <section class="nw-review" part="review" aria-labelledby="nw-review-heading">
                { heading }
                <div class="nw-thanks">
                    <p class="nw-status is-done" part="status">{ t.text(Key::Thanks) }</p>
                    <button type="button" class="nw-button-quiet" onclick={on_restart}>
                        { t.text(Key::Another) }
                    </button>
                </div>
            </section>
        };
    }

    let sending = draft.status == ReviewStatus::Sending;
    let onsubmit = {
        let on_submit = props.on_submit.clone();
        move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit(());
        }
    };
    let oninput = props
        .on_comment
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let stars = (1..=5u8).map(|n| {
        let onchange = props.on_rate.reform(move |_: Event| n);
        // "4 stars out of 5" in the reader's plural forms.
        let label = props
            .locale
            .plural(Key::Stars, f64::from(n), &digits(n.into()));
        let lit = draft.rating.is_some_and(|r| n <= r);
        html! {
            <label class={if lit { "nw-star is-lit" } else { "nw-star" }}>
                <input type="radio" name="rating" value={digits(n.into())} aria-label={label}
                       checked={draft.rating == Some(n)} {onchange} />
                <span aria-hidden="true">{ "★" }</span>
            </label>
        }
    });
    // A failure the reader cannot fix by editing gets a retry button.
    let retry = matches!(
        draft.status,
        ReviewStatus::Failed(ref error) if *error != ReviewError::MissingRating
    )
    .then(|| {
        let retry = props.on_submit.reform(|_: MouseEvent| ());
        html! {
            <>
                { " " }
                <button type="button" class="nw-button-quiet" onclick={retry}>{ t.text(Key::Retry) }</button>
            </>
        }
    });
    let failed = matches!(draft.status, ReviewStatus::Failed(_));
    let count = draft.comment.chars().count();

    html! {
        <section class="nw-review" part="review" aria-labelledby="nw-review-heading">
            { heading }
            // Where the widget cannot run (a page with no script, the wasm blocked), this says
            // so and the stylesheet hides the form after it. The server renders it shown, for
            // pages with no script; the loader hides it before it shows the server's HTML,
            // and the wasm renders it hidden.
            <p class="nw-offline nw-muted" hidden={cfg!(target_arch = "wasm32")}>
                { t.text(Key::ReviewsUnavailable) }
            </p>
            // `dialog`: a form sent before the wasm has taken over (or on a page without
            // script) goes nowhere, instead of reloading the partner's page with its fields.
            <form class="nw-form" method="dialog" {onsubmit} novalidate=true>
                <fieldset class="nw-stars" part="stars" disabled={sending}>
                    <legend class="nw-label">{ t.text(Key::YourRating) }</legend>
                    { for stars }
                </fieldset>
                <label class="nw-label" for="nw-comment">
                    { t.text(Key::Comment) }{ " " }<span class="nw-muted">{ t.text(Key::Optional) }</span>
                </label>
                <textarea id="nw-comment" class="nw-comment" part="comment" rows="2"
                          maxlength={digits(MAX_COMMENT as u32)} readonly={sending}
                          aria-describedby="nw-comment-count"
                          value={draft.comment.clone()} {oninput} />
                <div class="nw-actions">
                    <button type="submit" class="nw-submit" part="submit" disabled={sending}>
                        { t.text(Key::Send) }
                    </button>
                    <span id="nw-comment-count" class="nw-muted">
                        { fill(t.text(Key::Characters), &isolate(&(digits(count as u32) + " / " + &digits(MAX_COMMENT as u32)))) }
                    </span>
                </div>
                <p class={if failed { "nw-status is-error" } else { "nw-status" }} part="status">
                    { status_text(t, &draft.status) }{ for retry }
                </p>
            </form>
        </section>
    }
}
