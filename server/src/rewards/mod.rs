//! Reward for reporting (举报奖励): 奖励审核 → 奖金发放. The staff steps
//! (`propose_reward`, `approve_reward`, `reject_reward`, `pay_reward`) go
//! through the case workflow's `/actions`; the reporter claims or declines
//! on the tracking page with the code and the secret; the finance office
//! exports the ledger.

mod handlers;
pub mod rules;
pub mod service;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::tiers,
    handlers::queue,
    handlers::ledger,
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
        .route("/reward-exclusions", get(handlers::exclusions).post(handlers::exclude))
        .route("/reward-exclusions/{id}", delete(handlers::unexclude))
}

/// Expires rewards whose claim window has passed, every minute, for as long
/// as the server runs (reads also expire what is due first).
pub async fn run_expiry(db: sea_orm::DatabaseConnection, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = service::expire_due(&db, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "expiring rewards failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
    }
}
