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
            renders: newswire_server::feed::renders::RenderLimits {
                entries: 8,
                ..Default::default()
            },
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

/// Thirty locales we have no words for: what the loader sends as `rl`
/// (`navigator.language`) on every call.
const UNSPOKEN: [&str; 30] = [
    "fr-FR", "de-DE", "es-ES", "it-IT", "pt-BR", "nl-NL", "pl-PL", "sv-SE", "da-DK", "fi-FI",
    "nb-NO", "cs-CZ", "sk-SK", "hu-HU", "ro-RO", "bg-BG", "el-GR", "uk-UA", "he-IL", "fa-IR",
    "hi-IN", "bn-BD", "ja-JP", "ko-KR", "zh-CN", "zh-TW", "th-TH", "vi-VN", "id-ID", "ms-MY",
];

#[tokio::test]
async fn readers_whose_languages_end_in_the_same_choice_share_one_render() {
    // Assemble.
    let server = Server::start("render-locales").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    // Action: a reader in each of thirty locales the widget has no words for.
    let mut bodies = std::collections::HashSet::new();
    for tag in UNSPOKEN {
        let reply = server
            .request("GET", &format!("/newswire/render?rl={tag}"), &[], b"")
            .await;
        assert_eq!(reply.status, 200, "{tag}");
        assert!(reply.body.contains("lang=\"en\""), "{tag}");
        bodies.insert(reply.body);
    }
    // Assert: one English render, kept once.
    assert_eq!(bodies.len(), 1);
    assert_eq!(server.state.renders.len(), 1);
    // A reader we have words for, and one whose region the chosen language takes, get
    // renders of their own; a page in a language we lack changes nothing either.
    for (query, lang) in [
        ("rl=ru-RU", "ru-RU"),
        ("rl=en-GB", "en-GB"),
        ("hl=fr&rl=de-AT", "en"),
    ] {
        let reply = server
            .request("GET", &format!("/newswire/render?{query}"), &[], b"")
            .await;
        assert!(reply.body.contains(&format!("lang=\"{lang}\"")), "{query}");
    }
    assert_eq!(server.state.renders.len(), 3);
}

