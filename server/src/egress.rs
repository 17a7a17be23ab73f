//! Where the server's own requests may go (出站访问策略): the guard on
//! department webhooks. An admin chooses a webhook's address, so without a
//! guard a signed POST can be aimed at the server's own network: a service on
//! loopback, the cloud metadata endpoint (169.254.169.254), a database port
//! on the private network (SSRF, server-side request forgery).
//!
//! One rule, [`AllowList::check`], decides for every address:
//! - public unicast addresses are allowed;
//! - loopback (127/8, ::1) and private ranges (10/8, 172.16/12,
//!   192.168/16, 100.64/10, fc00::/7, fec0::/10) only where
//!   `--webhook-allow` names them, because a department's own system may sit
//!   on the government network;
//! - link-local (169.254/16 with the metadata endpoint, fe80::/10),
//!   unspecified (0/8, ::), multicast, broadcast and reserved ranges never.
//!
//! IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
//! IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
//! `2002:aabb:ccdd::`) are judged by that IPv4 address.
//!
//! The rule is applied where the connection is made: [`WebhookClient`]
//! resolves names with its own resolver, which drops every address the rule
//! refuses and hands the rest to the connector, so the addresses checked are
//! the addresses connected to (no second lookup a rebinding DNS server could
//! answer differently). reqwest skips the resolver for a literal address, so
//! [`WebhookClient::post`] checks those itself; proxies from the environment
//! are off (a proxy would resolve the name on its own).

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// What kind of address a webhook would reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Public,
    /// Allowed only where the allow list names it.
    Loopback,
    /// Allowed only where the allow list names it.
    Private,
    LinkLocal,
    Unspecified,
    Multicast,
    Broadcast,
    /// Documentation, benchmarking, protocol-assignment, future-use and
    /// other special-purpose ranges: no department's system lives there.
    Reserved,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Public => "a public address",
            Kind::Loopback => "a loopback address",
            Kind::Private => "a private-network address",
            Kind::LinkLocal => "a link-local address",
            Kind::Unspecified => "an unspecified address",
            Kind::Multicast => "a multicast address",
            Kind::Broadcast => "a broadcast address",
            Kind::Reserved => "a reserved address",
        }
    }
}

/// Why a webhook address is refused. The message names the rule, never
/// anything learnt from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a webhook address must be http:// or https://, with a host and without credentials")]
    Malformed,
    #[error("{} may not receive webhooks{}", .0.describe(), if matches!(.0, Kind::Loopback | Kind::Private) { " unless --webhook-allow lists it" } else { "" })]
    NotAllowed(Kind),
}

/// The IPv4 address an IPv6 address stands for, where it carries one.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated).
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => Some(low),
        // ::a.b.c.d (compatible, deprecated); :: and ::1 are themselves.
        [0, 0, 0, 0, 0, 0, _, _] if !(s[6] == 0 && s[7] <= 1) => Some(low),
        // 64:ff9b::a.b.c.d, the well-known NAT64 prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 2002:aabb:ccdd::/48, 6to4.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

fn classify_v4(ip: Ipv4Addr) -> Kind {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, ..) => Kind::Unspecified,
        (127, ..) => Kind::Loopback,
        (10, ..) | (172, 16..=31, _) | (192, 168, _) | (100, 64..=127, _) => Kind::Private,
        (169, 254, _) => Kind::LinkLocal,
        (224..=239, ..) => Kind::Multicast,
        _ if ip.is_broadcast() => Kind::Broadcast,
        (240..=255, ..) => Kind::Reserved,
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => {
            Kind::Reserved
        }
        _ => Kind::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Kind {
    if ip.is_unspecified() {
        return Kind::Unspecified;
    }
    if ip.is_loopback() {
        return Kind::Loopback;
    }
    if let Some(v4) = embedded_ipv4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    match s[0] {
        0xfe80..=0xfebf => Kind::LinkLocal,
        // fec0::/10 (site-local, deprecated) and fc00::/7 (unique local).
        0xfec0..=0xfeff | 0xfc00..=0xfdff => Kind::Private,
        0xff00..=0xffff => Kind::Multicast,
        // 64:ff9b:1::/48, local-use NAT64: a translator on our own network.
        0x64 if s[1] == 0xff9b => Kind::Private,
        // 2001::/23 (Teredo, benchmarking, ORCHID…) and 2001:db8::/32
        // (documentation).
        0x2001 if s[1] < 0x200 || s[1] == 0xdb8 => Kind::Reserved,
        // Global unicast is 2000::/3; everything else is special-purpose.
        0x2000..=0x3fff => Kind::Public,
        _ => Kind::Reserved,
    }
}

