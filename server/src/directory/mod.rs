//! The directory of the district: departments (部门) and areas (街道/镇).

pub mod geo;
mod handlers;
pub mod service;

use crate::state::AppState;
use axum::{Router, routing::get, routing::patch};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/departments", get(handlers::departments))
        .route("/departments/{code}", patch(handlers::change))
        .route("/admin/departments", get(handlers::settings))
        .route("/areas", get(handlers::areas))
}
