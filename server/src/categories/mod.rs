//! The category catalogue (举报类别) and the answers to its extra questions.

pub mod answers;
mod handlers;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(handlers::list))
}
