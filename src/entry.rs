//! The wasm entry: the loader (`www/embed.js`) calls [`mount`] once per `<newswire-widget>`
//! element, with the container it made in the element's shadow root, already styled.

use crate::components::widget::{Notice, Widget, WidgetProps};
use crate::config::Config;
use crate::i18n::{Key, Locale};
use crate::platform;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};
use yew::{AppHandle, Callback, Renderer};

/// A mounted widget; the loader keeps it to update, refresh and unmount it.
#[wasm_bindgen]
pub struct Mounted {
    /// The app and the props it was last given; `None` once unmounted, or when the
    /// attributes never allowed a start.
    app: Option<(AppHandle<Widget>, WidgetProps)>,
}

#[wasm_bindgen]
impl Mounted {
    /// Reads the host's attributes again and updates the widget in place: the element's
    /// attributes changed. Values that cannot be used keep the current configuration.
    pub fn update(&mut self, host: HtmlElement) {
        if let (Some((app, props)), Some(config)) = (self.app.as_mut(), read_config(&host)) {
            props.config = Rc::new(config);
            app.update(props.clone());
        }
    }

    /// Fetches the feed again now (`Newswire.refresh()`).
    pub fn refresh(&mut self) {
        if let Some((app, props)) = self.app.as_mut() {
            props.refresh += 1;
            app.update(props.clone());
        }
    }

    /// Tears the widget down: its components, effects and listeners.
    pub fn unmount(&mut self) {
        if let Some((app, _)) = self.app.take() {
            app.destroy();
        }
    }
}

/// The configuration from `host`'s attributes, each unusable value warned about on the
/// console; `None` (with an error on the console) when there is no usable feed.
fn read_config(host: &HtmlElement) -> Option<Config> {
    let base = host.base_uri().ok().flatten().unwrap_or_default();
    let parsed = Config::from_attributes(
        |name| host.get_attribute(name),
        |input| platform::resolve_url(input, &base),
    );
    match parsed {
        Ok((mut config, warnings)) => {
            for warning in warnings {
                platform::warn(&warning.to_string());
            }
            config.host_languages = platform::host_languages();
            Some(config)
        }
        Err(error) => {
            web_sys::console::error_1(&JsValue::from_str(&error.to_string()));
            None
        }
    }
}

/// Reads `host`'s attributes and renders the widget into `root`, replacing its placeholder.
/// Invalid attributes are reported as console warnings; a missing feed is an error state.
/// `notify(kind, a, b)` tells the loader what happened: `"loading"`, `"ready"` (a, b: the
/// numbers of headlines and briefs), `"error"` (a: the message) and `"review"` (a: its id).
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    root: Element,
    notify: js_sys::Function,
) -> Result<Mounted, JsValue> {
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
    root.replace_children_with_node_0();
    let tell = move |kind: &str, a: JsValue, b: JsValue| {
        let _ = notify.call3(&JsValue::NULL, &kind.into(), &a, &b);
    };

    let Some(config) = read_config(&host) else {
        // The loader's own message box, already styled by its reserve sheet.
        let note = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| JsValue::from_str("Newswire: no document"))?
            .create_element("div")?;
        note.set_class_name("nw-boot");
        note.set_attribute("role", "status")?;
        let hosts = platform::host_languages();
        let hosts: Vec<_> = hosts.iter().map(|tag| Some(tag.as_str())).collect();
        let locale = Locale::choose(&hosts);
        let text = locale.text(Key::NotSetUp);
        note.set_text_content(Some(text));
        root.append_child(&note)?;
        tell("error", text.into(), JsValue::UNDEFINED);
        return Ok(Mounted { app: None });
    };

    let on_notice = Callback::from(move |notice: Notice| match notice {
        Notice::Loading => tell("loading", JsValue::UNDEFINED, JsValue::UNDEFINED),
        Notice::Ready { headlines, briefs } => {
            tell("ready", (headlines as u32).into(), (briefs as u32).into())
        }
        Notice::Error(message) => tell("error", message.into(), JsValue::UNDEFINED),
        Notice::Review(id) => tell("review", (id as f64).into(), JsValue::UNDEFINED),
    });
    let props = WidgetProps {
        config: Rc::new(config),
        on_notice,
        refresh: 0,
    };
    let app = Renderer::<Widget>::with_root_and_props(root, props.clone()).render();
    Ok(Mounted {
        app: Some((app, props)),
    })
}
