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
    root: Element,
    notify: js_sys::Function,
    /// The app and the props it was last given; `None` once unmounted, or while the
    /// attributes do not allow a start (no usable `feed`).
    app: Option<(AppHandle<Widget>, WidgetProps)>,
}

#[wasm_bindgen]
impl Mounted {
    /// Reads the host's attributes again and updates the widget in place: the element's
    /// attributes changed. Values that cannot be used keep the current configuration; a
    /// widget that could not start (a page that sets `feed` late) starts now.
    pub fn update(&mut self, host: HtmlElement) {
        let Some(config) = read_config(&host) else {
            return;
        };
        match self.app.as_mut() {
            Some((app, props)) => {
                props.config = Rc::new(config);
                app.update(props.clone());
            }
            None => self.start(config),
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

    /// Renders the widget into the root, replacing whatever is there.
    fn start(&mut self, config: Config) {
        self.root.replace_children_with_node_0();
        let notify = self.notify.clone();
        let on_notice = Callback::from(move |notice: Notice| {
            let (kind, a, b): (&str, JsValue, JsValue) = match notice {
                Notice::Loading => ("loading", JsValue::UNDEFINED, JsValue::UNDEFINED),
                Notice::Ready { headlines, briefs } => {
                    ("ready", (headlines as u32).into(), (briefs as u32).into())
                }
                Notice::Error(message) => ("error", message.into(), JsValue::UNDEFINED),
                Notice::Review(id) => ("review", (id as f64).into(), JsValue::UNDEFINED),
            };
            let _ = notify.call3(&JsValue::NULL, &kind.into(), &a, &b);
        });
        let props = WidgetProps {
            config: Rc::new(config),
            on_notice,
            refresh: 0,
        };
        let app =
            Renderer::<Widget>::with_root_and_props(self.root.clone(), props.clone()).render();
        self.app = Some((app, props));
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
/// numbers of headlines and briefs), `"error"` (a: the message), `"review"` (a: its id) and
/// `"unset"` (no usable feed yet; a: the words to show, b: their direction).
#[wasm_bindgen]
pub fn mount(host: HtmlElement, root: Element, notify: js_sys::Function) -> Mounted {
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
    let mut mounted = Mounted {
        root,
        notify,
        app: None,
    };
    match read_config(&host) {
        Some(config) => mounted.start(config),
        None => {
            // The loader shows this in its own message box: the words in the language of
            // the `lang` attribute, else the page's, and their direction.
            let lang = host.get_attribute("lang");
            let hosts = platform::host_languages();
            let mut candidates = vec![lang.as_deref()];
            candidates.extend(hosts.iter().map(|tag| Some(tag.as_str())));
            let locale = Locale::choose(&candidates);
            let _ = mounted.notify.call3(
                &JsValue::NULL,
                &"unset".into(),
                &locale.text(Key::NotSetUp).into(),
                &locale.lang.dir().into(),
            );
        }
    }
    mounted
}
