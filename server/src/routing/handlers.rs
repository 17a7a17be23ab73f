//! HTTP for routing rules and quiet periods: admins edit, dispatchers and
//! auditors read.

use super::service;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::Role;
use shared::geo::LatLon;
use shared::routing::{QuietPeriod, RoutePreview, RoutingRule, RoutingRuleInput};

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Auditor];
const EDITORS: &[Role] = &[Role::Admin];

pub async fn list(State(state): State<AppState>, user: StaffUser) -> Result<AppJson<Vec<RoutingRule>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(service::list(&state.db).await?))
}

pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<RoutingRuleInput>,
) -> Result<(StatusCode, AppJson<RoutingRule>), AppError> {
    user.require(EDITORS)?;
    Ok((StatusCode::CREATED, AppJson(service::create(&state.db, &user.username, input).await?)))
}

pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
    AppJson(input): AppJson<RoutingRuleInput>,
) -> Result<AppJson<RoutingRule>, AppError> {
    user.require(EDITORS)?;
    Ok(AppJson(service::update(&state.db, &user.username, id, input).await?))
}

pub async fn delete(State(state): State<AppState>, user: StaffUser, Path(id): Path<i64>) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete(&state.db, &user.username, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    category: String,
    lat: f64,
    lon: f64,
    /// RFC 3339; default now.
    at: Option<String>,
}

/// Where a report would go now: lets an admin check a rule before relying
/// on it.
pub async fn preview(
    State(state): State<AppState>,
    user: StaffUser,
    query: Result<Query<PreviewQuery>, QueryRejection>,
) -> Result<AppJson<RoutePreview>, AppError> {
    user.require(READERS)?;
    let Query(q) = query?;
    let at = match &q.at {
        None => Utc::now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| AppError::validation("at", "an RFC 3339 time"))?
            .with_timezone(&Utc),
    };
    let category = crate::categories::service::find_active(&state.db, &q.category)
        .await?
        .ok_or_else(|| AppError::validation("category", "no such category"))?;
    let area = crate::reports::service::locate(&state.db, LatLon { lat: q.lat, lon: q.lon }).await?;
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

pub async fn quiet_periods(State(state): State<AppState>, user: StaffUser) -> Result<AppJson<Vec<QuietPeriod>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(service::quiet_periods(&state.db).await?))
}

pub async fn add_quiet_period(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<QuietPeriod>,
) -> Result<(StatusCode, AppJson<QuietPeriod>), AppError> {
    user.require(EDITORS)?;
    Ok((StatusCode::CREATED, AppJson(service::add_quiet_period(&state.db, &user.username, input).await?)))
}

pub async fn delete_quiet_period(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete_quiet_period(&state.db, &user.username, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
