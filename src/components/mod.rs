//! The widget's components, one per file. [`widget::Widget`] owns the state and the effects;
//! the others are views that take values and report what the reader did through callbacks.

pub mod brief_list;
pub mod headline_strip;
pub mod review_prompt;
pub mod widget;

pub use brief_list::BriefList;
pub use headline_strip::HeadlineStrip;
pub use review_prompt::ReviewPrompt;
pub use widget::Widget;

/// The tag of a heading `below` levels under the widget's own `level`, kept within h1–h6.
pub fn heading(level: u8, below: u8) -> &'static str {
    match level.saturating_add(below) {
        0 | 1 => "h1",
        2 => "h2",
        3 => "h3",
        4 => "h4",
        5 => "h5",
        _ => "h6",
    }
}
