//! The widget's components, one per file. [`widget::Widget`] owns the state and the effects;
//! the others are views that take values and report what the reader did through callbacks.

pub mod brief_list;
pub mod headline_strip;
pub mod review_prompt;
pub mod widget;

use yew::{html, Html};

pub use brief_list::BriefList;
pub use headline_strip::HeadlineStrip;
pub use review_prompt::ReviewPrompt;
pub use widget::Widget;

/// A heading `below` levels under the widget's own `level`, kept within h1–h6. One
/// function for every heading, so the wasm carries one dynamic tag, not one per heading.
/// `dir="auto"`: a feed title in another script keeps its own direction.
pub fn heading(
    level: u8,
    below: u8,
    class: &'static str,
    id: Option<&'static str>,
    part: Option<&'static str>,
    content: Html,
) -> Html {
    let tag = match level.saturating_add(below) {
        0 | 1 => "h1",
        2 => "h2",
        3 => "h3",
        4 => "h4",
        5 => "h5",
        _ => "h6",
    };
    html! { <@{tag} {class} {id} {part} dir="auto">{ content }</@> }
}