#[tokio::test]
async fn forwarded_headers_from_a_stranger_change_nothing_in_the_include_or_the_console() {
    // Assemble: our proxies are 10.0.0.0/8; a stranger on 127.0.0.1 writes their headers.
    let token = "console-token-0123456789";
    let server = Server::start_with(
        "forwarded",
        Policy {
            admin_token: Some(token.into()),
            proxies: newswire_server::net::proxies::Proxies::Networks(vec!["10.0.0.0/8"
                .parse()
                .unwrap()]),
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let stranger = std::net::SocketAddr::from(([127, 0, 0, 1], 40001));
    let proxy = std::net::SocketAddr::from(([10, 0, 0, 7], 40001));
    let forged = [
        ("Host", "agency.example"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
    ];
    // Action: the include, as the stranger asks for it, then as our proxy does.
    let from_stranger = server
        .request_from(stranger, "GET", "/newswire/include", &forged, b"")
        .await;
    let from_proxy = server
        .request_from(proxy, "GET", "/newswire/include", &forged, b"")
        .await;
    // Assert: the stranger's headers named nothing; our proxy's are believed.
    assert_eq!(from_stranger.status, 200);
    assert!(
        from_stranger
            .body
            .starts_with("<newswire-widget feed=\"http://agency.example/feed.json\""),
        "{}",
        &from_stranger.body[..120]
    );
    assert!(!from_stranger.body.contains("evil.example"));
    assert!(from_proxy
        .body
        .starts_with("<newswire-widget feed=\"https://evil.example/feed.json\""));

    // Action: a sign-in form whose Origin matches only the forged host.
    let body = format!("token={token}");
    let form = |origin: &'static str| {
        let mut headers = forged.to_vec();
        headers.push(("Origin", origin));
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        headers
    };
    let stranger_form = server
        .request_from(
            stranger,
            "POST",
            "/admin/sign-in",
            &form("https://evil.example"),
            body.as_bytes(),
        )
        .await;
    let proxy_form = server
        .request_from(
            proxy,
            "POST",
            "/admin/sign-in",
            &form("https://evil.example"),
            body.as_bytes(),
        )
        .await;
    let stranger_own = server
        .request_from(
            stranger,
            "POST",
            "/admin/sign-in",
            &form("http://agency.example"),
            body.as_bytes(),
        )
        .await;
    // Assert: refused from the stranger, taken from our proxy with a Secure cookie, and the
    // stranger's own-origin sign-in gets no Secure on the say-so of its forwarded header.
    assert_eq!(stranger_form.status, 403, "{}", stranger_form.body);
    assert_eq!(proxy_form.status, 303, "{}", proxy_form.body);
    assert!(proxy_form
        .header("set-cookie")
        .unwrap()
        .contains("; Secure"));
    assert_eq!(stranger_own.status, 303, "{}", stranger_own.body);
    assert!(!stranger_own
        .header("set-cookie")
        .unwrap()
        .contains("Secure"));
}

#[tokio::test]
async fn with_a_public_url_the_include_names_it_whatever_the_request_says() {
    // Assemble: every peer is our proxy, and --public-url names where readers reach us.
    let server = Server::start_with(
        "public-url",
        Policy {
            proxies: newswire_server::net::proxies::Proxies::AnyPeer,
            public_url: Some("https://news.example".into()),
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    // Action.
    let reply = server
        .request(
            "GET",
            "/newswire/include",
            &[
                ("Host", "agency.example"),
                ("X-Forwarded-Host", "evil.example"),
                ("X-Forwarded-Proto", "http"),
            ],
            b"",
        )
        .await;
    // Assert: every absolute URL is the public one, and the answer varies on nothing else.
    assert_eq!(reply.status, 200);
    assert!(reply
        .body
        .starts_with("<newswire-widget feed=\"https://news.example/feed.json\""));
    assert!(reply
        .body
        .contains("<link rel=\"stylesheet\" href=\"https://news.example/newswire/"));
    assert!(!reply.body.contains("agency.example") && !reply.body.contains("evil.example"));
    assert_eq!(reply.header("vary"), Some("accept-encoding"));
}

#[tokio::test]
async fn the_render_cache_is_bounded_in_bytes_and_never_keeps_an_oversized_render() {
    // Assemble: a feed of the longest links the model reads, a 300 KB one it drops, and a
    // cache of 2 MB.
    let link = |n: usize| format!("https://agency.example/{n}/{}", "l".repeat(2000));
    let items: Vec<String> = (0..30)
        .map(|n| {
            format!(
                r#"{{"id": "{}", "url": "{}", "title": "Story {n} {}", "tags": ["Politics"], "date_published": "2026-12-01T10:{:02}:00Z"{}}}"#,
                link(n),
                link(n),
                "t".repeat(180),
                n % 60,
                if n == 0 { r#", "_newswire": {"headline": true}"# } else { "" }
            )
        })
        .collect();
    let huge = format!("https://agency.example/{}", "h".repeat(300_000));
    let feed = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "Long links", "items": [{{"id": "huge", "url": "{huge}", "title": "Huge", "_newswire": {{"headline": true}}}}, {}]}}"#,
        items.join(",")
    );
    let server = Server::start_with(
        "render-bytes",
        Policy {
            renders: newswire_server::feed::renders::RenderLimits {
                bytes: 2 * 1024 * 1024,
                per_client: Rate::per_minute(10_000),
                ..Default::default()
            },
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), feed).unwrap();
    // Action: forty titles, each a render of its own.
    let mut largest = 0;
    for n in 0..40 {
        let reply = server
            .request(
                "GET",
                &format!("/newswire/render?max-briefs=20&title=t{n}"),
                &[],
                b"",
            )
            .await;
        assert_eq!(reply.status, 200);
        assert!(
            !reply.body.contains("hhhhhhhhhh"),
            "the 300 KB link is dropped"
        );
        largest = largest.max(reply.body.len());
    }
    // Assert: renders of 100 KB and more, kept within the bytes, never over.
    let renders = &server.state.renders;
    assert!(largest > 100_000, "{largest}");
    assert!(renders.bytes() <= 2 * 1024 * 1024, "{}", renders.bytes());
    assert!(
        renders.len() < 40 && !renders.is_empty(),
        "{}",
        renders.len()
    );
    // A cache smaller than one render keeps none.
    let tiny = Server::start_with(
        "render-tiny",
        Policy {
            renders: newswire_server::feed::renders::RenderLimits {
                bytes: 50_000,
                ..Default::default()
            },
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(
        tiny.dir.join("feed.json"),
        std::fs::read(server.dir.join("feed.json")).unwrap(),
    )
    .unwrap();
    let reply = tiny
        .request("GET", "/newswire/render?max-briefs=20", &[], b"")
        .await;
    assert_eq!(reply.status, 200);
    assert!(tiny.state.renders.is_empty());
}

#[tokio::test]
async fn uncached_renders_are_held_to_each_clients_budget_and_cached_ones_are_not() {
    // Assemble: three uncached renders a minute per client.
    let server = Server::start_with(
        "render-budget",
        Policy {
            renders: newswire_server::feed::renders::RenderLimits {
                per_client: Rate::per_minute(3),
                ..Default::default()
            },
            ..Policy::default()
        },
    )
    .await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    let one = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let other = std::net::SocketAddr::from(([192, 0, 2, 2], 40000));
    let render = |from, title: &str| {
        let path = format!("/newswire/render?title={title}");
        let server = &server;
        async move { server.request_from(from, "GET", &path, &[], b"").await }
    };
    // Action: four fresh titles from one client.
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(render(one, &format!("t{n}")).await.status);
    }
    // Assert: the fourth is refused with a time to come back; a render already made is still
    // served to that client, and another client has a budget of its own.
    assert_eq!(statuses, [200, 200, 200, 429]);
    let refused = render(one, "t4").await;
    refused.assert_error(429);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(render(one, "t0").await.status, 200);
    assert_eq!(render(other, "t9").await.status, 200);
}

#[tokio::test]
async fn the_rating_line_is_part_of_what_a_render_is_kept_under() {
    // Assemble: no reviews yet, so the rating line is empty but holds its place.
    let server = Server::start("render-rating").await;
    std::fs::write(server.dir.join("feed.json"), FIXTURE_FEED).unwrap();
    // Action: the same title with and without show-rating, in both orders.
    let with = server
        .request("GET", "/newswire/render?title=R&show-rating", &[], b"")
        .await;
    let without = server
        .request("GET", "/newswire/render?title=R", &[], b"")
        .await;
    // Assert: two renders, each with what it asked for.
    assert!(with.body.contains("part=\"rating\""), "{}", with.body);
    assert!(!without.body.contains("part=\"rating\""));
    assert_eq!(server.state.renders.len(), 2);
}
