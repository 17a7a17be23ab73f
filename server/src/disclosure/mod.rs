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

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::list, handlers::detail))]
pub struct ApiDoc;

/// Under `/api/v1`.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/public/cases", get(handlers::list))
        .route("/public/cases/{code}", get(handlers::detail))
}

/// Open data, outside the versioned API: stable URLs for harvesters.
pub fn open_data_router() -> Router<AppState> {
    Router::new()
        .route("/open-data/cases.geojson", get(exports::geojson))
        .route("/open-data/cases.csv", get(exports::csv))
        .route("/feeds/cases.atom", get(exports::atom))
}
