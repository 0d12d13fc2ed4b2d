//! "Leave a review": a star rating, an optional comment, and a visible sending, thanks or
//! error state. The stars are native radio buttons, so arrow keys and screen readers work
//! as they do everywhere else.

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
    /// The public summary ("4.6 ★ · 120 reader reviews"), when `show-rating` is on.
    #[prop_or_default]
    pub rating: Option<AttrValue>,
}

#[component]
pub fn ReviewPrompt(props: &ReviewPromptProps) -> Html {
    let draft = &props.draft;
    let heading = html! {
        <>
            <h3 id="nw-review-heading" class="nw-section-title">{ "Leave a review" }</h3>
            if let Some(rating) = &props.rating {
                <p class="nw-rating nw-muted" part="rating">{ rating }</p>
            }
        </>
    };
    if let ReviewStatus::Stored(_) = draft.status {
        let on_restart = props.on_restart.reform(|_: MouseEvent| ());
        return html! {
            <section class="nw-review" part="review" aria-labelledby="nw-review-heading">
                { heading }
                <div class="nw-thanks">
                    <p class="nw-status is-done" part="status" role="status">
                        { "Thank you! Your review was sent." }
                    </p>
                    <button type="button" class="nw-button-quiet" onclick={on_restart}>
                        { "Write another review" }
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
        let label = if n == 1 {
            "1 star out of 5".to_owned()
        } else {
            format!("{n} stars out of 5")
        };
        let lit = draft.rating.is_some_and(|r| n <= r);
        html! {
            <label class={classes!("nw-star", lit.then_some("is-lit"))}>
                <input type="radio" name="rating" value={n.to_string()} aria-label={label}
                       checked={draft.rating == Some(n)} {onchange} />
                <span aria-hidden="true">{ "★" }</span>
            </label>
        }
    });
    let status = match &draft.status {
        ReviewStatus::Sending => html! { { "Sending your review…" } },
        ReviewStatus::Failed(ReviewError::MissingRating) => {
            html! { { ReviewError::MissingRating.to_string() } }
        }
        ReviewStatus::Failed(error) => {
            let retry = props.on_submit.reform(|_: MouseEvent| ());
            html! {
                <>
                    { error.to_string() }{ " " }
                    <button type="button" class="nw-button-quiet" onclick={retry}>
                        { "Retry" }
                    </button>
                </>
            }
        }
        _ => html! {},
    };
    let failed = matches!(draft.status, ReviewStatus::Failed(_));
    let count = draft.comment.chars().count();

    html! {
        <section class="nw-review" part="review" aria-labelledby="nw-review-heading">
            { heading }
            <form class="nw-form" {onsubmit} novalidate=true>
                <fieldset class="nw-stars" part="stars" disabled={sending}>
                    <legend class="nw-label">{ "Your rating" }</legend>
                    { for stars }
                </fieldset>
                <label class="nw-label" for="nw-comment">
                    { "Comment " }<span class="nw-muted">{ "(optional)" }</span>
                </label>
                <textarea id="nw-comment" class="nw-comment" part="comment" rows="2"
                          maxlength={MAX_COMMENT.to_string()} readonly={sending}
                          aria-describedby="nw-comment-count"
                          value={draft.comment.clone()} {oninput} />
                <div class="nw-actions">
                    <button type="submit" class="nw-submit" part="submit" disabled={sending}>
                        { "Send review" }
                    </button>
                    <span id="nw-comment-count" class="nw-muted">
                        { count }{ " / " }{ MAX_COMMENT }{ " characters" }
                    </span>
                </div>
                <p class={classes!("nw-status", failed.then_some("is-error"))}
                   part="status" role="status">{ status }</p>
            </form>
        </section>
    }
}
