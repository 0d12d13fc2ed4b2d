//! The wasm entry: the loader's second stage (`www/loader/second.js`) calls [`mount`] once
//! per `<newswire-widget>` element that it renders on the client, with the container it
//! made in the element's shadow root, already styled; or [`hydrate`] for one that shows the
//! server's HTML, which the wasm then takes over in place.

use crate::components::widget::{Notice, Widget, WidgetProps};
use crate::config::Config;
use crate::i18n::{Key, Locale};
use crate::platform::{self, Json};
use crate::state::Initial;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};
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
            None => self.start(config, None),
        }
    }

    /// Fetches the feed again now (`Newswire.refresh()`).
    pub fn refresh(&mut self) {
        if let Some((app, props)) = self.app.as_mut() {
            props.refresh += 1;
            app.update(props.clone());
        }
    }

    /// The feed's stream announced `revision`: the widget fetches it, unless it has it.
    pub fn follow(&mut self, revision: f64) {
        if let Some((app, props)) = self.app.as_mut() {
            let revision = revision as u64;
            if revision > props.announced {
                props.announced = revision;
                app.update(props.clone());
            }
        }
    }

    /// Tears the widget down: its components, effects and listeners.
    pub fn unmount(&mut self) {
        if let Some((app, _)) = self.app.take() {
            app.destroy();
        }
    }

    /// Renders the widget into the root: over whatever is there, or, with `initial`, onto
    /// the server's HTML already there (hydration, which keeps every node).
    fn start(&mut self, config: Config, initial: Option<Initial>) {
        let notify = self.notify.clone();
        let on_notice = Callback::from(move |notice: Notice| {
            let (kind, a, b): (&str, JsValue, JsValue) = match notice {
                Notice::Loading => ("loading", JsValue::UNDEFINED, JsValue::UNDEFINED),
                Notice::Ready { headlines, briefs } => {
                    ("ready", (headlines as u32).into(), (briefs as u32).into())
                }
                Notice::Error(message) => ("error", message.into(), JsValue::UNDEFINED),
                Notice::Review(id) => ("review", (id as f64).into(), JsValue::UNDEFINED),
                Notice::Live(Some((stream, revision))) => {
                    ("live", stream.into(), (revision as f64).into())
                }
                Notice::Live(None) => ("live", JsValue::UNDEFINED, JsValue::UNDEFINED),
            };
            let _ = notify.call3(&JsValue::NULL, &kind.into(), &a, &b);
        });
        let hydrating = initial.is_some();
        let props = WidgetProps {
            config: Rc::new(config),
            on_notice,
            refresh: 0,
            initial: initial.map(Rc::new),
            announced: 0,
        };
        let renderer = Renderer::<Widget>::with_root_and_props(self.root.clone(), props.clone());
        let app = if hydrating {
            renderer.hydrate()
        } else {
            self.root.replace_children_with_node_0();
            renderer.render()
        };
        self.app = Some((app, props));
    }
}

/// The configuration from `host`'s attributes, each unusable value warned about on the
/// console; `None` (with an error on the console) when there is no usable feed.
fn read_config(host: &HtmlElement) -> Option<Config> {
    config_from(host, |name| host.get_attribute(name))
}

/// The same, with the attributes read through `attr`.
fn config_from(host: &HtmlElement, attr: impl Fn(&str) -> Option<String>) -> Option<Config> {
    let base = host.base_uri().ok().flatten().unwrap_or_default();
    let parsed = Config::from_attributes(attr, |input| platform::resolve_url(input, &base));
    match parsed {
        Ok((mut config, warnings)) => {
            for warning in warnings {
                platform::warn(&warning.to_string());
            }
            config.page_language = platform::page_language();
            config.reader_language = platform::reader_language();
            Some(config)
        }
        Err(error) => {
            web_sys::console::error_1(&JsValue::from_str(&error.to_string()));
            None
        }
    }
}

/// One console message per stopped widget: this one, with the panic's own words. The flag
/// tells the loader, which contains the trap that follows, not to add another.
fn report_panics() {
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
}

/// Hands the feed request the loader started for `host`, if it did, to the services.
fn take_early(host: &HtmlElement) {
    crate::services::hand_over(js_sys::Reflect::get(host, &"_nwEarly".into()).unwrap_or_default());
}

/// Reads `host`'s attributes and renders the widget into `root`, replacing its placeholder.
/// Invalid attributes are reported as console warnings; a missing feed is an error state.
/// `notify(kind, a, b)` tells the loader what happened: `"loading"`, `"ready"` (a, b: the
/// numbers of headlines and briefs), `"error"` (a: the message), `"review"` (a: its id),
/// `"live"` (a: the feed's stream, b: the revision on screen; none: not live) and
/// `"unset"` (no usable feed yet; a: the words to show, b: their direction).
#[wasm_bindgen]
pub fn mount(host: HtmlElement, root: Element, notify: js_sys::Function) -> Mounted {
    report_panics();
    // The feed request the loader started for this widget, when it did.
    take_early(&host);
    let mut mounted = Mounted {
        root,
        notify,
        app: None,
    };
    match read_config(&host) {
        Some(config) => mounted.start(config, None),
        None => {
            // The loader shows this in its own message box: the words in the language of
            // the `lang` attribute, else the page's, and their direction.
            let lang = host.get_attribute("lang");
            let page = platform::page_language();
            let locale = Locale::for_reader(
                &[lang.as_deref(), page.as_deref()],
                platform::reader_language().as_deref(),
            );
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

/// Takes over the server's HTML in `root` (the server's `.nw-root`): `state` is the JSON
/// the server rendered it from (`{"news": …, "etag": …, "rating": [average, count]}`), and
/// `attributes` the element's attributes as they were when it was rendered (an object of
/// name to value), so that the first render is the server's even if they changed since;
/// the loader applies the new ones with `update` afterwards. The star and the comment the
/// reader gave before now are kept, so no node is rebuilt. State that cannot be read gives a
/// clean client render instead, never a trap; the loader checks the release before it calls
/// this.
#[wasm_bindgen]
pub fn hydrate(
    host: HtmlElement,
    root: Element,
    state: &str,
    attributes: js_sys::Object,
    notify: js_sys::Function,
) -> Mounted {
    // (None for a widget the server rendered; a reused instance forgets its last widget's.)
    take_early(&host);
    let Some(initial) = Json::parse(state).and_then(|json| initial(&json, &root)) else {
        return mount(host, root, notify);
    };
    report_panics();
    let mut mounted = Mounted {
        root,
        notify,
        app: None,
    };
    let rendered_with = |name: &str| {
        js_sys::Reflect::get(&attributes, &name.into())
            .ok()
            .and_then(|value| value.as_string())
    };
    match config_from(&host, rendered_with) {
        Some(config) => mounted.start(config, Some(initial)),
        None => return mount(host, mounted.root, mounted.notify),
    }
    mounted
}

/// The hydration state, with the reader's draft read from the server's form.
fn initial(state: &Json, root: &Element) -> Option<Initial> {
    let stars = root
        .query_selector("input[name=rating]:checked")
        .ok()
        .flatten()
        .and_then(|input| input.dyn_into::<HtmlInputElement>().ok())
        .and_then(|input| input.value().parse().ok());
    let comment = root
        .query_selector("textarea")
        .ok()
        .flatten()
        .and_then(|area| area.dyn_into::<HtmlTextAreaElement>().ok())
        .map(|area| area.value())
        .unwrap_or_default();
    Some(Initial {
        stars,
        comment,
        ..Initial::read(state)?
    })
}
