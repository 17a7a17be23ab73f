//! HTTP for staff accounts: admins manage them, auditors read the list.

use super::service::{self, NewUser, UserError};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::Role;
use shared::directory::{NewStaffAccount, StaffAccount, StaffAccountChange};

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Invalid(m) => AppError::Rejected { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid_account", message: m },
            UserError::Db(e) => AppError::Db(e),
            UserError::Hash(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

pub async fn list(State(state): State<AppState>, user: StaffUser) -> Result<AppJson<Vec<StaffAccount>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor])?;
    Ok(AppJson(service::list(&state.db).await?))
}

pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(new): AppJson<NewStaffAccount>,
) -> Result<(StatusCode, AppJson<StaffAccount>), AppError> {
    user.require(&[Role::Admin])?;
    let username = new.username.trim().to_owned();
    let new = NewUser { username: username.clone(), role: new.role, department: new.department.filter(|d| !d.trim().is_empty()), password: new.password };
    service::create(&state.db, new, &user.username).await?;
    let created = service::list(&state.db).await?.into_iter().find(|a| a.username == username).ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(username): Path<String>,
    AppJson(change): AppJson<StaffAccountChange>,
) -> Result<AppJson<StaffAccount>, AppError> {
    user.require(&[Role::Admin])?;
    let updated = service::update(&state.db, &username, change, &user.username).await?;
    Ok(AppJson(updated.ok_or(AppError::NotFound)?))
}
