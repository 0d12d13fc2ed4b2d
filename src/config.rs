//! The widget's configuration, read from the host element's attributes.
//!
//! Parsing is pure: it takes an attribute getter and a URL resolver, so it runs the same in
//! native tests as in the browser. A bad value never stops the widget: it becomes a
//! [`ConfigError`] that the entry logs as a console warning, and the default is used.
//! Only a missing or unusable `feed` is fatal, since there is nothing to show without it.

/// Every attribute of `<newswire-widget>`, in the order the docs give them: the ones the wasm
/// reads here, and `sections`, `density`, `ticker` and `loading`, which the loader applies
/// itself. The loader (`www/loader/`), `www/newswire.d.ts`, the configurator and docs/embedding.md
/// list them too; `tests/attributes.rs` keeps every one of those in step with this list.
pub const ATTRIBUTES: &[&str] = &[
    "feed",
    "theme",
    "accent",
    "category",
    "max-briefs",
    "lang",
    "review-endpoint",
    "refresh",
    "live",
    "fallback-url",
    "show-rating",
    "heading-level",
    "title",
    "sections",
    "density",
    "ticker",
    "loading",
];

/// The attributes that change the server's HTML: the loader asks `/newswire/render` with
/// these, and no others.
pub const RENDERED: &[&str] = &[
    "theme",
    "category",
    "max-briefs",
    "lang",
    "show-rating",
    "heading-level",
    "title",
    "sections",
];

/// The section names `sections` takes, in the order the widget shows them.
pub const SECTION_NAMES: &[&str] = &["headlines", "briefs", "review"];

/// The enumerated attributes the loader applies itself, each with its values, the default
/// first.
pub const CHOICES: &[(&str, &[&str])] = &[
    ("density", &["comfortable", "compact"]),
    ("ticker", &["scroll", "static"]),
    ("loading", &["lazy", "eager"]),
];

/// The loader's copy of these facts, as JavaScript: `scripts/bundle-loader.mjs` writes it
/// over `@@NEWSWIRE_FACTS@@` in `www/loader/facts.js` at build time, so that the loader
/// never keeps a hand-written list of its own (`cargo run --example loader-facts` prints it).
pub fn loader_facts() -> String {
    let list = |names: &[&str]| {
        let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        format!("[{}]", quoted.join(", "))
    };
    let sections: Vec<String> = SECTION_NAMES.iter().map(|n| format!("{n}: 1")).collect();
    let choices: Vec<String> = CHOICES
        .iter()
        .map(|(name, values)| format!("'{name}': {}", list(values)))
        .collect();
    format!(
        "// Every attribute the widget reads; a change to any of them updates it in place.\n\
         var ATTRIBUTES = {};\n\
         // The ones that change the server's HTML, which the render is asked for with.\n\
         var RENDERED = {};\n\
         var SECTIONS = {{ {} }};\n\
         // Values the loader applies itself, the default first.\n\
         var CHOICES = {{ {} }};\n\
         // max-briefs: the least, the most, and the default.\n\
         var BRIEFS = [1, {MAX_BRIEFS_LIMIT}, {DEFAULT_MAX_BRIEFS}];\n",
        list(ATTRIBUTES),
        list(RENDERED),
        sections.join(", "),
        choices.join(", "),
    )
}

/// The default category whose items become briefs.
pub const DEFAULT_CATEGORY: &str = "Politics";
/// The default number of briefs.
pub const DEFAULT_MAX_BRIEFS: usize = 5;
/// The largest `max-briefs` we accept; more would not fit the reserved space usefully.
pub const MAX_BRIEFS_LIMIT: usize = 50;
/// Seconds between refreshes of the feed by default.
pub const DEFAULT_REFRESH: u32 = 300;
/// The widget's heading is an `<h2>` by default: most pages have their own `<h1>`.
pub const DEFAULT_HEADING_LEVEL: u8 = 2;
/// The shortest refresh we accept; anything faster would only load the agency's server.
pub const MIN_REFRESH: u32 = 10;

/// The colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    Light,
    Dark,
    /// Follows the reader's `prefers-color-scheme`.
    #[default]
    Auto,
}

impl Theme {
    /// The widget root's classes, which the stylesheet keys on. Plain strings rather than
    /// yew's `classes!`, whose set of class names would add a hash set to the wasm.
    pub fn class(self) -> &'static str {
        match self {
            Theme::Light => "nw theme-light",
            Theme::Dark => "nw theme-dark",
            Theme::Auto => "nw theme-auto",
        }
    }
}

/// Which of the three sections a widget shows (`sections`): the server renders, and the
/// wasm runs, only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    pub headlines: bool,
    pub briefs: bool,
    pub review: bool,
}

