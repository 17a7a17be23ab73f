//! Statistics (统计) for `/stats` and the plan's targets (主要目标).

pub mod handlers;
pub mod service;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, put};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::stats, handlers::set_indicator))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stats", get(handlers::stats))
        .route("/indicators/{code}", put(handlers::set_indicator))
}
