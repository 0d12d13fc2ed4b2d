//! The real `newswire-server` binary, started for a test on a free loopback port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Stdio};

/// A running server that is killed when dropped, so that a test that fails half-way leaves
/// no server behind.
pub struct Running(Child);

impl Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub const BIN: &str = env!("CARGO_BIN_EXE_newswire-server");

/// Starts the server with `feed`, `db` and more `flags` (a later flag overrides an earlier
/// one), with rate limits too roomy to matter unless a flag sets them; it and its address.
pub fn spawn(feed: &str, db: &std::ffi::OsStr, flags: &[&str]) -> (Running, String) {
    let (running, addr, _) = spawn_with(feed, db, flags, Stdio::null(), |_| true);
    (running, addr)
}

/// The same, with its standard error going to `stderr`, and its standard output read until
/// a line satisfies `until` (the first line at least): it, its address and the lines read.
pub fn spawn_with(
    feed: &str,
    db: &std::ffi::OsStr,
    flags: &[&str],
    stderr: Stdio,
    until: impl Fn(&str) -> bool,
) -> (Running, String, Vec<String>) {
    spawn_configured(feed, db, flags, stderr, until, |_| {})
}

/// The same, with `configure` given the command before it starts (to limit its open files,
/// say).
pub fn spawn_configured(
    feed: &str,
    db: &std::ffi::OsStr,
    flags: &[&str],
    stderr: Stdio,
    until: impl Fn(&str) -> bool,
    configure: impl FnOnce(&mut Command),
) -> (Running, String, Vec<String>) {
    let mut command = Command::new(BIN);
    command
        .args(["--addr", "127.0.0.1:0", "--feed", feed, "--www"])
        .arg(www())
        .arg("--db")
        .arg(db)
        .args(["--client-rate", "1000000", "--global-rate", "1000000"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(stderr);
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines: Vec<String> = Vec::new();
    while lines.last().is_none_or(|line| !until(line)) {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server stopped: {lines:?}"
        );
        lines.push(line.trim().to_owned());
    }
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = url_of(&lines[0])
        .and_then(|url| url.strip_prefix("http://").map(str::to_owned))
        .filter(|_| lines[0].contains("listening on"))
        .unwrap_or_else(|| panic!("unexpected first line {:?}", lines[0]));
    (Running(child), addr, lines)
}

/// The URL a line of the server's standard output names: the text after its label, or in
/// JSON mode (`--log-format json`) the object's `url`.
pub fn url_of(line: &str) -> Option<String> {
    if line.starts_with('{') {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        return event["url"].as_str().map(str::to_owned);
    }
    line.rsplit(' ')
        .next()
        .filter(|word| word.starts_with("http://"))
        .map(str::to_owned)
}

/// A built site as small as a server needs to be ready: the loader, made once per test run.
pub fn www() -> std::path::PathBuf {
    static WWW: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    WWW.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("newswire-www-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("newswire")).unwrap();
        std::fs::write(dir.join("newswire/embed.js"), "/* loader */").unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
        dir
    })
    .clone()
}
