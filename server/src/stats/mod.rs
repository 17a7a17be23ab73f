//! Statistics (统计) for `/stats` and the plan's targets (主要目标).

pub mod handlers;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::stats))
        .routes(routes!(handlers::set_indicator))
}
