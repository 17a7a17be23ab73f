//! HTTP for cases: thin wrappers over `service`.

use super::service::{self, Cases, QueueFilter};
use crate::auth::StaffUser;
use crate::db::entities::category;
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::EntityTrait;
use shared::case::{ActionRequest, CaseCounts, CaseDetail, CaseQueue, RevealedReporter};
use shared::geo::LatLon;
use shared::report::NearbyCase;

fn cases(state: &AppState) -> Cases<'_> {
    Cases { db: &state.db, pii: &state.pii, deadlines: state.settings.deadlines }
}

/// `GET /api/v1/cases`: the signed-in user's queue.
pub async fn queue(
    State(state): State<AppState>,
    user: StaffUser,
    filter: Result<Query<QueueFilter>, QueryRejection>,
) -> Result<AppJson<CaseQueue>, AppError> {
    let Query(filter) = filter?;
    Ok(AppJson(cases(&state).queue(&user, filter).await?))
}

pub async fn counts(State(state): State<AppState>, user: StaffUser) -> Result<AppJson<CaseCounts>, AppError> {
    Ok(AppJson(cases(&state).counts(&user).await?))
}

pub async fn detail(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<CaseDetail>, AppError> {
    Ok(AppJson(cases(&state).detail(&user, &code).await?))
}

/// `POST /api/v1/cases/{code}/actions` with `{"action": …}`.
pub async fn act(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(request): AppJson<ActionRequest>,
) -> Result<AppJson<CaseDetail>, AppError> {
    Ok(AppJson(cases(&state).act(&user, &code, request).await?))
}

pub async fn reveal(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<RevealedReporter>>, AppError> {
    Ok(AppJson(cases(&state).reveal(&user, &code).await?))
}

/// Open cases of the same kind near this one: candidates to merge it into.
pub async fn nearby(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<NearbyCase>>, AppError> {
    let actor = service::actor(&user);
    let c = service::load_visible(&state.db, &actor, &code).await?;
    let code_of = category::Entity::find_by_id(c.category_id).one(&state.db).await?.map(|x| x.code);
    let Some(category_code) = code_of else {
        return Ok(AppJson(Vec::new()));
    };
    let found = crate::reports::service::nearby(&state.db, &category_code, LatLon { lat: c.lat, lon: c.lon }, 500.0, 30)
        .await?;
    let mut visible = Vec::new();
    for n in found.into_iter().filter(|n| n.tracking_code != c.code) {
        if service::load_visible(&state.db, &actor, &n.tracking_code).await.is_ok() {
            visible.push(n);
        }
    }
    Ok(AppJson(visible))
}

/// The original photo as received (EXIF intact): evidence, never public.
pub async fn original_photo(
    State(state): State<AppState>,
    user: StaffUser,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let p = cases(&state).original_photo(&user, &code, id).await?;
    let bytes = state
        .photos
        .get(crate::storage::PhotoKind::Original, &p.original_key)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let mime = HeaderValue::from_str(&p.original_format).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, mime);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(response)
}

/// The handlers a case can be assigned to: active handlers of its department.
pub async fn assignees(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<String>>, AppError> {
    use crate::db::entities::app_user;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let c = service::load_visible(&state.db, &service::actor(&user), &code).await?;
    let Some(department) = c.department_id else {
        return Ok(AppJson(Vec::new()));
    };
    let names = app_user::Entity::find()
        .filter(app_user::Column::DepartmentId.eq(department))
        .filter(app_user::Column::Role.eq(shared::Role::Handler.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .order_by_asc(app_user::Column::Username)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    Ok(AppJson(names))
}