impl Default for Sections {
    fn default() -> Self {
        Sections {
            headlines: true,
            briefs: true,
            review: true,
        }
    }
}

impl Sections {
    /// From a comma-separated list of `headlines`, `briefs` and `review`; `None` when it
    /// names none of them (every section is then shown, and the loader warns).
    pub fn parse(value: &str) -> Option<Sections> {
        let mut shown = Sections {
            headlines: false,
            briefs: false,
            review: false,
        };
        let mut any = false;
        for name in value.split(',') {
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "headlines" => &mut shown.headlines,
                "briefs" => &mut shown.briefs,
                "review" => &mut shown.review,
                _ => continue,
            };
            *slot = true;
            any = true;
        }
        any.then_some(shown)
    }

    /// The normalised attribute value, for the server's render key.
    pub fn value(self) -> &'static str {
        match (self.headlines, self.briefs, self.review) {
            (true, true, true) => "headlines,briefs,review",
            (true, true, false) => "headlines,briefs",
            (true, false, true) => "headlines,review",
            (false, true, true) => "briefs,review",
            (true, false, false) => "headlines",
            (false, true, false) => "briefs",
            (false, false, true) => "review",
            (false, false, false) => "",
        }
    }
}

/// Everything a widget instance is told by its host element.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The absolute feed URL.
    pub feed: String,
    pub theme: Theme,
    /// A validated CSS colour.
    pub accent: Option<String>,
    /// The tag that selects briefs, compared case-insensitively.
    pub category: String,
    pub max_briefs: usize,
    /// A BCP 47 language tag for dates and text; `None` means the host's.
    pub lang: Option<String>,
    /// The absolute URL reviews are posted to.
    pub review_endpoint: String,
    /// Seconds between refreshes of the feed; `0` turns refreshing off (a live widget still
    /// hears of new stories from the stream).
    pub refresh: u32,
    /// Follow the feed's live stream, when its server offers one (`live="off"`: never).
    pub live: bool,
    /// Show the public review summary ("4.6 ★ · 120 reader reviews") by the prompt.
    pub show_rating: bool,
    /// The heading text instead of the feed's title.
    pub title: Option<String>,
    /// The host page's `<html lang>`: after `lang` and the feed's, where the widget looks
    /// for its language. The entry (or, on the server, the loader's request) fills it in.
    pub page_language: Option<String>,
    /// The reader's own language (`navigator.language`): the last place to look, and the
    /// regional format to use when it is the language chosen (`en-GB` for an `en` page).
    pub reader_language: Option<String>,
    /// The sections shown.
    pub sections: Sections,
    /// The time zone dates are written in: `None` in the browser (the reader's own); an
    /// IANA name only where the server renders for a page with no script (`tz`).
    pub time_zone: Option<String>,
    /// The level of the widget's own heading (1 to 6), so that it fits the host's outline;
    /// its sections are one level below.
    pub heading_level: u8,
}

/// A problem with one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// There is no `feed` attribute (or `data-feed` on the script tag).
    MissingFeed,
    /// The `feed` value is not an http(s) URL.
    InvalidFeed(String),
    /// Any other attribute with a value we cannot use; the default applies.
    InvalidValue {
        attribute: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl std::error::Error for ConfigError {}

impl std::fmt::Display for ConfigError {
    /// The console message, written piece by piece: formatting arguments would compile
    /// more code into the wasm for each message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pieces: &[&str] = match self {
            ConfigError::MissingFeed => &["the `feed` attribute is required"],
            ConfigError::InvalidFeed(value) => &["`feed` is not an http(s) URL: \"", value, "\""],
            ConfigError::InvalidValue {
                attribute,
                value,
                expected,
            } => &[
                "ignoring `",
                attribute,
                "`=\"",
                value,
                "\"; expected ",
                expected,
            ],
        };
        f.write_str("Newswire: ")?;
        pieces.iter().try_for_each(|piece| f.write_str(piece))
    }
}

/// The configuration, plus a warning for each attribute that fell back to its default.
pub type Parsed = (Config, Vec<ConfigError>);

impl Config {
    /// The language the widget speaks and the tag `Intl` formats with: the `lang` attribute,
    /// then the feed's language (`feed_language`), then the host page's, then the reader's,
    /// else English; in the reader's regional format when it matches. The one place this
    /// choice is made: the component renders with it, and the server keys its renders on it
    /// (two readers whose languages end in the same choice share one render).
    pub fn locale(&self, feed_language: Option<&str>) -> crate::i18n::Locale {
        let candidates = [
            self.lang.as_deref(),
            feed_language,
            self.page_language.as_deref(),
        ];
        crate::i18n::Locale::for_reader(&candidates, self.reader_language.as_deref())
    }

