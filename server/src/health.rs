//! Liveness and readiness, for load balancers and orchestrators.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// 200 while the process runs.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database and the photo store answer within two seconds,
/// else 503: a replica that cannot store a resident's photos should be
/// taken out of the load balancer's rotation, not sent submissions.
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    answers("the database", state.db.ping()).await?;
    answers("the photo store", state.photos.ready()).await?;
    Ok(Json(json!({ "status": "ready" })))
}

/// Ok when `check` succeeds within two seconds; else 503, and why in the log.
async fn answers<E: std::fmt::Display>(
    what: &str,
    check: impl Future<Output = Result<(), E>>,
) -> Result<(), AppError> {
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness: {what} does not answer");
            Err(AppError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("readiness: {what} timed out");
            Err(AppError::Unavailable)
        }
    }
}
