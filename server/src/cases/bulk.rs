//! Bulk work (批量办理): one action — assign, transfer or extend — on up to
//! 200 cases. Each case is taken exactly as if it were done alone, through
//! `Cases::act_on`: its own transaction, its own checks (scope, state, role,
//! four eyes), its own version. A case is either wholly changed or not at
//! all; the answer says which cases were changed and why the others were
//! refused.

use super::service::Cases;
use crate::auth::session::StaffUser;
use crate::error::AppError;
use shared::FieldErrorCode;
use shared::case::ActionRequest;
use shared::workbench::{BULK_MAX, BulkDone, BulkRefused, BulkRequest, BulkResult};
use std::collections::BTreeSet;

/// The request's case numbers, checked before any case is touched: 1 to
/// 200 of them, each once.
fn checked_codes(codes: &[String]) -> Result<Vec<String>, AppError> {
    if codes.is_empty() {
        return Err(AppError::field(
            "codes",
            FieldErrorCode::Required,
            "name at least one case",
        ));
    }
    if codes.len() > BULK_MAX {
        return Err(AppError::field(
            "codes",
            FieldErrorCode::TooMany,
            format!("at most {BULK_MAX} cases at once ({} given)", codes.len()),
        ));
    }
    let mut seen = BTreeSet::new();
    for code in codes {
        let normal = shared::report::tracking_code::normalize(code).unwrap_or_else(|| code.clone());
        if !seen.insert(normal) {
            return Err(AppError::field(
                "codes",
                FieldErrorCode::Invalid,
                format!("{code} is named twice"),
            ));
        }
    }
    Ok(codes.to_vec())
}

/// Why one case was refused, as its own request would have been answered.
fn refusal(code: String, e: &AppError) -> BulkRefused {
    let body = e.body();
    let message = if body.fields.is_empty() {
        body.message
    } else {
        body.fields
            .iter()
            .map(|(field, f)| format!("{field}: {}", f.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    BulkRefused {
        code,
        status: e.status().as_u16(),
        error: body.code,
        message,
    }
}

impl Cases<'_> {
    pub async fn bulk(
        &self,
        user: &StaffUser,
        request: BulkRequest,
    ) -> Result<BulkResult, AppError> {
        let codes = checked_codes(&request.codes)?;
        let action = request.action.to_case_action();
        let mut result = BulkResult {
            done: Vec::new(),
            refused: Vec::new(),
        };
        for code in codes {
            let one = ActionRequest {
                action: action.clone(),
                version: request.versions.get(&code).copied(),
            };
            match self.act_on(user, &code, one).await {
                Ok(c) => result.done.push(BulkDone {
                    state: c.state(),
                    version: c.version,
                    code: c.code,
                }),
                Err(e) => {
                    if e.status().is_server_error() {
                        // Logged like any 500; the case is unchanged (its
                        // transaction rolled back) and the others go on.
                        tracing::error!(case = %code, error = %e, "bulk action failed");
                    }
                    result.refused.push(refusal(code, &e));
                }
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_request_names_one_to_two_hundred_distinct_cases() {
        assert!(checked_codes(&[]).is_err());
        let many: Vec<String> = (0..=BULK_MAX).map(|i| format!("BN-{i}")).collect();
        assert!(checked_codes(&many).is_err());
        assert!(checked_codes(&many[..BULK_MAX]).is_ok());
        assert!(checked_codes(&["BN-1".into(), "BN-1".into()]).is_err());
    }
}
