//! The directory of the district: departments (部门) and areas (街道/镇).

pub mod calendar;
pub mod geo;
mod handlers;
pub mod held;
pub mod lookups;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The schemas no handler's `#[utoipa::path]` names.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(shared::directory::Area)))]
struct Schemas;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Schemas as utoipa::OpenApi>::openapi())
        .routes(routes!(handlers::departments))
        .routes(routes!(handlers::change))
        .routes(routes!(handlers::settings))
        .routes(routes!(handlers::areas))
}
