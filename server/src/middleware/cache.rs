//! Cache headers for the built front end and the files of `public/`.
//!
//! Pages link those files with `?v=<digest of the build>`, so a versioned URL
//! never changes content and is cached for a year; an unversioned one is
//! cached briefly and revalidated. (The WebAssembly and its JS are versioned
//! by directory instead, `/pkg/<digest>/…`, whose route sets its own header:
//! see `web::router`.)

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const STATIC_EXTENSIONS: [&str; 9] = [
    "js",
    "wasm",
    "css",
    "svg",
    "png",
    "ico",
    "webmanifest",
    "woff2",
    "txt",
];

pub async fn static_files(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let versioned = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("v=")));
    let mut response = next.run(request).await;
    if !is_static(&path) || !response.status().is_success() {
        return response;
    }
    let value = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=600, must-revalidate"
    };
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(value));
    response
}

fn is_static(path: &str) -> bool {
    if path.starts_with("/pkg/") {
        return true;
    }
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| STATIC_EXTENSIONS.contains(&ext) && !path.starts_with("/api/"))
}

#[cfg(test)]
mod tests {
    use super::is_static;

    #[test]
    fn front_end_files_are_static_and_pages_are_not() {
        assert!(is_static("/pkg/shanshui_bg.wasm"));
        assert!(is_static("/style.css"));
        assert!(!is_static("/report"));
        assert!(!is_static("/api/v1/areas"));
    }
}
