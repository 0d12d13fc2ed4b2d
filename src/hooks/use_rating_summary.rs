//! The public rating summary by the prompt.

use super::spawn;
use crate::services::{self, Cancel};
use crate::state::{Action, WidgetState};
use yew::prelude::*;

/// Fetches the summary when `show` is on, and again after each stored review (`stored`
/// changes); skipped once when the server rendered it already (`rated_by_server`).
#[hook]
pub fn use_rating_summary(
    state: UseReducerHandle<WidgetState>,
    endpoint: String,
    show: bool,
    stored: bool,
    rated_by_server: bool,
) {
    let rated_by_server = use_mut_ref(|| rated_by_server);
    use_effect_with((show, stored), move |(show, _)| {
        let cancel = Cancel::new();
        if *show && !rated_by_server.replace(false) {
            let cancel = cancel.clone();
            spawn(async move {
                if let Some((average, count)) =
                    services::review::fetch_summary(&endpoint, &cancel).await
                {
                    state.dispatch(Action::RatingLoaded { average, count });
                }
            });
        }
        move || cancel.abort()
    });
}