    /// Reads the configuration through `attr` (an attribute getter), resolving URLs with
    /// `resolve` (relative to the page). Fails only when the feed is missing or unusable.
    pub fn from_attributes(
        attr: impl Fn(&str) -> Option<String>,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Result<Parsed, ConfigError> {
        let mut warnings = Vec::new();
        let mut invalid = |attribute, value: String, expected| {
            warnings.push(ConfigError::InvalidValue {
                attribute,
                value,
                expected,
            })
        };

        let feed_attr = attr("feed").filter(|f| !f.trim().is_empty());
        let feed_attr = feed_attr.ok_or(ConfigError::MissingFeed)?;
        let feed = resolve(feed_attr.trim())
            .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
            .ok_or(ConfigError::InvalidFeed(feed_attr))?;

        let theme = match attr("theme") {
            None => Theme::Auto,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "light" => Theme::Light,
                "dark" => Theme::Dark,
                "auto" | "" => Theme::Auto,
                _ => {
                    invalid("theme", v, "light, dark or auto");
                    Theme::Auto
                }
            },
        };

        let accent = attr("accent").and_then(|v| {
            let trimmed = v.trim();
            if is_css_colour(trimmed) {
                Some(trimmed.to_owned())
            } else {
                invalid("accent", v, "a CSS colour such as #0b57d0");
                None
            }
        });

        let category = match attr("category") {
            None => DEFAULT_CATEGORY.to_owned(),
            Some(v) if !v.trim().is_empty() && v.chars().count() <= 64 => v.trim().to_owned(),
            Some(v) => {
                invalid("category", v, "a tag of 1 to 64 characters");
                DEFAULT_CATEGORY.to_owned()
            }
        };

        // One parser for every whole-number attribute: each distinct integer type would
        // compile a parser of its own into the wasm.
        let mut whole =
            |name, accept: &dyn Fn(u32) -> bool, default: u32, expected| match attr(name) {
                None => default,
                Some(v) => match v.trim().parse::<u32>() {
                    Ok(n) if accept(n) => n,
                    _ => {
                        invalid(name, v, expected);
                        default
                    }
                },
            };
        let max_briefs = whole(
            "max-briefs",
            &|n| (1..=MAX_BRIEFS_LIMIT as u32).contains(&n),
            DEFAULT_MAX_BRIEFS as u32,
            "a whole number from 1 to 50",
        ) as usize;

        let refresh = whole(
            "refresh",
            &|n| n == 0 || (MIN_REFRESH..=86_400).contains(&n),
            DEFAULT_REFRESH,
            "0 (off) or seconds from 10 to 86400",
        );

        let heading_level = whole(
            "heading-level",
            &|n| (1..=6).contains(&n),
            u32::from(DEFAULT_HEADING_LEVEL),
            "a whole number from 1 to 6",
        ) as u8;

        let lang = attr("lang").and_then(|v| {
            if crate::i18n::is_language_tag(v.trim()) {
                Some(v.trim().to_owned())
            } else {
                invalid("lang", v, "a language tag such as en or en-GB");
                None
            }
        });

        let default_endpoint = || origin(&feed).to_owned() + "/api/reviews";
        let review_endpoint = match attr("review-endpoint") {
            None => default_endpoint(),
            // An empty value would resolve to the partner's own page.
            Some(v) => match resolve(v.trim()).filter(|_| !v.trim().is_empty()) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => url,
                _ => {
                    invalid("review-endpoint", v, "an http(s) URL");
                    default_endpoint()
                }
            },
        };

        // A boolean attribute: present means on, unless it says "false".
        let show_rating =
            attr("show-rating").is_some_and(|v| !v.trim().eq_ignore_ascii_case("false"));

        let live = match attr("live") {
            None => true,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "on" => true,
                "off" => false,
                _ => {
                    invalid("live", v, "on or off");
                    true
                }
            },
        };

        let config = Config {
            feed,
            theme,
            accent,
            category,
            max_briefs,
            lang,
            review_endpoint,
            refresh,
            live,
            show_rating,
            heading_level,
            title: attr("title")
                .map(|t| crate::news::shorten(t.trim(), 200))
                .filter(|t| !t.is_empty()),
            page_language: None,
            reader_language: None,
            // The loader warns about an unusable value, since it applies it first.
            sections: attr("sections")
                .and_then(|v| Sections::parse(&v))
                .unwrap_or_default(),
            time_zone: None,
        };
        Ok((config, warnings))
    }
}

