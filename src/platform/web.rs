//! The browser side of [`crate::platform`]: thin calls into web APIs.

use js_sys::{Array, Date, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomParser, Element, SupportedType, Url};

/// A parsed JSON document, read through the browser: `JSON.parse` and property reads, so
/// no JSON parser is compiled into the wasm.
#[derive(Debug, Clone)]
pub struct Json(JsValue);

impl Json {
    /// Parses `text`; `None` when it is not JSON.
    pub fn parse(text: &str) -> Option<Json> {
        js_sys::JSON::parse(text).ok().map(Json)
    }

    /// The field `key` of an object; `None` for anything else, or a missing or null field.
    pub fn get(&self, key: &str) -> Option<Json> {
        if !self.is_object() {
            return None;
        }
        // Own properties only: a feed cannot reach `__proto__` or `constructor` this way.
        // (getOwnPropertyDescriptor rather than Object.hasOwn, which older Safari lacks.)
        let key = JsValue::from_str(key);
        let object: &Object = self.0.unchecked_ref();
        let own = Reflect::get_own_property_descriptor(object, &key);
        if !own.is_ok_and(|descriptor| !descriptor.is_undefined()) {
            return None;
        }
        Reflect::get(&self.0, &key)
            .ok()
            .filter(|v| !v.is_null() && !v.is_undefined())
            .map(Json)
    }

    pub fn is_object(&self) -> bool {
        self.0.is_object() && !Array::is_array(&self.0)
    }

    pub fn as_string(&self) -> Option<String> {
        self.0.as_string()
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }

    /// The first `max` elements of an array; `None` for anything else.
    pub fn elements(&self, max: usize) -> Option<Vec<Json>> {
        if !Array::is_array(&self.0) {
            return None;
        }
        let list: &Array = self.0.unchecked_ref();
        let len = (list.length() as usize).min(max);
        Some((0..len as u32).map(|i| Json(list.get(i))).collect())
    }
}

/// The normalised `href` of an absolute `http:` or `https:` URL, or `None` for anything else.
///
/// The browser's own parser sees through tricks like `java\tscript:` or ` JAVASCRIPT:`,
/// exactly as it would when following the link.
pub fn http_url(raw: &str) -> Option<String> {
    let url = Url::new(raw).ok()?;
    matches!(url.protocol().as_str(), "http:" | "https:").then(|| url.href())
}

/// Resolves `input` against `base` (the page's URL); `None` when it is not a URL at all.
pub fn resolve_url(input: &str, base: &str) -> Option<String> {
    Url::new_with_base(input, base).ok().map(|url| url.href())
}

/// `input` resolved against `base`, when it is on `base`'s own origin: a feed's live stream
/// is accepted only from the feed's server.
pub fn same_origin(input: &str, base: &str) -> Option<String> {
    let url = Url::new_with_base(input, base).ok()?;
    (url.origin() == Url::new(base).ok()?.origin()).then(|| url.href())
}

/// `url` asking for `revision` or later (`?rev=`): a URL no cache holds an older copy for.
pub fn with_revision(url: &str, revision: u64) -> String {
    match Url::new(url) {
        Ok(parsed) => {
            // Written by the browser: Rust's u64 formatting would add to the wasm.
            let digits = js_sys::Number::from(revision as f64)
                .to_string_with_radix(10)
                .map(String::from)
                .unwrap_or_default();
            parsed.search_params().set("rev", &digits);
            parsed.href()
        }
        Err(_) => url.to_owned(),
    }
}

/// The text of an HTML fragment, parsed by the inert `DOMParser`: nothing in it runs or loads.
pub fn html_to_text(html: &str) -> String {
    let Ok(parser) = DomParser::new() else {
        return String::new();
    };
    let Ok(doc) = parser.parse_from_string(html, SupportedType::TextHtml) else {
        return String::new();
    };
    let each = |selector: &str, f: &dyn Fn(Element)| {
        if let Ok(list) = doc.query_selector_all(selector) {
            for i in 0..list.length() {
                if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    f(el);
                }
            }
        }
    };
    // Script and style bodies are text nodes too, but nothing a reader should see.
    each("script,style,template,noscript", &|el| el.remove());
    // Blocks and line breaks end words: "<p>One.</p><p>Two.</p>" is "One. Two.".
    each(
        "address,article,blockquote,br,dd,div,dt,figcaption,footer,h1,h2,h3,h4,h5,h6,header,hr,li,p,pre,section,td,th,tr",
        &|el| {
            let _ = el.after_with_str_1(" ");
        },
    );
    doc.body()
        .and_then(|body| body.text_content())
        .unwrap_or_default()
}

