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
