//! Routing (分派): which department a report goes to, decided by rules that
//! admins edit — (category or group, area, time of day) → department, most
//! specific first — plus quiet periods (高考/中考) that make noise urgent.

mod handlers;
pub mod rules;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::preview))
        .routes(routes!(handlers::update, handlers::delete))
        .routes(routes!(handlers::quiet_periods, handlers::add_quiet_period))
        .routes(routes!(handlers::delete_quiet_period))
}
