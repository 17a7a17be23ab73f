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
use axum::Router;
use axum::routing::{delete, get, post};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::tiers,
    handlers::queue,
    handlers::ledger,
    handlers::payout_account,
    handlers::exclusions,
    handlers::exclude,
    handlers::unexclude,
))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reward-tiers", get(handlers::tiers))
        .route("/rewards", get(handlers::queue))
        .route("/rewards/ledger.csv", get(handlers::ledger))
        .route(
            "/rewards/{code}/payout-account",
            post(handlers::payout_account),
        )
        .route(
            "/reward-exclusions",
            get(handlers::exclusions).post(handlers::exclude),
        )
        .route("/reward-exclusions/{id}", delete(handlers::unexclude))
}
