//! Which peers are our own proxies, and so whose `X-Forwarded-*` headers we believe.
//!
//! `--trust-proxy` believes one hop from any peer: the server is reachable only through our
//! proxy. `--trusted-proxy CIDR` names the proxies' networks instead (a CDN in front of our
//! own proxy, say): the client is then the right-most `X-Forwarded-For` entry outside them,
//! so readers behind one CDN edge keep buckets of their own.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// Who may speak for the client in `X-Forwarded-For`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Proxies {
    /// Nobody: the socket's address is the client.
    #[default]
    None,
    /// Every peer is our proxy, and only its own entry (the last) is believed.
    AnyPeer,
    /// Peers in these networks are proxies; entries are believed hop by hop while they are.
    Networks(Vec<IpNet>),
}

impl Proxies {
    /// From `--trust-proxy` and the `--trusted-proxy` networks (the command line lets only
    /// one of the two be given).
    pub fn from_flags(any_peer: bool, networks: Vec<IpNet>) -> Self {
        match (any_peer, networks.is_empty()) {
            (_, false) => Proxies::Networks(networks),
            (true, true) => Proxies::AnyPeer,
            (false, true) => Proxies::None,
        }
    }

    /// The last entry of the forwarded header `name` (`x-forwarded-host`, `-proto`): the
    /// one our own proxy wrote, and only when `peer` is one of our proxies. Anyone else's
    /// forwarded headers are their own words, and name nothing.
    pub fn forwarded(&self, peer: IpAddr, headers: &HeaderMap, name: &str) -> Option<String> {
        if !self.is_proxy(peer) {
            return None;
        }
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// How the request addresses this server: its host (`Host`, or from one of our proxies
    /// `X-Forwarded-Host`), lower case and only when it is a plausible host, and whether it
    /// came over https (which only one of our proxies can say).
    pub fn addressed(&self, peer: IpAddr, headers: &HeaderMap) -> Addressed {
        let host = self
            .forwarded(peer, headers, "x-forwarded-host")
            .or_else(|| {
                headers
                    .get(axum::http::header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_owned())
            })
            .map(|host| host.to_ascii_lowercase())
            .filter(|host| {
                !host.is_empty()
                    && host.len() <= 255
                    && host.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            });
        let https = self
            .forwarded(peer, headers, "x-forwarded-proto")
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        Addressed { host, https }
    }

    /// Whether `peer` is one of our proxies: its connections are many readers' and are not
    /// held to one client's share of the connections.
    pub fn is_proxy(&self, peer: IpAddr) -> bool {
        match self {
            Proxies::None => false,
            Proxies::AnyPeer => true,
            Proxies::Networks(networks) => {
                let peer = peer.to_canonical();
                networks.iter().any(|net| net.contains(&peer))
            }
        }
    }

    /// The client's address. With [`Proxies::AnyPeer`], the last `X-Forwarded-For` entry
    /// (the one our proxy appended; a port is allowed). With networks, entries are read from
    /// the right while each hop is a proxy of ours; the first one outside is the client.
    /// An entry that does not parse stops the walk at the last address we could trust, never
    /// at an earlier entry, which the client could have written itself.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_proxy(peer) {
            return peer;
        }
        let mut entries = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rev();
        if matches!(self, Proxies::AnyPeer) {
            return entries.next().and_then(parse).unwrap_or(peer);
        }
        let mut client = peer;
        for entry in entries {
            let Some(ip) = parse(entry) else {
                return client;
            };
            client = ip;
            if !self.is_proxy(ip) {
                break;
            }
        }
        client
    }
}

/// How a request addresses this server ([`Proxies::addressed`]); an extractor for the
/// handlers that need it (`state.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    /// `host[:port]`, lower case.
    pub host: Option<String>,
    /// Whether the reader's connection was https, as our own proxy says.
    pub https: bool,
}

impl Addressed {
    /// `scheme://host[:port]`, when the request names a host.
    pub fn origin(&self) -> Option<String> {
        let scheme = if self.https { "https" } else { "http" };
        self.host.as_ref().map(|host| format!("{scheme}://{host}"))
    }
}

