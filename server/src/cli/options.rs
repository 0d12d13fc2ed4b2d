//! The command line, through clap's derive: each flag's default and help are written once,
//! here, and `Options::default()` is what an empty command line parses to. Every default
//! works from the repository root, so `make demo` needs none.

use crate::net::log::LogFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Serves the Newswire feed, the widget and its pages, and keeps the readers' reviews.
///
/// Without a command, serves.
#[derive(Debug, Parser)]
#[command(
    name = "newswire-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    serve: Options,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Serve (the same as no command).
    Serve(Box<Options>),
    /// Validate a feed file or URL and print its problems; exits non-zero when unusable.
    Check {
        /// Seconds to fetch a URL in, as the poller would.
        #[arg(long, value_name = "SECS", default_value_t = crate::feed::source::FETCH_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        /// A file, or an http(s) URL.
        #[arg(value_name = "FEED")]
        feed: String,
    },
    /// Reviews in the store.
    Reviews {
        #[command(subcommand)]
        command: ReviewsCommand,
    },
    /// Copy every review of an SQLite file into an empty PostgreSQL database.
    Migrate {
        /// The SQLite file; it must exist.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The PostgreSQL database.
        #[arg(long, value_name = "postgres://…", value_parser = postgres_url)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewsCommand {
    /// Write every review to standard output.
    Export {
        /// An SQLite file (it must exist) or a postgres:// URL [default: DATABASE_URL, else
        /// newswire.db]
        #[arg(long, value_name = "PATH|URL")]
        db: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
    },
}

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

