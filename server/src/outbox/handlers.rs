//! The admin's side of the outbox: failing notifications, retry, and a
//! department's signing secret.

use super::{SIGNATURE_HEADER, failing, retry_now};
use crate::db::entities::{case, department};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Failing notifications (发送失败的通知).
///
/// Webhook notifications to departments that keep failing, for admins,
/// dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/outbox",
    tag = "outbox",
    responses(
        (status = 200, description = "The notifications.", body = Vec<shared::directory::OutboxMessage>),
        (status = 401, response = crate::openapi::components::Unauthorized),
        (status = 403, response = crate::openapi::components::Forbidden),
    ),
    security(("session" = []))
)]
pub async fn failing_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
) -> Result<crate::error::AppJson<Vec<shared::directory::OutboxMessage>>, crate::error::AppError> {
    user.require(&[
        shared::Role::Admin,
        shared::Role::Dispatcher,
        shared::Role::Auditor,
    ])?;
    let rows = failing(&state.db, &state.settings.outbox).await?;
    let departments: std::collections::BTreeMap<i64, String> = department::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code = case::Entity::find_by_id(r.case_id)
            .one(&state.db)
            .await?
            .map(|c| c.code)
            .unwrap_or_default();
        out.push(shared::directory::OutboxMessage {
            id: r.id,
            department: departments
                .get(&r.department_id)
                .cloned()
                .unwrap_or_default(),
            case: code,
            event: r.event,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.to_rfc3339(),
            last_error: r.last_error,
            delivered_at: r.delivered_at.map(|d| d.to_rfc3339()),
            created_at: r.created_at.to_rfc3339(),
        });
    }
    Ok(crate::error::AppJson(out))
}

/// Retry a notification now (立即重发).
///
/// For admins; audited. 404 when there is no such undelivered notification.
#[utoipa::path(
    post,
    path = "/outbox/{id}/retry",
    tag = "outbox",
    params(crate::openapi::components::IdPath),
    responses(
        (status = 202, description = "Queued to be sent at once."),
        (status = 401, response = crate::openapi::components::Unauthorized),
        (status = 403, response = crate::openapi::components::Forbidden),
        (status = 404, response = crate::openapi::components::NotFound),
    ),
    security(("session" = []))
)]
pub async fn retry_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<axum::http::StatusCode, crate::error::AppError> {
    user.require(&[shared::Role::Admin])?;
    if !retry_now(&state.db, id, state.settings.clock.now()).await? {
        return Err(crate::error::AppError::NotFound);
    }
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "outbox.retry",
        object_type: "webhook_outbox",
        object_id: &id.to_string(),
        detail: None,
    };
    crate::audit::record(&state.db, entry).await?;
    Ok(axum::http::StatusCode::ACCEPTED)
}

/// A department's webhook signing secret (回调签名密钥).
///
/// For admins, to configure the department's receiving system; every
/// reading is audited. See `X-Shanshui-Signature` in the README.
#[utoipa::path(
    get,
    path = "/departments/{code}/webhook-secret",
    tag = "outbox",
    params(("code" = String, Path, description = "The department's code.")),
    responses(
        (status = 200, description = "The secret and how notifications are signed with it.", body = shared::directory::WebhookSecret),
        (status = 401, response = crate::openapi::components::Unauthorized),
        (status = 403, response = crate::openapi::components::Forbidden),
        (status = 404, response = crate::openapi::components::NotFound),
    ),
    security(("session" = []))
)]
pub async fn secret_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<crate::error::AppJson<shared::directory::WebhookSecret>, crate::error::AppError> {
    user.require(&[shared::Role::Admin])?;
    let department = department::Entity::find()
        .filter(department::Column::Code.eq(code.as_str()))
        .one(&state.db)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "webhook.secret_read",
        object_type: "department",
        object_id: &department.code,
        detail: None,
    };
    crate::audit::record(&state.db, entry).await?;
    Ok(crate::error::AppJson(shared::directory::WebhookSecret {
        secret: state.signer.secret(&department.code),
        department: department.code,
        header: SIGNATURE_HEADER.to_owned(),
        scheme:
            "t=<unix seconds>,v1=<hex HMAC-SHA-256 of \"<t>.<body>\" keyed with the secret's text>"
                .to_owned(),
    }))
}

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::default()
        .routes(routes!(failing_handler))
        .routes(routes!(retry_handler))
        .routes(routes!(secret_handler))
}
