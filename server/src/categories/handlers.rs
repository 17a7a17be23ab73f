//! HTTP for the catalogue: everyone reads the active categories; admins
//! edit (every edit audited); staff read the whole catalogue and its versions.

use super::catalogue;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, JsonBytes};
use crate::openapi::components::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::Role;
use shared::catalogue::{
    Catalogue, CatalogueEntry, CatalogueGroup, CategoryUpdate, CategoryVersion, GroupDefinition,
    NewCategory,
};
use shared::report::Category;

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Auditor];
const EDITORS: &[Role] = &[Role::Admin];

/// The category catalogue (举报类别).
///
/// The active categories, by group, each with its extra questions (Open311
/// attributes). A category's `code` is also its Open311 `service_code`.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "categories",
    responses((status = 200, description = "The categories.", body = Vec<Category>))
)]
pub async fn list(State(state): State<AppState>) -> Result<JsonBytes, AppError> {
    Ok(JsonBytes(
        state
            .directory
            .get(&state.db)
            .await?
            .categories_json
            .clone(),
    ))
}

/// The whole catalogue (类别目录管理).
///
/// Every group and category, retired ones too, each with its current
/// version and how many cases it holds. For admins, dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/admin/categories",
    tag = "categories",
    responses(
        (status = 200, description = "The catalogue.", body = Catalogue),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn catalogue(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Catalogue>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(catalogue::catalogue(&state.db).await?))
}

/// Add a category (新增举报类别).
///
/// Version 1 of a new category, offered at once (and in Open311's service
/// list). For admins; audited.
#[utoipa::path(
    post,
    path = "/categories",
    tag = "categories",
    request_body = NewCategory,
    responses(
        (status = 201, description = "The category.", body = CatalogueEntry),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(new): AppJson<NewCategory>,
) -> Result<(StatusCode, AppJson<CatalogueEntry>), AppError> {
    user.require(EDITORS)?;
    let now = state.settings.clock.now();
    Ok((
        StatusCode::CREATED,
        AppJson(catalogue::create(&state.db, &user.username, new, now).await?),
    ))
}

/// Change, retire or reinstate a category (修改举报类别).
///
/// The whole definition, with the `version` it was read at (a stale one is
/// 409). A changed definition becomes the next version; reports filed under
/// an earlier one keep its questions and its reward rule. `active: false`
/// retires it. For admins; audited.
#[utoipa::path(
    put,
    path = "/categories/{code}",
    tag = "categories",
    params(("code" = String, Path, description = "The category's code.")),
    request_body = CategoryUpdate,
    responses(
        (status = 200, description = "The category after the change.", body = CatalogueEntry),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(update): AppJson<CategoryUpdate>,
) -> Result<AppJson<CatalogueEntry>, AppError> {
    user.require(EDITORS)?;
    let now = state.settings.clock.now();
    Ok(AppJson(
        catalogue::update(&state.db, &user.username, &code, update, now).await?,
    ))
}

/// Delete a category (删除举报类别).
///
/// Only one that no case, report or routing rule uses; any other is 409
/// and can be retired instead. For admins; audited.
#[utoipa::path(
    delete,
    path = "/categories/{code}",
    tag = "categories",
    params(("code" = String, Path, description = "The category's code.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
    security(("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    catalogue::delete(&state.db, &user.username, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A category's versions (类别版本).
///
/// Every definition it has had, newest first, with who made it and when.
/// For admins, dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/categories/{code}/versions",
    tag = "categories",
    params(("code" = String, Path, description = "The category's code.")),
    responses(
        (status = 200, description = "The versions.", body = Vec<CategoryVersion>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn versions(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<CategoryVersion>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(catalogue::versions(&state.db, &code).await?))
}

/// Add or rename a category group (类别分组).
///
/// 201 when the group is new, 200 when it was changed. For admins; audited.
#[utoipa::path(
    put,
    path = "/categories/groups/{code}",
    tag = "categories",
    params(("code" = String, Path, description = "The group's code.")),
    request_body = GroupDefinition,
    responses(
        (status = 200, description = "The group after the change.", body = CatalogueGroup),
        (status = 201, description = "The new group.", body = CatalogueGroup),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn put_group(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(group): AppJson<GroupDefinition>,
) -> Result<(StatusCode, AppJson<CatalogueGroup>), AppError> {
    user.require(EDITORS)?;
    let (created, group) = catalogue::put_group(&state.db, &user.username, &code, group).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(group)))
}
