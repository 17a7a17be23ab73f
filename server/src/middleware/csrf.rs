//! Cross-site request forgery protection, the way Go's
//! `http.CrossOriginProtection` does it: browsers say where a request comes
//! from (`Sec-Fetch-Site`, `Origin`), so an unsafe request from another site
//! is refused; a request with neither header (curl, an app) passes, since a
//! browser would have sent one. No tokens to lose on a phone.
//!
//! Open311 clients authenticate with an `api_key` field, not a cookie, so
//! `/open311/` is exempt.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn cross_origin_protection(request: Request, next: Next) -> Response {
    if is_exempt(request.uri().path()) || allowed(request.method(), request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-origin request");
        AppError::Forbidden(
            "cross-origin request refused: send it from this site's own pages".to_owned(),
        )
        .into_response()
    }
}

fn is_exempt(path: &str) -> bool {
    path.starts_with("/open311/")
}

pub fn allowed(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST) else {
        return false;
    };
    match (origin.to_str(), host.to_str()) {
        (Ok(origin), Ok(host)) => origin_host(origin).is_some_and(|o| o.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// `https://example.org:8443` → `example.org:8443`; `null` → None.
fn origin_host(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    Some(rest.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(allowed(&Method::GET, &h));
    }

    #[test]
    fn same_origin_and_user_typed_requests_pass() {
        assert!(allowed(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(allowed(
            &Method::POST,
            &headers(&[("sec-fetch-site", "none")])
        ));
    }

    #[test]
    fn cross_site_and_same_site_requests_are_refused() {
        assert!(!allowed(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(!allowed(
            &Method::DELETE,
            &headers(&[("sec-fetch-site", "same-site")])
        ));
    }

    #[test]
    fn an_origin_must_match_the_host_when_sec_fetch_site_is_absent() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(allowed(&Method::POST, &ok));
        let bad = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(!allowed(&Method::POST, &bad));
        let null = headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]);
        assert!(!allowed(&Method::POST, &null));
    }

    #[test]
    fn a_client_without_either_header_passes() {
        assert!(allowed(&Method::POST, &HeaderMap::new()));
    }
}
