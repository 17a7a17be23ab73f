//! Open311 errors: the specification's list of `{code, description}` (in
//! XML `<errors><error>`), with 404 for an unknown resource, 403 for a bad
//! API key and 400 for everything else a client got wrong.

use super::doc::{Format, Node};
use crate::error::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct Open311Error {
    pub status: StatusCode,
    pub descriptions: Vec<String>,
    pub format: Format,
    /// Seconds for `Retry-After` (a rate limit, or no upload memory free).
    pub retry_after_secs: Option<u64>,
}

impl Open311Error {
    pub fn new(status: StatusCode, format: Format, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
            format,
            retry_after_secs: None,
        }
    }

    pub fn bad(format: Format, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, format, description)
    }

    pub fn not_found(format: Format, description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, format, description)
    }

    /// The JSON API's error in Open311's terms.
    pub fn from_app(e: AppError, format: Format) -> Self {
        let status = e.status();
        let body = e.body();
        let descriptions = match &e {
            AppError::Validation(fields) => fields
                .iter()
                .map(|(f, e)| format!("{}: {}", open311_field(f), e.message))
                .collect(),
            _ => vec![body.message.clone()],
        };
        let status = match status {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => status,
            // Transport-level answers keep their meaning (and Retry-After).
            StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE => status,
            s if s.is_client_error() => StatusCode::BAD_REQUEST,
            s => s,
        };
        if matches!(e, AppError::Db(_) | AppError::Internal(_)) {
            tracing::error!(error = %e, "open311 request failed");
        }
        Self {
            status,
            descriptions,
            format,
            retry_after_secs: e.retry_after_secs(),
        }
    }
}

/// The JSON API's field names in Open311's words.
fn open311_field(f: &str) -> &str {
    match f {
        "category" => "service_code",
        "lon" => "long",
        "photo" => "media",
        other => other,
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let code = i64::from(self.status.as_u16());
        let doc = Node::List(
            "error",
            self.descriptions
                .into_iter()
                .map(|d| {
                    Node::Obj(vec![
                        ("code", Node::Int(code)),
                        ("description", Node::Str(d)),
                    ])
                })
                .collect(),
        );
        let mut response = (self.status, doc.render(self.format, "errors")).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.format.content_type()),
        );
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
