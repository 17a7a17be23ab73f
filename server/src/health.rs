//! Liveness and readiness, for load balancers and orchestrators.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::{Json, Router, routing::get};
use sea_orm::DatabaseConnection;
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
    database_ready(&state.db).await?;
    match tokio::time::timeout(Duration::from_secs(2), state.photos.ready()).await {
        Ok(Ok(())) => Ok(Json(json!({ "status": "ready" }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness: the photo store does not answer");
            Err(AppError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("readiness: the photo store timed out");
            Err(AppError::Unavailable)
        }
    }
}

async fn database_ready(db: &DatabaseConnection) -> Result<(), AppError> {
    match tokio::time::timeout(Duration::from_secs(2), db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            Err(AppError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("readiness: the database timed out");
            Err(AppError::Unavailable)
        }
    }
}
