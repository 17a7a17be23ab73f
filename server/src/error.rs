//! The one error type of the HTTP layer. Every error leaves as
//! `{"error": {"code", "message"}}` with its 4xx/5xx status; a 5xx never
//! says more than that something went wrong (the details go to the log).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use shared::{ApiError, ErrorBody, FieldError, FieldErrorCode};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Each offending input field with what is wrong with it.
    #[error("invalid input")]
    Validation(BTreeMap<String, FieldError>),
    #[error("sign in first")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("the service is not ready")]
    Unavailable,
    /// Too busy to take this request now (every password-hashing slot is taken,
    /// or upload or decode memory is all in use): 503 with `Retry-After`, code `busy`.
    #[error("busy: {message}")]
    Busy {
        retry_after_secs: u64,
        message: String,
    },
    /// A refusal with its own status and code, e.g. a photo that is not a
    /// photo (415 `unsupported_format`) or too big (413 `file_too_large`).
    #[error("{code}: {message}")]
    Rejected {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// Every password-checking slot is taken: try again in `retry_after_secs`.
    pub fn hashing_busy(retry_after_secs: u64) -> Self {
        AppError::Busy {
            retry_after_secs,
            message: format!("the server is busy; try again in {retry_after_secs} s"),
        }
    }

    /// One field in the wrong form or with a value not allowed here
    /// (`invalid`); [`AppError::field`] when a client needs to tell the
    /// case apart.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::field(field, FieldErrorCode::Invalid, message)
    }

    /// One field refused, with its code.
    pub fn field(field: &str, code: FieldErrorCode, message: impl Into<String>) -> Self {
        AppError::Validation(BTreeMap::from([(
            field.to_owned(),
            FieldError::new(code, message),
        )]))
    }

    /// Seconds a client should wait before trying again (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Rejected { status, .. } => *status,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ApiError {
        let (code, message) = match self {
            AppError::NotFound => ("not_found", "no such resource".to_owned()),
            AppError::BadRequest(m) => ("bad_request", m.clone()),
            AppError::Validation(_) => ("validation_failed", "some fields are invalid".to_owned()),
            AppError::Unauthorized => ("unauthorized", "sign in first".to_owned()),
            AppError::Forbidden(m) => ("forbidden", m.clone()),
            AppError::Conflict(m) => ("conflict", m.clone()),
            AppError::RateLimited { retry_after_secs } => (
                "rate_limited",
                format!("too many requests; try again in {retry_after_secs} s"),
            ),
            AppError::UnsupportedMediaType(m) => ("unsupported_media_type", m.clone()),
            AppError::Unavailable => (
                "unavailable",
                "the service cannot answer right now; try again shortly".to_owned(),
            ),
            AppError::Busy { message, .. } => ("busy", message.clone()),
            AppError::Rejected { code, message, .. } => (*code, message.clone()),
            AppError::Db(_) | AppError::Internal(_) => {
                ("internal", "something went wrong on our side".to_owned())
            }
        };
        let mut body = ApiError::new(code, message);
        if let AppError::Validation(fields) = self {
            body.fields = fields.clone();
            if let Some((field, error)) = fields.iter().next() {
                body.message = format!("{field}: {}", error.message);
            }
        }
        body
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && matches!(self, AppError::Db(_) | AppError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(ErrorBody { error: self.body() })).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// An unexpected failure is a 500, but for the photo store being out of
/// reach: then the request is worth retrying (a resident's phone sends the
/// report again with the same Idempotency-Key), so 503 with `Retry-After`.
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if e.is::<crate::storage::StoreUnreachable>() {
            tracing::warn!(error = %format!("{e:#}"), "the photo store failed");
            AppError::Busy {
                retry_after_secs: 30,
                message: "photos cannot be stored or read right now; try again in 30 s".to_owned(),
            }
        } else {
            AppError::Internal(e)
        }
    }
}

/// A database error is a 500, but for two requests racing for the same row
/// — a unique index refusing the second insert, or PostgreSQL giving up a
/// transaction as a serialization failure or a deadlock — which is a lost
/// race the client can retry: 409, whichever query ran into it.
///
/// Every connection of the pool busy for longer than it waits (a flood of
/// slow reads) is the server being busy, not broken: 503 with
/// `Retry-After`, like the other budgets.
impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if matches!(
            e,
            DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout)
        ) {
            tracing::warn!("every database connection stayed busy; answering 503");
            AppError::Busy {
                retry_after_secs: 5,
                message: "the server is busy; try again in 5 s".to_owned(),
            }
        } else if is_lost_race(&e) {
            AppError::Conflict(
                "someone else changed this at the same moment; reload it and try again".to_owned(),
            )
        } else {
            AppError::Db(e)
        }
    }
}

/// Whether a write broke a unique key: the one place that recognises it, on
/// SQLite and PostgreSQL alike.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// A write whose unique key says what went wrong (a number already
/// excluded, a reward already paid): `insert(..).await.on_unique_violation(||
/// AppError::Conflict(..))?`. Any other database error stays one.
pub trait OnUniqueViolation<T> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> OnUniqueViolation<T> for Result<T, DbErr> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|e| {
            if is_unique_violation(&e) {
                error()
            } else {
                e.into()
            }
        })
    }
}

fn is_lost_race(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    if is_unique_violation(e) {
        return true;
    }
    if let DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) = e
        && let sea_orm::sqlx::Error::Database(db) = err.as_ref()
    {
        // serialization_failure, deadlock_detected
        return matches!(db.code().as_deref(), Some("40001" | "40P01"));
    }
    false
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".to_owned(),
            ),
            // Well-formed JSON of the wrong shape (a missing or mistyped field).
            JsonRejection::JsonDataError(e) => AppError::Rejected {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_body",
                message: e.body_text(),
            },
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

/// `Json` whose rejections are our JSON errors, not axum's plain text.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize + Send + 'static> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        // A page reading the API in-process takes the value as it is.
        crate::in_process::answer::answer(self.0)
            .unwrap_or_else(|value| Json(value).into_response())
    }
}

/// JSON already serialised (what is held in memory, such as the
/// directory's), sent as `Json` would send it.
pub struct JsonBytes(pub axum::body::Bytes);

impl IntoResponse for JsonBytes {
    fn into_response(self) -> Response {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

/// `Query` whose rejection (a query string that does not parse into `T`)
/// is our JSON 400 `bad_request` with axum's message, not axum's plain text.
/// Its `T` derives `utoipa::IntoParams` for the document.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_error_is_answered_without_its_details() {
        let err = AppError::Db(DbErr::Custom("password authentication failed".into()));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = err.body();
        assert_eq!(body.code, "internal");
        assert!(!body.message.contains("password"));
    }

    #[test]
    fn a_pool_with_no_free_connection_is_busy_not_broken() {
        let err = AppError::from(DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = err.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        // Any other database error stays a 500.
        let closed = AppError::from(DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::ConnectionClosed,
        ));
        assert_eq!(closed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_validation_error_names_its_field_with_its_code() {
        let body =
            AppError::field("lat", FieldErrorCode::OutOfArea, "outside Banan District").body();
        assert_eq!(body.code, "validation_failed");
        assert_eq!(
            body.fields.get("lat"),
            Some(&FieldError::new(
                FieldErrorCode::OutOfArea,
                "outside Banan District"
            ))
        );
        assert_eq!(body.message, "lat: outside Banan District");
    }

    #[test]
    fn a_plain_validation_error_is_invalid() {
        let body = AppError::validation("days", "from 1 to 90 days").body();
        assert_eq!(body.fields["days"].code, FieldErrorCode::Invalid);
    }
}
