//! The JSON API under `/api/v1/`. Each domain module owns its routes; this
//! merges them and answers everything else with a JSON 404/405.

use crate::error::AppError;
use crate::state::AppState;
use crate::{audit, auth, cases, categories, directory, disclosure, outbox, reports, rewards, routing, users};
use axum::Router;
use axum::routing::any;

pub fn router(state: &AppState) -> Router<AppState> {
    let v1 = Router::new()
        .merge(auth::router(state))
        .merge(directory::router())
        .merge(categories::router())
        .merge(reports::api_router(state))
        .merge(cases::router())
        .merge(routing::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(outbox::router())
        .merge(rewards::router())
        .merge(disclosure::api_router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/api/v1", v1)
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> (axum::http::StatusCode, axum::Json<shared::ErrorBody>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(shared::ErrorBody {
            error: shared::ApiError::new("method_not_allowed", "this method is not allowed here"),
        }),
    )
}
