//! Stamps the server with the identity of the widget code it renders with: SHA-256 over
//! the widget crate's sources (`src/`, `Cargo.toml`, `Cargo.lock`), each file's path
//! relative to the repository root, a NUL, its bytes and a NUL, in path order.
//! `scripts/release.mjs` computes the same over the same files and stamps it into the
//! loader beside the wasm built from them, so the loader hydrates the server's HTML only
//! when both came from the same code, and renders on the client otherwise.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    // Read when the script runs, not baked in when it was compiled: a build script kept
    // from a checkout elsewhere (a shared target folder) would hash that checkout's files.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("..");
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    all.push(root.join("Cargo.toml"));
    all.push(root.join("Cargo.lock"));
    let mut named: Vec<(String, PathBuf)> = all
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .expect("under the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (relative, path)
        })
        .collect();
    named.sort();
    let mut hash = Sha256::new();
    for (relative, path) in &named {
        hash.update(relative.as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(path).expect("a readable source"));
        hash.update([0]);
    }
    let hex: String = hash.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=NEWSWIRE_CODE={hex}");
    for watched in ["src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
}
