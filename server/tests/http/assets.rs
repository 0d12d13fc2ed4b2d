//! The widget's files and the demo page: their types and headers, releases served for good,
//! and the encoding a browser accepts.

use crate::support::app::*;

#[tokio::test]
async fn widget_assets_and_the_demo_page_are_served_safely() {
    let server = Server::start("assets").await;
    let wasm = server
        .request("GET", "/newswire/newswire_bg.wasm", &[], b"")
        .await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        wasm.header("cross-origin-resource-policy"),
        Some("cross-origin"),
        "pages under COEP may embed it"
    );
    assert_eq!(wasm.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(wasm.header("vary"), Some("accept-encoding"));
    // Conditional requests, HEAD and ranges come from the file's metadata.
    let modified = wasm
        .header("last-modified")
        .expect("a Last-Modified")
        .to_owned();
    let again = server
        .request(
            "GET",
            "/newswire/newswire_bg.wasm",
            &[("If-Modified-Since", &modified)],
            b"",
        )
        .await;
    assert_eq!(again.status, 304);
    let head = server
        .request("HEAD", "/newswire/newswire_bg.wasm", &[], b"")
        .await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("8"));
    let range = server
        .request(
            "GET",
            "/newswire/newswire_bg.wasm",
            &[("Range", "bytes=0-3")],
            b"",
        )
        .await;
    assert_eq!((range.status, range.body.as_str()), (206, "\0asm"));

    let page = server.request("GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("demo"));
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        page.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let configurator = server.request("GET", "/configurator", &[], b"").await;
    assert!(configurator
        .header("content-security-policy")
        .is_some_and(|csp| csp.contains("frame-ancestors 'none'")));
    // Every JSON answer is marked nosniff too.
    let feed = server.request("GET", "/feed.json", &[], b"").await;
    assert_eq!(feed.header("x-content-type-options"), Some("nosniff"));
    let summary = server
        .request("GET", "/api/reviews/summary", &[], b"")
        .await;
    assert_eq!(summary.header("x-content-type-options"), Some("nosniff"));
    // A guess by extension makes `.ts` a video; the declarations are text to read.
    let types = server
        .request("GET", "/newswire/newswire.d.ts", &[], b"")
        .await;
    assert_eq!(
        (types.status, types.header("content-type")),
        (200, Some("text/plain; charset=utf-8"))
    );
    for path in [
        "/newswire/missing.js",
        "/../secret.txt",
        "/newswire/..%2f..%2fsecret.txt",
        "/newswire/v/..%2f..%2f..%2fsecret.txt",
        "/.hidden",
    ] {
        let reply = server.request("GET", path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("outside www"));
    }
}

#[tokio::test]
async fn a_release_is_served_immutably_under_its_own_url() {
    let server = Server::start("release").await;
    // What `scripts/release.mjs` writes at build time.
    let release = "0123456789ab";
    let dir = server.dir.join("www/newswire/v").join(release);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("embed.js"), "/* loader of this release */").unwrap();
    std::fs::write(
        server.dir.join("www/newswire/release.json"),
        format!(r#"{{"release": "{release}", "embed": "/newswire/v/{release}/embed.js"}}"#),
    )
    .unwrap();

    let manifest = server
        .request("GET", "/newswire/release.json", &[], b"")
        .await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("cache-control"), Some("no-cache"));
    assert_eq!(manifest.header("access-control-allow-origin"), Some("*"));
    let loader = server
        .request("GET", &format!("/newswire/v/{release}/embed.js"), &[], b"")
        .await;
    assert_eq!(
        (loader.status, loader.body.as_str()),
        (200, "/* loader of this release */")
    );
    assert_eq!(
        loader.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(loader.header("access-control-allow-origin"), Some("*"));
    for path in [
        "/newswire/v/000000000000/embed.js".to_owned(),
        format!("/newswire/v/{release}/release.json"),
        "/newswire/v/..%2f..%2f..%2fsecret.txt/embed.js".to_owned(),
        "/newswire/v/0123456789AB/embed.js".to_owned(),
    ] {
        let reply = server.request("GET", &path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("outside www"));
    }
    // The unversioned loader stays revalidated, so pages on it get each new release.
    let plain = server.request("GET", "/newswire/embed.js", &[], b"").await;
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    let page = server.request("GET", "/configurator", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("configurator"));
}

#[tokio::test]
async fn precompressed_assets_go_out_in_the_encoding_the_browser_accepts() {
    let server = Server::start("encoding").await;
    let dir = server.dir.join("www/newswire");
    std::fs::write(dir.join("embed.js"), "plain").unwrap();
    std::fs::write(dir.join("embed.js.br"), "brotli bytes").unwrap();
    std::fs::write(dir.join("embed.js.gz"), "gzip bytes").unwrap();
    let get = |accept: &'static str| {
        let server = &server;
        async move {
            server
                .request(
                    "GET",
                    "/newswire/embed.js",
                    &[("Accept-Encoding", accept)],
                    b"",
                )
                .await
        }
    };
    let br = get("gzip, deflate, br").await;
    assert_eq!(
        (br.header("content-encoding"), br.body.as_str()),
        (Some("br"), "brotli bytes")
    );
    assert!(br
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let gz = get("gzip").await;
    assert_eq!(
        (gz.header("content-encoding"), gz.body.as_str()),
        (Some("gzip"), "gzip bytes")
    );
    let plain = get("identity").await;
    assert_eq!(
        (plain.header("content-encoding"), plain.body.as_str()),
        (None, "plain")
    );
}
