//! Open information beyond cases (信息公开): notices, documents and
//! enforcement results in sanitised Markdown, and enterprise environmental
//! disclosures, for `/info`.

pub mod handlers;
pub mod markdown;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::search))
        .routes(routes!(handlers::enterprise))
        .routes(routes!(handlers::all, handlers::create))
        .routes(routes!(
            handlers::notice,
            handlers::update,
            handlers::delete
        ))
        .routes(routes!(handlers::create_enterprise))
        .routes(routes!(handlers::delete_enterprise))
}
