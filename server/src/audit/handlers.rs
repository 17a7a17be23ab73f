//! `GET /api/v1/audit`: the log, filtered and paged, for admins and auditors.

use crate::auth::StaffUser;
use crate::db::entities::audit_log;
use crate::error::{AppError, AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::Role;
use shared::directory::AuditEntry;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// A username.
    pub actor: Option<String>,
    /// An action, e.g. `case.reveal_identity`, `user.update`.
    pub action: Option<String>,
    /// The kind of object, e.g. `case`.
    pub object_type: Option<String>,
    /// The object's id or code.
    pub object_id: Option<String>,
    /// Entries older than this id (the next page).
    pub before: Option<i64>,
    /// At most this many entries, 1 to 500 (default 100).
    pub limit: Option<u64>,
}

/// The audit log (审计日志).
///
/// Newest first, for admins and auditors. Append-only; it never holds
/// personal data.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "The entries.", body = Vec<AuditEntry>),
        (status = 400, response = crate::openapi::components::BadRequest),
        (status = 401, response = crate::openapi::components::Unauthorized),
        (status = 403, response = crate::openapi::components::Forbidden),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(f): AppQuery<AuditFilter>,
) -> Result<AppJson<Vec<AuditEntry>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor])?;
    let mut q = audit_log::Entity::find();
    for (column, value) in [
        (audit_log::Column::Actor, &f.actor),
        (audit_log::Column::Action, &f.action),
        (audit_log::Column::ObjectType, &f.object_type),
        (audit_log::Column::ObjectId, &f.object_id),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            q = q.filter(column.eq(v));
        }
    }
    if let Some(before) = f.before {
        q = q.filter(audit_log::Column::Id.lt(before));
    }
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .limit(f.limit.unwrap_or(100).clamp(1, 500))
        .all(&state.db)
        .await?;
    Ok(AppJson(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at.to_rfc3339(),
                actor: r.actor,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                detail: r.detail,
            })
            .collect(),
    ))
}

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::default().routes(utoipa_axum::routes!(list))
}
