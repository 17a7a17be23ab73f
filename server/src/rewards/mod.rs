//! Reward for reporting (举报奖励): 奖励审核 → 奖金发放. The staff steps
//! (`propose_reward`, `approve_reward`, `reject_reward`, `pay_reward`) go
//! through the case workflow's `/actions`; the reporter claims or declines
//! on the tracking page with the code and the secret; the finance office
//! exports the ledger.

mod handlers;
pub mod ledger;
pub mod rules;
pub mod service;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::tiers))
        .routes(routes!(handlers::queue))
        .routes(routes!(handlers::ledger))
        .routes(routes!(handlers::payout_account))
        .routes(routes!(handlers::exclusions, handlers::exclude))
        .routes(routes!(handlers::unexclude))
}
