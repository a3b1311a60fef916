//! Who a request comes from, for the limits that are counted per client: the peer's address,
//! or the address a trusted proxy forwarded. IPv6 clients are counted per /64, the block one
//! subscriber is usually given, so rotating through one's own addresses buys nothing.

use std::net::{IpAddr, Ipv6Addr};

use hyper::HeaderMap;
use ipnet::IpNet;

/// The forwarded-for header a proxy in `server.trusted_proxies` appends the client to.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The address a client is counted by: IPv4 as is (IPv4-mapped IPv6 too), IPv6 cut to its /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientAddr(IpAddr);

impl ClientAddr {
    /// The client at `address`.
    #[must_use]
    pub fn of(address: IpAddr) -> ClientAddr {
        match address {
            IpAddr::V4(v4) => ClientAddr(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddr(IpAddr::V4(v4)),
                None => {
                    let block = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientAddr(IpAddr::V6(Ipv6Addr::from(block)))
                }
            },
        }
    }

    /// The address it is counted by (an IPv6 one ends in `::`).
    #[must_use]
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => v4.fmt(f),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Proxies in these networks.
    #[must_use]
    pub fn new(networks: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(networks)
    }

    /// Whether `address` is one of them.
    #[must_use]
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            IpAddr::V4(_) => address,
        };
        self.0.iter().any(|network| network.contains(&address))
    }

    /// Whether no proxy is trusted (the default): then the peer is always the client.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client of a request from `peer`: the peer itself, unless it is a trusted proxy;
    /// then the nearest address in `X-Forwarded-For` that is not a trusted proxy (reading from
    /// the right, since each proxy appends and only trusted ones can be believed). A header
    /// that is missing, unreadable or lists only proxies leaves the peer as the client.
    #[must_use]
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        if !self.contains(peer) {
            return ClientAddr::of(peer);
        }
        let forwarded = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            let Ok(address) = hop.parse::<IpAddr>() else {
                // A hop that is not an address was written by someone untrusted: stop
                // believing the list there rather than skip to what lies beyond it.
                return ClientAddr::of(peer);
            };
            if !self.contains(address) {
                return ClientAddr::of(address);
            }
        }
        ClientAddr::of(peer)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use hyper::header::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::new(entries.iter().map(|e| e.parse().unwrap()).collect())
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            ClientAddr::of(ip("2001:db8:1:2:aaaa::1")),
            ClientAddr::of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            ClientAddr::of(ip("2001:db8:1:2::1")),
            ClientAddr::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientAddr::of(ip("::ffff:192.0.2.7")),
            ClientAddr::of(ip("192.0.2.7"))
        );
        assert_eq!(
            ClientAddr::of(ip("2001:db8:1:2::1")).to_string(),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let headers = forwarded("198.51.100.9");
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.0.0.2"), &headers),
            ClientAddr::of(ip("10.0.0.2"))
        );
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &headers),
            ClientAddr::of(ip("198.51.100.9"))
        );
        assert_eq!(
            trusted.client(ip("203.0.113.5"), &headers),
            ClientAddr::of(ip("203.0.113.5")),
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_and_garbage_stops_the_walk() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.1/32"]);
        // The client forged the first entry; the proxies appended the real one.
        let headers = forwarded("1.2.3.4, 198.51.100.9, 10.1.1.1");
        assert_eq!(
            trusted.client(ip("192.0.2.1"), &headers),
            ClientAddr::of(ip("198.51.100.9"))
        );
        let garbage = forwarded("198.51.100.9, not-an-address");
        assert_eq!(
            trusted.client(ip("192.0.2.1"), &garbage),
            ClientAddr::of(ip("192.0.2.1"))
        );
        let only_proxies = forwarded("10.2.2.2");
        assert_eq!(
            trusted.client(ip("192.0.2.1"), &only_proxies),
            ClientAddr::of(ip("192.0.2.1"))
        );
    }
}
