//! The category catalogue (举报类别): what residents choose from, the
//! answers to its extra questions, and the admins' versioned edits.

pub mod answers;
pub mod catalogue;
mod handlers;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::update, handlers::delete))
        .routes(routes!(handlers::versions))
        .routes(routes!(handlers::put_group))
        .routes(routes!(handlers::catalogue))
}
