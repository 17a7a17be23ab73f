//! Per-client-address rate limits (GCRA, via `governor`) with 429 and
//! `Retry-After`. Mobile carriers put many residents behind one address,
//! so the limits are generous: they stop floods, not neighbours.
//!
//! The address is the TCP peer, or behind proxies the operator trusts
//! (`--trusted-proxies`) the client they name ([`super::client_addr`]).
//!
//! These limits live in each replica's memory: they protect a replica's
//! cores and memory from a flood, which is per replica. With N replicas
//! and a balancer that spreads one client over all of them, a client gets
//! up to N times the budget; a balancer that keeps a client on one replica
//! (hashing the source address) makes them exact. What protects people is
//! in the database and holds across replicas: sign-in throttling per
//! account ([`crate::auth::throttle`]) and the 找回 limits per phone
//! ([`crate::notify::codes`]).
//!
//! A client is keyed by what it controls ([`client_key`]): an IPv4 address,
//! or an IPv6 address's /64 network. A home or phone gets a whole /64 from
//! its carrier and can pick any address in it, so keying by the full IPv6
//! address would give one client 2^64 fresh budgets.

use crate::error::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The key a client is counted under: an IPv4 address as it is (an
/// IPv4-mapped IPv6 address counts as its IPv4 address), an IPv6 address by
/// its /64 network.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

/// The requesting client's key ([`client_key`] of the client's address:
/// the TCP peer or, behind trusted proxies, the client they name), for
/// handlers that scope something per client (rate limits, idempotency keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(pub IpAddr);

impl ClientKey {
    pub fn of(request_extensions: &axum::http::Extensions) -> Self {
        let resolved = request_extensions
            .get::<super::client_addr::ClientAddr>()
            .map(|c| c.0);
        let ip = resolved
            .or_else(|| {
                request_extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip())
            })
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        ClientKey(client_key(ip))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientKey::of(&parts.extensions))
    }
}

pub struct Limiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl Limiter {
    /// `burst` requests at once, then one more every `every`.
    pub fn new(burst: u32, every: Duration) -> Self {
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(every.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            inner: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Ok, or the whole seconds to wait. `ip` is counted under its
    /// [`client_key`].
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let key = client_key(ip);
        // Forget idle clients now and then, so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.inner.retain_recent();
        }
        self.inner.check_key(&key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

pub async fn limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let ClientKey(key) = ClientKey::of(request.extensions());
    match limiter.check(key) {
        Ok(()) => next.run(request).await,
        Err(retry_after_secs) => AppError::RateLimited { retry_after_secs }.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_waits_and_other_clients_are_unaffected() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_ok());
        let wait = l.check(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.check(b).is_ok());
    }

    #[test]
    fn an_ipv6_client_cannot_rotate_through_its_64_for_fresh_budgets() {
        let l = Limiter::new(2, Duration::from_secs(60));
        // Every address of one /64, as a client rotating its interface id would.
        let mut refused = 0;
        for host in 1..=50u16 {
            let ip: IpAddr = format!("2001:db8:1:2:{host:x}::{host:x}").parse().unwrap();
            if l.check(ip).is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 48, "one /64 shares one budget of 2");
        // The neighbouring /64 is another client.
        assert!(l.check("2001:db8:1:3::1".parse().unwrap()).is_ok());
    }

    #[test]
    fn a_client_key_is_the_ipv4_address_or_the_ipv6_64() {
        let k = |s: &str| client_key(s.parse().unwrap()).to_string();
        assert_eq!(k("203.0.113.7"), "203.0.113.7");
        assert_eq!(k("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(k("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::");
        assert_eq!(k("2001:db8:aa:bb:ffff:ffff:ffff:ffff"), "2001:db8:aa:bb::");
    }
}
