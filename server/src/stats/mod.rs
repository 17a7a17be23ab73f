//! Statistics (统计) for `/stats` and the plan's targets (主要目标).

pub mod handlers;
pub mod service;

use crate::held::Held;
use crate::middleware::public_cache::PublicCache;
use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest the statistics are held while nothing the public reads is
/// written: as long as the micro-cache keeps a page, so nobody sees them
/// later than before. They are a dozen GROUP BYs over every case (60 ms at
/// 10,000 cases on SQLite, and growing with the district), and a conditional
/// request goes past the micro-cache: held, they cost that once per change
/// or per ten seconds, not once per request.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// The statistics' held copy, for the server's state.
pub fn held(changes: Arc<PublicCache>) -> Arc<Held<shared::info::Stats>> {
    Arc::new(Held::new(changes, MAX_AGE))
}

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::stats))
        .routes(routes!(handlers::set_indicator))
}
