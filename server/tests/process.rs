//! The real `newswire-server` binary: the crash test (`kill -9` under load, ten times, and
//! not one acknowledged review lost), and the `check` and `reviews export` commands.

mod support;

/// The attacks on what this round added, by concern.
mod process {
    mod listeners;
    mod logs;
    mod renders;
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

/// Rounds of the crash test; each kills the server mid-load.
const ROUNDS: usize = 10;
const CLIENTS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_acknowledged_review() {
    let dir = temp_dir("crash");
    let db = dir.join("reviews.db");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut refused = 0;
    for round in 0..ROUNDS {
        // Assemble: a server, and clients posting as fast as they can.
        let (mut child, addr) = start(&db);
        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
            clients.push(tokio::spawn(async move {
                let mut failures = 0;
                for n in 0.. {
                    let key = format!("r{round}-c{client}-n{n}");
                    match post(&addr, &key).await {
                        Some(201) => acknowledged.lock().unwrap().push(key),
                        Some(_) => failures += 1,
                        // The server is gone.
                        None => return failures,
                    }
                }
                failures
            }));
        }
        // Action: kill -9 at a different moment each round.
        tokio::time::sleep(Duration::from_millis(150 + 37 * round as u64)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        for client in clients {
            refused += client.await.unwrap();
        }
    }
    // Assert: every acknowledged review is on disk, and the file is sound.
    let (mut child, _addr) = start(&db);
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = Connection::open(&db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|k| !stored.contains(k))
        .collect();
    println!(
        "crash test: {ROUNDS} kills, {} reviews acknowledged, {} stored, {} lost, {refused} refused",
        acknowledged.len(),
        stored.len(),
        lost.len()
    );
    assert!(acknowledged.len() > ROUNDS * 10, "the load was real");
    assert!(lost.is_empty(), "lost {lost:?}");
    assert_eq!(refused, 0);
}

#[test]
fn check_names_problems_and_fails_only_for_an_unusable_feed() {
    let dir = temp_dir("check");
    let feed = dir.join("feed.json");
    std::fs::write(
        &feed,
        r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
            {"id": "a", "title": "Fine"},
            {"id": "b7", "title": "Late", "date_published": "Tuesday"}]}"#,
    )
    .unwrap();
    let out = Command::new(BIN).arg("check").arg(&feed).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "item 2 (id b7): date_published \"Tuesday\" is not a date we can read, so it is left out"
        ),
        "{text}"
    );
    assert!(text.contains("usable, 2 items, 1 problems"), "{text}");
    assert!(text.contains("read as UTF-8"), "{text}");

    let rss = Command::new(BIN)
        .args(["check", "tests/fixtures/agency.rss"])
        .output()
        .unwrap();
    assert!(rss.status.success());
    // The encoding it used, named.
    let latin = Command::new(BIN)
        .args(["check", "tests/fixtures/encodings/latin1-declared.rss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&latin.stdout);
    assert!(latin.status.success(), "{text}");
    assert!(text.contains("read as windows-1252"), "{text}");
    let unknown = Command::new(BIN)
        .args(["check", "tests/fixtures/encodings/unknown.rss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&unknown.stdout);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text.contains("\"x-newsroom-7\", which is not one we know"),
        "{text}"
    );

    std::fs::write(&feed, "<html>Bad Gateway</html>").unwrap();
    let out = Command::new(BIN).arg("check").arg(&feed).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unusable"));
}

#[test]
fn check_gives_up_on_a_feed_host_that_never_answers() {
    // Assemble: a host that takes the connection and then says nothing.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.json", silent.local_addr().unwrap());
    // Action.
    let out = Command::new(BIN)
        .args(["check", "--timeout", "1", &url])
        .output()
        .unwrap();
    // Assert: a failure that says why, not a wait without end.
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("cannot fetch"), "{said}");
    drop(silent);
}

/// A review database in `dir`, with the table as the server makes it.
fn review_table(dir: &Path) -> (PathBuf, Connection) {
    let db = dir.join("reviews.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, key TEXT UNIQUE, rating INTEGER NOT NULL,
           comment TEXT NOT NULL, subject TEXT NOT NULL, page TEXT NOT NULL,
           created_at INTEGER NOT NULL, hidden INTEGER NOT NULL DEFAULT 0);",
    )
    .unwrap();
    (db, conn)
}

