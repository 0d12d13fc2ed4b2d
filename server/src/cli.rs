//! The command line. Every flag has a default that works from the repository root, so
//! `make demo` needs none.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: newswire-server [OPTIONS]
       newswire-server check [--timeout SECS] FEED
       newswire-server reviews export [--db PATH|URL] [--format csv|json]
       newswire-server migrate --from PATH --to URL

  --addr HOST:PORT        where to listen             (default 127.0.0.1:8080; port 0 picks one)
  --feed PATH|URL         JSON Feed, RSS 2.0 or Atom: a file, or an http(s) URL to poll
                                                      (default www/sample-feed.json)
  --feed-interval SECS    how often a feed URL is polled            (default 60)
  --headline-category C   RSS/Atom category that marks a headline  (default Headline)
  --db PATH|URL           where reviews live: an SQLite file, or a postgres:// URL shared
                          by several replicas (or DATABASE_URL)    (default newswire.db)
  --www DIR               the demo pages and built widget          (default dist)
  --allow-origin ORIGIN   a partner page origin allowed to post reviews (repeatable);
                          with none, only loopback pages on any port
  --allow-origins FILE    more origins, one per line
  --allow-loopback        allow loopback pages (any port) beside the named origins
  --client-rate N         reviews per minute per client (IPv4 address or IPv6 /64) (default 10)
  --global-rate N         reviews per second for the whole server   (default 200)
  --trust-proxy           take the client address from X-Forwarded-For (behind our own proxy)
  --admin-token-file PATH enables the admin routes with the token in PATH (or the
                          NEWSWIRE_ADMIN_TOKEN variable); at least 16 characters
  --admin-token TOKEN     the same, on the command line (visible in ps: prefer the file)
  --max-inflight N        requests at once, reviews apart, before answering 503 (default 1024)
  --review-inflight N     reviews received or stored at once, before answering 503 (default 256)
  --console-inflight N    console pages and forms at once, before answering 503 (default 64)
  --max-connections N     open connections; more wait to be accepted (default 8192)
  --max-connections-per-client N
                          open connections from one IPv4 address or IPv6 /64; more are
                          closed at once; 0: no limit; off behind --trust-proxy (default 256)
  --first-header-timeout SECS
                          time to send the first request's headers on a connection (default 5)
  --header-timeout SECS   time to send a later request's headers; also how long an idle
                          keep-alive connection stays open             (default 10)
  --body-timeout SECS     time to send a whole request body (a review, a console form); a
                          connection where nothing moves for three times this is closed
                                                                       (default 10)
  --seed-demo             store the demo's sample reviews if the database has none
  --log-format text|json  how the log on standard error is written   (default text)
  --metrics-listen HOST:PORT
                          serve Prometheus metrics at /metrics there, apart from the
                          public port                                (default: off)";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Serve(Box<Options>),
    /// Validate a feed file or URL and print its problems; a URL is fetched within the
    /// timeout, in seconds.
    Check {
        feed: String,
        timeout: u64,
    },
    /// Write every review to standard output.
    Export {
        db: Option<String>,
        format: ExportFormat,
    },
    /// Copy every review of an SQLite file into an empty PostgreSQL database.
    Migrate {
        from: PathBuf,
        to: String,
    },
}

/// How the log is written: for a person reading a terminal, or for a log collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Where reviews live: `--db` if given, else `DATABASE_URL` (`env`), else `newswire.db`.
pub fn database(db: Option<&str>, env: Option<String>) -> String {
    db.map(str::to_owned)
        .or(env.filter(|url| !url.trim().is_empty()))
        .unwrap_or_else(|| "newswire.db".into())
}

/// Options of the server itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub addr: SocketAddr,
    pub feed: String,
    pub feed_interval: u64,
    pub headline_category: String,
    /// `None`: `DATABASE_URL`, else `newswire.db` ([`database`]).
    pub db: Option<String>,
    pub www: PathBuf,
    pub allow_origins: Vec<String>,
    pub allow_origins_file: Option<PathBuf>,
    pub allow_loopback: bool,
    pub client_rate: u32,
    pub global_rate: u32,
    pub trust_proxy: bool,
    pub admin_token: Option<String>,
    pub admin_token_file: Option<PathBuf>,
    pub max_inflight: usize,
    pub review_inflight: usize,
    pub console_inflight: usize,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub first_header_timeout: u64,
    pub header_timeout: u64,
    pub body_timeout: u64,
    pub seed_demo: bool,
    pub log_format: LogFormat,
    /// Where `/metrics` is served; `None`: nowhere.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            feed: "www/sample-feed.json".into(),
            feed_interval: 60,
            headline_category: "Headline".into(),
            db: None,
            www: "dist".into(),
            allow_origins: Vec::new(),
            allow_origins_file: None,
            allow_loopback: false,
            client_rate: 10,
            global_rate: 200,
            trust_proxy: false,
            admin_token: None,
            admin_token_file: None,
            max_inflight: 1024,
            review_inflight: 256,
            console_inflight: 64,
            max_connections: 8192,
            max_connections_per_client: 256,
            first_header_timeout: 5,
            header_timeout: 10,
            body_timeout: 10,
            seed_demo: false,
            log_format: LogFormat::Text,
            metrics_listen: None,
        }
    }
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name} {value:?} is not a valid number"))
}