/// The scheme and authority of an absolute URL.
fn origin(url: &str) -> &str {
    // `feed` is an absolute http(s) URL here. No slicing that could panic: a panic path
    // drags Rust's formatting of the panic message into the wasm.
    let scheme = if url.starts_with("https://") { 8 } else { 7 };
    let end = url
        .char_indices()
        .skip_while(|(i, _)| *i < scheme)
        .find(|(_, c)| matches!(c, '/' | '?' | '#'))
        .map_or(url.len(), |(i, _)| i);
    url.get(..end).unwrap_or(url)
}

/// A colour the browser accepts (`CSS.supports`), in a form that cannot break out of a
/// declaration: no `;`, braces, quotes, `var()` or `url()`.
fn is_css_colour(v: &str) -> bool {
    has_colour_shape(v) && crate::platform::supports_colour(v)
}

/// Hex, a colour function, or a keyword.
fn has_colour_shape(v: &str) -> bool {
    if let Some(hex) = v.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some((name, args)) = v.split_once('(') {
        let functions = [
            "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch",
        ];
        return functions.contains(&name.to_ascii_lowercase().as_str())
            && args.ends_with(')')
            && args.strip_suffix(')').is_some_and(|inner| {
                inner.chars().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, ' ' | '.' | ',' | '%' | '/' | '+' | '-')
                })
            });
    }
    !v.is_empty() && v.len() <= 32 && v.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(attrs: &[(&str, &str)]) -> Result<Parsed, ConfigError> {
        let map: HashMap<String, String> = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_attributes(
            |name| map.get(name).cloned(),
            |input| crate::platform::resolve_url(input, "https://partner.example/news/page.html"),
        )
    }

    #[test]
    fn defaults_apply_when_only_the_feed_is_given() {
        // Action.
        let (config, warnings) = parse(&[("feed", "https://agency.example/feed.json")]).unwrap();
        // Assert.
        assert!(warnings.is_empty());
        assert_eq!(config.feed, "https://agency.example/feed.json");
        assert_eq!(config.theme, Theme::Auto);
        assert_eq!(config.accent, None);
        assert_eq!(config.category, "Politics");
        assert_eq!(config.max_briefs, 5);
        assert_eq!(config.lang, None);
        assert_eq!(config.review_endpoint, "https://agency.example/api/reviews");
        assert_eq!(config.refresh, 300);
        assert!(!config.show_rating);
        assert_eq!(config.heading_level, 2);
        let with = |v: &str| {
            parse(&[("feed", "https://a.example/f"), ("show-rating", v)])
                .unwrap()
                .0
                .show_rating
        };
        assert!(with("") && with("show-rating") && !with("false"));
    }

    #[test]
    fn live_is_on_unless_the_page_says_off() {
        let live = |v: &str| {
            let (config, warnings) =
                parse(&[("feed", "https://a.example/f"), ("live", v)]).unwrap();
            (config.live, warnings.len())
        };
        assert!(parse(&[("feed", "https://a.example/f")]).unwrap().0.live);
        assert_eq!(live(""), (true, 0));
        assert_eq!(live(" ON "), (true, 0));
        assert_eq!(live("off"), (false, 0));
        assert_eq!(live("Off"), (false, 0));
        assert_eq!(live("sometimes"), (true, 1));
    }

    #[test]
    fn refresh_is_off_at_zero_and_bounded_otherwise() {
        let refresh = |v: &str| {
            let (config, warnings) =
                parse(&[("feed", "https://a.example/f"), ("refresh", v)]).unwrap();
            (config.refresh, warnings.len())
        };
        assert_eq!(refresh("0"), (0, 0));
        assert_eq!(refresh(" 60 "), (60, 0));
        assert_eq!(refresh("86400"), (86_400, 0));
        for bad in ["5", "-1", "1.5", "soon", "86401", ""] {
            assert_eq!(refresh(bad), (300, 1), "{bad}");
        }
    }

    #[test]
    fn title_replaces_the_feeds_when_it_has_words() {
        let title = |v: &str| {
            parse(&[("feed", "https://a.example/f"), ("title", v)])
                .unwrap()
                .0
                .title
        };
        assert_eq!(title(" Our wire ").as_deref(), Some("Our wire"));
        assert_eq!(title("   "), None);
        assert_eq!(
            title(&"word ".repeat(100)).map(|t| t.chars().count() <= 201),
            Some(true)
        );
    }

    #[test]
    fn sections_are_named_in_any_order_and_nothing_usable_shows_all() {
        let sections = |v: &str| {
            parse(&[("feed", "https://a.example/f"), ("sections", v)])
                .unwrap()
                .0
                .sections
        };
        let only = |headlines, briefs, review| Sections {
            headlines,
            briefs,
            review,
        };
        assert_eq!(sections("review, Headlines"), only(true, false, true));
        assert_eq!(sections("briefs"), only(false, true, false));
        assert_eq!(sections("ads,none"), Sections::default());
        assert_eq!(sections(""), Sections::default());
        assert_eq!(only(true, false, true).value(), "headlines,review");
        for value in ["headlines", "briefs,review", "headlines,briefs,review"] {
            assert_eq!(Sections::parse(value).unwrap().value(), value);
        }
    }

    #[test]
    fn heading_level_is_one_to_six() {
        let level = |v: &str| {
            let (config, warnings) =
                parse(&[("feed", "https://a.example/f"), ("heading-level", v)]).unwrap();
            (config.heading_level, warnings.len())
        };
        assert_eq!(level("1"), (1, 0));
        assert_eq!(level(" 6 "), (6, 0));
        for bad in ["0", "7", "h3", "", "-2"] {
            assert_eq!(level(bad), (2, 1), "{bad}");
        }
    }

    #[test]
    fn every_attribute_is_read() {
        let (config, warnings) = parse(&[
            ("feed", "/feed.json"),
            ("theme", " Dark "),
            ("accent", "#c0ffee"),
            ("category", "Economy"),
            ("max-briefs", "8"),
            ("lang", "en-GB"),
            ("review-endpoint", "https://reviews.example/r"),
        ])
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.feed, "https://partner.example/feed.json");
        assert_eq!(config.theme, Theme::Dark);
        assert_eq!(config.accent.as_deref(), Some("#c0ffee"));
        assert_eq!(config.category, "Economy");
        assert_eq!(config.max_briefs, 8);
        assert_eq!(config.lang.as_deref(), Some("en-GB"));
        assert_eq!(config.review_endpoint, "https://reviews.example/r");
    }

    #[test]
    fn invalid_values_warn_by_name_and_fall_back() {
        let (config, warnings) = parse(&[
            ("feed", "https://agency.example:8443/x/feed.json?v=1"),
            ("theme", "neon"),
            ("accent", "red;} body{display:none"),
            ("category", "  "),
            ("max-briefs", "0"),
            ("lang", "en_US"),
            ("review-endpoint", "javascript:alert(1)"),
        ])
        .unwrap();
        let named: Vec<_> = warnings
            .iter()
            .map(|w| match w {
                ConfigError::InvalidValue { attribute, .. } => *attribute,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            named,
            [
                "theme",
                "accent",
                "category",
                "max-briefs",
                "lang",
                "review-endpoint"
            ]
        );
        assert!(warnings[0].to_string().contains("`theme`=\"neon\""));
        assert_eq!(config.theme, Theme::Auto);
        assert_eq!(config.accent, None);
        assert_eq!(config.category, "Politics");
        assert_eq!(config.max_briefs, 5);
        assert_eq!(
            config.review_endpoint,
            "https://agency.example:8443/api/reviews"
        );
        let (config, warnings) =
            parse(&[("feed", "https://a.example/f"), ("review-endpoint", " ")]).unwrap();
        assert_eq!(config.review_endpoint, "https://a.example/api/reviews");
        assert_eq!(warnings.len(), 1);
        for bad in ["51", "-1", "five", "2.5"] {
            let (config, warnings) =
                parse(&[("feed", "https://a.example/f"), ("max-briefs", bad)]).unwrap();
            assert_eq!((config.max_briefs, warnings.len()), (5, 1), "{bad}");
        }
    }

    #[test]
    fn a_missing_or_unusable_feed_is_fatal() {
        assert_eq!(parse(&[]), Err(ConfigError::MissingFeed));
        assert_eq!(parse(&[("feed", "  ")]), Err(ConfigError::MissingFeed));
        assert_eq!(
            parse(&[("feed", "javascript:alert(1)")]),
            Err(ConfigError::InvalidFeed("javascript:alert(1)".into()))
        );
    }

    #[test]
    fn colours_are_checked() {
        for good in [
            "#fff",
            "#0b57d0",
            "#0b57d0cc",
            "rebeccapurple",
            "rgb(10 20 30 / 50%)",
            "oklch(0.6 0.2 250)",
        ] {
            assert!(is_css_colour(good), "{good}");
        }
        for bad in [
            "",
            "#ggg",
            "#12345",
            "url(x)",
            "rgb(1,2,3",
            "red;",
            "var(--x)",
            "expression(alert(1))",
        ] {
            assert!(!is_css_colour(bad), "{bad}");
        }
    }
}
