//! The periodic refresh.

use crate::platform;
use crate::state::{Action, WidgetState};
use yew::prelude::*;

/// Asks for a refresh every `seconds` (0: never) while the page is visible; the timer and
/// its visibility listener stop with the view.
#[hook]
pub fn use_refresh(dispatcher: UseReducerDispatcher<WidgetState>, seconds: u32) {
    use_effect_with(seconds, move |&seconds| {
        let mut repeat = (seconds > 0)
            .then(|| {
                platform::every_visible_period(seconds.saturating_mul(1000), move || {
                    dispatcher.dispatch(Action::RefreshFeed)
                })
            })
            .flatten();
        move || {
            repeat.take();
        }
    });
}
