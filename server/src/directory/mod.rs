//! The directory of the district: departments (部门) and areas (街道/镇).

pub mod calendar;
pub mod geo;
mod handlers;
pub mod lookups;
pub mod service;

use crate::state::AppState;
use axum::{Router, routing::get, routing::patch};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::departments,
        handlers::change,
        handlers::settings,
        handlers::areas
    ),
    components(schemas(shared::directory::Area))
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/departments", get(handlers::departments))
        .route("/departments/{code}", patch(handlers::change))
        .route("/admin/departments", get(handlers::settings))
        .route("/areas", get(handlers::areas))
}
