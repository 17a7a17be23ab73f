//! Cross-cutting layers: security headers, cross-origin protection, caching
//! of static files, compression.

pub mod cache;
pub mod client_addr;
pub mod compression;
pub mod conditional;
pub mod csrf;
pub mod public_cache;
pub mod rate_limit;
pub mod security_headers;

/// A panic in a handler is a bug: answer a generic 500 JSON error (the panic
/// is logged), never a dropped connection.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a request handler panicked");
    axum::response::IntoResponse::into_response(crate::error::AppError::Internal(anyhow::anyhow!(
        "handler panicked"
    )))
}
