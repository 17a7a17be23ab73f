//! Citizen reports (群众举报): intake, tracking, duplicates, and serving the
//! stored photos (their processing is `crate::photos`).

mod handlers;
pub mod idempotency;
pub mod input;
mod serve_photos;
pub mod service;
pub mod upload;

use crate::middleware::rate_limit;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware::from_fn_with_state, routing::get, routing::post};

/// Up to six photos (each at most 20 MB) and the text fields, 48 MB in all;
/// a bigger body is refused with 413 as it arrives. Only this route takes
/// more than axum's default 2 MB. Phones send photos downscaled to ~2048 px.
pub const MAX_BODY: usize = 48 * 1024 * 1024;

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::submit,
    handlers::nearby,
    handlers::track,
    handlers::reporter_action
))]
pub struct ApiDoc;

/// Routes under `/api/v1`.
pub fn api_router(state: &AppState) -> Router<AppState> {
    let submit = Router::new()
        .route("/reports", post(handlers::submit))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .route_layer(from_fn_with_state(
            state.limits.submit.clone(),
            rate_limit::limit,
        ));
    let track = Router::new()
        .route("/track/{code}", get(handlers::track))
        .route("/track/{code}/actions", post(handlers::reporter_action))
        .route_layer(from_fn_with_state(
            state.limits.track.clone(),
            rate_limit::limit,
        ));
    let nearby = Router::new()
        .route("/reports/nearby", get(handlers::nearby))
        .route_layer(from_fn_with_state(
            state.limits.nearby.clone(),
            rate_limit::limit,
        ));
    Router::new().merge(submit).merge(track).merge(nearby)
}

/// `/photos/…`, outside the API.
pub fn photo_router() -> Router<AppState> {
    Router::new().route("/photos/{kind}/{file}", get(serve_photos::serve))
}
