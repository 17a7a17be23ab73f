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
/// fields when the error is a validation failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
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
