//! Outgoing requests that must not reach our own network: a WebSub hub is named by whoever
//! writes the feed, so a hub (or a callback) on a loopback, private or link-local address
//! could turn the server into a way in. The check is made on the addresses the connection
//! will use, after the name is resolved, so a name that resolves to a public address for a
//! check and to a private one for the connection (DNS rebinding) cannot get round it.

use std::net::IpAddr;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Whether `ip` is on the public internet: not loopback, private (RFC 1918, IPv6 unique
/// local), link-local, shared (CGNAT), unspecified, multicast or broadcast; an IPv4 address
/// inside IPv6 is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The default resolver, keeping only public addresses: a name with none is refused.
#[derive(Debug, Default)]
pub struct PublicOnly(DefaultResolver);

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = self.0.resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        for addr in all.iter().filter(|a| is_public(a.ip())) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "refused: the address is loopback, private or link-local",
            )));
        }
        Ok(kept)
    }
}

/// An agent for one request within `timeout`, without redirects, that refuses non-public
/// addresses unless `private` allows them (tests, private networks).
pub fn agent(timeout: std::time::Duration, private: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build();
    if private {
        config.into()
    } else {
        ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            PublicOnly::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1", "1.1.1.1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn a_request_to_a_loopback_hub_is_refused_at_connect_time() {
        let error = agent(std::time::Duration::from_secs(2), false)
            .get("http://127.0.0.1:9/")
            .call()
            .unwrap_err();
        assert!(error.to_string().contains("refused"), "{error}");
        let localhost = agent(std::time::Duration::from_secs(2), false)
            .get("http://localhost:9/")
            .call()
            .unwrap_err();
        assert!(localhost.to_string().contains("refused"), "{localhost}");
    }
}
