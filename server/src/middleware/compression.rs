//! Compressing what the server writes (pages, JSON, CSV), at a cost per
//! request that suits answers made afresh each time.
//!
//! Every browser asks for compressed answers, so compression is part of
//! every page's cost, and on a page read past the micro-cache it was most
//! of it: the `brotli` crate at quality 5 spent 0.7–1.0 ms of a core on a
//! 30–60 KB page or Open311 answer, more than rendering it. zstd at level 3
//! makes the same page within a fifth of brotli's size in about 0.08 ms
//! (docs/benchmarks.md, 2026-12-07, fourth). Chromium's browsers since
//! version 123 (Chrome, Edge) and Firefox since 126 accept zstd; Safari
//! and older browsers do not, and keep brotli at 5, which makes the
//! smallest answers for a phone on a weak network.
//!
//! tower-http takes one level for every encoding, so there are two layers:
//! the outer one compresses with brotli or gzip at 5, the inner one with
//! zstd at 3. Between them, [`zstd_only_where_preferred`] hides zstd from
//! the inner layer unless it is the client's choice, so an answer is
//! compressed once, in the encoding tower-http's own rule picks (the
//! highest q-value; on a tie zstd, then brotli, then gzip). The outer layer
//! leaves an answer already compressed alone, as it does the built front
//! end's pre-compressed files.

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

/// The encoding the client prefers among those this server writes, by
/// tower-http's rule, so that the micro-cache keeps an answer under the
/// encoding it was made in.
pub fn preferred(headers: &HeaderMap) -> Encoding {
    accepted(headers)
        .filter(|&(_, q)| q > 0)
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

/// The router with its answers compressed (see the module's comment).
pub fn layer<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router
        .layer(
            CompressionLayer::new()
                .no_br()
                .no_gzip()
                .quality(CompressionLevel::Precise(3)),
        )
        .layer(axum::middleware::from_fn(zstd_only_where_preferred))
        .layer(
            CompressionLayer::new()
                .no_zstd()
                .quality(CompressionLevel::Precise(5)),
        )
}

/// Takes zstd out of the request's `Accept-Encoding` unless it is the
/// client's choice. The outer layer has read the header already; the inner
/// one, and the pre-compressed files' service, see what is left.
async fn zstd_only_where_preferred(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let names_zstd = accepted(headers).any(|(encoding, _)| encoding == Encoding::Zstd);
    if names_zstd && preferred(headers) != Encoding::Zstd {
        let others = without_zstd(headers);
        headers.remove(header::ACCEPT_ENCODING);
        if let Some(value) = others.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::ACCEPT_ENCODING, value);
        }
    }
    next.run(request).await
}

/// The header's items but zstd's, joined; `None` when none is left.
fn without_zstd(headers: &HeaderMap) -> Option<String> {
    let items: Vec<&str> = items(headers)
        .filter(|item| {
            let coding = item.split(';').next().unwrap_or_default().trim();
            !coding.is_empty() && !coding.eq_ignore_ascii_case("zstd")
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
    fn zstd_is_taken_out_and_the_rest_kept() {
        assert_eq!(
            without_zstd(&accept("gzip, zstd;q=0.5, br;q=1")).as_deref(),
            Some("gzip, br;q=1")
        );
        assert_eq!(without_zstd(&accept("zstd")), None);
        assert_eq!(without_zstd(&accept("ZSTD ; q=0.2")), None);
    }
}