impl Command {
    /// Parses arguments (without the program name). `Err("")` asks for the usage text;
    /// any other error is a message for the user.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        match args.first().map(String::as_str) {
            Some("check") => {
                let mut timeout = crate::feed::source::FETCH_TIMEOUT.as_secs();
                let mut feeds = Vec::new();
                let mut rest = args[1..].iter();
                while let Some(arg) = rest.next() {
                    match split(arg) {
                        (name, inline) if name == "--timeout" => {
                            let value = inline
                                .or_else(|| rest.next().cloned())
                                .ok_or("--timeout needs a value")?;
                            timeout = number("--timeout", &value)?;
                        }
                        _ => feeds.push(arg.clone()),
                    }
                }
                match feeds.as_slice() {
                    _ if timeout == 0 => Err("--timeout must be at least 1".into()),
                    [feed] => Ok(Command::Check {
                        feed: feed.clone(),
                        timeout,
                    }),
                    _ => Err("check needs exactly one FEED (a file or an http(s) URL)".into()),
                }
            }
            Some("migrate") => {
                let (mut from, mut to) = (None, None);
                for (name, value) in flags(&args[1..])? {
                    match name.as_str() {
                        "--from" => from = Some(PathBuf::from(value)),
                        "--to" => to = Some(value),
                        _ => return Err(format!("unknown option {name}")),
                    }
                }
                match (from, to) {
                    (Some(from), Some(to)) if crate::store::is_postgres(&to) => {
                        Ok(Command::Migrate { from, to })
                    }
                    _ => Err("migrate needs --from FILE.db and --to postgres://…".into()),
                }
            }
            Some("reviews") => {
                if args.get(1).map(String::as_str) != Some("export") {
                    return Err("the reviews command is: reviews export".into());
                }
                let mut db = None;
                let mut format = ExportFormat::Csv;
                for (name, value) in flags(&args[2..])? {
                    match name.as_str() {
                        "--db" => db = Some(value),
                        "--format" => {
                            format = match value.as_str() {
                                "csv" => ExportFormat::Csv,
                                "json" => ExportFormat::Json,
                                _ => return Err("--format is csv or json".into()),
                            }
                        }
                        _ => return Err(format!("unknown option {name}")),
                    }
                }
                Ok(Command::Export { db, format })
            }
            _ => Options::parse(args).map(|o| Command::Serve(Box::new(o))),
        }
    }
}

