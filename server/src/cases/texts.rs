//! The texts staff type into an action (a reason, a note, a reply): trimmed,
//! required or optional, and bounded — one rule for every action and
//! record beside the case.

use crate::error::AppError;
use shared::FieldErrorCode as Code;

/// Longest reason, note or reply staff can write.
pub const MAX_TEXT: usize = 4000;

/// A required piece of text: trimmed, not empty, not too long.
pub(crate) fn text(field: &str, value: &str) -> Result<String, AppError> {
    text_within(field, value, MAX_TEXT)
}

/// A required piece of text of at most `max` characters, trimmed: for the
/// fields with a bound of their own (a decision number, a question for the
/// reporter, the reporter's answer).
pub(crate) fn text_within(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::field(field, Code::Required, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(AppError::field(
            field,
            Code::TooLong,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v).map(Some),
    }
}
