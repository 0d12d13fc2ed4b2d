//! The widget's effects, one hook per concern. Each starts its work when its inputs change
//! and undoes it in its cleanup: a request is aborted (not just ignored) when the view goes
//! away or a newer one replaces it, so no fetch runs on into a wasm instance that the loader
//! may already have handed to another widget.

mod use_accent;
mod use_feed;
mod use_live;
mod use_rating_summary;
mod use_refresh;
mod use_review_submit;

pub use use_accent::use_accent;
pub use use_feed::{use_feed, Fetches};
pub use use_live::use_live;
pub use use_rating_summary::use_rating_summary;
pub use use_refresh::use_refresh;
pub use use_review_submit::use_review_submit;

use std::future::Future;
use std::pin::Pin;

/// Runs `task` on the page's event loop. Boxed here, once, so that each hook's future
/// is not compiled into a copy of the executor's code.
fn spawn(task: impl Future<Output = ()> + 'static) {
    let task: Pin<Box<dyn Future<Output = ()>>> = Box::pin(task);
    yew::platform::spawn_local(task);
}
