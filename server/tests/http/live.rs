//! The live stream (`GET /feed/events`): each accepted feed is a revision, streamed as what
//! it changed; a reader that comes back gets what it missed, or the latest state; quiet
//! streams beat; streams have a pool of their own and end when the server stops.

use crate::support::app::*;
use std::time::Duration;

#[tokio::test]
async fn a_story_written_to_the_feed_file_reaches_an_open_stream_with_its_revision() {
    let server = Server::start("live-story").await;
    let first = server.publish(&feed_with(&["a"])).await;
    let mut events = server.events("/feed/events", &[]).await;
    // Assert: the stream's headers.
    assert_eq!(events.status, 200);
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    assert_eq!(events.header("cache-control"), Some("no-store"));
    assert_eq!(events.header("x-accel-buffering"), Some("no"));
    assert_eq!(events.header("access-control-allow-origin"), Some("*"));
    assert_eq!(events.header("access-control-allow-credentials"), None);
    // The first word is this stream's own retry, 2 to 7 s.
    let hello = events.next().await.unwrap();
    let retry = hello.retry.expect("a retry first");
    assert!((2000..7000).contains(&retry), "{retry}");

    // Action: a story is added (the file watcher notices within a second).
    let poller = tokio::spawn(server.state.feed.clone().poll());
    std::fs::write(server.dir.join("feed.json"), feed_with(&["b", "a"])).unwrap();
    let update = events.next_change().await.expect("an update");
    poller.abort();

    // Assert: the update names the revision and carries only the change.
    assert_eq!(update.event, "update");
    let revision: i64 = update.id.as_deref().unwrap().parse().unwrap();
    assert!(revision > first);
    let data = update.json();
    assert_eq!(data["revision"], revision);
    assert_eq!(data["since"], first);
    assert_eq!(data["added"].as_array().unwrap().len(), 1);
    assert_eq!(data["added"][0]["id"], "b");
    assert_eq!(data["changed"], serde_json::json!([]));
    assert_eq!(data["removed"], serde_json::json!([]));
    assert!(update.data.len() < 2048, "{} bytes", update.data.len());
    // The feed names the same revision, and where the stream is, both readable cross-origin.
    let feed = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(
        feed.header("newswire-revision"),
        Some(revision.to_string().as_str())
    );
    assert_eq!(feed.header("newswire-stream"), Some("/feed/events"));

    // A story taken away upstream is named as removed.
    let removed_at = server.publish(&feed_with(&["b"])).await;
    let removal = events.next_change().await.unwrap();
    assert_eq!(removal.id.as_deref(), Some(removed_at.to_string().as_str()));
    assert_eq!(removal.json()["removed"], serde_json::json!(["a"]));
}

#[tokio::test]
async fn a_feed_that_does_not_change_makes_no_revision_and_a_bad_one_none_either() {
    let server = Server::start("live-same").await;
    let first = server.publish(&feed_with(&["a"])).await;
    // The same bytes again (a new file time), then something that is not a feed.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(server.publish(&feed_with(&["a"])).await, first);
    std::fs::write(server.dir.join("feed.json"), "{\"items\": [").unwrap();
    let kept = server.state.feed.current().await.unwrap();
    assert_eq!(
        (kept.revision, kept.items),
        (first, 1),
        "the good copy stays"
    );
    assert_eq!(server.publish(&feed_with(&["a", "b"])).await, first + 1);
}

