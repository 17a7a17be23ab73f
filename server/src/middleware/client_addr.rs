//! Who the client is when Shanshui runs behind load balancers or reverse
//! proxies (`--trusted-proxies`).
//!
//! Behind a balancer every connection comes from the balancer, so keying
//! rate limits and sign-in throttling by the TCP peer would put every
//! resident of the city in one budget: the first flood would refuse them
//! all. The balancer says who its client was in `X-Forwarded-For`, but so
//! can anyone: the header is believed only as far as it was written by
//! proxies the operator named. It is read from the right (each proxy
//! appends the address it saw): the first address that is not a trusted
//! proxy is the client. Without `--trusted-proxies` the header is ignored
//! and the peer is the client, as before.
//!
//! The address is used for counting only (rate limits, throttling,
//! idempotency scopes); it is never logged with a report or shown to staff.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// The client's address as resolved for this request (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// An `X-Forwarded-For` longer than this is not read past its end: a chain
/// of proxies is a handful of addresses, not kilobytes.
const MAX_HOPS: usize = 16;

impl TrustedProxies {
    /// Parses entries such as `10.0.0.0/8` or `172.16.5.4` (one address).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
            .map(|entry| match entry.parse::<IpNet>() {
                Ok(net) => Ok(net.trunc()),
                Err(_) => entry.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("`{entry}` is not an address or a CIDR range such as 10.0.0.0/8")
                }),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the `X-Forwarded-For` values the
    /// request carried (in order).
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Several headers are one list, in order (RFC 9110, 5.3).
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        return client;
                    }
                }
                // Garbage where an address should be: what the last
                // trusted proxy saw is all that is known.
                Err(_) => return client,
            }
        }
        client
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Resolves the client once per request, for every limiter inside.
pub async fn resolve(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let peer = peer.ip();
        let headers = request.headers();
        let values = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = trusted.client(peer, values);
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.0.0.2"), ["1.2.3.4"].into_iter()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn the_first_untrusted_address_from_the_right_is_the_client() {
        let t = TrustedProxies::parse(&["10.0.0.0/8", "192.168.1.1"]).unwrap();
        // Balancer 10.0.0.2 saw 203.0.113.7; whatever the client wrote
        // before it (a forged 8.8.8.8) is not believed.
        assert_eq!(
            t.client(ip("10.0.0.2"), ["8.8.8.8, 203.0.113.7"].into_iter()),
            ip("203.0.113.7")
        );
        // Two proxies in a chain, in two headers.
        assert_eq!(
            t.client(ip("10.0.0.2"), ["198.51.100.4", "192.168.1.1"].into_iter()),
            ip("198.51.100.4")
        );
        // A client that connects directly is itself, whatever it claims.
        assert_eq!(
            t.client(ip("203.0.113.9"), ["10.0.0.5"].into_iter()),
            ip("203.0.113.9")
        );
        // IPv4-mapped addresses count as IPv4.
        assert_eq!(
            t.client(ip("::ffff:10.0.0.2"), ["::ffff:203.0.113.7"].into_iter()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn garbage_or_a_missing_header_leaves_the_last_trusted_hop() {
        let t = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(t.client(ip("10.0.0.2"), std::iter::empty()), ip("10.0.0.2"));
        assert_eq!(
            t.client(
                ip("10.0.0.2"),
                ["1.2.3.4, not-an-address, 10.0.0.9"].into_iter()
            ),
            ip("10.0.0.9")
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["balancer.local"]).is_err());
    }
}