impl Command {
    /// Parses arguments, the program's name first. The error prints itself as clap does
    /// (`--help` and `--version` are "errors" that exit 0).
    pub fn parse<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        // A later flag overrides an earlier one (scripts add to a default command line).
        let matches = Cli::command()
            .args_override_self(true)
            .try_get_matches_from(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        Ok(match cli.command {
            None => Command::Serve(Box::new(cli.serve)),
            Some(Sub::Serve(options)) => Command::Serve(options),
            Some(Sub::Check { timeout, feed }) => Command::Check { feed, timeout },
            Some(Sub::Reviews {
                command: ReviewsCommand::Export { db, format },
            }) => Command::Export { db, format },
            Some(Sub::Migrate { from, to }) => Command::Migrate { from, to },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// `DATABASE_URL`, if set ([`database`] skips a blank one).
pub fn env_database() -> Option<String> {
    std::env::var("DATABASE_URL").ok()
}

/// Where reviews live: `--db` if given, else `DATABASE_URL` (`env`), else `newswire.db`.
pub fn database(db: Option<&str>, env: Option<String>) -> String {
    db.map(str::to_owned)
        .or(env.filter(|url| !url.trim().is_empty()))
        .unwrap_or_else(|| "newswire.db".into())
}

/// `--public-url`: an http(s) origin, the same rule as an allow-list entry's.
fn public_url(value: &str) -> Result<String, String> {
    crate::net::origins::parse(value)
}

fn postgres_url(value: &str) -> Result<String, String> {
    if newswire_store::is_postgres(value) {
        Ok(value.to_owned())
    } else {
        Err("not a postgres:// URL".into())
    }
}

/// A count that must be at least 1 (0 would turn the server off rather than the limit).
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{value:?} is not a valid number")),
    }
}

/// Options of the server itself.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Options {
    /// Where to listen; port 0 picks one.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// JSON Feed, RSS 2.0 or Atom: a file, or an http(s) URL to poll.
    #[arg(long, value_name = "PATH|URL", default_value = "www/sample-feed.json")]
    pub feed: String,
    /// Where readers reach this server, as http(s)://host[:port]: a feed file's relative
    /// links resolve against its /feed.json [default: http://ADDR, the address it listens on]
    #[arg(long, value_name = "URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// How often a feed URL is polled, in seconds (longer when its host asks, or fails).
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub feed_interval: u64,
    /// Allow a WebSub hub, and our own --public-url as its callback, on a loopback, private or
    /// link-local address (tests, private networks); refused otherwise.
    #[arg(long)]
    pub allow_private_hubs: bool,
    /// The shortest WebSub lease kept, in seconds: a hub that grants less is renewed no sooner
    /// than 80 % of this.
    #[arg(long, value_name = "SECS", default_value_t = crate::feed::websub::MIN_LEASE, value_parser = clap::value_parser!(i64).range(1..))]
    pub websub_min_lease: i64,
    /// The RSS/Atom category that marks a headline.
    #[arg(long, value_name = "C", default_value = "Headline")]
    pub headline_category: String,
    /// Where reviews live: an SQLite file (created if missing), or a postgres:// URL shared
    /// by several replicas [default: DATABASE_URL, else newswire.db]
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,
    /// The demo pages and the built widget.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub www: PathBuf,
    /// A partner page origin allowed to post reviews (repeatable), as scheme://host[:port].
    /// With none, only loopback pages on any port.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// More origins, one per line (`#` starts a comment).
    #[arg(long = "allow-origins", value_name = "FILE")]
    pub allow_origins_file: Option<PathBuf>,
    /// Allow loopback pages (any port) beside the named origins.
    #[arg(long)]
    pub allow_loopback: bool,
    /// Reviews a minute per client (IPv4 address or IPv6 /64).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub client_rate: u32,
    /// Uncached widget renders a minute per client (IPv4 address or IPv6 /64; eight times
    /// this per /48); renders served from the cache are not counted.
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub render_rate: u32,
    /// Reviews a second for the whole server.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub global_rate: u32,
    /// Every peer is our own reverse proxy: the client is the last X-Forwarded-For entry
    /// (one hop).
    #[arg(long, conflicts_with = "trusted_proxies")]
    pub trust_proxy: bool,
    /// A network of our own proxies, such as a CDN's and our load balancer's (repeatable):
    /// the client is the right-most X-Forwarded-For entry outside them.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Turns the admin routes and the console on with the token in PATH (or the
    /// NEWSWIRE_ADMIN_TOKEN variable); at least 16 characters.
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// The same, on the command line (visible in ps: prefer the file).
    #[arg(long, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Requests at once, reviews apart, before answering 503.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = at_least_one)]
    pub max_inflight: usize,
    /// Reviews received or stored at once, before answering 503.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = at_least_one)]
    pub review_inflight: usize,
    /// Console pages and forms at once, before answering 503.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = at_least_one)]
    pub console_inflight: usize,
    /// Live streams (GET /feed/events) open at once, before answering 503; each holds a
    /// connection, so keep it below --max-connections.
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = at_least_one)]
    pub max_streams: usize,
    /// Open connections; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 8192, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Open connections from one IPv4 address or IPv6 /64; more are closed at once; 0: no
    /// limit. Our own proxies (--trust-proxy, --trusted-proxy) are exempt.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections_per_client: usize,
    /// Seconds to send the first request's headers on a connection.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub first_header_timeout: u64,
    /// Seconds to send a later request's headers; also how long an idle keep-alive
    /// connection stays open.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds to send a whole request body (a review, a console form); a connection where
    /// nothing moves for three times this is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Store the demo's sample reviews if the database has none.
    #[arg(long)]
    pub seed_demo: bool,
    /// How the log on standard error is written.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at /metrics there, apart from the public port [default: off]
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_listen: Option<SocketAddr>,
}

/// What an empty command line gives: the defaults above, and nowhere else.
impl Default for Options {
    fn default() -> Self {
        Cli::try_parse_from(["newswire-server"])
            .expect("the defaults parse")
            .serve
    }
}

