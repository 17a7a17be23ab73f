//! Headers every answer carries (ASVS 14.4): no sniffing, no framing, a
//! content security policy, a strict referrer policy.

use axum::http::{HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts: our own files plus the one inline module that starts hydration
/// and Leptos's inline hydration data; `wasm-unsafe-eval` lets the browser
/// compile our WebAssembly.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn layers() -> [SetResponseHeaderLayer<HeaderValue>; 5] {
    [
        header("x-content-type-options", "nosniff"),
        header("x-frame-options", "DENY"),
        header("referrer-policy", "strict-origin-when-cross-origin"),
        header("permissions-policy", "geolocation=(self), camera=(self), microphone=()"),
        header("content-security-policy", CSP),
    ]
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}