#[tokio::test]
async fn a_reader_that_comes_back_gets_what_it_missed_or_the_latest_state() {
    let server = Server::start("live-resume").await;
    let r1 = server.publish(&feed_with(&["a"])).await;
    let r2 = server.publish(&feed_with(&["b", "a"])).await;
    let r3 = server.publish(&feed_with(&["c", "b", "a"])).await;
    // The revisions are followed as they come: let the follower catch up.
    for _ in 0..100 {
        if server.state.live.latest() == r3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for headers in [
        vec![("Last-Event-ID", r1.to_string())],
        vec![("X-Unused", String::new())],
    ] {
        let path = if headers[0].0 == "Last-Event-ID" {
            "/feed/events".to_owned()
        } else {
            format!("/feed/events?since={r1}")
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut events = server.events(&path, &headers).await;
        let missed = events.next_change().await.unwrap();
        assert_eq!(
            (missed.event.as_str(), missed.id.clone()),
            ("update", Some(r2.to_string()))
        );
        assert_eq!(missed.json()["added"][0]["id"], "b");
        let next = events.next_change().await.unwrap();
        assert_eq!(next.id, Some(r3.to_string()));
        assert_eq!(next.json()["added"][0]["id"], "c");
    }

    // A revision older than what is kept (or one never made): one reset to the latest.
    for since in ["0", "999999"] {
        let mut events = server
            .events(&format!("/feed/events?since={since}"), &[])
            .await;
        let reset = events.next_change().await.unwrap();
        assert_eq!(reset.event, "reset", "since {since}");
        assert_eq!(reset.id, Some(r3.to_string()));
        assert_eq!(reset.json()["revision"], r3);
    }
    // Up to date: nothing is owed, and the next thing is a heartbeat or a new revision.
    let mut current = server
        .events(&format!("/feed/events?since={r3}"), &[])
        .await;
    let r4 = server.publish(&feed_with(&["d", "c", "b", "a"])).await;
    let next = current.next_change().await.unwrap();
    assert_eq!(next.id, Some(r4.to_string()));
}

#[tokio::test]
async fn a_quiet_stream_beats_with_the_latest_revision() {
    let server = Server::start_with(
        "live-heartbeat",
        Policy {
            heartbeat: Duration::from_millis(200),
            ..Policy::default()
        },
    )
    .await;
    let revision = server.publish(&feed_with(&["a"])).await;
    let mut events = server.events("/feed/events", &[]).await;
    let mut beats = 0;
    while beats < 2 {
        let sse = events.next().await.unwrap();
        if sse.event == "heartbeat" {
            assert_eq!(sse.json()["revision"], revision);
            beats += 1;
        }
    }
}

#[tokio::test]
async fn streams_have_a_pool_of_their_own_and_the_feed_is_served_when_it_is_full() {
    let server = Server::start_with(
        "live-pool",
        Policy {
            max_streams: 2,
            max_inflight: 4,
            ..Policy::default()
        },
    )
    .await;
    server.publish(&feed_with(&["a"])).await;
    let _one = server.events("/feed/events", &[]).await;
    let _two = server.events("/feed/events", &[]).await;
    let third = server.events("/feed/events", &[]).await;
    assert_eq!(third.status, 503);
    assert!(third.header("retry-after").is_some());
    // Open streams hold none of the general permits.
    for _ in 0..6 {
        let feed = server.request("GET", "/feed.json", &[], b"").await;
        assert_eq!(feed.status, 200);
    }
    drop(_one);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.events("/feed/events", &[]).await.status, 200);
}

#[tokio::test]
async fn stopping_ends_every_stream_with_a_last_retry() {
    let server = Server::start("live-stop").await;
    server.publish(&feed_with(&["a"])).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut events = server.events("/feed/events", &[]).await;
        events.next().await.unwrap();
        streams.push(events);
    }
    server.state.live.stop();
    for mut events in streams {
        let last = events.next().await.expect("a last word");
        let retry = last.retry.expect("a last retry");
        assert!((2000..7000).contains(&retry));
        assert!(events.next().await.is_none(), "then the stream ends");
    }
    // A stream opened while stopping ends at once too.
    let mut late = server.events("/feed/events", &[]).await;
    late.next().await.unwrap();
    assert!(late.next().await.map(|e| e.retry.is_some()).unwrap_or(true));
}

#[tokio::test]
async fn a_revision_asked_for_by_name_is_waited_for_and_never_older() {
    let server = Server::start("live-rev").await;
    let first = server.publish(&feed_with(&["a"])).await;
    // A widget told of the next revision asks before this replica has it.
    let asked = {
        let server_feed = server.state.clone();
        let router = newswire_server::router(server_feed);
        tokio::spawn(async move {
            use tower::ServiceExt;
            let mut request = axum::http::Request::builder()
                .uri(format!("/feed.json?rev={}", first + 1))
                .header("host", "newswire.test")
                .body(axum::body::Body::empty())
                .unwrap();
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from(([127, 0, 0, 1], 40000)),
            ));
            let response = router.oneshot(request).await.unwrap();
            response.headers()["newswire-revision"]
                .to_str()
                .unwrap()
                .to_owned()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = server.publish(&feed_with(&["b", "a"])).await;
    assert_eq!(asked.await.unwrap(), second.to_string());
    // One never made is answered with the latest after the wait, not refused.
    let later = server
        .request("GET", &format!("/feed.json?rev={}", second + 50), &[], b"")
        .await;
    assert_eq!(later.status, 200);
    assert_eq!(
        later.header("newswire-revision"),
        Some(second.to_string().as_str())
    );
}

#[tokio::test]
async fn the_render_names_the_stream_and_the_revision_it_was_made_from() {
    let server = Server::start("live-render").await;
    let revision = server.publish(&feed_with(&["a"])).await;
    let render = server.request("GET", "/newswire/render", &[], b"").await;
    assert_eq!(render.status, 200);
    let state = render
        .body
        .split("<script type=\"application/json\"")
        .nth(1)
        .and_then(|s| s.split_once('>'))
        .and_then(|(_, s)| s.split_once("</script>"))
        .map(|(json, _)| json)
        .expect("the hydration state");
    let state: serde_json::Value = serde_json::from_str(state).unwrap();
    assert_eq!(state["stream"], "/feed/events");
    assert_eq!(state["revision"], revision);
    // A new revision is a new render, even of bytes served before.
    let next = server.publish(&feed_with(&["b"])).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.publish(&feed_with(&["a"])).await;
    let again = server.request("GET", "/newswire/render", &[], b"").await;
    assert!(
        again.body.contains(&format!("\"revision\":{}", next + 1)),
        "{}",
        again.body
    );
}
