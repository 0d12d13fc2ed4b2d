//! The metrics address under attack: idle connections that would once have taken every file
//! handle the process has.

use crate::*;

/// Idle connections opened to the metrics address: more than the process's 1,024 files.
const IDLE: usize = 1100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_metrics_connections_leave_the_public_port_its_files() {
    // Assemble: the server held to 1,024 open files, as many systems start it, with
    // metrics on; this test may open more.
    let _ = rlimit::increase_nofile_limit(8192);
    let dir = temp_dir("metrics-files");
    let (_running, addr, lines) = server::spawn_configured(
        "../tests/fixtures/feed.json",
        dir.join("reviews.db").as_os_str(),
        &["--metrics-listen", "127.0.0.1:0"],
        Stdio::null(),
        |line| line.starts_with("metrics: "),
        |command| {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
            unsafe {
                command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, 1024, 1024));
            }
        },
    );
    let metrics = metrics_address(&lines);
    // Action: 1,100 connections to the metrics address that never send a byte.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(metrics.as_str())).await
        {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Assert: the public port answers throughout.
    for _ in 0..3 {
        assert_eq!(
            feed_status_from(&addr, [127, 0, 0, 1].into()).await,
            Some(200),
            "the feed, with {} idle metrics connections",
            idle.len()
        );
    }
    // Assert: the idle ones are let go, as the public port lets its own go.
    let mut closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            _ => {}
        }
        if closed >= 16 {
            break;
        }
    }
    assert!(closed >= 16, "idle metrics connections closed: {closed}");
    drop(idle);
    // Assert: and a scraper then gets its metrics.
    let scraped = exchange_from(
        &metrics,
        [127, 0, 0, 1].into(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
}
