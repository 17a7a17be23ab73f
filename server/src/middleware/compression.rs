//! Compressing what the server writes (pages, JSON, CSV), with an effort
//! that follows how many readers an answer reaches.
//!
//! Every browser asks for compressed answers, so compression is part of
//! every page's cost. In the server, the `brotli` crate at quality 5 added
//! 1.3–1.6 ms of a core to a 30–60 KB page; brotli at quality 1 costs about
//! a third of that and zstd at 3 a tenth, for answers 20–30 % larger
//! (docs/benchmarks.md, 2026-12-07, fourth and fifth). So:
//!
//! - **An answer the micro-cache keeps** (`crate::middleware::public_cache`)
//!   reaches every reader of that page for the cache's lifetime, and is
//!   compressed once: with brotli at 5 for everyone who takes brotli,
//!   Chromium's and Firefox's readers too, as the smallest answer for a
//!   phone on a weak network (else gzip at 5). The cache marks such a
//!   request [`Kept`], and keeps the answer under [`kept`]'s encoding.
//! - **An answer made for one reader** (a conditional request, a signed-in
//!   page, the API's personal answers) is compressed cheaply in what the
//!   client prefers ([`preferred`]): zstd at 3 for Chromium's browsers
//!   since version 123 and Firefox since 126, brotli at quality 1 for
//!   Safari and older browsers, gzip at 5 for the rest.
//!
//! tower-http takes one level for every encoding of a layer, so there are
//! three layers: the outer one compresses with brotli or gzip at 5, the
//! next with brotli at 1, the inner one with zstd at 3. Below the outer one,
//! [`by_reuse`] decides what the others, and the pre-compressed files'
//! service, may see of `Accept-Encoding`: nothing for a kept answer (the
//! outer layer makes it); for the rest, zstd only when it is the client's
//! choice by tower-http's own rule (the highest q-value; on a tie zstd,
//! then brotli, then gzip), and brotli only when it or zstd is. An answer
//! is therefore compressed once, by one layer. An outer layer leaves an
//! answer already compressed alone, as it does the built front end's
//! pre-compressed files.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// An answer's encoding, as the compression layers will choose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    // In tower-http's order of preference on a tie, least first.
    Identity,
    Gzip,
    Brotli,
    Zstd,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }

    fn parse(coding: &str) -> Option<Encoding> {
        let is = |name: &str| coding.eq_ignore_ascii_case(name);
        if is("gzip") || is("x-gzip") {
            Some(Encoding::Gzip)
        } else if is("br") {
            Some(Encoding::Brotli)
        } else if is("zstd") {
            Some(Encoding::Zstd)
        } else if is("identity") {
            Some(Encoding::Identity)
        } else {
            None
        }
    }
}

/// The encoding an answer made for one reader is sent in: the client's
/// preference among those this server writes, by tower-http's rule.
pub fn preferred(headers: &HeaderMap) -> Encoding {
    best(headers, |_| true)
}

/// The encoding an answer the micro-cache keeps is sent in (and kept
/// under): the outer layer's choice, which leaves zstd out.
pub fn kept(headers: &HeaderMap) -> Encoding {
    best(headers, |encoding| encoding != Encoding::Zstd)
}

/// A request whose answer the micro-cache will keep and hand to every
/// reader of the page: worth compressing harder, once.
#[derive(Clone, Copy, Debug)]
pub struct Kept;

/// The client's preferred encoding among those `allowed`: the highest
/// q-value, and on a tie tower-http's order.
fn best(headers: &HeaderMap, allowed: impl Fn(Encoding) -> bool) -> Encoding {
    accepted(headers)
        .filter(|&(encoding, q)| q > 0 && allowed(encoding))
        .max_by_key(|&(encoding, q)| (q, encoding))
        .map_or(Encoding::Identity, |(encoding, _)| encoding)
}

/// The encodings an `Accept-Encoding` names, with their q-values in
/// thousandths; unknown codings and malformed q-values are left out, as
/// tower-http leaves them out.
fn accepted(headers: &HeaderMap) -> impl Iterator<Item = (Encoding, u16)> + '_ {
    items(headers).filter_map(|item| {
        let mut parts = item.splitn(2, ';');
        let encoding = Encoding::parse(parts.next()?.trim())?;
        let q = match parts.next() {
            Some(q) => q_value(q.trim())?,
            None => 1000,
        };
        Some((encoding, q))
    })
}

/// The items of every `Accept-Encoding` the request carries, trimmed.
fn items(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

/// `q=0.5` as 500: at most three decimals, at most 1.
fn q_value(text: &str) -> Option<u16> {
    let number = text
        .strip_prefix("q=")
        .or_else(|| text.strip_prefix("Q="))?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = fraction
        .bytes()
        .zip([100, 10, 1])
        .map(|(digit, place)| u16::from(digit - b'0') * place)
        .sum::<u16>();
    let q = whole + fraction;
    (q <= 1000).then_some(q)
}

/// The outer layer's level, for brotli and gzip: an answer kept for many
/// readers, and a gzip-only client's.
const KEPT: i32 = 5;
/// Brotli's level for an answer made for one reader: 3 times cheaper than
/// 5, for answers about 30 % larger (a little larger than zstd's at 3).
const BROTLI_ONE_READER: i32 = 1;
/// zstd's level: 3, its default. Level 1 saves 0.02 ms on a page and makes
/// it 7 % larger.
const ZSTD: i32 = 3;

/// The router with its answers compressed (see the module's comment).
pub fn layer<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router
        .layer(
            CompressionLayer::new()
                .no_br()
                .no_gzip()
                .quality(CompressionLevel::Precise(ZSTD)),
        )
        .layer(
            CompressionLayer::new()
                .no_zstd()
                .no_gzip()
                .quality(CompressionLevel::Precise(BROTLI_ONE_READER)),
        )
        .layer(axum::middleware::from_fn(by_reuse))
        .layer(
            CompressionLayer::new()
                .no_zstd()
                .quality(CompressionLevel::Precise(KEPT)),
        )
}

