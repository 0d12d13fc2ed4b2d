//! All of the widget's network I/O. Components call these functions and never build a
//! request themselves. Every request omits credentials (no cookies go to the agency) and
//! is aborted when it outlives its timeout.

pub mod feed;
pub mod review;

use gloo_timers::callback::Timeout;
use web_sys::AbortController;

/// An abort signal that fires after `millis`, for one request. Dropping it cancels the timer.
pub(crate) struct Deadline {
    controller: AbortController,
    _timer: Timeout,
}

impl Deadline {
    pub(crate) fn after(millis: u32) -> Option<Self> {
        let controller = AbortController::new().ok()?;
        let on_timeout = controller.clone();
        let timer = Timeout::new(millis, move || on_timeout.abort());
        Some(Self {
            controller,
            _timer: timer,
        })
    }

    pub(crate) fn signal(&self) -> web_sys::AbortSignal {
        self.controller.signal()
    }

    pub(crate) fn expired(&self) -> bool {
        self.controller.signal().aborted()
    }
}
