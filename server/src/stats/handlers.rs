//! HTTP for statistics: thin wrappers over `service`.

use super::service;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::openapi::components::{BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable};
use crate::state::AppState;
use axum::extract::{Path, State};
use shared::Role;
use shared::info::{Indicator, IndicatorValue, Stats};

/// The public statistics behind `/stats` (统计).
///
/// Cases per category, area and month (the last twelve, Chongqing time);
/// the median days to acceptance and to closing (of the latest 1,000);
/// each department's closed cases, how many by their deadline, and its open
/// cases already overdue; how many closed reports proved true; rewards paid;
/// and the plan's 2025 targets beside the values entered.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "disclosure",
    responses((status = 200, description = "The statistics.", body = Stats))
)]
pub async fn stats(State(state): State<AppState>) -> Result<AppJson<Stats>, AppError> {
    let stats = state
        .stats
        .get(|| async {
            let directory = state.directory.get(&state.db).await?;
            service::stats(&state.db, &directory.lookups, state.settings.clock.now()).await
        })
        .await?;
    Ok(AppJson(Stats::clone(&stats)))
}

/// Records the measured value of one of the plan's targets (admins).
#[utoipa::path(
    put,
    path = "/indicators/{code}",
    tag = "disclosure",
    params(("code" = String, Path, description = "The target's code, e.g. `good_air_days`.")),
    request_body = IndicatorValue,
    responses(
        (status = 200, description = "The target with its value.", body = Indicator),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn set_indicator(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(input): AppJson<IndicatorValue>,
) -> Result<AppJson<Indicator>, AppError> {
    user.require(&[Role::Admin])?;
    Ok(AppJson(
        service::set_indicator(
            &state.db,
            &user.username,
            &code,
            input,
            state.settings.clock.now(),
        )
        .await?,
    ))
}
