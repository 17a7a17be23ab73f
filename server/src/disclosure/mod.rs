//! Open information about cases (案件信息公开): the public record of every
//! case, published texts once a reviewer discloses them, and the open data
//! built on it (GeoJSON, CSV, Atom). Open311 (`crate::open311`) reads the
//! same record.

pub mod exports;
pub mod handlers;
pub mod service;

use crate::state::AppState;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::list))
        .routes(routes!(handlers::detail))
}

/// Open data, outside the versioned API: stable URLs for harvesters.
pub fn open_data_router() -> Router<AppState> {
    Router::new()
        .route("/open-data/cases.geojson", get(exports::geojson))
        .route("/open-data/cases.csv", get(exports::csv))
        .route("/feeds/cases.atom", get(exports::atom))
}
