//! The one error shape of the JSON API: `{"error": {"code", "message"}}`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of every error answer of `/api/v1/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ApiError,
}

/// A machine-readable `code` (snake_case, stable, for clients and the UI to
/// translate) and a human `message`. `fields` names the offending input
/// fields when the error is a validation failure, each with its own code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldError>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }
}

/// What is wrong with one input field: a `code` to translate by and the
/// server's English `message`, which says the same for a human (and names
/// any limit, e.g. "at most 4000 characters").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub code: FieldErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(code: FieldErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Why a field was refused. Stable: clients translate by it, so a code is
/// added when a client needs to tell a case apart, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// Missing or empty, but needed (also: one of a pair given without the
    /// other, such as a name without a phone number).
    Required,
    /// Text shorter than allowed.
    TooShort,
    /// Text longer than allowed.
    TooLong,
    /// More items than allowed (photos).
    TooMany,
    /// A number outside its range.
    OutOfRange,
    /// A place outside the district.
    OutOfArea,
    /// A time in the future.
    InFuture,
    /// A time too long ago.
    TooOld,
    /// Names something that does not exist (a category, a case, an area).
    NotFound,
    /// A field the request does not take.
    UnknownField,
    /// Anything else: the wrong form, or a value not allowed here; the
    /// message says which.
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_is_its_code_in_snake_case_and_its_message() {
        let body = ApiError {
            fields: BTreeMap::from([(
                "description".to_owned(),
                FieldError::new(FieldErrorCode::TooShort, "at least 5 characters"),
            )]),
            ..ApiError::new("validation_failed", "description: at least 5 characters")
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json["fields"]["description"],
            serde_json::json!({"code": "too_short", "message": "at least 5 characters"})
        );
        assert_eq!(serde_json::from_value::<ApiError>(json).unwrap(), body);
    }

    #[test]
    fn without_fields_the_body_has_no_fields_key() {
        let json = serde_json::to_value(ApiError::new("not_found", "no such resource")).unwrap();
        assert!(json.get("fields").is_none());
    }
}