/// The browser's `Intl` object, for calls that must not throw into the wasm.
fn intl(name: &str) -> Option<(JsValue, Function)> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let member = Reflect::get(&intl, &name.into()).ok()?.dyn_into().ok()?;
    Some((intl, member))
}

/// Whether `Intl` accepts `tag`; `Intl` throws a RangeError for tags like `en_US`.
pub fn supports_language(tag: &str) -> bool {
    intl("getCanonicalLocales").is_some_and(|(intl, get)| get.call1(&intl, &tag.into()).is_ok())
}

/// Whether the browser accepts `value` as a CSS colour.
pub fn supports_colour(value: &str) -> bool {
    web_sys::css::supports_with_value("color", value).unwrap_or(false)
}

/// `new Intl[name](lang, options)[method](...args)`: one way into `Intl` for every
/// formatter, constructed through `Reflect` so that a bad locale, zone or option is `None`
/// instead of a throw into the wasm.
fn intl_call(
    name: &str,
    lang: Option<&str>,
    options: &[(&str, &str)],
    method: &str,
    args: &[JsValue],
) -> Option<String> {
    let (_, constructor) = intl(name)?;
    let settings = Object::new();
    for (key, value) in options {
        Reflect::set(&settings, &(*key).into(), &(*value).into()).ok()?;
    }
    let locales = Array::of1(&lang.map_or(JsValue::UNDEFINED, JsValue::from_str));
    let formatter = Reflect::construct(&constructor, &Array::of2(&locales, &settings)).ok()?;
    let call: Function = Reflect::get(&formatter, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args: Array = args.iter().collect();
    call.apply(&formatter, &args).ok()?.as_string()
}

fn intl_format(
    name: &str,
    lang: Option<&str>,
    options: &[(&str, &str)],
    args: &[JsValue],
) -> Option<String> {
    intl_call(name, lang, options, "format", args)
}

/// A date and time in the reader's locale, date and time joined by a space:
/// "5 December 2023 22:27" in `en-GB`; the date alone without `with_time`. `time_zone` is
/// for tests and for dates alone (UTC, so that no zone moves them); readers get their own.
pub fn format_datetime(
    epoch_ms: i64,
    lang: Option<&str>,
    time_zone: Option<&str>,
    with_time: bool,
) -> String {
    let date = Date::new(&JsValue::from_f64(epoch_ms as f64));
    let part = |fields: &[(&str, &str)]| -> Option<String> {
        let mut options = fields.to_vec();
        if let Some(tz) = time_zone {
            options.push(("timeZone", tz));
        }
        intl_format("DateTimeFormat", lang, &options, &[date.clone().into()])
    };
    let day = part(&[("day", "numeric"), ("month", "long"), ("year", "numeric")])
        // A browser without month names for the language writes "2026 M11 27" (ICU's
        // root pattern): numbers read better.
        .filter(|day| {
            !day.as_bytes()
                .windows(2)
                .any(|w| w[0] == b'M' && w[1].is_ascii_digit())
        })
        .or_else(|| {
            part(&[
                ("day", "2-digit"),
                ("month", "2-digit"),
                ("year", "numeric"),
            ])
        });
    if !with_time {
        return day.unwrap_or_else(|| date.to_iso_string().into());
    }
    let time = part(&[("hour", "2-digit"), ("minute", "2-digit")]);
    match (day, time) {
        (Some(day), Some(time)) => day + " " + &time,
        _ => date.to_iso_string().into(),
    }
}

/// "5 minutes ago" in the reader's language, from `Intl.RelativeTimeFormat`; `None` where
/// the browser lacks it, or lacks the words for the language ("-5 min", ICU's root form).
pub fn minutes_ago(minutes: u32, lang: Option<&str>) -> Option<String> {
    let args = [JsValue::from(-f64::from(minutes)), "minute".into()];
    intl_format("RelativeTimeFormat", lang, &[], &args).filter(|ago| !ago.starts_with('-'))
}

/// `value` in the reader's locale with exactly `digits` decimals (`Intl.NumberFormat`).
pub fn format_number(value: f64, digits: &str, lang: Option<&str>) -> String {
    let options = [
        ("minimumFractionDigits", digits),
        ("maximumFractionDigits", digits),
    ];
    intl_format("NumberFormat", lang, &options, &[value.into()]).unwrap_or_default()
}

/// The plural category of `n` in the language (`Intl.PluralRules`): "one", "few", "other"...
pub fn plural_category(n: f64, lang: Option<&str>) -> String {
    intl_call("PluralRules", lang, &[], "select", &[n.into()]).unwrap_or_else(|| "other".to_owned())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    Date::now()
}

/// Calls `tick` every `period_ms` while the page is visible. A tick that falls while the
/// page is hidden is skipped and made up as soon as the page is shown again, so a
/// background tab costs the agency nothing. Dropping the handle stops it all.
pub struct Repeat {
    _interval: gloo_timers::callback::Interval,
    document: web_sys::Document,
    on_visible: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

pub fn every_visible_period(period_ms: u32, tick: impl Fn() + 'static) -> Option<Repeat> {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    let document = web_sys::window()?.document()?;
    let tick = Rc::new(tick);
    let due = Rc::new(Cell::new(false));
    let interval = {
        let (tick, due, document) = (tick.clone(), due.clone(), document.clone());
        gloo_timers::callback::Interval::new(period_ms, move || {
            if document.hidden() {
                due.set(true);
            } else {
                tick();
            }
        })
    };
    let on_visible = {
        let document = document.clone();
        Closure::<dyn FnMut()>::new(move || {
            if !document.hidden() && due.replace(false) {
                tick();
            }
        })
    };
    document
        .add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref())
        .ok()?;
    Some(Repeat {
        _interval: interval,
        document,
        on_visible,
    })
}

impl Drop for Repeat {
    fn drop(&mut self) {
        let _ = self.document.remove_event_listener_with_callback(
            "visibilitychange",
            self.on_visible.as_ref().unchecked_ref(),
        );
    }
}

/// A fresh random id: 128 bits from `crypto.getRandomValues`, which, unlike
/// `randomUUID`, also works on partner pages served over plain http.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    if bytes == [0; 16] {
        // No crypto at all: still unique enough to tell two submissions apart.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (js_sys::Math::random() * 256.0) as u8 ^ (i as u8);
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

/// The address of the page the widget sits on, without its query and fragment: they can
/// carry a reader's tokens (a reset link, `#access_token=…`), which must not travel with a
/// review.
pub fn page_url() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    crate::review::page_without_secrets(&href).to_owned()
}