/// Every `--flag` the server and its commands take, for the test that holds the docs to
/// them.
pub fn flags() -> Vec<String> {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, into: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                into.push(format!("--{long}"));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, into);
        }
    }
    let mut all = Vec::new();
    walk(&Cli::command(), &mut all);
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(list: &[&str]) -> Result<Command, clap::Error> {
        Command::parse(std::iter::once("newswire-server").chain(list.iter().copied()))
    }

    fn serve(list: &[&str]) -> Options {
        match parse(list).unwrap() {
            Command::Serve(options) => *options,
            other => panic!("{other:?}"),
        }
    }

    fn error(list: &[&str]) -> String {
        parse(list).unwrap_err().to_string()
    }

    #[test]
    fn defaults_need_no_flags() {
        let options = serve(&[]);
        assert_eq!(options, Options::default());
        assert_eq!(options.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(options.max_connections_per_client, 256);
        assert_eq!(serve(&["serve"]), options, "`serve` is the same as nothing");
    }

    #[test]
    fn reads_every_flag_in_both_forms() {
        let o = serve(&[
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
        ]);
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
        let networks = serve(&[
            "--trusted-proxy",
            "203.0.113.0/24",
            "--trusted-proxy=10.0.0.0/8",
        ]);
        assert_eq!(networks.trusted_proxies.len(), 2);
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(error(&["--addr", "nowhere"]).contains("--addr"));
        assert!(error(&["--db"]).contains("--db"));
        assert!(error(&["--colour", "x"]).contains("--colour"));
        assert!(error(&["--client-rate", "many"]).contains("--client-rate"));
        assert!(error(&["--body-timeout", "0"]).contains("--body-timeout"));
        assert!(error(&["--max-inflight", "0"]).contains("at least 1"));
        assert!(error(&["--trusted-proxy", "10.0.0.0/33"]).contains("--trusted-proxy"));
        assert!(
            error(&["--trust-proxy", "--trusted-proxy", "10.0.0.0/8"]).contains("cannot be used"),
            "one hop from anyone, or the named networks: not both"
        );
    }

    #[test]
    fn subcommands_are_read() {
        assert_eq!(
            parse(&["check", "feed.xml"]).unwrap(),
            Command::Check {
                feed: "feed.xml".into(),
                timeout: 20
            }
        );
        assert_eq!(
            parse(&["reviews", "export", "--db", "r.db", "--format=json"]).unwrap(),
            Command::Export {
                db: Some("r.db".into()),
                format: ExportFormat::Json
            }
        );
        assert_eq!(
            parse(&["check", "--timeout", "3", "https://a.example/f"]).unwrap(),
            Command::Check {
                feed: "https://a.example/f".into(),
                timeout: 3
            }
        );
        assert_eq!(
            parse(&["check", "--timeout=4", "f.xml"]).unwrap(),
            Command::Check {
                feed: "f.xml".into(),
                timeout: 4
            }
        );
        assert!(parse(&["check", "--timeout", "0", "f.xml"]).is_err());
        assert!(parse(&["check"]).is_err());
        assert!(parse(&["reviews", "export", "--format", "xls"]).is_err());
        assert_eq!(
            parse(&["migrate", "--from", "a.db", "--to=postgres://db/news"]).unwrap(),
            Command::Migrate {
                from: "a.db".into(),
                to: "postgres://db/news".into()
            }
        );
        assert!(parse(&["migrate", "--from", "a.db", "--to", "b.db"]).is_err());
        assert!(
            parse(&["check", "--addr", "127.0.0.1:0", "f.xml"]).is_err(),
            "a command takes its own flags only"
        );
        assert_eq!(database(None, None), "newswire.db");
        assert_eq!(
            database(None, Some("postgres://db/x".into())),
            "postgres://db/x"
        );
        assert_eq!(database(None, Some("  ".into())), "newswire.db");
        assert_eq!(
            database(Some("r.db"), Some("postgres://db/x".into())),
            "r.db"
        );
    }

    #[test]
    fn help_names_every_default_once() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        for default in ["127.0.0.1:8080", "www/sample-feed.json", "[default: 8192]"] {
            assert!(help.contains(default), "{default} in\n{help}");
        }
        assert!(flags().contains(&"--trusted-proxy".to_owned()));
        assert!(flags().contains(&"--timeout".to_owned()));
    }

    /// An operator reads the flags in docs/operating.md: one added to the server and left
    /// out there, or one the docs still name after it is gone, fails here.
    #[test]
    fn the_operating_guide_names_every_flag_and_no_other() {
        let docs = include_str!("../../../docs/operating.md");
        let flags = flags();
        for flag in &flags {
            assert!(
                docs.contains(flag.as_str()),
                "docs/operating.md names {flag}"
            );
        }
        let named = docs.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
        let flag_like = |w: &&str| w.len() > 2 && w.starts_with("--") && !w.starts_with("---");
        for word in named.filter(flag_like) {
            let known = flags.iter().any(|f| f == word) || ["--help", "--version"].contains(&word);
            assert!(
                known,
                "docs/operating.md names {word}, which the server does not take"
            );
        }
    }
}
