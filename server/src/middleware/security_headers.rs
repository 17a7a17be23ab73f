//! Headers every answer carries (ASVS 14.4): no sniffing, no framing, a
//! content security policy, a strict referrer policy.

use axum::http::{HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts: our own files plus the one inline module that starts hydration
/// and Leptos's inline hydration data; `wasm-unsafe-eval` lets the browser
/// compile our WebAssembly. Images may also come from the map's tile server
/// (`tile_source`, checked at start-up to be a plain origin).
fn csp(tile_source: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: {tile_source}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub fn layers(tile_source: &str) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let policy = HeaderValue::from_str(&csp(tile_source))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    vec![
        header("x-content-type-options", HeaderValue::from_static("nosniff")),
        header("x-frame-options", HeaderValue::from_static("DENY")),
        header("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin")),
        header("permissions-policy", HeaderValue::from_static("geolocation=(self), camera=(self), microphone=()")),
        header("content-security-policy", policy),
    ]
}

fn header(name: &'static str, value: HeaderValue) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), value)
}
