use super::service;
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use sea_orm::DatabaseConnection;
use crate::auth::StaffUser;
use crate::error::AppJson;
use crate::state::AppState;
use axum::extract::Path;
use shared::Role;
use shared::directory::{Department, DepartmentChange, DepartmentSettings};

/// `GET /api/v1/admin/departments`: with their webhooks, for admins.
pub async fn settings(State(state): State<AppState>, user: StaffUser) -> Result<AppJson<Vec<DepartmentSettings>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor])?;
    Ok(AppJson(service::department_settings(&state.db).await?))
}

/// `PATCH /api/v1/departments/{code}`.
pub async fn change(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(change): AppJson<DepartmentChange>,
) -> Result<AppJson<DepartmentSettings>, AppError> {
    user.require(&[Role::Admin])?;
    Ok(AppJson(service::change_department(&state.db, &user.username, &code, change).await?))
}

/// `GET /api/v1/departments`: public.
pub async fn departments(
    State(db): State<DatabaseConnection>,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(service::departments(&db).await?))
}

/// `GET /api/v1/areas`: the 街道/镇 as a GeoJSON FeatureCollection.
pub async fn areas(
    State(db): State<DatabaseConnection>,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(service::areas_geojson(&db).await?))
}
