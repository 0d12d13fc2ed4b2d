//! The native side of [`crate::platform`], for render tests on the host. It mirrors the
//! browser's answers for the inputs the tests use; the browser tests cover `web.rs` itself.

/// A parsed JSON document: serde_json natively, the browser's `JSON.parse` in the wasm.
#[derive(Debug, Clone)]
pub struct Json(serde_json::Value);

impl Json {
    /// Parses `text`; `None` when it is not JSON.
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok().map(Json)
    }

    /// The field `key` of an object; `None` for anything else, or a missing or null field.
    pub fn get(&self, key: &str) -> Option<Json> {
        self.0
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| Json(v.clone()))
    }

    pub fn is_object(&self) -> bool {
        self.0.is_object()
    }

    pub fn as_string(&self) -> Option<String> {
        self.0.as_str().map(str::to_owned)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }

    /// The first `max` elements of an array; `None` for anything else.
    pub fn elements(&self, max: usize) -> Option<Vec<Json>> {
        let list = self.0.as_array()?;
        Some(list.iter().take(max).cloned().map(Json).collect())
    }
}

/// The `href` of an absolute `http:` or `https:` URL, or `None` for anything else.
pub fn http_url(raw: &str) -> Option<String> {
    // Like the URL parser: leading and trailing spaces go, tabs and newlines vanish anywhere.
    let cleaned: String = raw
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, rest) = cleaned.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !matches!(scheme.as_str(), "http" | "https") || rest[..host_end].is_empty() {
        return None;
    }
    let path = if host_end == rest.len() { "/" } else { "" };
    Some(format!("{scheme}://{rest}{path}"))
}

/// Resolves `input` against `base`; only absolute URLs and root-relative paths are handled.
pub fn resolve_url(input: &str, base: &str) -> Option<String> {
    if let Some(url) = http_url(input) {
        return Some(url);
    }
    let base = http_url(base)?;
    let (scheme, rest) = base.split_once("://")?;
    let host = &rest[..rest.find('/').unwrap_or(rest.len())];
    input
        .starts_with('/')
        .then(|| format!("{scheme}://{host}{input}"))
}

/// The text of an HTML fragment: tags dropped, the common entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Natively every well-formed tag counts as supported; the browser checks for real.
pub fn supports_language(_tag: &str) -> bool {
    true
}

/// Natively the shape check in `config` is all there is; the browser asks `CSS.supports`.
pub fn supports_colour(_value: &str) -> bool {
    true
}

/// The date and time in UTC, ISO-style; the browser formats by the reader's locale instead.
pub fn format_datetime(epoch_ms: i64, _lang: Option<&str>, _time_zone: Option<&str>) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::date::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// English only natively; the browser's `Intl.RelativeTimeFormat` speaks the reader's language.
pub fn minutes_ago(minutes: u32, _lang: Option<&str>) -> Option<String> {
    Some(match minutes {
        1 => "1 minute ago".to_owned(),
        n => format!("{n} minutes ago"),
    })
}

/// `value` with exactly `digits` decimals; the browser localises the digits too.
pub fn format_number(value: f64, digits: &str, _lang: Option<&str>) -> String {
    let digits = digits.parse().unwrap_or(0);
    format!("{value:.digits$}")
}

/// CLDR's plural categories for whole numbers in the languages the widget speaks, as
/// the browser's `Intl.PluralRules` gives them.
pub fn plural_category(n: f64, lang: Option<&str>) -> String {
    let n = n as u64;
    let lang = lang.and_then(crate::i18n::Lang::of);
    let category = match lang {
        Some(crate::i18n::Lang::Ru) => match (n % 10, n % 100) {
            (1, h) if h != 11 => "one",
            (2..=4, h) if !(12..=14).contains(&h) => "few",
            _ => "many",
        },
        Some(crate::i18n::Lang::Ar) => match (n, n % 100) {
            (0, _) => "zero",
            (1, _) => "one",
            (2, _) => "two",
            (_, 3..=10) => "few",
            (_, 11..=99) => "many",
            _ => "other",
        },
        _ if n == 1 => "one",
        _ => "other",
    };
    category.to_owned()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// Nothing repeats natively: effects do not run in server-side rendering.
pub struct Repeat;

pub fn every_visible_period(_period_ms: u32, _tick: impl Fn() + 'static) -> Option<Repeat> {
    None
}

/// A counter, so that native tests get distinct keys without a random source.
pub fn random_key() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:032x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// There is no page natively.
pub fn page_url() -> String {
    String::new()
}

/// There is no host page natively.
pub fn host_languages() -> Vec<String> {
    Vec::new()
}

/// Unicode lower case.
pub fn lowercase(s: &str) -> String {
    s.to_lowercase()
}

/// Warnings go to standard error natively.
pub fn warn(message: &str) {
    eprintln!("{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_url_keeps_only_web_links() {
        assert_eq!(
            http_url("https://example.org/a?b#c").as_deref(),
            Some("https://example.org/a?b#c")
        );
        assert_eq!(
            http_url(" HTTP://example.org").as_deref(),
            Some("http://example.org/")
        );
        for bad in [
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,hi",
            "//example.org/x",
            "/relative",
            "ftp://example.org/",
            "https://",
        ] {
            assert_eq!(http_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_utc_dates() {
        assert_eq!(
            format_datetime(1_701_815_220_000, None, None),
            "2023-12-05 22:27"
        );
        assert_eq!(format_datetime(0, None, None), "1970-01-01 00:00");
    }
}