/// What the inner layers and the pre-compressed files' service may see of
/// `Accept-Encoding`; the outer layer has read the header already.
/// - A kept answer: nothing, so the outer layer compresses it.
/// - Any other: zstd only when it is the client's choice, brotli only when
///   it or zstd is. When gzip is (or nothing), the outer layer's gzip must
///   win, so both go. (With zstd the choice, brotli stays for the built
///   front end's files, which come in brotli but never in zstd.)
async fn by_reuse(mut request: Request, next: Next) -> Response {
    let kept = request.extensions().get::<Kept>().is_some();
    let headers = request.headers_mut();
    if kept {
        headers.remove(header::ACCEPT_ENCODING);
        return next.run(request).await;
    }
    let unwanted: &[Encoding] = match preferred(headers) {
        Encoding::Zstd => &[],
        Encoding::Brotli => &[Encoding::Zstd],
        Encoding::Gzip | Encoding::Identity => &[Encoding::Zstd, Encoding::Brotli],
    };
    if accepted(headers).any(|(encoding, _)| unwanted.contains(&encoding)) {
        let others = without(headers, unwanted);
        headers.remove(header::ACCEPT_ENCODING);
        if let Some(value) = others.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::ACCEPT_ENCODING, value);
        }
    }
    next.run(request).await
}

/// The header's items but those of the encodings named, joined; `None`
/// when none is left.
fn without(headers: &HeaderMap, encodings: &[Encoding]) -> Option<String> {
    let items: Vec<&str> = items(headers)
        .filter(|item| {
            let coding = item.split(';').next().unwrap_or_default().trim();
            !coding.is_empty() && Encoding::parse(coding).is_none_or(|e| !encodings.contains(&e))
        })
        .collect();
    (!items.is_empty()).then(|| items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_preferred_encoding_follows_tower_https_rule() {
        for (header, expected) in [
            // Chromium and Firefox.
            ("gzip, deflate, br, zstd", Encoding::Zstd),
            // Safari.
            ("gzip, deflate, br", Encoding::Brotli),
            ("gzip, deflate", Encoding::Gzip),
            ("x-gzip", Encoding::Gzip),
            ("", Encoding::Identity),
            ("compress, *", Encoding::Identity),
            ("br;q=1.0, zstd;q=0.5", Encoding::Brotli),
            ("zstd;q=0, br", Encoding::Brotli),
            ("br;q=0, gzip", Encoding::Gzip),
            ("ZSTD;Q=0.9, BR;q=0.9", Encoding::Zstd),
            ("identity;q=1, zstd;q=0.5", Encoding::Identity),
            // A malformed q-value drops its item.
            ("zstd;q=2, br", Encoding::Brotli),
            ("zstd;q=0.1234, gzip", Encoding::Gzip),
            ("zstd;level=3, gzip", Encoding::Gzip),
        ] {
            assert_eq!(preferred(&accept(header)), expected, "{header:?}");
        }
        let mut two = accept("br;q=0.5");
        two.append(header::ACCEPT_ENCODING, HeaderValue::from_static("zstd"));
        assert_eq!(preferred(&two), Encoding::Zstd);
    }

    #[test]
    fn q_values_read_as_thousandths() {
        assert_eq!(q_value("q=1"), Some(1000));
        assert_eq!(q_value("q=1.000"), Some(1000));
        assert_eq!(q_value("q=0.5"), Some(500));
        assert_eq!(q_value("q=0.05"), Some(50));
        assert_eq!(q_value("Q=0."), Some(0));
        for bad in ["q=1.5", "q=1.0001", "q=2", "q=-1", "q=0.x", "level=1", "q="] {
            assert_eq!(q_value(bad), None, "{bad}");
        }
    }

    #[test]
    fn codings_are_taken_out_and_the_rest_kept() {
        use Encoding::{Brotli, Zstd};
        assert_eq!(
            without(&accept("gzip, zstd;q=0.5, br;q=1"), &[Zstd]).as_deref(),
            Some("gzip, br;q=1")
        );
        assert_eq!(
            without(&accept("gzip, zstd;q=0.5, BR;q=1"), &[Zstd, Brotli]).as_deref(),
            Some("gzip")
        );
        assert_eq!(without(&accept("zstd"), &[Zstd]), None);
        assert_eq!(without(&accept("ZSTD ; q=0.2"), &[Zstd]), None);
    }

    #[test]
    fn a_kept_answer_is_never_zstd() {
        for (header, expected) in [
            ("gzip, deflate, br, zstd", Encoding::Brotli),
            ("gzip, deflate, br", Encoding::Brotli),
            ("zstd, gzip;q=0.5", Encoding::Gzip),
            ("zstd", Encoding::Identity),
            ("br;q=0.4, gzip;q=0.5, zstd", Encoding::Gzip),
        ] {
            assert_eq!(kept(&accept(header)), expected, "{header:?}");
        }
    }
}
