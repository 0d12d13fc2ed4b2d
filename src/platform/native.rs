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

/// The normalised `href` of an absolute `http:` or `https:` URL, or `None` for anything
/// else: the WHATWG URL parser, as the browser's `URL` is, so the server renders the links
/// the browser would.
pub fn http_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Resolves `input` against `base` (the page's URL); `None` when it is not a URL at all.
pub fn resolve_url(input: &str, base: &str) -> Option<String> {
    let base = url::Url::parse(base).ok();
    url::Url::options()
        .base_url(base.as_ref())
        .parse(input)
        .ok()
        .map(|url| url.to_string())
}

/// `input` resolved against `base`, when it is on `base`'s own origin.
pub fn same_origin(input: &str, base: &str) -> Option<String> {
    let base = url::Url::parse(base).ok()?;
    let url = base.join(input).ok()?;
    (url.origin() == base.origin()).then(|| url.to_string())
}

/// `url` asking for `revision` or later (`?rev=`).
pub fn with_revision(url: &str, revision: u64) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "rev")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("rev", &revision.to_string());
            parsed.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

/// Elements whose text a reader never sees.
const HIDDEN: &[&str] = &["script", "style", "template", "noscript"];
/// Elements that end a word, as the browser's version treats them.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dt",
    "figcaption",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "p",
    "pre",
    "section",
    "td",
    "th",
    "tr",
];

/// The text of an HTML fragment, as the browser's version reads it: tags dropped, the
/// contents of script, style, template and noscript dropped, a space after each block, and
/// character references decoded.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    let mut hidden: Option<String> = None;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        // As in HTML, `<` opens a tag only before a letter, `/` or `!`: "1 < 2" is text.
        if !after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            if hidden.is_none() {
                text.push_str(&decode(&rest[..=open]));
            }
            rest = after;
            continue;
        }
        if hidden.is_none() {
            text.push_str(&decode(&rest[..open]));
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(close) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..close];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match &hidden {
            Some(open_name) if closing && *open_name == name => hidden = None,
            Some(_) => {}
            None if !closing && HIDDEN.contains(&name.as_str()) => hidden = Some(name),
            None if BLOCKS.contains(&name.as_str())
                && (closing || name == "br" || name == "hr") =>
            {
                text.push(' ')
            }
            None => {}
        }
        rest = &after[close + 1..];
    }
    if hidden.is_none() {
        text.push_str(&decode(rest));
    }
    text
}

/// Decodes the character references a feed's HTML uses: the common named ones and every
/// numeric one.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|end| *end <= 10);
        let decoded = end.and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| *c != '\0')?
                }
            };
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a tag is one `Intl` accepts: by the same grammar (UTS #35 locale identifiers,
/// which ICU parses in the browser too), so that the server renders the language the wasm
/// will choose.
pub fn supports_language(tag: &str) -> bool {
    icu_locale_core::Locale::try_from_str(tag).is_ok()
}

/// Natively the shape check in `config` is all there is; the browser asks `CSS.supports`.
pub fn supports_colour(_value: &str) -> bool {
    true
}

/// The date and time in `time_zone` (an IANA name; UTC without one), written the same way
/// in every language with the zone's abbreviation: "2023-12-05 22:27 UTC". This is what a
/// page with no script at all shows (the server's Declarative Shadow DOM include); with the
/// loader on the page, every `<time>` is written in the reader's locale and zone by the
/// browser's `Intl` before it is shown, as the wasm writes it.
/// A date alone (`with_time` false) is written `2023-12-16`.
pub fn format_datetime(
    epoch_ms: i64,
    _lang: Option<&str>,
    time_zone: Option<&str>,
    with_time: bool,
) -> String {
    let zone = time_zone
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let pattern = if with_time {
        "%Y-%m-%d %H:%M %Z"
    } else {
        "%Y-%m-%d"
    };
    match jiff::Timestamp::from_millisecond(epoch_ms) {
        Ok(at) => at.to_zoned(zone).strftime(pattern).to_string(),
        Err(_) => crate::date::rfc3339_utc(epoch_ms),
    }
}

/// Whether `name` is a time zone the server knows (an IANA name such as `Europe/London`).
pub fn is_time_zone(name: &str) -> bool {
    time_zone_name(name).is_some()
}

/// The IANA name of the zone `name` names, as the database spells it (`europe/london` is
/// `Europe/London`); `None` for anything else.
pub fn time_zone_name(name: &str) -> Option<String> {
    if name.len() > 64 {
        return None;
    }
    let zone = jiff::tz::TimeZone::get(name).ok()?;
    zone.iana_name().map(str::to_owned)
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

/// There is no host page natively: the server is told it by the loader's request.
pub fn page_language() -> Option<String> {
    None
}

/// There is no reader natively: the server is told their language by the loader's request.
pub fn reader_language() -> Option<String> {
    None
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
    fn a_stream_is_accepted_only_on_the_feed_s_origin_as_the_browser_s_version_does() {
        let feed = "https://agency.example/news/feed.json?lang=en";
        assert_eq!(
            same_origin("/feed/events", feed).as_deref(),
            Some("https://agency.example/feed/events")
        );
        assert_eq!(
            same_origin("https://elsewhere.example/feed/events", feed),
            None
        );
        assert_eq!(same_origin("//elsewhere.example/x", feed), None);
        assert_eq!(same_origin("http://agency.example/feed/events", feed), None);
        assert_eq!(
            with_revision(feed, 12),
            "https://agency.example/news/feed.json?lang=en&rev=12"
        );
        assert_eq!(
            with_revision("https://agency.example/feed.json?rev=3", 4_000_000_000),
            "https://agency.example/feed.json?rev=4000000000"
        );
    }

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
    fn formats_dates_in_a_zone_or_utc() {
        assert_eq!(
            format_datetime(1_701_815_220_000, None, None, true),
            "2023-12-05 22:27 UTC"
        );
        assert_eq!(
            format_datetime(1_701_815_220_000, None, Some("Asia/Baku"), true),
            "2023-12-06 02:27 +04"
        );
        assert_eq!(
            format_datetime(1_701_815_220_000, None, Some("Europe/London"), true),
            "2023-12-05 22:27 GMT"
        );
        assert_eq!(
            format_datetime(0, None, Some("Not/AZone"), true),
            "1970-01-01 00:00 UTC"
        );
        assert!(is_time_zone("Africa/Cairo"));
        assert!(!is_time_zone("Mars/Olympus") && !is_time_zone("../../etc/passwd"));
    }

    #[test]
    fn html_reads_as_the_browser_reads_it() {
        assert_eq!(
            html_to_text("<p>Vote&nbsp;<b>today</b> &amp; tomorrow</p><p>Two &#x2014; &#8212;</p>"),
            "Vote\u{a0}today & tomorrow Two \u{2014} \u{2014} "
        );
        assert_eq!(
            html_to_text("a<script>alert('<b>')</script>b<style>p{}</style>c<br>d & e"),
            "abc d & e"
        );
        assert_eq!(html_to_text("&bogus; &#0; 1 < 2"), "&bogus; &#0; 1 < 2");
        assert_eq!(html_to_text("a<!-- <p>hidden</p> -->b"), "ab");
    }
}