/// The kind of `ip`, judging an IPv4-carrying IPv6 address by its IPv4 one.
pub fn classify(ip: IpAddr) -> Kind {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// The ranges named by `--webhook-allow` (`SHANSHUI_WEBHOOK_ALLOW`):
/// loopback and private addresses in them may receive webhooks. Empty by
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// Parses entries such as `10.20.0.0/16` or `192.168.1.5` (one address).
    /// Refuses ranges wider than the widest private range (so that
    /// `0.0.0.0/0` cannot quietly open loopback and the whole private
    /// network) and ranges that are never reachable (link-local, multicast…),
    /// so an operator is not misled into thinking they opened them.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
        {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => entry.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("`{entry}` is not an address or a CIDR range such as 10.20.0.0/16")
                })?,
            };
            let widest = if net.network().is_ipv4() { 8 } else { 7 };
            if net.prefix_len() < widest {
                return Err(format!(
                    "`{entry}` is too wide: name the private ranges the departments' systems use"
                ));
            }
            let kind = classify(net.network());
            if !matches!(kind, Kind::Loopback | Kind::Private | Kind::Public) {
                return Err(format!(
                    "`{entry}` is {}, which never receives webhooks",
                    kind.describe()
                ));
            }
            nets.push(net);
        }
        Ok(Self(nets))
    }

    fn names(&self, ip: IpAddr) -> bool {
        let also = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.0
            .iter()
            .any(|net| net.contains(&ip) || also.is_some_and(|v4| net.contains(&v4)))
    }

    /// The one rule: may a webhook connect to `ip`?
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            Kind::Public => Ok(()),
            Kind::Loopback | Kind::Private if self.names(ip) => Ok(()),
            kind => Err(Refusal::NotAllowed(kind)),
        }
    }

    /// A webhook address as an admin sets it: http(s), a host, no
    /// credentials, and a literal address the rule allows. A name is only
    /// resolved when a notification is sent (it may change in between).
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, Refusal> {
        let url = reqwest::Url::parse(url).map_err(|_| Refusal::Malformed)?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(Refusal::Malformed);
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(Refusal::Malformed)?;
        // The parser has already turned `2130706433`, `0x7f.1` and the like
        // into dotted form; this is the same test the connector makes to
        // decide that a host needs no lookup.
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            self.check(ip)?;
        }
        Ok(url)
    }
}

/// The resolver error when a name leads only to refused addresses.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(Refusal);

/// Resolves with the system resolver (as reqwest's default does) and keeps
/// only the addresses the allow list permits; the connector gets exactly
/// these.
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let mut refusal = None;
            let kept: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| match allow.check(addr.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refusal = Some(e);
                        false
                    }
                })
                .collect();
            match (kept.is_empty(), refusal) {
                (true, Some(refusal)) => Err(Box::new(Refused(refusal)) as _),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}

/// The HTTP client for webhooks: every request goes through the allow list.
pub struct WebhookClient {
    http: reqwest::Client,
    allow: Arc<AllowList>,
}

impl WebhookClient {
    pub fn new(allow: AllowList, timeout: Duration) -> Result<Self, reqwest::Error> {
        let allow = Arc::new(allow);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("Shanshui/", env!("CARGO_PKG_VERSION")))
            // A redirect would go to an address nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .build()?;
        Ok(Self { http, allow })
    }

    /// A POST to `url`, or why the rule refuses it.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, Refusal> {
        Ok(self.http.post(self.allow.check_url(url)?))
    }
}

/// What a failed send tells the admin view (`last_error`): whether the rule
/// refused the address, or that nothing usable came back. Refused, reset,
/// unreachable, timed out, a failed TLS handshake and an unknown name all
/// read the same, so the outbox cannot serve as a port or host scanner.
pub fn failure(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(Refused(refusal)) = err.downcast_ref::<Refused>() {
            return format!("not delivered: {refusal}");
        }
        source = err.source();
    }
    NO_ANSWER.to_owned()
}

