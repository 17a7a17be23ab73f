//! Case handling (案件办理): the staff queue, the case page, and the
//! workflow 受理 → 查处 → 回复审核 with its deadlines, four-eyes review,
//! optimistic concurrency and audit trail. The state machine itself is in
//! `workflow`; `service` applies it to the database.

pub mod deadlines;
pub mod effects;
mod handlers;
pub mod ledger;
pub mod service;
pub mod sites;
pub mod timeline;
pub mod version;
pub mod workflow;

pub use deadlines::Deadlines;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::queue))
        .routes(routes!(handlers::ledger))
        .routes(routes!(handlers::hotspots))
        .routes(routes!(handlers::counts))
        .routes(routes!(handlers::detail))
        .routes(routes!(handlers::act))
        .routes(routes!(handlers::reveal))
        .routes(routes!(handlers::nearby))
        .routes(routes!(handlers::assignees))
        .routes(routes!(handlers::original_photo))
}
