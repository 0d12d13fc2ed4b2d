//! Going live. The wasm holds no stream itself: each widget runs in its own instance, and a
//! page keeps one `EventSource` for each feed, shared by its widgets, in the loader's second
//! stage (`www/loader/second.js`). So this hook tells the loader where the feed's stream is
//! and which revision is on screen, and fetches each newer revision the loader passes on.

use crate::config::Config;
use crate::platform;
use crate::state::{Action, WidgetState};
use yew::prelude::*;

/// Tells `on_live` the stream (absolute, on the feed's own origin) and the revision on
/// screen whenever either changes, or `None` when the widget does not follow one
/// (`live="off"`, a feed whose server offers none, or a stream on another origin). Each new
/// `announced` revision asks the reducer for a fetch.
#[hook]
pub fn use_live(
    state: &UseReducerHandle<WidgetState>,
    config: &Config,
    announced: u64,
    on_live: Callback<Option<(String, u64)>>,
) {
    let told = state
        .live
        .as_ref()
        .filter(|_| config.live)
        .and_then(|live| {
            let stream = platform::same_origin(&live.stream, &config.feed)?;
            Some((stream, live.revision))
        });
    // One effect for both (each effect's type is code in the wasm): telling the loader
    // again is harmless, and an announcement already on screen changes nothing.
    let dispatcher = state.dispatcher();
    use_effect_with((told, announced), move |(told, announced)| {
        on_live.emit(told.clone());
        if *announced > 0 {
            dispatcher.dispatch(Action::Announced(*announced));
        }
    });
}