/// A subcommand's `--name value` (or `--name=value`) pairs.
fn flags(args: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let (name, inline) = split(flag);
        let value = inline
            .or_else(|| rest.next().cloned())
            .ok_or_else(|| format!("{name} needs a value"))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn split(flag: &str) -> (String, Option<String>) {
    match flag.split_once('=') {
        Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
        None => (flag.to_owned(), None),
    }
}

impl Options {
    /// Parses the server's flags.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let (name, inline) = split(&flag);
            match name.as_str() {
                "-h" | "--help" => return Err(String::new()),
                "--trust-proxy" => {
                    options.trust_proxy = true;
                    continue;
                }
                "--seed-demo" => {
                    options.seed_demo = true;
                    continue;
                }
                "--allow-loopback" => {
                    options.allow_loopback = true;
                    continue;
                }
                _ => {}
            }
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))?;
            match name.as_str() {
                "--addr" => {
                    options.addr = value
                        .parse()
                        .map_err(|_| format!("--addr {value:?} is not HOST:PORT"))?
                }
                "--feed" => options.feed = value,
                "--feed-interval" => options.feed_interval = number(&name, &value)?,
                "--headline-category" => options.headline_category = value,
                "--db" => options.db = Some(value),
                "--www" => options.www = value.into(),
                "--allow-origin" => options.allow_origins.push(value),
                "--allow-origins" => options.allow_origins_file = Some(value.into()),
                "--client-rate" => options.client_rate = number(&name, &value)?,
                "--global-rate" => options.global_rate = number(&name, &value)?,
                "--admin-token" => options.admin_token = Some(value),
                "--admin-token-file" => options.admin_token_file = Some(value.into()),
                "--max-inflight" => options.max_inflight = number(&name, &value)?,
                "--review-inflight" => options.review_inflight = number(&name, &value)?,
                "--console-inflight" => options.console_inflight = number(&name, &value)?,
                "--max-connections" => options.max_connections = number(&name, &value)?,
                "--max-connections-per-client" => {
                    options.max_connections_per_client = number(&name, &value)?
                }
                "--first-header-timeout" => options.first_header_timeout = number(&name, &value)?,
                "--header-timeout" => options.header_timeout = number(&name, &value)?,
                "--body-timeout" => options.body_timeout = number(&name, &value)?,
                "--metrics-listen" => {
                    options.metrics_listen = Some(
                        value
                            .parse()
                            .map_err(|_| format!("--metrics-listen {value:?} is not HOST:PORT"))?,
                    )
                }
                "--log-format" => {
                    options.log_format = match value.as_str() {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        _ => return Err(format!("--log-format {value:?} is not text or json")),
                    }
                }
                _ => return Err(format!("unknown option {name}")),
            }
        }
        let at_least_one = [
            ("--feed-interval", options.feed_interval),
            ("--max-inflight", options.max_inflight as u64),
            ("--review-inflight", options.review_inflight as u64),
            ("--console-inflight", options.console_inflight as u64),
            ("--max-connections", options.max_connections as u64),
            ("--first-header-timeout", options.first_header_timeout),
            ("--header-timeout", options.header_timeout),
            ("--body-timeout", options.body_timeout),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, n)| *n == 0) {
            return Err(format!("{name} must be at least 1"));
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_need_no_flags() {
        assert_eq!(Options::parse(args(&[])), Ok(Options::default()));
    }

    #[test]
    fn reads_every_flag_in_both_forms() {
        let o = Options::parse(args(&[
            "--addr",
            "127.0.0.1:0",
            "--feed=f.json",
            "--db",
            "x.db",
            "--www",
            "site",
            "--allow-origin",
            "https://a.example",
            "--allow-origin=https://b.example",
            "--trust-proxy",
            "--client-rate",
            "3",
            "--global-rate=50",
            "--admin-token",
            "t",
            "--max-inflight",
            "8",
            "--review-inflight=4",
            "--max-connections",
            "100",
            "--header-timeout",
            "3",
            "--body-timeout=5",
            "--admin-token-file",
            "token.txt",
            "--feed-interval",
            "30",
            "--headline-category",
            "Top",
        ]))
        .unwrap();
        assert_eq!(o.allow_origins, ["https://a.example", "https://b.example"]);
        assert!(o.trust_proxy);
        assert_eq!((o.client_rate, o.global_rate, o.max_inflight), (3, 50, 8));
        assert_eq!((o.review_inflight, o.max_connections), (4, 100));
        assert_eq!((o.header_timeout, o.body_timeout), (3, 5));
        assert_eq!(o.admin_token_file, Some(PathBuf::from("token.txt")));
        assert_eq!(o.admin_token.as_deref(), Some("t"));
        assert_eq!((o.feed_interval, o.headline_category.as_str()), (30, "Top"));
        assert_eq!(o.addr.port(), 0);
        assert_eq!(o.feed, "f.json");
        assert_eq!(o.db.as_deref(), Some("x.db"));
        assert_eq!(o.www, PathBuf::from("site"));
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(Options::parse(args(&["--addr", "nowhere"]))
            .unwrap_err()
            .contains("--addr"));
        assert!(Options::parse(args(&["--db"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(Options::parse(args(&["--colour", "x"]))
            .unwrap_err()
            .contains("unknown"));
        assert!(Options::parse(args(&["--client-rate", "many"]))
            .unwrap_err()
            .contains("--client-rate"));
        assert!(Options::parse(args(&["--body-timeout", "0"]))
            .unwrap_err()
            .contains("--body-timeout must be at least 1"));
    }

    #[test]
    fn subcommands_are_read() {
        assert_eq!(
            Command::parse(args(&["check", "feed.xml"])),
            Ok(Command::Check {
                feed: "feed.xml".into(),
                timeout: 20
            })
        );
        assert_eq!(
            Command::parse(args(&[
                "reviews",
                "export",
                "--db",
                "r.db",
                "--format=json"
            ])),
            Ok(Command::Export {
                db: Some("r.db".into()),
                format: ExportFormat::Json
            })
        );
        assert_eq!(
            Command::parse(args(&["check", "--timeout", "3", "https://a.example/f"])),
            Ok(Command::Check {
                feed: "https://a.example/f".into(),
                timeout: 3
            })
        );
        assert_eq!(
            Command::parse(args(&["check", "--timeout=4", "f.xml"])),
            Ok(Command::Check {
                feed: "f.xml".into(),
                timeout: 4
            })
        );
        assert!(Command::parse(args(&["check", "--timeout", "0", "f.xml"])).is_err());
        assert!(Command::parse(args(&["reviews", "export", "--format", "xls"])).is_err());
        assert_eq!(
            Command::parse(args(&[
                "migrate",
                "--from",
                "a.db",
                "--to=postgres://db/news"
            ])),
            Ok(Command::Migrate {
                from: "a.db".into(),
                to: "postgres://db/news".into()
            })
        );
        assert!(Command::parse(args(&["migrate", "--from", "a.db", "--to", "b.db"])).is_err());
        assert_eq!(database(None, None), "newswire.db");
        assert_eq!(
            database(None, Some("postgres://db/x".into())),
            "postgres://db/x"
        );
        assert_eq!(
            database(Some("r.db"), Some("postgres://db/x".into())),
            "r.db"
        );
        assert!(matches!(Command::parse(args(&[])), Ok(Command::Serve(_))));
    }
}
