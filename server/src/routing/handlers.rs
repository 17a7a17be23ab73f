//! HTTP for routing rules and quiet periods: admins edit, dispatchers and
//! auditors read.

use super::service;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, AppQuery};
use crate::openapi::components::{
    BadRequest, Forbidden, IdPath, NotFound, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::Role;
use shared::geo::LatLon;
use shared::routing::{QuietPeriod, RoutePreview, RoutingRule, RoutingRuleInput};

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Auditor];
const EDITORS: &[Role] = &[Role::Admin];

/// The routing rules (分派规则).
///
/// Reports matching all of a rule's set fields go to its department, most
/// specific rule first; the district environment bureau is the fallback.
/// For admins, dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/routing-rules",
    tag = "routing",
    responses(
        (status = 200, description = "The rules.", body = Vec<RoutingRule>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<RoutingRule>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(service::list(&state.db).await?))
}

/// Add a routing rule (新增分派规则).
///
/// For admins; audited.
#[utoipa::path(
    post,
    path = "/routing-rules",
    tag = "routing",
    request_body = RoutingRuleInput,
    responses(
        (status = 201, description = "The rule.", body = RoutingRule),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<RoutingRuleInput>,
) -> Result<(StatusCode, AppJson<RoutingRule>), AppError> {
    user.require(EDITORS)?;
    Ok((
        StatusCode::CREATED,
        AppJson(
            service::create(&state.db, &user.username, input, state.settings.clock.now()).await?,
        ),
    ))
}

/// Replace a routing rule (修改分派规则).
///
/// For admins; audited.
#[utoipa::path(
    put,
    path = "/routing-rules/{id}",
    tag = "routing",
    params(IdPath),
    request_body = RoutingRuleInput,
    responses(
        (status = 200, description = "The rule after the change.", body = RoutingRule),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
    AppJson(input): AppJson<RoutingRuleInput>,
) -> Result<AppJson<RoutingRule>, AppError> {
    user.require(EDITORS)?;
    Ok(AppJson(
        service::update(
            &state.db,
            &user.username,
            id,
            input,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// Delete a routing rule (删除分派规则).
///
/// For admins; audited.
#[utoipa::path(
    delete,
    path = "/routing-rules/{id}",
    tag = "routing",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete(&state.db, &user.username, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// A category code.
    category: String,
    /// Latitude, WGS84.
    lat: f64,
    /// Longitude, WGS84.
    lon: f64,
    /// RFC 3339; default now.
    at: Option<String>,
}

/// Preview routing (分派预览).
///
/// Where a report of this category at this point would go (now, or `at`):
/// lets an admin check a rule before relying on it.
#[utoipa::path(
    get,
    path = "/routing-rules/preview",
    tag = "routing",
    params(PreviewQuery),
    responses(
        (status = 200, description = "The department, priority and deciding rule.", body = RoutePreview),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn preview(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(q): AppQuery<PreviewQuery>,
) -> Result<AppJson<RoutePreview>, AppError> {
    user.require(READERS)?;
    let at = match &q.at {
        None => state.settings.clock.now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| AppError::validation("at", "an RFC 3339 time"))?
            .with_timezone(&Utc),
    };
    let category = crate::categories::service::find_active(&state.db, &q.category)
        .await?
        .ok_or_else(|| AppError::validation("category", "no such category"))?;
    let area = crate::reports::service::locate(
        &state.db,
        LatLon {
            lat: q.lat,
            lon: q.lon,
        },
    )
    .await?;
    let route = service::route(&state.db, &category, area.as_ref().map(|a| a.id), at).await?;
    Ok(AppJson(RoutePreview {
        department: service::department_code(&state.db, route.department_id).await?,
        co_department: service::department_code(&state.db, route.co_department_id).await?,
        priority: route.priority.as_str().to_owned(),
        rule: route.rule_id,
        area: area.map(|a| a.code),
        quiet_period: route.quiet_period,
    }))
}

/// The quiet periods (静音期).
///
/// Periods (高考, 中考) during which reports of a group are urgent. For
/// admins, dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/quiet-periods",
    tag = "routing",
    responses(
        (status = 200, description = "The periods.", body = Vec<QuietPeriod>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn quiet_periods(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<QuietPeriod>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(service::quiet_periods(&state.db).await?))
}

/// Add a quiet period (新增静音期).
///
/// For admins; audited. The `id` of the body is ignored.
#[utoipa::path(
    post,
    path = "/quiet-periods",
    tag = "routing",
    request_body = QuietPeriod,
    responses(
        (status = 201, description = "The period.", body = QuietPeriod),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn add_quiet_period(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<QuietPeriod>,
) -> Result<(StatusCode, AppJson<QuietPeriod>), AppError> {
    user.require(EDITORS)?;
    Ok((
        StatusCode::CREATED,
        AppJson(
            service::add_quiet_period(&state.db, &user.username, input, state.settings.clock.now())
                .await?,
        ),
    ))
}

/// Delete a quiet period (删除静音期).
///
/// For admins; audited.
#[utoipa::path(
    delete,
    path = "/quiet-periods/{id}",
    tag = "routing",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn delete_quiet_period(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete_quiet_period(&state.db, &user.username, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
