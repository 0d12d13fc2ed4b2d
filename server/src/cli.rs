//! The command line. Every flag has a default that works from the repository root, so
//! `make demo` needs none.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: newswire-server [--addr HOST:PORT] [--feed PATH] [--db PATH] [--www DIR]

  --addr   where to listen                      (default 127.0.0.1:8080; port 0 picks one)
  --feed   the JSON Feed file to serve          (default www/sample-feed.json)
  --db     the SQLite file for reviews          (default newswire.db)
  --www    the demo pages and built widget      (default dist)";

/// Parsed command-line options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub addr: SocketAddr,
    pub feed: PathBuf,
    pub db: PathBuf,
    pub www: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            feed: "www/sample-feed.json".into(),
            db: "newswire.db".into(),
            www: "dist".into(),
        }
    }
}

impl Options {
    /// Parses arguments (without the program name). The error is a message for the user.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (flag.clone(), None),
            };
            if name == "-h" || name == "--help" {
                return Err(String::new());
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
                "--feed" => options.feed = value.into(),
                "--db" => options.db = value.into(),
                "--www" => options.www = value.into(),
                _ => return Err(format!("unknown option {name}")),
            }
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
        ]))
        .unwrap();
        assert_eq!(o.addr.port(), 0);
        assert_eq!(o.feed, PathBuf::from("f.json"));
        assert_eq!(o.db, PathBuf::from("x.db"));
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
    }
}
