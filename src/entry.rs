//! The wasm entry: the loader (`www/embed.js`) calls [`mount`] once per `<newswire-widget>`
//! element, with the container it made in the element's shadow root, already styled.

use crate::components::widget::{LoadState, Widget, WidgetProps};
use crate::config::Config;
use crate::i18n::{Key, Locale};
use crate::platform;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};
use yew::{AppHandle, Callback, Renderer};

/// A mounted widget; the loader keeps it to unmount when the element leaves the page.
#[wasm_bindgen]
pub struct Mounted {
    app: Option<AppHandle<Widget>>,
}

#[wasm_bindgen]
impl Mounted {
    /// Tears the widget down: its components, effects and listeners.
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

/// Reads `host`'s attributes and renders the widget into `root`, replacing its placeholder.
/// Invalid attributes are reported as console warnings; a missing feed is an error state.
#[wasm_bindgen]
pub fn mount(host: HtmlElement, root: Element) -> Result<Mounted, JsValue> {
    // One console message per stopped widget: this one, with the panic's own words. The
    // flag tells the loader, which contains the trap that follows, not to add another.
    yew::set_custom_panic_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!(
            "Newswire: a widget stopped after an internal error and now links to the news. {info}"
        )));
        let global = js_sys::global();
        if let Ok(namespace) = js_sys::Reflect::get(&global, &"Newswire".into()) {
            if namespace.is_object() {
                let _ = js_sys::Reflect::set(&namespace, &"panicked".into(), &JsValue::TRUE);
            }
        }
    }));
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("Newswire: no document"))?;
    let base = document.base_uri().ok().flatten().unwrap_or_default();
    let parsed = Config::from_attributes(
        |name| host.get_attribute(name),
        |input| platform::resolve_url(input, &base),
    );

    root.replace_children_with_node_0();

    let (mut config, warnings) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let message = error.to_string();
            web_sys::console::error_1(&JsValue::from_str(&message));
            // The loader's own message box, already styled by its reserve sheet.
            let note = document.create_element("div")?;
            note.set_class_name("nw-boot");
            note.set_attribute("role", "status")?;
            let hosts = platform::host_languages();
            let locale = Locale::choose(hosts.iter().map(|tag| Some(tag.as_str())));
            note.set_text_content(Some(locale.text(Key::NotSetUp)));
            root.append_child(&note)?;
            host.set_attribute("state", "error")?;
            return Ok(Mounted { app: None });
        }
    };
    for warning in warnings {
        platform::warn(&warning.to_string());
    }
    config.host_languages = platform::host_languages();

    let on_state = Callback::from(move |state: LoadState| {
        let _ = host.set_attribute("state", state.as_str());
    });
    let props = WidgetProps {
        config: Rc::new(config),
        on_state,
    };
    let app = Renderer::<Widget>::with_root_and_props(root, props).render();
    Ok(Mounted { app: Some(app) })
}
