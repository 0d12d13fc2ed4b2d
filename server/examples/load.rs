//! `make bench`'s server half: durable reviews per second with p50 and p99 latency at 1, 16
//! and 64 concurrent clients, on each store:
//! - a fresh SQLite file (WAL, `synchronous=FULL`, our group commit);
//! - a fresh PostgreSQL database (a throwaway cluster, `synchronous_commit=on`, our group
//!   commit, one writer per replica);
//! - two replicas sharing that PostgreSQL, the clients spread over both;
//! - pgbench on the same cluster, one durable one-row INSERT a transaction, and the
//!   reviews' rates beside it as ratios (group commit should reach at least 1.0);
//!
//! then feed GETs per second (200 and 304), and the widget rendered by the server: renders
//! per second on one core, uncached (the components run for each) and cached (what
//! `/newswire/render` answers from its cache, one client). The servers run in-process on
//! loopback, behind a proxy as far as they know: each client holds one keep-alive
//! connection and is a reader with an address of its own (`X-Forwarded-For`), so that the
//! shared rate windows are counted per reader, as in production. Prints tables and writes
//! `target/bench/server.json`.
//!
//!   cargo run --profile server -p newswire-server --example load

#[path = "../tests/support/pg.rs"]
mod pg;

use newswire_server::feed::source::FeedSource;
use newswire_server::net::limits::Rate;
use newswire_server::store::{self, ReviewStore};
use newswire_server::{AppState, Policy};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long each measurement runs.
const RUN: Duration = Duration::from_secs(3);

/// One keep-alive HTTP/1.1 connection.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(addr: &str) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.unwrap(),
            buffer: Vec::new(),
        }
    }

    /// Sends `request` and reads one response; returns its status.
    async fn send(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).await.unwrap();
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let total = end + 4 + length;
                if self.buffer.len() >= total {
                    let status = head
                        .split(' ')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    self.buffer.drain(..total);
                    return status;
                }
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

struct Result {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    count: usize,
}

