//! The site's own address as a client reached it, for the absolute links in
//! feeds, exports, Open311 answers and page heads.
//!
//! One check for the server and the front end's server-side rendering: the
//! Host header is whatever a client sends, so only a plain host name or
//! address (with a port) is let into a link.

/// `scheme://host` from a request's `Host` and `X-Forwarded-Proto` headers;
/// `None` when there is no usable Host.
pub fn origin(host: Option<&str>, forwarded_proto: Option<&str>) -> Option<String> {
    let host = host.filter(|h| is_plain_host(h))?;
    let scheme = if forwarded_proto == Some("https") {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{host}"))
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional
/// port: letters, digits and `.-:[]` only, so it cannot close an attribute,
/// start a path or carry a script.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_host_becomes_the_origin() {
        assert_eq!(
            origin(Some("127.0.0.1:3000"), None).as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            origin(Some("hb.banan.gov.cn"), Some("https")).as_deref(),
            Some("https://hb.banan.gov.cn")
        );
        assert_eq!(
            origin(Some("[::1]:3000"), Some("http")).as_deref(),
            Some("http://[::1]:3000")
        );
    }

    #[test]
    fn a_hostile_or_missing_host_gives_no_origin() {
        for host in [
            "evil.example\"><script>",
            "a b",
            "evil.example/path",
            "x@evil.example",
            "",
            &"a".repeat(256),
        ] {
            assert_eq!(origin(Some(host), None), None, "{host}");
        }
        assert_eq!(origin(None, Some("https")), None);
    }
}