/// The host page's `<html lang>`, when `Intl` accepts it (real pages carry values like
/// `en_US`): where the widget looks for its language after `lang` and the feed's. Read
/// through `Document.prototype`'s own getter, as the loader reads the document: an element
/// the page names `documentElement` shadows the document's property.
pub fn page_language() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let prototype = Reflect::get(&js_sys::global(), &"Document".into())
        .and_then(|document| Reflect::get(&document, &"prototype".into()))
        .ok()?;
    let getter: Function = Reflect::get(
        &Object::get_own_property_descriptor(
            prototype.unchecked_ref::<Object>(),
            &"documentElement".into(),
        ),
        &"get".into(),
    )
    .ok()?
    .dyn_into()
    .ok()?;
    getter
        .call0(&document)
        .ok()?
        .dyn_into::<Element>()
        .ok()?
        .get_attribute("lang")
        .map(|lang| lang.trim().to_owned())
        .filter(|lang| crate::i18n::is_language_tag(lang))
}

/// The reader's own language (`navigator.language`), when `Intl` accepts it.
pub fn reader_language() -> Option<String> {
    web_sys::window()?
        .navigator()
        .language()
        .filter(|lang| crate::i18n::is_language_tag(lang))
}

/// Unicode lower case by the browser, which already carries the case tables.
pub fn lowercase(s: &str) -> String {
    String::from(js_sys::JsString::from(s).to_lower_case())
}

/// A console warning, for partner developers.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
