//! Responses for open data that clients poll (feeds, exports, Open311):
//! a strong ETag from the body, a short public cache lifetime and
//! `304 Not Modified` when the client already has it; and the site's origin
//! for the absolute links those documents need.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// How long shared caches and clients may reuse open data without asking.
pub const MAX_AGE_SECS: u32 = 60;

pub fn cacheable(request: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..12])
    );
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECS}")) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    // Other sites and apps may read open data from their pages.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `http://host:port` as the client addressed the server, through the one
/// Host check in [`shared::site::origin`]; 127.0.0.1 when the Host header is
/// missing or not a plain host.
pub fn origin(request: &HeaderMap) -> String {
    let header = |name: &str| request.get(name).and_then(|v| v.to_str().ok());
    shared::site::origin(header("host"), header("x-forwarded-proto"))
        .unwrap_or_else(|| "http://127.0.0.1".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_host_header_does_not_reach_links() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("evil.example\"><script>"),
        );
        assert_eq!(origin(&h), "http://127.0.0.1");
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(origin(&h), "http://127.0.0.1:3000");
    }

    #[test]
    fn a_matching_etag_answers_304() {
        let first = cacheable(&HeaderMap::new(), "text/csv", "a,b\n".to_owned());
        let etag = first.headers().get(header::ETAG).cloned().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            cacheable(&h, "text/csv", "a,b\n".to_owned()).status(),
            StatusCode::NOT_MODIFIED
        );
    }
}
