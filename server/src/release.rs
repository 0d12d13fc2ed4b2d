//! The built widget as a release: its first-render files under one version derived from
//! their content, for URLs that never change (`/newswire/v/{id}/…`, cached immutably),
//! and the loader's Subresource Integrity hash for the configurator's snippet.
//!
//! The id is read once, at start-up: a rebuilt widget needs a restarted server.

use ring::digest::{digest, Context, SHA256, SHA384};
use std::path::Path;

/// The files a page downloads before the widget's first render.
pub const FILES: [&str; 4] = [
    "embed.js",
    "newswire.js",
    "newswire_bg.wasm",
    "newswire.css",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The first 12 hex digits of SHA-256 over the files, in order.
    pub id: String,
    /// `sha384-…` of the loader, for the script tag's `integrity`.
    pub integrity: String,
}

impl Release {
    /// The release in `dir` (the www folder's `newswire/`); `None` when a file is missing.
    pub fn read(dir: &Path) -> Option<Release> {
        let mut all = Context::new(&SHA256);
        let mut integrity = String::new();
        for name in FILES {
            let bytes = std::fs::read(dir.join(name)).ok()?;
            all.update(&(bytes.len() as u64).to_le_bytes());
            all.update(&bytes);
            if name == "embed.js" {
                integrity = "sha384-".to_owned() + &base64(digest(&SHA384, &bytes).as_ref());
            }
        }
        let id = all.finish().as_ref()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(Release { id, integrity })
    }
}

/// Standard base64 with padding, as SRI wants it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn the_id_follows_the_content_and_integrity_the_loader() {
        let dir = std::env::temp_dir().join(format!("newswire-release-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(Release::read(&dir), None, "no files, no release");
        for name in FILES {
            std::fs::write(dir.join(name), name).unwrap();
        }
        let first = Release::read(&dir).unwrap();
        assert_eq!(first.id.len(), 12);
        // `echo -n embed.js | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            first.integrity,
            "sha384-".to_owned() + &base64(digest(&SHA384, b"embed.js").as_ref())
        );
        std::fs::write(dir.join("newswire.css"), "changed").unwrap();
        let second = Release::read(&dir).unwrap();
        assert_ne!(first.id, second.id);
        assert_eq!(
            first.integrity, second.integrity,
            "the loader did not change"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