/// Runs `clients` connections for [`RUN`], each sending what `request(client, n)` makes.
async fn measure(
    addr: String,
    clients: usize,
    expect: u16,
    request: impl Fn(usize, usize) -> Vec<u8> + Send + Sync + Clone + 'static,
) -> Result {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, request) = (addr.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(&addr).await;
            let mut latencies = Vec::new();
            let mut n = 0;
            while started.elapsed() < RUN {
                let sent = Instant::now();
                let status = client.send(&request(c, n)).await;
                assert_eq!(status, expect);
                latencies.push(sent.elapsed());
                n += 1;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Result {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: at(0.50).as_secs_f64() * 1000.0,
        p99_ms: at(0.99).as_secs_f64() * 1000.0,
        count: latencies.len(),
    }
}

/// A server on a free loopback port with `store`; its address.
async fn serve(dir: &std::path::Path, store: Arc<dyn ReviewStore>) -> String {
    let feed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/sample-feed.json");
    let policy = Policy {
        client_rate: Rate::per_second(1_000_000),
        global_rate: Rate::per_second(1_000_000),
        max_inflight: 100_000,
        review_inflight: 100_000,
        proxies: newswire_server::net::proxies::Proxies::AnyPeer,
        ..Policy::default()
    };
    let state = AppState::new(
        FeedSource::file(feed, "Headline"),
        dir.to_owned(),
        store,
        policy,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(newswire_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    addr
}

/// The client counts every durable write is measured at.
const CLIENTS: [usize; 3] = [1, 16, 64];

/// Durable reviews per second with 1, 16 and 64 clients, spread over `addrs`; a result for
/// each count.
async fn reviews(label: &str, addrs: &[String], rows: &mut Vec<String>) -> Vec<Result> {
    let mut all = Vec::new();
    println!("\nDurable reviews: {label}, {}s each", RUN.as_secs());
    println!(
        "{:>8} {:>12} {:>9} {:>9} {:>9}",
        "clients", "reviews/s", "p50 ms", "p99 ms", "stored"
    );
    for clients in CLIENTS {
        let mut results = Vec::new();
        let share = clients.div_ceil(addrs.len());
        for (n, addr) in addrs.iter().enumerate() {
            let host = addr.clone();
            let label = label.to_owned();
            let count = share.min(clients.saturating_sub(n * share));
            if count == 0 {
                continue;
            }
            results.push(measure(addr.clone(), count, 201, move |c, i| {
                let body = format!(
                    r#"{{"rating": 4, "comment": "bench", "key": "{label}-{clients}-{n}-{c}-{i}"}}"#
                );
                // Each client a reader of its own, as the proxy in front names it.
                let reader = n * share + c;
                format!(
                    "POST /api/reviews HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-For: 10.0.{}.{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    reader / 250,
                    reader % 250 + 1,
                    body.len()
                )
                .into_bytes()
            }));
        }
        let results = futures_join(results).await;
        let per_second: f64 = results.iter().map(|r| r.per_second).sum();
        let count: usize = results.iter().map(|r| r.count).sum();
        let p50 = results.iter().map(|r| r.p50_ms).fold(0.0, f64::max);
        let p99 = results.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
        println!("{clients:>8} {per_second:>12.0} {p50:>9.2} {p99:>9.2} {count:>9}");
        rows.push(format!(
            r#"{{"kind": "review", "store": "{label}", "clients": {clients}, "per_second": {per_second:.1}, "p50_ms": {p50:.3}, "p99_ms": {p99:.3}, "count": {count}}}"#
        ));
        all.push(Result {
            per_second,
            p50_ms: p50,
            p99_ms: p99,
            count,
        });
    }
    all
}

/// What the same cluster commits when nothing else is in the way: pgbench running a script
/// of one durable one-row INSERT a transaction (`synchronous_commit=on`, as the store has
/// it) for [`RUN`] at each client count, with p50 and p99 from its per-transaction log.
fn pgbench(cluster: &pg::Cluster, url: &str, dir: &std::path::Path) -> Vec<Result> {
    let run = |program: std::path::PathBuf, args: &[&str]| {
        pg::output(std::process::Command::new(program).args(args))
    };
    run(
        cluster.program("psql"),
        &[
            url,
            "-qc",
            "CREATE TABLE IF NOT EXISTS bench_rows (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)",
        ],
    );
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO bench_rows (body) VALUES ('one durable row');\n",
    )
    .unwrap();
    println!(
        "\npgbench on the same cluster: one durable one-row INSERT a transaction, {}s each",
        RUN.as_secs()
    );
    println!(
        "{:>8} {:>12} {:>9} {:>9}",
        "clients", "commits/s", "p50 ms", "p99 ms"
    );
    let mut all = Vec::new();
    for clients in CLIENTS {
        let logs = dir.join(format!("pgbench-{clients}"));
        std::fs::create_dir_all(&logs).unwrap();
        let prefix = logs.join("log");
        let out = run(
            cluster.program("pgbench"),
            &[
                "-n",
                "-c",
                &clients.to_string(),
                "-j",
                &clients.min(2).to_string(),
                "-T",
                &RUN.as_secs().to_string(),
                "-f",
                script.to_str().unwrap(),
                "-l",
                &format!("--log-prefix={}", prefix.display()),
                url,
            ],
        );
        let tps: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no tps in pgbench's output: {out}"));
        // Each log line: client, transaction, latency in µs, script, epoch s, epoch µs.
        let mut latencies: Vec<f64> = std::fs::read_dir(&logs)
            .unwrap()
            .flatten()
            .flat_map(|f| {
                std::fs::read_to_string(f.path())
                    .unwrap()
                    .lines()
                    .filter_map(|l| l.split(' ').nth(2).and_then(|us| us.parse::<f64>().ok()))
                    .collect::<Vec<_>>()
            })
            .map(|us| us / 1000.0)
            .collect();
        latencies.sort_by(f64::total_cmp);
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let (p50, p99) = (at(0.50), at(0.99));
        println!("{clients:>8} {tps:>12.0} {p50:>9.2} {p99:>9.2}");
        all.push(Result {
            per_second: tps,
            p50_ms: p50,
            p99_ms: p99,
            count: latencies.len(),
        });
    }
    all
}

/// The project's durable reviews beside pgbench's bare inserts, as ratios: group commit
/// should beat one insert a commit (at least 1.0 at 16 and 64 clients), and two replicas
/// should keep up with one.
fn compare(bare: &[Result], one: &[Result], two: &[Result], rows: &mut Vec<String>) {
    println!("\nPostgreSQL: durable reviews/s beside pgbench's commits/s");
    println!(
        "{:>8} {:>10} {:>10} {:>7} {:>10} {:>7} {:>9} {:>9}",
        "clients", "pgbench", "1 replica", "ratio", "2 replicas", "ratio", "p99 1", "p99 2"
    );
    for (n, clients) in CLIENTS.iter().enumerate() {
        let (b, o, t) = (&bare[n], &one[n], &two[n]);
        let (r1, r2) = (o.per_second / b.per_second, t.per_second / b.per_second);
        println!(
            "{clients:>8} {:>10.0} {:>10.0} {r1:>7.2} {:>10.0} {r2:>7.2} {:>9.2} {:>9.2}",
            b.per_second, o.per_second, t.per_second, o.p99_ms, t.p99_ms
        );
        rows.push(format!(
            r#"{{"kind": "pgbench", "clients": {clients}, "per_second": {:.1}, "p50_ms": {:.3}, "p99_ms": {:.3}, "ratio_one_replica": {r1:.3}, "ratio_two_replicas": {r2:.3}}}"#,
            b.per_second, b.p50_ms, b.p99_ms
        ));
    }
}

/// Runs the measurements at once (one per replica) and collects them in order.
async fn futures_join(
    all: Vec<impl std::future::Future<Output = Result> + Send + 'static>,
) -> Vec<Result> {
    let handles: Vec<_> = all.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("newswire-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();

    let sqlite = store::open(&dir.join("bench.db").display().to_string())
        .await
        .unwrap();
    let addr = serve(&dir, sqlite).await;
    reviews("sqlite", std::slice::from_ref(&addr), &mut rows).await;

    let cluster = pg::Cluster::start();
    let url = cluster.database("bench").await;
    let first = serve(&dir, store::open(&url).await.unwrap()).await;
    let one = reviews("postgres", std::slice::from_ref(&first), &mut rows).await;
    let second = serve(&dir, store::open(&url).await.unwrap()).await;
    let two = reviews("postgres, 2 replicas", &[first, second], &mut rows).await;
    let bare = pgbench(&cluster, &url, &dir);
    compare(&bare, &one, &two, &mut rows);

    let get = format!("GET /feed.json HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes();
    let etag = {
        let mut client = Client::connect(&addr).await;
        client.send(&get).await;
        newswire_server::net::http::etag(
            &std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/sample-feed.json"),
            )
            .unwrap(),
        )
    };
    let conditional =
        format!("GET /feed.json HTTP/1.1\r\nHost: {addr}\r\nIf-None-Match: {etag}\r\n\r\n")
            .into_bytes();
    println!("\nFeed GETs, 16 clients, {}s each", RUN.as_secs());
    println!(
        "{:>8} {:>12} {:>9} {:>9}",
        "status", "GETs/s", "p50 ms", "p99 ms"
    );
    for (status, request) in [(200, get), (304, conditional)] {
        let r = measure(addr.clone(), 16, status, move |_, _| request.clone()).await;
        println!(
            "{status:>8} {:>12.0} {:>9.3} {:>9.3}",
            r.per_second, r.p50_ms, r.p99_ms
        );
        rows.push(format!(
            r#"{{"kind": "feed", "status": {status}, "clients": 16, "per_second": {:.1}, "p50_ms": {:.3}, "p99_ms": {:.3}}}"#,
            r.per_second, r.p50_ms, r.p99_ms
        ));
    }
    // The rendered widget: uncached, the components on this one thread; cached, the route.
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/sample-feed.json"),
    )
    .unwrap();
    let model = newswire::feed::parse(&sample).unwrap();
    let config = || {
        newswire::config::Config::from_attributes(
            |name| (name == "feed").then(|| "https://agency.example/feed.json".to_owned()),
            |input| Some(input.to_owned()),
        )
        .unwrap()
        .0
    };
    let started = Instant::now();
    let mut uncached = 0u32;
    while started.elapsed() < RUN {
        let html = newswire_server::feed::render::fragment(config(), &model, None, None, None);
        assert!(html.contains("nw-brief"));
        uncached += 1;
    }
    let uncached = f64::from(uncached) / started.elapsed().as_secs_f64();
    let render =
        format!("GET /newswire/render?hl=en HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes();
    let cached = measure(addr.clone(), 1, 200, move |_, _| render.clone()).await;
    println!("\nThe rendered widget, one core, {}s each", RUN.as_secs());
    println!("uncached (the components)  {uncached:>9.0} renders/s");
    println!(
        "cached (/newswire/render)  {:>9.0} renders/s (p50 {:.3} ms)",
        cached.per_second, cached.p50_ms
    );
    rows.push(format!(
        r#"{{"kind": "render", "uncached_per_second": {uncached:.1}, "cached_per_second": {:.1}, "cached_p50_ms": {:.3}}}"#,
        cached.per_second, cached.p50_ms
    ));
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("server.json"),
        format!("[\n  {}\n]\n", rows.join(",\n  ")),
    )
    .unwrap();
    println!("written to target/bench/server.json");
    let _ = std::fs::remove_dir_all(&dir);
}
