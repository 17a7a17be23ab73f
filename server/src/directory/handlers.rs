use super::service;
use crate::auth::StaffUser;
use crate::error::AppError;
use crate::error::{AppJson, JsonBytes};
use crate::openapi::components::{
    BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use sea_orm::DatabaseConnection;
use shared::Role;
use shared::directory::{Department, DepartmentChange, DepartmentSettings};

/// Departments with their settings (部门设置).
///
/// Each department with its webhook, for admins and auditors.
#[utoipa::path(
    get,
    path = "/admin/departments",
    tag = "directory",
    responses(
        (status = 200, description = "The departments.", body = Vec<DepartmentSettings>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn settings(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<DepartmentSettings>>, AppError> {
    user.require(&[Role::Admin, Role::Auditor])?;
    Ok(AppJson(service::department_settings(&state.db).await?))
}

/// Change a department (修改部门).
///
/// Only the fields given change; `"webhook_url": ""` removes the webhook.
/// For admins.
#[utoipa::path(
    patch,
    path = "/departments/{code}",
    tag = "directory",
    params(("code" = String, Path, description = "The department's code.")),
    request_body = DepartmentChange,
    responses(
        (status = 200, description = "The department after the change.", body = DepartmentSettings),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(change): AppJson<DepartmentChange>,
) -> Result<AppJson<DepartmentSettings>, AppError> {
    user.require(&[Role::Admin])?;
    Ok(AppJson(
        service::change_department(
            &state.db,
            &state.settings.webhook_allow,
            &user.username,
            &code,
            change,
        )
        .await?,
    ))
}

/// The departments (部门).
///
/// Public: each department's `code`, `name` (zh-CN), `name_en` and kind.
#[utoipa::path(
    get,
    path = "/departments",
    tag = "directory",
    responses((status = 200, description = "The departments.", body = Vec<Department>))
)]
pub async fn departments(
    State(db): State<DatabaseConnection>,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(service::departments(&db).await?))
}

/// The areas (街道/镇) as GeoJSON.
///
/// A GeoJSON `FeatureCollection`: one feature per 街道 or 镇, its
/// properties those of `Area` (demo polygons are approximate and say so).
#[utoipa::path(
    get,
    path = "/areas",
    tag = "directory",
    responses((status = 200, description = "A GeoJSON FeatureCollection.", body = Object))
)]
pub async fn areas(State(state): State<AppState>) -> Result<JsonBytes, AppError> {
    Ok(JsonBytes(
        state.directory.get(&state.db).await?.areas_json.clone(),
    ))
}
