//! The real `newswire-server` binary, started for a test on a free loopback port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_newswire-server");

/// Starts the server with `feed`, `db` and more `flags` (a later flag overrides an earlier
/// one), with rate limits too roomy to matter unless a flag sets them; it and its address.
pub fn spawn(feed: &str, db: &std::ffi::OsStr, flags: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0", "--feed", feed, "--www", "."])
        .arg("--db")
        .arg(db)
        .args(["--client-rate", "1000000", "--global-rate", "1000000"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = line
        .trim()
        .strip_prefix("newswire-server listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}
