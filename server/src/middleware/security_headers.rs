//! Headers every answer carries (ASVS 14.4): no sniffing, no framing, a
//! content security policy, a strict referrer policy.
//!
//! The policy allows no inline script but the ones the server itself wrote
//! into this answer: each request gets a fresh nonce ([`CspNonce`], 128
//! random bits), the pages put it on their inline scripts (the hydration
//! loader, Leptos's resource data) and the policy names it. Text that
//! reaches a page from a URL or a database is escaped when rendered; the
//! nonce is the second wall, so that an escaping mistake still runs nothing.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use std::sync::Arc;

/// This request's nonce for inline scripts, in the request's extensions
/// for the page renderer (see `web::router`).
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// The policy with this answer's nonce. `wasm-unsafe-eval` lets the browser
/// compile our WebAssembly; images may also come from the map's tile server
/// (`tile_source`, checked at start-up to be a plain origin).
fn csp(tile_source: &str, nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: {tile_source}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// What the layer needs, decided once at start-up.
#[derive(Clone)]
pub struct Policy {
    tile_source: Arc<str>,
}

impl Policy {
    pub fn new(tile_source: &str) -> Self {
        Self {
            tile_source: tile_source.into(),
        }
    }
}

const FIXED: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "geolocation=(self), camera=(self), microphone=()",
    ),
];

pub async fn layer(State(policy): State<Policy>, mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in FIXED {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    }
    let value = HeaderValue::from_str(&csp(&policy.tile_source, &nonce.0))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let policy = csp("https://*.tile.example.org", "abc");
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or_default();
        assert!(!scripts.contains("unsafe-inline"), "{scripts}");
        assert!(scripts.contains("'nonce-abc'"), "{scripts}");
    }

    #[test]
    fn every_request_gets_its_own_nonce() {
        let a = CspNonce::new().0;
        let b = CspNonce::new().0;
        assert_ne!(a, b);
        assert_eq!(a.len(), 22, "128 bits in base64url: {a}");
    }
}
