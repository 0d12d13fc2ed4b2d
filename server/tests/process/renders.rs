//! Uncached renders under attack: one client flooding fresh titles, and a feed whose links
//! would make every render weigh megabytes.

use crate::*;

/// How long each request may take: renders in a debug build on a busy machine are slow.
const TEN_SECONDS: Duration = Duration::from_secs(10);

/// Connections the flooding client keeps asking for fresh titles on.
const FLOOD: usize = 200;

/// Rounds of the other client's reads during the flood.
const ROUNDS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_client_flooding_fresh_titles_takes_nothing_from_another() {
    // Assemble: a small general pool (64), so that renders waiting on it would empty it; a
    // budget of renders too large to stop the flood, so that only the per-client slots and
    // the permits' turns stand between it and the other client; and a www with the loader.
    let dir = temp_dir("render-flood");
    std::fs::create_dir_all(dir.join("www/newswire")).unwrap();
    std::fs::write(dir.join("www/newswire/embed.js"), "/* loader */").unwrap();
    let www = dir.join("www");
    let (_child, addr) = start_with(
        &dir.join("reviews.db"),
        &[
            "--max-inflight",
            "64",
            "--render-rate",
            "1000000",
            "--www",
            www.to_str().unwrap(),
        ],
    );
    // Action: 127.0.0.2 asks for fresh titles on 200 connections at once, until told to stop.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = (0..FLOOD)
        .map(|n| {
            let (addr, stop) = (addr.clone(), stop.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let path = format!("/newswire/render?title=flood-{n}-{i}");
                    statuses
                        .push(status_from(&addr, [127, 0, 0, 2].into(), &path, TEN_SECONDS).await);
                }
                statuses
            })
        })
        .collect::<Vec<_>>();
    // Meanwhile 127.0.0.3 reads the feed, the loader and an uncached include, ten times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut answers = Vec::new();
    for n in 0..ROUNDS {
        let include = format!("/newswire/include?title=partner-{n}");
        for path in ["/feed.json", "/newswire/embed.js", include.as_str()] {
            answers.push((
                path.to_owned(),
                status_from(&addr, [127, 0, 0, 3].into(), path, TEN_SECONDS).await,
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut flooded = Vec::new();
    for f in flood {
        flooded.extend(f.await.unwrap());
    }
    // Assert: not one of the other client's requests was refused.
    let refused: Vec<_> = answers.iter().filter(|(_, s)| *s != Some(200)).collect();
    assert!(
        refused.is_empty(),
        "refused {refused:?} of {} answers",
        answers.len()
    );
    // Assert: the flood was real (it kept renders going), and was held to its own slots.
    let count = |status: u16| flooded.iter().filter(|s| **s == Some(status)).count();
    println!(
        "render flood: {} requests, {} rendered, {} refused 429, {} refused 503",
        flooded.len(),
        count(200),
        count(429),
        count(503)
    );
    assert!(count(200) >= 20 && count(429) > 1000, "{}", flooded.len());
}

/// Titles asked for in the memory test.
const TITLES: usize = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_with_a_300_kb_link_and_600_titles_keeps_the_process_small() {
    // Assemble: a feed whose headline links to a 300 KB URL (once 907 KB of HTML per
    // render, and 1.25 GB for 600 titles), and no render budget to stop the titles.
    let dir = temp_dir("render-memory");
    let huge = format!("https://agency.example/{}", "h".repeat(300 * 1024));
    let feed = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "Long links", "items": [
            {{"id": "lead", "url": "{huge}", "title": "The lead", "_newswire": {{"headline": true}}}},
            {{"id": "b1", "url": "https://agency.example/b1", "title": "A brief", "tags": ["Politics"], "date_published": "2026-12-01T10:00:00Z"}}
        ]}}"#
    );
    std::fs::write(dir.join("feed.json"), feed).unwrap();
    let (child, addr) = server::spawn(
        dir.join("feed.json").to_str().unwrap(),
        dir.join("reviews.db").as_os_str(),
        &["--render-rate", "100000"],
    );
    // Action: 600 titles, four at a time (a client's uncached renders at once).
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, next) = (addr.clone(), next.clone());
            tokio::spawn(async move {
                let mut ok = 0;
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if n >= TITLES {
                        return ok;
                    }
                    let path = format!("/newswire/render?title=t{n}");
                    if status_from(&addr, [127, 0, 0, 1].into(), &path, TEN_SECONDS).await
                        == Some(200)
                    {
                        ok += 1;
                    }
                }
            })
        })
        .collect();
    let mut rendered = 0;
    for w in workers {
        rendered += w.await.unwrap();
    }
    // Assert: every title rendered, and the process stayed under 200 MB (the render cache
    // is bounded at 32 MiB, and the link is dropped).
    assert_eq!(rendered, TITLES);
    let peak = peak_rss(child.id());
    println!("600 titles over a 300 KB link: peak RSS {} MB", peak >> 20);
    assert!(peak < 200 << 20, "peak RSS {} MB", peak >> 20);
}
