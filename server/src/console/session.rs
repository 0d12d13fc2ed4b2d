//! Signing in to the console: a session per sign-in, kept by the store (so every replica
//! knows it, and signing out ends it everywhere), and carried by a cookie that is `HttpOnly`,
//! `SameSite=Strict`, `Secure` under https, and sent only to `/admin`.
//!
//! The cookie holds a random token; the store keeps only its SHA-256, so a copy of the
//! database holds no usable session. Each session has its own CSRF token, which every form
//! that changes something carries and the server compares; with `SameSite=Strict` and a
//! same-origin check on `Origin`, a form posted from another site is refused three times over.

use crate::net::proxies::Addressed;
use crate::reviews::admin::same_secret;
use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// The cookie's name.
pub const COOKIE: &str = "nw_console";
/// How long a session lasts, in seconds: a working day.
pub const LIFETIME: i64 = 8 * 60 * 60;

/// 32 random bytes as hex: a session token or a CSRF token.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random generator");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a session token.
pub fn key(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The session token the request's cookie carries.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` that starts a session (or, with `None`, ends it).
pub fn set_cookie(token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(token) => {
            format!("{COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}{secure}")
        }
        None => format!("{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).expect("a valid header")
}

/// Whether a form post is our own: its `Origin` names this server's host as the request
/// addresses it ([`Addressed`]: `Host`, or from one of our own proxies `X-Forwarded-Host`),
/// and its CSRF token is the session's. A post without an `Origin` is refused: every browser
/// sends one with a POST, so only something else leaves it out.
pub fn same_origin_form(
    headers: &HeaderMap,
    addressed: &Addressed,
    given_csrf: &str,
    session_csrf: &str,
) -> bool {
    let origin_ok = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => false,
        Some(origin) => {
            let origin = origin.trim().to_ascii_lowercase();
            let bare = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            matches!((bare, &addressed.host), (Some(bare), Some(host)) if bare == host)
        }
    };
    origin_ok && same_secret(given_csrf.as_bytes(), session_csrf.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_strictly_and_set_with_every_flag() {
        let mut headers = HeaderMap::new();
        let good = "a".repeat(64);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {COOKIE}={good}")).unwrap(),
        );
        assert_eq!(cookie(&headers), Some(good));
        headers.insert(header::COOKIE, HeaderValue::from_static("nw_console=short"));
        assert_eq!(cookie(&headers), None);
        let set = set_cookie(Some("t"), true);
        let set = set.to_str().unwrap();
        for flag in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/admin",
            "Secure",
            "Max-Age=28800",
        ] {
            assert!(set.contains(flag), "{set}");
        }
        assert!(!set_cookie(Some("t"), false)
            .to_str()
            .unwrap()
            .contains("Secure"));
        assert!(set_cookie(None, false)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
        assert_ne!(token(), token());
        assert_eq!(key("x"), key("x"));
    }

    #[test]
    fn only_our_own_forms_pass() {
        let mut headers = HeaderMap::new();
        let at = |host: &str| Addressed {
            host: Some(host.into()),
            https: false,
        };
        let here = at("news.example:8080");
        assert!(
            !same_origin_form(&headers, &here, "c", "c"),
            "no Origin: no browser's form"
        );
        let origin = |value| HeaderValue::from_static(value);
        headers.insert(header::ORIGIN, origin("http://news.example:8080"));
        assert!(same_origin_form(&headers, &here, "c", "c"));
        assert!(!same_origin_form(&headers, &here, "x", "c"));
        headers.insert(header::ORIGIN, origin("https://evil.example"));
        assert!(!same_origin_form(&headers, &here, "c", "c"));
        headers.insert(header::ORIGIN, origin("null"));
        assert!(!same_origin_form(&headers, &here, "c", "c"));
        let nowhere = Addressed {
            host: None,
            https: false,
        };
        headers.insert(header::ORIGIN, origin("http://news.example:8080"));
        assert!(!same_origin_form(&headers, &nowhere, "c", "c"));
    }
}