#[test]
fn export_writes_every_review_as_csv_or_json() {
    let (db, conn) = review_table(&temp_dir("export"));
    conn.execute_batch(
        "INSERT INTO reviews VALUES (1, 'a', 5, '=1+2', 's', 'https://p.example/', 1700000000, 0);
         INSERT INTO reviews VALUES (2, 'b', 2, 'said \"no\", twice', 's', 'p', 1700000001, 1);",
    )
    .unwrap();
    drop(conn);
    let csv = Command::new(BIN)
        .args(["reviews", "export", "--format", "csv", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(
        csv,
        "id,created_at,rating,hidden,subject,page,comment\r\n\
         1,1700000000,5,false,\"s\",\"https://p.example/\",\"'=1+2\"\r\n\
         2,1700000001,2,true,\"s\",\"p\",\"said \"\"no\"\", twice\"\r\n"
    );
    let json = Command::new(BIN)
        .args(["reviews", "export", "--format=json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["hidden"], true);
    let missing = Command::new(BIN)
        .args(["reviews", "export", "--db", "/nonexistent/x.db"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_the_reviews_in_flight_and_exits_cleanly() {
    let dir = temp_dir("sigterm");
    let db = dir.join("reviews.db");
    let (mut child, addr) = start(&db);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("t-c{client}-n{n}");
                match post(&addr, &key).await {
                    Some(201) => acknowledged.lock().unwrap().push(key),
                    Some(503) | None => return,
                    Some(other) => panic!("unexpected {other}"),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
    for client in clients {
        client.await.unwrap();
    }
    let conn = Connection::open(&db).unwrap();
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    assert!(!acknowledged.is_empty());
    assert!(acknowledged.iter().all(|k| stored.contains(k)));
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

/// Connections in the attack, each from its own loopback address.
const ATTACKERS: u32 = 1300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_reviews_from_many_addresses_never_take_the_feed_down() {
    // Assemble: the real server, a 3 s body timeout, and a global rate the attack fits in.
    let dir = temp_dir("slowloris");
    let (mut child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--global-rate",
            "2000",
            "--client-rate",
            "10",
            "--body-timeout",
            "3",
        ],
    );
    let target: std::net::SocketAddr = addr.parse().unwrap();
    // Action: 1,300 connections from 127.1.x.y, spread over about 3 s, each sending a
    // review's headers, `Content-Length: 200`, one byte of body, and then nothing.
    let attack = tokio::spawn(async move {
        let mut held = Vec::new();
        for n in 0..ATTACKERS {
            let ip = std::net::Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8);
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind((ip, 0).into()).unwrap();
            let mut stream = socket.connect(target).await.unwrap();
            stream
                .write_all(b"POST /api/reviews HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
                .await
                .unwrap();
            held.push((stream, std::time::Instant::now()));
            if n % 50 == 49 {
                tokio::time::sleep(Duration::from_millis(110)).await;
            }
        }
        held
    });
    // Meanwhile, and for a while after, a reader's browser asks for the feed.
    let mut statuses = Vec::new();
    while !attack.is_finished() {
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = attack.await.unwrap();
    for _ in 0..10 {
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Assert: the feed answered 200 throughout.
    assert!(
        statuses.len() > 20,
        "the feed was asked while the attack ran"
    );
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(
        failed.is_empty(),
        "the feed failed: {failed:?} of {}",
        statuses.len()
    );
    // Assert: every stalled connection is closed once the body timeout has passed.
    let mut closed = 0;
    for (mut stream, sent) in held {
        let deadline = sent + Duration::from_secs(3 + 5);
        let wait = deadline.saturating_duration_since(std::time::Instant::now());
        let mut raw = Vec::new();
        if let Ok(result) = tokio::time::timeout(wait, stream.read_to_end(&mut raw)).await {
            // A close or a reset: either way the server let go.
            let _ = result;
            closed += 1;
        }
    }
    assert_eq!(closed, ATTACKERS, "every stalled connection was closed");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_export_cut_short_by_its_reader_ends_quietly() {
    // Assemble: enough reviews that the output fills the pipe.
    let (db, conn) = review_table(&temp_dir("export-pipe"));
    let long = "a long comment ".repeat(40);
    for n in 0..5000 {
        conn.execute(
            "INSERT INTO reviews (rating, comment, subject, page, created_at) VALUES (4, ?1, 's', 'p', ?2)",
            rusqlite::params![long, n],
        )
        .unwrap();
    }
    for format in ["csv", "json"] {
        // Action: like `| head -1`, read one line and close the pipe.
        let mut child = Command::new(BIN)
            .args(["reviews", "export", "--format", format, "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let output = child.wait_with_output().unwrap();
        // Assert: no panic, no complaint, a clean exit.
        assert!(!first.is_empty());
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{format}");
        assert!(output.status.success(), "{format}: {:?}", output.status);
    }
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

/// Connections in the slow-form attack, all from one address.
const SLOW_FORMS: usize = 1100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_console_forms_from_one_address_never_take_the_feed_down() {
    // Assemble: the console on, a 3 s body deadline, and no per-address connection cap, so
    // that what is tested is the console's own pool and its early refusals.
    let dir = temp_dir("slow-forms");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--admin-token",
            CONSOLE_TOKEN,
            "--body-timeout",
            "3",
            "--max-connections-per-client",
            "0",
        ],
    );
    // Action: 1,100 sign-ins, each declaring 2,000 bytes and sending one a second.
    let mut streams = Vec::new();
    for _ in 0..SLOW_FORMS {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nt")
            .await
            .unwrap();
        streams.push((stream, std::time::Instant::now()));
    }
    let mut statuses = Vec::new();
    let attack_end = std::time::Instant::now() + Duration::from_secs(8);
    let mut open: Vec<_> = streams
        .into_iter()
        .map(|(s, at)| (Some(s), at, None))
        .collect();
    while std::time::Instant::now() < attack_end {
        for (stream, _, closed_at) in open.iter_mut() {
            if let Some(s) = stream {
                let mut buf = [0u8; 1];
                // A closed connection reads 0 (or an error); an open one would block.
                let gone =
                    match tokio::time::timeout(Duration::from_millis(0), s.read(&mut buf)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => true,
                        Ok(Ok(_)) => false,
                        Err(_) => false,
                    };
                if gone || s.write_all(b"x").await.is_err() {
                    *stream = None;
                    *closed_at = Some(std::time::Instant::now());
                }
            }
        }
        statuses.push(feed_status(&addr).await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Assert: the feed answered 200 throughout.
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(statuses.len() > 10);
    assert!(
        failed.is_empty(),
        "the feed failed: {failed:?} of {}",
        statuses.len()
    );
    // Assert: no form outlived the deadline for its whole body, however steady the trickle.
    let longest = open
        .iter()
        .map(|(_, at, closed)| closed.map(|c| c - *at))
        .max()
        .flatten();
    assert!(
        open.iter().all(|(_, _, closed)| closed.is_some()),
        "every slow form was let go"
    );
    assert!(
        longest.is_some_and(|l| l < Duration::from_secs(3 + 3)),
        "{longest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_console_forms_cost_no_memory() {
    // Assemble: the console on.
    let dir = temp_dir("large-forms");
    let (child, addr) = start_with(&dir.join("reviews.db"), &["--admin-token", CONSOLE_TOKEN]);
    let before = peak_rss(child.id());
    // Action: 300 sign-ins of 1.99 MB each, half declared by length and half chunked, all
    // at once, each from its own address (so that each is within its sign-in allowance),
    // every body but its last byte sent, and then held while the memory is read.
    let body = Arc::new(vec![b'a'; 1_990_000]);
    let target: std::net::SocketAddr = addr.parse().unwrap();
    let (release, held) = tokio::sync::watch::channel(false);
    let mut senders = Vec::new();
    for n in 0..300u32 {
        let (body, mut held) = (body.clone(), held.clone());
        senders.push(tokio::spawn(async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            let ip = std::net::Ipv4Addr::new(127, 2, (n / 250) as u8, (n % 250 + 1) as u8);
            socket.bind((ip, 0).into()).unwrap();
            let mut stream = socket.connect(target).await.unwrap();
            let chunked = n % 2 == 1;
            let framing = if chunked {
                "Transfer-Encoding: chunked".to_owned()
            } else {
                format!("Content-Length: {}", body.len())
            };
            let head = format!("POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n");
            let sent = async {
                stream.write_all(head.as_bytes()).await?;
                if chunked {
                    stream
                        .write_all(format!("{:x}\r\n", body.len()).as_bytes())
                        .await?;
                }
                stream.write_all(&body[..body.len() - 1]).await
            };
            // The server may refuse before the body is all written: that is the point.
            let _ = tokio::time::timeout(Duration::from_secs(3), sent).await;
            let _ = held.wait_for(|released| *released).await;
            drop(stream);
        }));
    }
    // Every sender has written all it could (or was refused); the bodies are held.
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Assert: the server's peak memory stayed low.
    let after = peak_rss(child.id());
    let _ = release.send(true);
    for sender in senders {
        sender.await.unwrap();
    }
    println!(
        "large forms: peak RSS {} MB before, {} MB after",
        before / 1_000_000,
        after / 1_000_000
    );
    assert!(after < 300_000_000, "peak RSS {after} bytes");
    assert!(
        after < before + 50_000_000,
        "peak RSS grew from {before} to {after} bytes"
    );
    assert_eq!(feed_status(&addr).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_ends_the_server_within_its_deadline_while_forms_hang() {
    // Assemble: the console on, a body deadline (30 s) far longer than the shutdown's, and
    // the first request's headers given as long; reviews being sent, and slow forms and
    // half-sent requests holding connections open.
    let dir = temp_dir("sigterm-hang");
    let db = dir.join("reviews.db");
    let (mut child, addr) = start_with(
        &db,
        &[
            "--admin-token",
            CONSOLE_TOKEN,
            "--body-timeout",
            "30",
            "--first-header-timeout",
            "30",
            "--header-timeout",
            "30",
        ],
    );
    let mut hanging = Vec::new();
    for _ in 0..100 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"POST /admin/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nt")
            .await
            .unwrap();
        hanging.push(stream);
    }
    for _ in 0..100 {
        // Half a request's headers.
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /feed.json HTTP/1.1\r\n")
            .await
            .unwrap();
        hanging.push(stream);
    }
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("h-c{client}-n{n}");
                match post(&addr, &key).await {
                    Some(201) => acknowledged.lock().unwrap().push(key),
                    Some(_) => {}
                    None => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Action: SIGTERM, while the forms hang.
    let sent = std::time::Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_millis(9500),
            "still running 9.5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Assert: out within the deadline, cleanly, with every acknowledged review stored.
    println!(
        "sigterm with hanging forms: exited after {:?}",
        sent.elapsed()
    );
    assert!(status.success(), "{status:?}");
    for client in clients {
        client.await.unwrap();
    }
    drop(hanging);
    let conn = Connection::open(&db).unwrap();
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    assert!(!acknowledged.is_empty());
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|k| !stored.contains(k))
        .collect();
    assert!(lost.is_empty(), "lost {lost:?}");
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
        .find_map(|l| l.strip_prefix("metrics: http://"))
        .expect("the metrics line")
        .trim_end_matches("/metrics")
        .to_owned()
}

/// Connections one address keeps open in the per-address test: more than the server's
/// global cap (8,192).
const FROM_ONE_ADDRESS: usize = 8400;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_hold_every_connection() {
    // Assemble: the server with its default connection limits, but half-sent requests
    // given 30 s, so that only the per-address cap can let others in.
    let dir = temp_dir("per-address");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &["--first-header-timeout", "30", "--header-timeout", "30"],
    );
    let target: std::net::SocketAddr = addr.parse().unwrap();
    // Action: 127.0.0.3 tries to keep 8,400 connections open, each with a request line
    // and one header and never more, for 6 s. Connections that the server has answered
    // and closed are let go, and new ones opened in their place, so that the address
    // holds as many live connections as the server allows it.
    let attacker = tokio::spawn(async move {
        let mut held: Vec<TcpStream> = Vec::new();
        let until = std::time::Instant::now() + Duration::from_secs(6);
        let mut opened = 0usize;
        while std::time::Instant::now() < until {
            if held.len() >= FROM_ONE_ADDRESS || opened % 128 == 127 {
                held.retain(still_open);
                if held.len() >= FROM_ONE_ADDRESS {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            if held.len() >= FROM_ONE_ADDRESS {
                continue;
            }
            let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
                break;
            };
            if socket.bind(([127, 0, 0, 3], 0).into()).is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            let connected =
                tokio::time::timeout(Duration::from_millis(200), socket.connect(target)).await;
            if let Ok(Ok(mut stream)) = connected {
                let _ = stream
                    .write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
                    .await;
                held.push(stream);
                opened += 1;
            }
        }
        // Let the last answers arrive, then keep only the connections still open.
        tokio::time::sleep(Duration::from_millis(300)).await;
        held.retain(still_open);
        (opened, held)
    });
    // Meanwhile another reader, from 127.0.0.2, asks for the feed.
    let mut statuses = Vec::new();
    while !attacker.is_finished() {
        statuses.push(feed_status_from(&addr, [127, 0, 0, 2].into()).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (opened, held) = attacker.await.unwrap();
    // Assert: every one of the reader's requests got 200 within two seconds.
    println!("per-address cap: {opened} connections opened by one address");
    assert!(opened >= FROM_ONE_ADDRESS, "the attack was real: {opened}");
    let failed: Vec<_> = statuses.iter().filter(|s| **s != Some(200)).collect();
    assert!(statuses.len() > 20);
    assert!(
        failed.is_empty(),
        "the feed failed for another reader: {failed:?} of {}",
        statuses.len()
    );
    // Assert: while its share is held, the address is told so at once.
    let mut extra = connect_from(&addr, [127, 0, 0, 3].into())
        .await
        .expect("accepted");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_end(&mut raw))
        .await
        .expect("answered at once")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    // Assert: once it lets go, the address is served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        feed_status_from(&addr, [127, 0, 0, 3].into()).await,
        Some(200)
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_has_a_line_a_request_and_no_secret_comment_or_address() {
    // Assemble: the server logging JSON to a file, with the console on.
    const TOKEN: &str = "log-test-admin-token-5d1e";
    const MARKER: &str = "comment-marker-7f3a9c";
    let dir = temp_dir("log");
    let log = dir.join("server.log");
    let (_running, addr, _) = server::spawn_with(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &[
            "--allow-loopback",
            "--log-format",
            "json",
            "--admin-token",
            TOKEN,
        ],
        Stdio::from(std::fs::File::create(&log).unwrap()),
        |_| true,
    );
    let from: std::net::Ipv4Addr = [127, 0, 0, 9].into();
    // Action: a feed read, a review with a marker, the admin API with the bearer token, a
    // console sign-in, and a console page with the session's cookie.
    let feed = exchange_from(
        &addr,
        from,
        format!("GET /feed.json?q={MARKER} HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: {MARKER}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(feed.starts_with("HTTP/1.1 200"), "{feed}");
    let body = format!(r#"{{"rating": 5, "comment": "{MARKER}", "key": "k-log-1"}}"#);
    let review = exchange_from(&addr, from, format!("POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:9\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())).await;
    assert!(review.starts_with("HTTP/1.1 201"), "{review}");
    let admin = exchange_from(&addr, from, format!("GET /api/reviews HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n")).await;
    assert!(admin.starts_with("HTTP/1.1 200"), "{admin}");
    let form = format!("token={TOKEN}");
    let signed = exchange_from(&addr, from, format!("POST /admin/sign-in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}", form.len())).await;
    let cookie = signed
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let session = cookie.split('=').nth(1).unwrap().to_owned();
    let page = exchange_from(&addr, from, format!("GET /admin/reviews HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n")).await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Assert: one JSON line a request, with its route template, status and id.
    let text = std::fs::read_to_string(&log).unwrap();
    let requests: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message"] == "request")
        .collect();
    let routes: Vec<(String, u64)> = requests
        .iter()
        .map(|r| {
            (
                r["span"]["route"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("/feed.json".to_owned(), 200),
            ("/api/reviews".to_owned(), 201),
            ("/api/reviews".to_owned(), 200),
            ("/admin/sign-in".to_owned(), 303),
            ("/admin/reviews".to_owned(), 200),
        ],
        "{text}"
    );
    assert!(requests
        .iter()
        .all(|r| r["span"]["id"].as_str().is_some_and(|id| !id.is_empty())));
    assert!(
        feed.to_ascii_lowercase().contains("x-request-id: "),
        "the id goes back"
    );
    // Assert: nothing the client sent beyond that.
    for secret in [TOKEN, MARKER, session.as_str(), "127.0.0.9"] {
        assert!(!text.contains(secret), "the log holds {secret:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_was_sent_on_their_own_address_with_no_client_chosen_label() {
    // Assemble: the server with metrics on an address of their own.
    let dir = temp_dir("metrics");
    let (_running, addr, lines) = server::spawn_with(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &[
            "--allow-origin",
            "https://partner.example",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        Stdio::null(),
        |line| line.starts_with("metrics: "),
    );
    let metrics = metrics_address(&lines);
    let from: std::net::Ipv4Addr = [127, 0, 0, 11].into();
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n")
    };
    let review = |origin: &str, body: &str| {
        format!("POST /api/reviews HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    };
    // Action: a scripted mix.
    let mut etag = String::new();
    for _ in 0..3 {
        let answer = exchange_from(&addr, from, get("/feed.json", "")).await;
        assert!(answer.starts_with("HTTP/1.1 200"));
        etag = answer
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("etag: ")
                    .map(str::to_owned)
            })
            .unwrap();
    }
    let unchanged = exchange_from(
        &addr,
        from,
        get("/feed.json", &format!("If-None-Match: {etag}\r\n")),
    )
    .await;
    assert!(unchanged.starts_with("HTTP/1.1 304"), "{unchanged}");
    for key in ["m-1", "m-2"] {
        let body = format!(r#"{{"rating": 4, "comment": "fine", "key": "{key}"}}"#);
        let answer = exchange_from(&addr, from, review("https://partner.example", &body)).await;
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    }
    let invalid = exchange_from(
        &addr,
        from,
        review("https://partner.example", r#"{"rating": 9}"#),
    )
    .await;
    assert!(invalid.starts_with("HTTP/1.1 422"), "{invalid}");
    let stranger = exchange_from(
        &addr,
        from,
        review("https://made-up-origin.example", r#"{"rating": 4}"#),
    )
    .await;
    assert!(stranger.starts_with("HTTP/1.1 403"), "{stranger}");
    let missing = exchange_from(&addr, from, get("/made-up-path-4711", "")).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    // The public port has no metrics.
    let public = exchange_from(&addr, from, get("/metrics", "")).await;
    assert!(public.starts_with("HTTP/1.1 404"), "{public}");
    // One public connection held open while the metrics are read.
    let held = connect_from(&addr, from).await.expect("connected");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Assert: the scrape, read by a Prometheus text parser, counts exactly that.
    let scraped = exchange_from(&metrics, from, get("/metrics", "")).await;
    let (head, body) = scraped.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = body.to_owned();
    let parsed = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        parsed
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    let requests = "newswire_http_requests_total";
    assert_eq!(
        value(requests, &[("route", "/feed.json"), ("class", "2xx")]),
        3.0,
        "{body}"
    );
    assert_eq!(
        value(requests, &[("route", "/feed.json"), ("class", "3xx")]),
        1.0
    );
    assert_eq!(
        value(requests, &[("route", "/api/reviews"), ("class", "2xx")]),
        2.0
    );
    assert_eq!(
        value(requests, &[("route", "/api/reviews"), ("class", "4xx")]),
        2.0
    );
    assert_eq!(
        value(requests, &[("route", "static"), ("class", "4xx")]),
        2.0
    );
    assert_eq!(value("newswire_reviews_stored_total", &[]), 2.0);
    assert_eq!(
        value(
            "newswire_reviews_refused_total",
            &[("reason", "validation")]
        ),
        1.0
    );
    assert_eq!(
        value("newswire_reviews_refused_total", &[("reason", "origin")]),
        1.0
    );
    assert!(value("newswire_feed_reads_total", &[("result", "fresh")]) >= 1.0);
    assert!(value("newswire_feed_age_seconds", &[]) >= 0.0);
    assert_eq!(
        value("newswire_connections_open", &[]),
        1.0,
        "the one held open"
    );
    drop(held);
    assert!(body.contains("newswire_store_query_duration_seconds_bucket"));
    assert!(body.contains("newswire_permits_in_use{pool=\"reviews\"}"));
    assert!(body.contains("newswire_console_sessions"));
    // Nothing a client chose is a label.
    for chosen in ["made-up", "4711", "partner.example", "127.0.0.11"] {
        assert!(!body.contains(chosen), "{chosen} in the metrics: {body}");
    }
}

#[test]
fn commands_that_read_a_store_refuse_a_file_that_is_not_there() {
    // Assemble: a path with a typo in it.
    let dir = temp_dir("typo");
    let typo = dir.join("newswrie.db");
    // Action: the two commands that read a store.
    let export = Command::new(BIN)
        .args(["reviews", "export", "--db"])
        .arg(&typo)
        .output()
        .unwrap();
    let migrate = Command::new(BIN)
        .args(["migrate", "--from"])
        .arg(&typo)
        .args(["--to", "postgres://nobody@127.0.0.1:1/none"])
        .output()
        .unwrap();
    // Assert: each fails, says why, and creates nothing.
    for (name, out) in [("export", export), ("migrate", migrate)] {
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {said}");
        assert!(said.contains("no such file"), "{name}: {said}");
        assert!(out.stdout.is_empty(), "{name} printed no header");
    }
    assert!(!typo.exists(), "no empty database was made");
}

#[test]
fn an_allow_list_entry_that_is_not_an_origin_stops_the_start_naming_its_line() {
    // Assemble: a file whose third line has no scheme, and a flag with a path.
    let dir = temp_dir("origins");
    let file = dir.join("partners.txt");
    std::fs::write(
        &file,
        "# partners\nhttps://Radio.Example:8443/\nc.example\n",
    )
    .unwrap();
    let db = dir.join("r.db");
    // A server that starts anyway is killed after a while, and the test fails.
    let run = |flags: &[&std::ffi::OsStr]| {
        let mut child = Command::new(BIN)
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    };
    // Action and assert: refused at start-up, with the place and the reason.
    let out = run(&["--allow-origins".as_ref(), file.as_os_str()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("partners.txt line 3"), "{said}");
    assert!(said.contains("\"c.example\" has no scheme"), "{said}");
    let out = run(&["--allow-origin".as_ref(), "https://d.example/news".as_ref()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--allow-origin: \"https://d.example/news\" has a path"),
        "{said}"
    );
}

/// A CDN edge (203.0.113.0/24) in front of our proxy (127.0.0.5): each reader behind the
/// edge keeps a rate-limit bucket of their own, and only the listed proxies may hold more
/// than one client's share of the connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxy_networks_name_the_client_across_hops_and_skip_the_connection_cap() {
    // Assemble: one review a minute per client, four connections per client.
    let dir = temp_dir("trusted-proxy");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--client-rate",
            "1",
            "--max-connections-per-client",
            "4",
            "--trusted-proxy",
            "127.0.0.5/32",
            "--trusted-proxy",
            "203.0.113.0/24",
        ],
    );
    let review = |from: [u8; 4], forwarded: &str, key: &str| {
        let body = format!(r#"{{"rating": 4, "comment": "hop", "key": "{key}"}}"#);
        let request = format!("POST /api/reviews HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {forwarded}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let addr = addr.clone();
        async move {
            let answer = exchange_from(&addr, from.into(), request).await;
            answer.split(' ').nth(1).unwrap_or_default().to_owned()
        }
    };
    let proxy = [127, 0, 0, 5];
    // Action and assert: two hops, reader → edge → our proxy.
    assert_eq!(review(proxy, "198.51.100.1, 203.0.113.5", "a").await, "201");
    assert_eq!(review(proxy, "198.51.100.1, 203.0.113.7", "b").await, "429");
    assert_eq!(
        review(proxy, "198.51.100.2, 203.0.113.5", "c").await,
        "201",
        "another reader behind the same edge has a bucket of their own"
    );
    // Three hops, with an entry on the left that the client wrote itself.
    assert_eq!(
        review(
            proxy,
            "6.6.6.6, 198.51.100.2, 203.0.113.5, 203.0.113.9",
            "d"
        )
        .await,
        "429",
        "the reader is found through three hops"
    );
    // A peer that is not our proxy speaks for nobody: its own address counts.
    let stranger = [127, 0, 0, 6];
    assert_eq!(review(stranger, "198.51.100.3", "e").await, "201");
    assert_eq!(review(stranger, "198.51.100.4", "f").await, "429");
    // The connection cap: the proxy holds ten half-sent requests, the stranger only four.
    let mut held = Vec::new();
    for (from, count) in [(proxy, 10), (stranger, 4)] {
        for _ in 0..count {
            let mut stream = connect_from(&addr, from.into()).await.expect("accepted");
            stream
                .write_all(b"GET /feed.json HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            held.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        held.iter().all(still_open),
        "the proxy's ten and the stranger's four are open"
    );
    let mut extra = connect_from(&addr, stranger.into())
        .await
        .expect("accepted");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_end(&mut raw))
        .await
        .expect("answered at once")
        .unwrap();
    let extra = String::from_utf8_lossy(&raw);
    assert!(extra.starts_with("HTTP/1.1 503"), "{extra}");
    let through_proxy = exchange_from(
        &addr,
        proxy.into(),
        "GET /feed.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(through_proxy.starts_with("HTTP/1.1 200"), "{through_proxy}");
}

/// The demo's sample feed links its stories relative to itself, so its links follow the
/// address the server listens on, whatever `--addr` says, or `--public-url` where readers
/// reach it through something else: in the feed and in the rendered widget alike.
#[tokio::test]
async fn the_sample_feeds_links_follow_the_servers_address() {
    let dir = temp_dir("public-url");
    let db = dir.join("reviews.db");
    let get = |addr: String, path: &'static str| async move {
        let from = std::net::Ipv4Addr::LOCALHOST;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        exchange_from(&addr, from, request).await
    };
    let sample = "../www/sample-feed.json";
    let (_running, addr, _) =
        server::spawn_with(sample, db.as_os_str(), &[], Stdio::null(), |_| true);
    let json = |reply: String| -> serde_json::Value {
        serde_json::from_str(reply.split_once("\r\n\r\n").unwrap().1).unwrap()
    };
    let feed = json(get(addr.clone(), "/feed.json").await);
    let story = format!("http://{addr}/story.html#coastal-rail-vote");
    assert_eq!(feed["items"][0]["url"], story.as_str());
    assert_eq!(feed["home_page_url"], format!("http://{addr}/").as_str());
    let items = feed["items"].as_array().unwrap();
    assert!(items
        .iter()
        .all(|i| i["url"].as_str().unwrap().starts_with("http://")));
    let rendered = get(addr.clone(), "/newswire/include").await;
    assert!(
        rendered.contains(&format!(
            "href=\"http://{addr}/story.html#coastal-rail-vote\""
        )),
        "{rendered}"
    );
    let flags = ["--public-url", "https://News.Example/"];
    let (_running, addr, _) =
        server::spawn_with(sample, db.as_os_str(), &flags, Stdio::null(), |_| true);
    let feed = json(get(addr, "/feed.json").await);
    let story = "https://news.example/story.html#coastal-rail-vote";
    assert_eq!(feed["items"][0]["url"], story);
    let refused = Command::new(BIN)
        .args(["--public-url", "news.example/path"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--public-url"));
}