/// An `X-Forwarded-For` entry: an address, or an address and port.
fn parse(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(list: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", list.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let peer = ip("10.0.0.1");
        let headers = forwarded("1.2.3.4, 198.51.100.9");
        assert_eq!(Proxies::None.client(peer, &headers), peer);
        assert_eq!(Proxies::AnyPeer.client(peer, &headers), ip("198.51.100.9"));
        assert_eq!(Proxies::AnyPeer.client(peer, &HeaderMap::new()), peer);
        let odd = forwarded("1.2.3.4, unknown");
        assert_eq!(
            Proxies::AnyPeer.client(peer, &odd),
            peer,
            "never an earlier entry"
        );
        let with_port = forwarded("1.2.3.4, 198.51.100.9:5555");
        assert_eq!(
            Proxies::AnyPeer.client(peer, &with_port),
            ip("198.51.100.9")
        );
    }

    /// Forwarded hosts and schemes come only from our own proxies, under either flag.
    #[test]
    fn forwarded_headers_are_believed_only_from_our_proxies() {
        let mut headers = forwarded("198.51.100.7");
        headers.insert("host", "127.0.0.1:8080".parse().unwrap());
        headers.insert(
            "x-forwarded-host",
            "evil.example, news.example".parse().unwrap(),
        );
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        let ours = Proxies::Networks(vec!["10.0.0.0/8".parse().unwrap()]);
        let own = Addressed {
            host: Some("news.example".into()),
            https: true,
        };
        let direct = Addressed {
            host: Some("127.0.0.1:8080".into()),
            https: false,
        };
        assert_eq!(ours.addressed(ip("10.1.2.3"), &headers), own);
        assert_eq!(ours.addressed(ip("127.0.0.1"), &headers), direct);
        assert_eq!(Proxies::None.addressed(ip("10.1.2.3"), &headers), direct);
        assert_eq!(Proxies::AnyPeer.addressed(ip("192.0.2.1"), &headers), own);
        assert_eq!(own.origin().as_deref(), Some("https://news.example"));
        headers.insert("host", "evil example".parse().unwrap());
        assert_eq!(Proxies::None.addressed(ip("10.1.2.3"), &headers).host, None);
    }

    /// A CDN edge (203.0.113.0/24) in front of our proxy (10.0.0.0/8): two hops, then three.
    #[test]
    fn the_client_is_the_first_hop_outside_the_trusted_networks() {
        let proxies = Proxies::Networks(vec![
            "10.0.0.0/8".parse().unwrap(),
            "203.0.113.0/24".parse().unwrap(),
            "2001:db8:cd::/48".parse().unwrap(),
        ]);
        let proxy = ip("10.0.0.1");
        // Two hops: reader → CDN edge → our proxy → us.
        let two = forwarded("198.51.100.7, 203.0.113.5");
        assert_eq!(proxies.client(proxy, &two), ip("198.51.100.7"));
        // Readers behind the same edge keep their own addresses.
        let other = forwarded("198.51.100.8, 203.0.113.5");
        assert_eq!(proxies.client(proxy, &other), ip("198.51.100.8"));
        // Three hops, with a client-written entry on the left that must not count.
        let three = forwarded("6.6.6.6, 198.51.100.7, 203.0.113.9, 10.1.2.3");
        assert_eq!(proxies.client(proxy, &three), ip("198.51.100.7"));
        // A peer outside the networks speaks for nobody.
        assert_eq!(proxies.client(ip("192.0.2.1"), &two), ip("192.0.2.1"));
        // An entry that does not parse stops at the last hop we trust.
        let odd = forwarded("198.51.100.7, garbage, 203.0.113.5");
        assert_eq!(proxies.client(proxy, &odd), ip("203.0.113.5"));
        // IPv4 peers seen as IPv6-mapped addresses are the same proxies.
        assert!(proxies.is_proxy(ip("::ffff:10.9.9.9")));
        assert!(!proxies.is_proxy(ip("192.0.2.1")));
        assert!(Proxies::AnyPeer.is_proxy(ip("192.0.2.1")));
        assert!(!Proxies::None.is_proxy(ip("10.0.0.1")));
    }
}
