//! A feed's bytes as text. Newsrooms still publish in ISO-8859-1, windows-1251, -1252,
//! -1254 and UTF-16; read as UTF-8, every accented letter of theirs would become U+FFFD on
//! the reader's screen. The encoding is chosen as RFC 7303 says for XML: a byte order mark,
//! then the `charset` of the HTTP response that carried the feed, then the XML declaration,
//! else UTF-8. `encoding_rs` decodes it (as browsers do, so `ISO-8859-1` means windows-1252)
//! before quick-xml or serde reads the document.

use encoding_rs::{Encoding, REPLACEMENT, UTF_8};
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
    let declared = match http_charset.map(str::trim).filter(|c| !c.is_empty()) {
        Some(label) => Some(label.to_owned()),
        None => xml_declared_encoding(bytes),
    };
    let encoding = match declared {
        // WHATWG maps a few dangerous labels (ISO-2022-KR, HZ…) to "replacement", which
        // would turn the whole feed into U+FFFD: refused like an unknown one.
        Some(label) => Encoding::for_label(label.as_bytes())
            .filter(|e| *e != REPLACEMENT)
            .ok_or_else(|| DecodeError::UnknownEncoding(crate::feed::convert::printable(&label)))?,
        None => UTF_8,
    };
    // A UTF-16 label without a byte order mark: the declaration itself could only be read if
    // the bytes were ASCII, so this comes from HTTP; encoding_rs takes it as UTF-16LE.
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok((text, encoding))
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
/// of `bytes`, read as ASCII, which every encoding a declaration can name agrees on there.
fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
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
        // HTTP's charset outranks the declaration.
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
