//! The real `newswire-server` binary, started on a free port and attacked or stopped as a
//! stranger or an operator would, one file per concern under `process/`: durability
//! (`kill -9` under load, SIGTERM), slow clients, renders, the log, the metrics address,
//! the client's address behind proxies, and the commands (`check`, `reviews export`, the
//! start-up checks). The helpers here are the suites' own.

mod support;

/// The suites, by concern.
mod process {
    mod addresses;
    mod commands;
    mod durability;
    mod live;
    mod logs;
    mod metrics;
    mod renders;
    mod slow_clients;
    mod websub;
}

use rusqlite::Connection;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use server::BIN;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("newswire-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts the server on a free port with `db`; returns it and its address.
fn start(db: &Path) -> (server::Running, String) {
    start_with(db, &[])
}

/// The same, with more flags (a later flag overrides an earlier one).
fn start_with(db: &Path, flags: &[&str]) -> (server::Running, String) {
    server::spawn("../tests/fixtures/feed.json", db.as_os_str(), flags)
}

/// The status of `GET /feed.json` on a new connection.
async fn feed_status(addr: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let request = format!("GET /feed.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&raw)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

const CONSOLE_TOKEN: &str = "process-console-token-0123456789";

/// The server's peak resident memory so far, in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/PID/status");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb * 1024
}

/// The status of `GET /feed.json` from `from`, if it is answered within two seconds.
async fn feed_status_from(addr: &str, from: std::net::Ipv4Addr) -> Option<u16> {
    status_from(addr, from, "/feed.json", Duration::from_secs(2)).await
}

/// The status of `GET path` from the loopback address `from`, if it is answered within
/// `within`.
async fn status_from(
    addr: &str,
    from: std::net::Ipv4Addr,
    path: &str,
    within: Duration,
) -> Option<u16> {
    let exchange = async {
        let mut stream = connect_from(addr, from).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        String::from_utf8_lossy(&raw)
            .split(' ')
            .nth(1)?
            .parse()
            .ok()
    };
    tokio::time::timeout(within, exchange).await.ok().flatten()
}

/// The metrics address a server started with `--metrics-listen` printed among `lines`.
fn metrics_address(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|l| l.contains("metrics"))
        .find_map(|l| server::url_of(l))
        .expect("the metrics line")
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_owned()
}

/// Whether the server has neither answered nor closed `stream` yet.
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// A connection from `from`, if one is accepted within two seconds.
async fn connect_from(addr: &str, from: std::net::Ipv4Addr) -> Option<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind((from, 0).into()).ok()?;
    tokio::time::timeout(Duration::from_secs(2), socket.connect(addr.parse().ok()?))
        .await
        .ok()?
        .ok()
}

/// One HTTP/1.1 exchange from the loopback address `from`: the whole answer as text.
async fn exchange_from(addr: &str, from: std::net::Ipv4Addr, request: String) -> String {
    let mut stream = connect_from(addr, from).await.expect("connected");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answered")
        .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

/// Posts one review; `Some(status)` if an answer came back at all.
async fn post(addr: &str, key: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let body = format!(r#"{{"rating": 4, "comment": "durable {key}", "key": "{key}"}}"#);
    let request = format!(
        "POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw);
    text.split(' ').nth(1)?.parse().ok()
}

/// Every idempotency key in the review table.
fn stored_keys(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT key FROM reviews")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
