//! Sending a review.

use super::spawn;
use crate::platform;
use crate::review::ReviewPayload;
use crate::services::{self, Cancel};
use crate::state::{Action, WidgetState};
use yew::prelude::*;

/// Posts the draft once whenever it enters "sending" (`sending` is its key then), and
/// tells the reducer, and the page through `on_stored`, how it went. Aborted with the view.
#[hook]
pub fn use_review_submit(
    state: UseReducerHandle<WidgetState>,
    endpoint: String,
    subject: String,
    sending: Option<String>,
    on_stored: Callback<i64>,
) {
    use_effect_with(sending, move |sending| {
        let cancel = Cancel::new();
        if let Some(key) = sending {
            let payload = ReviewPayload {
                rating: state.review.rating.unwrap_or_default(),
                comment: state.review.comment.trim().to_owned(),
                subject,
                page: platform::page_url(),
                key: key.clone(),
            };
            let cancel = cancel.clone();
            spawn(async move {
                match services::review::submit_review(&endpoint, &payload, &cancel).await {
                    None => {}
                    Some(Ok(id)) => {
                        on_stored.emit(id);
                        state.dispatch(Action::ReviewStored(id))
                    }
                    Some(Err(error)) => state.dispatch(Action::ReviewFailed(error)),
                }
            });
        }
        move || cancel.abort()
    });
}
