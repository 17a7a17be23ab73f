//! Case handling (案件办理): the staff queue, the case page, and the
//! workflow 受理 → 查处 → 回复审核 with its deadlines, four-eyes review,
//! optimistic concurrency and audit trail. The state machine itself is in
//! `workflow`; `service` applies it to the database.

pub mod access;
mod bulk;
pub mod day;
pub mod deadlines;
pub mod effects;
pub mod enforcement;
pub mod followup;
mod handlers;
pub mod inspections;
pub mod ledger;
pub mod notes;
pub mod service;
pub mod sites;
mod supervision;
pub mod tally;
pub mod templates;
pub mod texts;
pub mod timeline;
pub mod version;
mod workbench;
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
        .routes(routes!(supervision::list))
        .routes(routes!(supervision::handle))
        .routes(routes!(workbench::my_day))
        .routes(routes!(workbench::team))
        .routes(routes!(workbench::add_note))
        .routes(routes!(workbench::bulk))
        .routes(routes!(
            workbench::list_templates,
            workbench::create_template
        ))
        .routes(routes!(
            workbench::update_template,
            workbench::delete_template
        ))
}
