//! Which partner pages may call the review API from a browser.
//!
//! Production names its partners (`--allow-origin`, repeatable, or `--allow-origins FILE`).
//! With none named, only loopback pages are allowed, on any port, so that `make demo` works
//! with partner pages served locally and nothing else can post from a browser.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The origins allowed to call the review API: the named partners, and loopback pages
/// (`http://127.0.0.1:*`, `http://localhost:*` and `http://[::1]:*`) when no partner is named
/// or when `--allow-loopback` keeps them beside a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    /// Exactly these, as `scheme://host[:port]`.
    list: Vec<String>,
    loopback: bool,
}

impl Origins {
    /// From the configured origins; an empty list means loopback only.
    pub fn new(list: Vec<String>) -> Self {
        Origins {
            loopback: list.is_empty(),
            list: list.iter().map(|o| normalise(o)).collect(),
        }
    }

    /// The same, with loopback pages allowed too (`--allow-loopback`; the demo's).
    pub fn with_loopback(mut self, allow: bool) -> Self {
        self.loopback |= allow;
        self
    }

    /// The named partners, for the console's health page.
    pub fn named(&self) -> &[String] {
        &self.list
    }

    /// Whether loopback pages are allowed.
    pub fn loopback(&self) -> bool {
        self.loopback
    }

    /// Whether `origin` is one of the named partners (not merely a loopback page).
    pub fn names(&self, origin: &str) -> bool {
        self.list.contains(&normalise(origin))
    }

    /// Whether a browser page at `origin` (an `Origin` header) may call the API.
    pub fn allows(&self, origin: &str) -> bool {
        let origin = normalise(origin);
        self.list.contains(&origin) || (self.loopback && is_loopback(&origin))
    }
}

/// `http://127.0.0.1`, `http://localhost` or `http://[::1]`, on any port.
fn is_loopback(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((host, port))
            if (1..=5).contains(&port.len()) && port.chars().all(|c| c.is_ascii_digit()) =>
        {
            host
        }
        _ => rest,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Lower case, without a trailing slash: how browsers send `Origin`.
fn normalise(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Reads an origins file: one origin per line, with its line number; blank lines and `#`
/// comments are skipped.
pub fn parse_file(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.split('#').next().unwrap_or_default().trim()))
        .filter(|(_, line)| !line.is_empty())
        .map(|(n, line)| (n, line.to_owned()))
        .collect()
}

/// One configured origin, checked and written as a browser sends `Origin`: an http(s)
/// scheme and host in lower case, the port only when it is not the scheme's default, no
/// trailing slash. Anything else (no scheme, a path, a query, a user) could never match a
/// browser's `Origin`, so it is refused with the reason.
pub fn parse(entry: &str) -> Result<String, String> {
    let uri: axum::http::Uri = entry
        .trim()
        .parse()
        .map_err(|_| "is not an origin (scheme://host[:port])".to_owned())?;
    let scheme = match uri.scheme_str().map(str::to_ascii_lowercase) {
        Some(scheme) if scheme == "http" || scheme == "https" => scheme,
        Some(_) => return Err("is not an http(s) origin".into()),
        None => return Err("has no scheme (write https://host)".into()),
    };
    let authority = uri
        .authority()
        .ok_or("has no host (scheme://host[:port])")?;
    if authority.as_str().contains('@') {
        return Err("names a user; an origin is scheme://host[:port]".into());
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err("has a path or a query; an origin is scheme://host[:port]".into());
    }
    let host = authority.host().to_ascii_lowercase();
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !valid_host {
        return Err("has no valid host".into());
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match authority.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// A browser page outside the allow-list: 403, and nothing is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut response = crate::net::errors::json_error(
            StatusCode::FORBIDDEN,
            "this site may not send reviews here",
        );
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("origin"));
        response
    }
}

/// The CORS decision for one request: the `Origin` to answer (none for requests that
/// carry no `Origin`), or [`Refused`] for a page outside the list.
pub fn check(origins: &Origins, headers: &HeaderMap) -> Result<Option<HeaderValue>, Refused> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    match origin.to_str().ok().filter(|o| origins.allows(o)) {
        Some(_) => Ok(Some(origin.clone())),
        None => Err(Refused),
    }
}

/// Adds the CORS answer for an allowed `origin`: never `*`, never credentials.
pub fn allow(response: &mut Response, origin: Option<HeaderValue>) {
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_on_any_port_when_no_partner_is_named() {
        let origins = Origins::new(vec![]);
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://LOCALHOST:1",
            "http://[::1]:9000",
            "http://localhost",
        ] {
            assert!(origins.allows(ok), "{ok}");
        }
        for no in [
            "https://partner.example",
            "http://127.0.0.1.evil.example:80",
            "http://localhost.evil.example",
            "https://localhost:8080",
            "null",
            "",
        ] {
            assert!(!origins.allows(no), "{no}");
        }
    }

    #[test]
    fn a_named_list_is_exact() {
        let origins = Origins::new(
            parse_file(
                "# partners\nhttps://gazette.example\n\nhttps://Radio.Example:8443/  # trailing slash\n",
            )
            .into_iter()
            .map(|(_, entry)| parse(&entry).unwrap())
            .collect(),
        );
        assert!(origins.allows("https://gazette.example"));
        assert!(origins.allows("https://radio.example:8443"));
        assert!(!origins.allows("http://gazette.example"));
        assert!(!origins.allows("https://gazette.example.evil"));
        assert!(
            !origins.allows("http://localhost:8080"),
            "no loopback once partners are named"
        );
        let both = origins.with_loopback(true);
        assert!(both.allows("http://localhost:8080"), "--allow-loopback");
        assert!(both.allows("https://gazette.example"));
        assert!(!both.allows("https://evil.example"));
    }

    #[test]
    fn entries_are_checked_and_written_as_browsers_send_origin() {
        assert_eq!(
            parse("https://Radio.Example:8443/").as_deref(),
            Ok("https://radio.example:8443")
        );
        assert_eq!(
            parse("https://d.example:443").as_deref(),
            Ok("https://d.example"),
            "a default port is never in a browser's Origin"
        );
        assert_eq!(
            parse("HTTP://e.example:80/").as_deref(),
            Ok("http://e.example")
        );
        assert_eq!(
            parse("http://[::1]:8080").as_deref(),
            Ok("http://[::1]:8080")
        );
        for (bad, why) in [
            ("c.example", "no scheme"),
            ("https://f.example/news", "path"),
            ("https://g.example/?x=1", "query"),
            ("ftp://h.example", "http(s)"),
            ("https://user@i.example", "user"),
            ("https://", "not an origin"),
            ("", "not an origin"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert_eq!(
            parse_file("# a\n\nhttps://a.example # b\nc.example\n"),
            [
                (3, "https://a.example".to_owned()),
                (4, "c.example".to_owned())
            ]
        );
    }
}
