//! The widget rendered on the server: the render, its bounded cache, and the include.

use crate::support::app::*;

/// The fixture feed, for the tests that render the widget.
const FIXTURE_FEED: &str = include_str!("../../../tests/fixtures/feed.json");

#[tokio::test]
async fn the_widget_is_rendered_for_the_servers_own_feed_cached_and_revalidated() {
    // Assemble: a server with a real feed.
    let server = Server::start("render").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    // Action.
    let reply = server
        .request(
            "GET",
            "/newswire/render?lang=en&max-briefs=2&rl=en-GB",
            &[],
            b"",
        )
        .await;
    // Assert: the widget's HTML and its state, for any origin, with validators.
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("vary"), Some("accept-encoding"));
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=60, stale-while-revalidate=300, no-transform")
    );
    let code = newswire_server::feed::render::CODE;
    assert!(reply
        .body
        .starts_with(&format!("<div class=\"nw-root\" data-release=\"{code}\">")));
    assert_eq!(reply.body.matches("part=\"brief\"").count(), 2);
    assert!(reply.body.contains("lang=\"en-GB\""), "the reader's region");
    let state = reply
        .body
        .split("class=\"nw-state\">")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("</script>"))
        .expect("the state, last");
    let state: serde_json::Value = serde_json::from_str(state).unwrap();
    assert_eq!(state["news"]["briefs"].as_array().unwrap().len(), 2);
    let etag = reply.header("etag").unwrap().to_owned();
    // The same attributes spelled otherwise share the render; its ETag answers 304.
    let again = server
        .request(
            "GET",
            "/newswire/render?max-briefs=%202&lang=en&rl=en-GB&unknown=x",
            &[("If-None-Match", &etag)],
            b"",
        )
        .await;
    assert_eq!(again.status, 304);
    // Compressed once, when cached.
    let br = server
        .request(
            "GET",
            "/newswire/render?lang=en&max-briefs=2&rl=en-GB",
            &[("Accept-Encoding", "gzip, br")],
            b"",
        )
        .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    // A page cannot name another feed to render.
    server
        .request(
            "GET",
            "/newswire/render?feed=https://evil.example/x.json",
            &[],
            b"",
        )
        .await
        .assert_error(404);
    // Bad values fall back, as in the browser.
    let odd = server
        .request(
            "GET",
            "/newswire/render?max-briefs=zero&heading-level=9",
            &[],
            b"",
        )
        .await;
    assert_eq!(odd.status, 200);
    assert_eq!(odd.body.matches("part=\"brief\"").count(), 5);
}

#[tokio::test]
async fn the_render_cache_holds_a_bounded_number_of_renders() {
    // Assemble: a cache of 8.
    let server = Server::start_with(
        "render-cache",
        Policy {
            render_cache: 8,
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let state = server.state.clone();
    // Action: more titles than the cache holds, each a long one.
    let long = "x".repeat(2000);
    for n in 0..20 {
        let reply = server
            .request(
                "GET",
                &format!("/newswire/render?title=t{n}-{}", &long[..300]),
                &[],
                b"",
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    // Assert: the cache kept its bound, and the title was cut.
    assert_eq!(state.renders.len(), 8);
    let reply = server
        .request("GET", &format!("/newswire/render?title={long}"), &[], b"")
        .await;
    assert!(
        reply.body.contains(&long[..150]) && !reply.body.contains(&long[..300]),
        "a long title is cut to 200 characters, not dropped"
    );
}

#[tokio::test]
async fn the_include_wraps_the_widget_in_its_shadow_root_and_dates_it_in_a_known_zone() {
    let server = Server::start("include").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let include = |query: &'static str| {
        let server = &server;
        async move {
            server
                .request(
                    "GET",
                    &format!("/newswire/include?{query}"),
                    &[("Host", "agency.example")],
                    b"",
                )
                .await
        }
    };
    let reply = include("tz=Asia/Baku&theme=dark&max-briefs=1").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .starts_with("<newswire-widget feed=\"http://agency.example/feed.json\""),
        "{}",
        &reply.body[..200]
    );
    assert!(reply.body.contains("<template shadowrootmode=\"open\"><link rel=\"stylesheet\" href=\"http://agency.example/newswire/newswire.css\">"));
    assert!(
        reply.body.contains("theme=\"dark\"")
            && reply.body.ends_with("</template></newswire-widget>")
    );
    assert_eq!(
        reply.header("vary"),
        Some("accept-encoding, host, x-forwarded-host, x-forwarded-proto"),
        "no shared cache hands one host's include to another"
    );
    assert!(
        reply.body.contains(" +04</time>"),
        "Baku's time: {}",
        reply.body
    );
    // Anything but a zone the server knows is UTC.
    for bad in ["tz=Mars/Olympus", "tz=../../etc/passwd", "tz="] {
        assert!(include(bad).await.body.contains(" UTC</time>"), "{bad}");
    }
}
