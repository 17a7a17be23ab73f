//! Statistics (统计) for `/stats` and the plan's targets (主要目标).

pub mod figures;
pub mod handlers;
pub mod service;

use crate::held::Held;
use crate::middleware::public_cache::PublicCache;
use crate::state::AppState;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The statistics' held copy, for the server's state. They are a dozen
/// GROUP BYs over every case (60 ms at 10,000 cases on SQLite, and growing
/// with the district), and a conditional request goes past the micro-cache:
/// held, they cost that once per change or per the micro-cache's own age
/// (its `ttl`, so nobody sees them later than before), not once per request.
///
/// Served stale while one reader makes the next copy: at 1,000,000 cases
/// that takes about 3 s, and every reader waited for it.
pub fn held(changes: Arc<PublicCache>) -> Arc<Held<shared::info::Stats>> {
    let max_age = changes.ttl();
    Arc::new(Held::new(changes, max_age).serving_stale())
}

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::stats))
        .routes(routes!(handlers::set_indicator))
}
