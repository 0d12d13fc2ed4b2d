//! A feed's bytes as text. Newsrooms still publish in ISO-8859-1, windows-1251, -1252,
//! -1254 and UTF-16; read as UTF-8, every accented letter of theirs would become U+FFFD on
//! the reader's screen. `encoding_rs` decodes (as browsers do, so `ISO-8859-1` means
//! windows-1252) before quick-xml or serde reads the document. The encoding is chosen so:
//!
//! 1. A byte order mark decides.
//! 2. A JSON Feed whose bytes are valid UTF-8 is UTF-8, whatever its `charset` says: JSON is
//!    UTF-8 and the parameter has no effect (RFC 8259, §8.1 and §11), and servers label
//!    JSON with their own default (Tomcat's ISO-8859-1), which would turn "Comitê" into
//!    "ComitÃª". (Except under ISO-2022-JP, whose seven-bit bytes are valid UTF-8 too.)
//! 3. Otherwise the first bytes tell the family, as the XML spec's Appendix F detects it
//!    without a byte order mark: `3C 00` is UTF-16LE, `00 3C` UTF-16BE, anything else an
//!    ASCII-compatible encoding. Then the first label that fits the family wins: the HTTP
//!    `charset` (RFC 7303), then the XML declaration. A UTF-16 label on bytes that read as
//!    ASCII cannot be true (.NET's `StringWriter` writes `encoding="utf-16"` on UTF-8
//!    output), and is passed over, as libxml2 and browsers do.
//! 4. With no label that fits: that UTF-16, or UTF-8.

use encoding_rs::{Encoding, REPLACEMENT, UTF_16BE, UTF_16LE, UTF_8};
use std::borrow::Cow;

/// Why a feed's bytes cannot be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("it declares the encoding {0:?}, which is not one we know")]
    UnknownEncoding(String),
}

/// The text of `bytes` and the encoding it was read in. `http_charset` is the `charset`
/// parameter of a polled feed's `Content-Type`, if it had one.
pub fn decode<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
) -> Result<(Cow<'a, str>, &'static Encoding), DecodeError> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Ok((text, encoding));
    }
    let family = family(bytes);
    let http = http_charset.map(str::trim).filter(|c| !c.is_empty());
    if family == UTF_8
        && looks_like_json(bytes)
        && std::str::from_utf8(bytes).is_ok()
        && !(bytes.is_ascii() && http.is_some_and(names_seven_bit_encoding))
    {
        return Ok((UTF_8.decode_without_bom_handling(bytes).0, UTF_8));
    }
    let labels = [
        http.map(str::to_owned),
        xml_declared_encoding(bytes, family),
    ];
    let mut encoding = None;
    for label in labels.into_iter().flatten() {
        // WHATWG maps a few dangerous labels (ISO-2022-KR, HZ…) to "replacement", which
        // would turn the whole feed into U+FFFD: refused like an unknown one.
        let named = Encoding::for_label(label.as_bytes())
            .filter(|e| *e != REPLACEMENT)
            .ok_or_else(|| DecodeError::UnknownEncoding(crate::net::log::printable(&label)))?;
        if fits(named, family) {
            // A UTF-16 label says UTF-16; the bytes say which byte order.
            encoding = Some(if family == UTF_8 { named } else { family });
            break;
        }
    }
    let encoding = encoding.unwrap_or(family);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok((text, encoding))
}

/// The family the first bytes show, with no byte order mark: UTF-16LE (`<` then a zero
/// byte), UTF-16BE (a zero byte then `<`, or any ASCII), else an ASCII-compatible encoding
/// (given as UTF-8).
fn family(bytes: &[u8]) -> &'static Encoding {
    match bytes {
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => UTF_16LE,
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => UTF_16BE,
        _ => UTF_8,
    }
}

/// Whether `encoding` can be what bytes of `family` are in: UTF-16 for UTF-16 bytes, any
/// ASCII-compatible encoding for the rest.
fn fits(encoding: &'static Encoding, family: &'static Encoding) -> bool {
    let utf16 = encoding == UTF_16LE || encoding == UTF_16BE;
    if family == UTF_8 {
        !utf16
    } else {
        // A UTF-16 label fits either byte order: the bytes tell which.
        utf16
    }
}

/// Whether `label` names an encoding that is neither ASCII-compatible nor UTF-16, yet writes
/// only bytes below 0x80 (ISO-2022-JP): bytes in it are valid UTF-8, but not the same text.
fn names_seven_bit_encoding(label: &str) -> bool {
    Encoding::for_label(label.as_bytes()).is_some_and(|e| {
        !e.is_ascii_compatible() && e != UTF_16LE && e != UTF_16BE && e != REPLACEMENT
    })
}

