//! Private files as answers — evidence a staff member opens: a resident's
//! original photo, an inspection's, a document. Their own type, never
//! sniffed as another, never kept by a cache.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `bytes` as `content_type`, with `disposition` (`inline`, or what
/// [`content_disposition`] makes), `nosniff` and `private, no-store`.
pub fn response(bytes: Vec<u8>, content_type: &str, disposition: &str) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition =
        HeaderValue::from_str(disposition).unwrap_or(HeaderValue::from_static("attachment"));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII
/// stand-in for old clients, the name itself percent-encoded.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_file_name_cannot_break_out_of_its_header() {
        assert_eq!(
            content_disposition("attachment", "信\"; x=.pdf"),
            "attachment; filename=\"___ x_.pdf\"; filename*=UTF-8''%E4%BF%A1%22%3B%20x%3D.pdf"
        );
    }
}
