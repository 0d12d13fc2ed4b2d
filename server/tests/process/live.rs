//! The live stream in the real binary: SIGTERM ends open streams with a last `retry:` and the
//! process exits within its deadline; the feed's revision survives a restart, and a changed
//! feed file is noticed without any request.

use crate::*;

/// Opens `GET /feed/events` on `addr` and reads until the first event; the open stream.
async fn open_stream(addr: &str, extra: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /feed/events HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("retry:") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the stream's first word")
            .unwrap();
        assert!(
            n > 0,
            "the stream ended: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    stream
}

/// Everything the stream sends until it ends (or 10 s pass).
async fn rest(mut stream: TcpStream) -> String {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
    String::from_utf8_lossy(&raw).into_owned()
}

/// The `Newswire-Revision` that `GET /feed.json` names.
async fn revision(addr: &str) -> i64 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /feed.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    text.lines()
        .find_map(|l| l.strip_prefix("newswire-revision:"))
        .expect("a revision")
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn sigterm_ends_every_open_stream_with_a_last_retry_and_exits_within_five_seconds() {
    let dir = temp_dir("live-sigterm");
    let (mut child, addr) = start(&dir.join("reviews.db"));
    let mut streams = Vec::new();
    for _ in 0..20 {
        streams.push(open_stream(&addr, "").await);
    }
    let reading: Vec<_> = streams.into_iter().map(|s| tokio::spawn(rest(s))).collect();
    let asked = std::time::Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    let took = asked.elapsed();
    assert!(status.success(), "a clean exit: {status:?}");
    // The deadline is 5 s; the streams do not hold the process that long.
    assert!(took < Duration::from_secs(5), "exited after {took:?}");
    for stream in reading {
        let rest = stream.await.unwrap();
        assert!(rest.contains("retry:"), "a last retry: {rest:?}");
        // The response ended (the chunked body's last chunk), not just the connection.
        assert!(rest.ends_with("0\r\n\r\n"), "the stream ended: {rest:?}");
    }
}

#[tokio::test]
async fn the_revision_survives_a_restart_and_a_changed_file_is_noticed_without_a_request() {
    let dir = temp_dir("live-restart");
    let db = dir.join("reviews.db");
    let feed = dir.join("feed.json");
    std::fs::copy("../tests/fixtures/feed.json", &feed).unwrap();
    let feed = feed.to_str().unwrap().to_owned();
    let (child, addr) = server::spawn(&feed, db.as_os_str(), &[]);
    let first = revision(&addr).await;
    assert!(first >= 1);
    drop(child);

    // The same feed after a restart: the same revision, never a lower one.
    let (child, addr) = server::spawn(&feed, db.as_os_str(), &[]);
    assert_eq!(revision(&addr).await, first);
    // A stream open from that revision hears of a change to the file with no request made.
    let stream = open_stream(&addr, &format!("Last-Event-ID: {first}\r\n")).await;
    let reading = tokio::spawn(rest(stream));
    let mut changed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&feed).unwrap()).unwrap();
    changed["items"].as_array_mut().unwrap().insert(
        0,
        serde_json::json!({"id": "restart-1", "title": "After the restart", "tags": ["Politics"]}),
    );
    std::fs::write(&feed, changed.to_string()).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(child);
    let heard = reading.await.unwrap();
    assert!(
        heard.contains(&format!("id: {}", first + 1)) && heard.contains("restart-1"),
        "{heard}"
    );
}
