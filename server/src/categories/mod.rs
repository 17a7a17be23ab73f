//! The category catalogue (举报类别) and the answers to its extra questions.

pub mod answers;
mod handlers;
pub mod service;

use crate::state::AppState;
use axum::{Router, routing::get};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::list))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new().route("/categories", get(handlers::list))
}