/// Whether the document starts as JSON does (`{`, after white space).
fn looks_like_json(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The `encoding` of an XML declaration (`<?xml version="1.0" encoding="…"?>`) at the start
/// of `bytes`, read as ASCII, which every encoding of `family` agrees on there (UTF-16's
/// declaration is read from its low bytes).
fn xml_declared_encoding(bytes: &[u8], family: &'static Encoding) -> Option<String> {
    let head: Vec<u8> = match family {
        f if f == UTF_16LE => bytes.iter().step_by(2).take(256).copied().collect(),
        f if f == UTF_16BE => bytes.iter().skip(1).step_by(2).take(256).copied().collect(),
        _ => bytes[..bytes.len().min(256)].to_vec(),
    };
    let head = head.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&head[..end]).ok()?;
    let at = declaration.find("encoding")?;
    let rest = declaration[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_order_mark_then_http_then_the_declaration_decide() {
        let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>Expans\xe3o</rss>";
        let (text, used) = decode(latin, None).unwrap();
        assert_eq!(used.name(), "windows-1252");
        assert!(text.contains("Expansão"), "{text}");
        // HTTP's charset outranks the declaration, when both fit the bytes.
        let (text, used) = decode(latin, Some("windows-1251")).unwrap();
        assert_eq!(used.name(), "windows-1251");
        assert!(text.contains("Expansг"), "{text}");
        // A byte order mark outranks both.
        let utf8 = "\u{feff}<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>Comitê</rss>";
        let (text, used) = decode(utf8.as_bytes(), Some("windows-1252")).unwrap();
        assert_eq!(used.name(), "UTF-8");
        assert!(
            text.starts_with("<?xml") && text.contains("Comitê"),
            "{text}"
        );
        // Nothing declared: UTF-8.
        assert_eq!(decode(b"{}", None).unwrap().1.name(), "UTF-8");
        assert_eq!(
            decode(b"<?xml version='1.0' encoding='klingon-1'?><rss/>", None).unwrap_err(),
            DecodeError::UnknownEncoding("klingon-1".into())
        );
        assert!(decode(b"<?xml version='1.0' encoding='ISO-2022-KR'?><rss/>", None).is_err());
    }

    /// RSS whose declaration says UTF-16 over UTF-8 bytes (.NET's `StringWriter`), real
    /// UTF-16 without a byte order mark, and a UTF-8 JSON Feed under three wrong labels.
    #[test]
    fn labels_the_bytes_cannot_bear_are_passed_over() {
        // UTF-16 declared, UTF-8 written: read as UTF-8, every letter kept.
        let rss = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>Comitê élu</rss>";
        let (text, used) = decode(rss.as_bytes(), None).unwrap();
        assert_eq!((text.as_ref(), used.name()), (rss, "UTF-8"));
        let (_, used) = decode(rss.as_bytes(), Some("utf-16")).unwrap();
        assert_eq!(used.name(), "UTF-8", "HTTP's UTF-16 cannot be true either");
        let (_, used) = decode(rss.as_bytes(), Some("utf-16")).unwrap();
        assert_eq!(used.name(), "UTF-8");
        // Real UTF-16 with no byte order mark, both byte orders, declared or not.
        let real = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>Məclis</rss>";
        let le: Vec<u8> = real.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = real.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le, None).unwrap(), (real.into(), UTF_16LE));
        assert_eq!(decode(&be, None).unwrap(), (real.into(), UTF_16BE));
        assert_eq!(decode(&le, Some("iso-8859-1")).unwrap().1, UTF_16LE);
        // A UTF-8 JSON Feed labelled ISO-8859-1, windows-1251 or UTF-16: UTF-8.
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Comitê"}"#;
        for label in ["ISO-8859-1", "windows-1251", "utf-16", "klingon-1"] {
            let (text, used) = decode(json.as_bytes(), Some(label)).unwrap();
            assert_eq!((text.as_ref(), used.name()), (json, "UTF-8"), "{label}");
        }
        // A JSON Feed in ISO-2022-JP (seven-bit, so valid UTF-8, but not UTF-8's text)
        // follows its label.
        let japanese = b"{\"title\": \"\x1b$B$3$s$K$A$O\x1b(B\"}";
        let (text, used) = decode(japanese, Some("iso-2022-jp")).unwrap();
        assert_eq!(
            (text.as_ref(), used.name()),
            ("{\"title\": \"こんにちは\"}", "ISO-2022-JP")
        );
        // A JSON Feed in a legacy encoding (not valid UTF-8) still follows its label.
        let (text, used) = decode(b"{\"title\": \"Expans\xe3o\"}", Some("ISO-8859-1")).unwrap();
        assert_eq!(
            (text.as_ref(), used.name()),
            ("{\"title\": \"Expansão\"}", "windows-1252")
        );
    }

    #[test]
    fn charsets_are_read_from_content_types() {
        assert_eq!(
            charset_of("application/rss+xml; charset=\"windows-1254\"").as_deref(),
            Some("windows-1254")
        );
        assert_eq!(
            charset_of("text/xml;Charset=ISO-8859-9").as_deref(),
            Some("ISO-8859-9")
        );
        assert_eq!(charset_of("application/json"), None);
    }
}
