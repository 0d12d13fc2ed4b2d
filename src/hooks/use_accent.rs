//! The partner's accent colour.

use yew::prelude::*;

/// Sets `--nw-accent` on `root` through the CSSOM, which a strict `style-src` allows,
/// unlike a `style` attribute; the stylesheet picks the text colour that contrasts with it.
#[hook]
pub fn use_accent(root: NodeRef, accent: Option<String>) {
    use_effect_with(accent, move |accent| {
        if let Some(el) = root.cast::<web_sys::HtmlElement>() {
            let style = el.style();
            let _ = match accent {
                Some(accent) => style.set_property("--nw-accent", accent),
                None => style.remove_property("--nw-accent").map(drop),
            };
        }
    });
}