/// The one message for every transport failure.
pub const NO_ANSWER: &str = "not delivered: could not connect, or no answer in time";

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s} is an address"))
    }

    #[test]
    fn every_kind_of_address_is_classified() {
        let table = [
            // IPv4
            ("0.0.0.0", Kind::Unspecified),
            ("0.1.2.3", Kind::Unspecified),
            ("127.0.0.1", Kind::Loopback),
            ("127.255.255.254", Kind::Loopback),
            ("10.0.0.1", Kind::Private),
            ("172.16.0.1", Kind::Private),
            ("172.31.255.255", Kind::Private),
            ("172.32.0.1", Kind::Public),
            ("172.15.255.255", Kind::Public),
            ("192.168.1.1", Kind::Private),
            ("100.64.0.1", Kind::Private),
            ("100.127.255.255", Kind::Private),
            ("100.128.0.1", Kind::Public),
            ("169.254.169.254", Kind::LinkLocal),
            ("169.254.0.1", Kind::LinkLocal),
            ("224.0.0.1", Kind::Multicast),
            ("239.255.255.250", Kind::Multicast),
            ("255.255.255.255", Kind::Broadcast),
            ("240.0.0.1", Kind::Reserved),
            ("192.0.0.170", Kind::Reserved),
            ("192.0.2.1", Kind::Reserved),
            ("198.51.100.1", Kind::Reserved),
            ("203.0.113.1", Kind::Reserved),
            ("198.18.0.1", Kind::Reserved),
            ("8.8.8.8", Kind::Public),
            ("1.1.1.1", Kind::Public),
            ("192.169.0.1", Kind::Public),
            // IPv6
            ("::", Kind::Unspecified),
            ("::1", Kind::Loopback),
            ("fe80::1", Kind::LinkLocal),
            ("febf::1", Kind::LinkLocal),
            ("fec0::1", Kind::Private),
            ("fc00::1", Kind::Private),
            ("fd12:3456::1", Kind::Private),
            ("ff02::1", Kind::Multicast),
            ("ff0e::1", Kind::Multicast),
            ("2001:db8::1", Kind::Reserved),
            ("2001::1", Kind::Reserved),
            ("2001:2::1", Kind::Reserved),
            ("100::1", Kind::Reserved),
            ("4000::1", Kind::Reserved),
            ("2400:cb00::1", Kind::Public),
            ("2606:4700::1111", Kind::Public),
            ("2001:4860::8888", Kind::Public),
            // IPv6 carrying IPv4: judged by the IPv4 address.
            ("::ffff:127.0.0.1", Kind::Loopback),
            ("::ffff:169.254.169.254", Kind::LinkLocal),
            ("::ffff:10.1.2.3", Kind::Private),
            ("::ffff:0.0.0.0", Kind::Unspecified),
            ("::ffff:255.255.255.255", Kind::Broadcast),
            ("::ffff:224.0.0.1", Kind::Multicast),
            ("::ffff:8.8.8.8", Kind::Public),
            ("::ffff:0:127.0.0.1", Kind::Loopback),
            ("::127.0.0.1", Kind::Loopback),
            ("::169.254.169.254", Kind::LinkLocal),
            ("::8.8.8.8", Kind::Public),
            ("64:ff9b::127.0.0.1", Kind::Loopback),
            ("64:ff9b::169.254.169.254", Kind::LinkLocal),
            ("64:ff9b::192.168.0.1", Kind::Private),
            ("64:ff9b::8.8.8.8", Kind::Public),
            ("64:ff9b:1::1", Kind::Private),
            ("2002:7f00:1::", Kind::Loopback),
            ("2002:a9fe:a9fe::1", Kind::LinkLocal),
            ("2002:0808:0808::1", Kind::Public),
        ];
        for (address, kind) in table {
            assert_eq!(classify(ip(address)), kind, "{address}");
        }
    }

    #[test]
    fn only_public_addresses_pass_an_empty_allow_list() {
        let none = AllowList::default();
        for refused in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.0.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
        ] {
            assert!(none.check(ip(refused)).is_err(), "{refused}");
        }
        for allowed in ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert_eq!(none.check(ip(allowed)), Ok(()), "{allowed}");
        }
    }

    #[test]
    fn the_allow_list_opens_only_the_loopback_and_private_ranges_it_names() {
        let allow = AllowList::parse(&["10.20.0.0/16", "127.0.0.1", " fd00:1::/32 "]).unwrap();
        for allowed in [
            "10.20.1.2",
            "::ffff:10.20.1.2",
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "fd00:1::5",
            "8.8.8.8",
        ] {
            assert_eq!(allow.check(ip(allowed)), Ok(()), "{allowed}");
        }
        for refused in [
            "10.21.0.1",
            "127.0.0.2",
            "::1",
            "192.168.0.1",
            "fd00:2::1",
            "169.254.169.254",
            "0.0.0.0",
        ] {
            assert!(allow.check(ip(refused)).is_err(), "{refused}");
        }
        // Never reachable, even when a listed range would contain it.
        let wide = AllowList::parse(&["169.0.0.0/8", "::ffff:169.0.0.0/104"]).unwrap();
        for refused in ["169.254.169.254", "::ffff:169.254.169.254"] {
            assert_eq!(
                wide.check(ip(refused)),
                Err(Refusal::NotAllowed(Kind::LinkLocal)),
                "{refused}"
            );
        }
    }

    #[test]
    fn allow_entries_that_are_wrong_too_wide_or_never_reachable_are_refused() {
        assert_eq!(AllowList::parse::<&str>(&[]), Ok(AllowList::default()));
        assert_eq!(AllowList::parse(&["", " "]), Ok(AllowList::default()));
        for bad in [
            "nope",
            "10.0.0.0/33",
            "0.0.0.0/0",
            "::/0",
            "8.0.0.0/7",
            "fc00::/6",
            "169.254.0.0/16",
            "224.0.0.0/4",
            "0.0.0.0/8",
            "fe80::/10",
            "ff00::/8",
            "::/8",
        ] {
            assert!(AllowList::parse(&[bad]).is_err(), "{bad}");
        }
        assert_eq!(
            AllowList::parse(&["10.1.2.3/8"]),
            Ok(AllowList(vec!["10.0.0.0/8".parse().unwrap()])),
            "host bits are dropped"
        );
    }

    #[test]
    fn a_webhook_url_needs_http_a_host_no_credentials_and_an_allowed_literal() {
        let none = AllowList::default();
        for malformed in [
            "ftp://example.org/",
            "file:///etc/passwd",
            "gopher://example.org",
            "http://user:pw@example.org/",
            "https://user@example.org/",
            "http://",
            "not a url",
            "",
        ] {
            assert_eq!(
                none.check_url(malformed).err(),
                Some(Refusal::Malformed),
                "{malformed}"
            );
        }
        for (url, kind) in [
            ("http://127.0.0.1:8080/internal-admin", Kind::Loopback),
            ("http://127.1/", Kind::Loopback),
            ("http://2130706433/", Kind::Loopback),
            ("http://0x7f000001/", Kind::Loopback),
            ("http://0177.0.0.1/", Kind::Loopback),
            ("http://[::1]/", Kind::Loopback),
            ("http://[::ffff:127.0.0.1]/", Kind::Loopback),
            ("http://[::ffff:7f00:1]/", Kind::Loopback),
            ("http://169.254.169.254/latest/meta-data/", Kind::LinkLocal),
            ("http://[fe80::1]/", Kind::LinkLocal),
            ("http://0.0.0.0:3000/", Kind::Unspecified),
            ("http://0/", Kind::Unspecified),
            ("http://[::]/", Kind::Unspecified),
            ("http://10.0.0.1/", Kind::Private),
            ("https://192.168.1.1/", Kind::Private),
            ("http://224.0.0.1/", Kind::Multicast),
            ("http://255.255.255.255/", Kind::Broadcast),
        ] {
            assert_eq!(
                none.check_url(url).err(),
                Some(Refusal::NotAllowed(kind)),
                "{url}"
            );
        }
        for fine in [
            "https://hooks.example.org/shanshui?token=x",
            "http://8.8.8.8:8080/",
            "https://[2606:4700::1111]/",
        ] {
            assert!(none.check_url(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn the_refusal_tells_an_admin_how_to_open_a_private_range() {
        assert!(
            Refusal::NotAllowed(Kind::Private)
                .to_string()
                .contains("--webhook-allow")
        );
        assert!(
            !Refusal::NotAllowed(Kind::LinkLocal)
                .to_string()
                .contains("--webhook-allow")
        );
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_allowed_addresses() {
        let resolver = GuardedResolver {
            allow: Arc::new(AllowList::default()),
        };
        let name: Name = "localhost".parse().unwrap();
        let err = resolver
            .resolve(name)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("loopback"), "localhost is refused: {err}");

        let resolver = GuardedResolver {
            allow: Arc::new(AllowList::parse(&["127.0.0.0/8"]).unwrap()),
        };
        let addrs: Vec<SocketAddr> = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(
            !addrs.is_empty() && addrs.iter().all(|a| a.ip() == ip("127.0.0.1")),
            "{addrs:?}"
        );
    }

    #[tokio::test]
    async fn a_send_to_a_refused_address_never_connects_and_says_why() {
        let client = WebhookClient::new(AllowList::default(), Duration::from_secs(2)).unwrap();
        assert_eq!(
            client.post("http://[::ffff:127.0.0.1]:9/").err(),
            Some(Refusal::NotAllowed(Kind::Loopback))
        );
        let err = client
            .post("http://localhost:9/")
            .unwrap()
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            failure(&err),
            "not delivered: a loopback address may not receive webhooks unless --webhook-allow lists it"
        );
    }
}
