//! HTTP for staff accounts: admins manage them, auditors read the list.

use super::service::{self, NewUser, UserError};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::openapi::components::{
    BadRequest, Forbidden, NotFound, ServiceUnavailable, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::Role;
use shared::directory::{NewStaffAccount, StaffAccount, StaffAccountChange};

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Invalid(m) => AppError::Rejected {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_account",
                message: m,
            },
            UserError::Db(e) => e.into(),
            UserError::Hash(m) => AppError::Internal(anyhow::anyhow!(m)),
            UserError::Busy(busy) => AppError::hashing_busy(busy.retry_after_secs),
        }
    }
}

/// The staff accounts (工作人员账号).
///
/// For admins and auditors.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    responses(
        (status = 200, description = "The accounts.", body = Vec<StaffAccount>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<StaffAccount>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor])?;
    Ok(AppJson(service::list(&state.db).await?))
}

/// Create a staff account (新增账号).
///
/// For admins; audited. A handler must name a department; the password
/// needs at least 12 characters.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = NewStaffAccount,
    responses(
        (status = 201, description = "The account.", body = StaffAccount),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    ),
    security(("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(new): AppJson<NewStaffAccount>,
) -> Result<(StatusCode, AppJson<StaffAccount>), AppError> {
    user.require(&[Role::Admin])?;
    let username = new.username.trim().to_owned();
    let new = NewUser {
        username: username.clone(),
        role: new.role,
        department: new.department.filter(|d| !d.trim().is_empty()),
        password: new.password,
    };
    service::create(&state.db, new, &user.username, state.settings.clock.now()).await?;
    let created = service::list(&state.db)
        .await?
        .into_iter()
        .find(|a| a.username == username)
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// Change a staff account (修改账号).
///
/// Only the fields given change: role, department (`""` removes it),
/// active, password. For admins; audited. Admins cannot deactivate or
/// demote themselves.
#[utoipa::path(
    patch,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The account's username.")),
    request_body = StaffAccountChange,
    responses(
        (status = 200, description = "The account after the change.", body = StaffAccount),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    ),
    security(("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(username): Path<String>,
    AppJson(change): AppJson<StaffAccountChange>,
) -> Result<AppJson<StaffAccount>, AppError> {
    user.require(&[Role::Admin])?;
    let updated = service::update(
        &state.db,
        &username,
        change,
        &user.username,
        state.settings.clock.now(),
    )
    .await?;
    Ok(AppJson(updated.ok_or(AppError::NotFound)?))
}
