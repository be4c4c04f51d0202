//! The address of the client behind trusted reverse proxies (`TRUSTED_PROXIES`), for
//! limits kept per client address. Pure: no I/O, no request types.
//!
//! `X-Forwarded-For` is believed only when the TCP peer is a trusted proxy, and then only as
//! far as trusted proxies wrote it: walking from the right (the entry the nearest proxy
//! appended) leftwards, trusted addresses are skipped and the first untrusted one is the
//! client. Entries left of it came from the client and are never read, so a forged
//! left-most entry changes nothing.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// One IPv4 or IPv6 network: `ADDR/LEN`, or a bare address meaning a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or ADDRESS/PREFIX network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(len) => len
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("`{s}` has a prefix length outside 0–{max}"))?,
        };
        // An IPv4-mapped IPv6 network is the IPv4 network it maps (peers are compared as IPv4).
        match addr {
            IpAddr::V6(v6) if len >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => Ok(Self {
                    addr: IpAddr::V4(v4),
                    len: len - 96,
                }),
                None => Ok(Self { addr, len }),
            },
            _ => Ok(Self { addr, len }),
        }
    }
}

impl Cidr {
    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.len)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated networks; empty means none.
    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(Cidr::from_str)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client of a request that arrived from `peer` with these `X-Forwarded-For`
    /// header values (in the order received). The peer itself unless it is trusted; when
    /// the entries the trusted proxies wrote are malformed, the peer too.
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            match parse_entry(entry) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return peer,
            }
        }
        // Every entry was a trusted proxy: the left-most is as near the client as we know.
        client
    }
}

/// One `X-Forwarded-For` entry: a bare IPv4 or IPv6 address (IPv6 optionally in brackets).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Some(inner) = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    entry.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.255.1.2")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "an IPv4-mapped peer is IPv4");
        let bare: Cidr = "192.0.2.7".parse().unwrap();
        assert!(bare.contains(ip("192.0.2.7")) && !bare.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let mapped: Cidr = "::ffff:172.16.0.0/108".parse().unwrap();
        assert!(mapped.contains(ip("172.16.3.4")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host.example",
            "10.0.0.0/x",
            "1.2.3.4:80",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!(proxies(" 10.0.0.0/8 , ::1 ,").0.len(), 2);
        assert_eq!(proxies(""), TrustedProxies::default());
        assert!("10.0.0.0/8, nope".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_forward() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("198.51.100.1"), ["203.0.113.5"]), ip("198.51.100.1"));
        let p = proxies("10.0.0.0/8");
        assert_eq!(
            p.client(ip("198.51.100.1"), ["10.0.0.9, 203.0.113.5"]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_first_untrusted_entry_from_the_right_is_the_client() {
        let p = proxies("10.0.0.0/8, 2001:db8::/32");
        let peer = ip("10.0.0.1");
        assert_eq!(p.client(peer, ["203.0.113.5"]), ip("203.0.113.5"));
        // Two proxies: the client's own (forged) entries left of its address are not read.
        assert_eq!(p.client(peer, ["1.1.1.1, 203.0.113.5, 10.0.0.2"]), ip("203.0.113.5"));
        assert_eq!(p.client(peer, ["garbage, 203.0.113.5"]), ip("203.0.113.5"));
        // Several header lines are one list, in order.
        assert_eq!(p.client(peer, ["1.1.1.1", "203.0.113.5, 10.0.0.2"]), ip("203.0.113.5"));
        assert_eq!(p.client(peer, ["2001:db8::7, 2001:db9::1"]), ip("2001:db9::1"));
        assert_eq!(p.client(peer, ["[2001:db9::1]"]), ip("2001:db9::1"));
        assert_eq!(p.client(ip("::ffff:10.0.0.1"), ["203.0.113.5"]), ip("203.0.113.5"));
    }

    #[test]
    fn all_trusted_means_the_left_most_and_nothing_means_the_peer() {
        let p = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        assert_eq!(p.client(peer, ["10.0.0.3, 10.0.0.2"]), ip("10.0.0.3"));
        assert_eq!(p.client(peer, std::iter::empty()), peer);
    }

    #[test]
    fn malformed_entries_written_by_trusted_proxies_fall_back_to_the_peer() {
        let p = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        for xff in [
            "",
            "unknown",
            "203.0.113.5:4711",
            "203.0.113.5,",
            "203.0.113.5, , 10.0.0.2",
            "ab::cd::ef",
        ] {
            assert_eq!(p.client(peer, [xff]), peer, "{xff:?}");
        }
    }
}
