//! Citizen reports (群众举报): intake, tracking, duplicates, and serving the
//! stored photos (their processing is `crate::photos`).

pub(crate) mod handlers;
pub mod idempotency;
pub mod input;
pub mod nearby;
mod serve_photos;
pub mod service;
pub mod upload;

use crate::middleware::rate_limit;
use crate::state::{AppState, Limits};
use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware::from_fn_with_state, routing::get};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Up to six photos (each at most 20 MB) and the text fields, 48 MB in all;
/// a bigger body is refused with 413 as it arrives. Only this route takes
/// more than axum's default 2 MB. Phones send photos downscaled to ~2048 px.
pub const MAX_BODY: usize = 48 * 1024 * 1024;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`):
/// each group with its own rate limit, the upload with its body limit.
pub fn api_router(limits: &Limits) -> OpenApiRouter<AppState> {
    let submit = OpenApiRouter::default()
        .routes(routes!(handlers::submit))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .route_layer(from_fn_with_state(limits.submit.clone(), rate_limit::limit));
    let track = OpenApiRouter::default()
        .routes(routes!(handlers::track))
        .routes(routes!(handlers::reporter_action))
        .route_layer(from_fn_with_state(limits.track.clone(), rate_limit::limit));
    let nearby = OpenApiRouter::default()
        .routes(routes!(handlers::nearby))
        .route_layer(from_fn_with_state(limits.nearby.clone(), rate_limit::limit));
    // Staff, signed in: the body limit of a report, no per-address limit
    // (a call centre's desks share one address).
    let intake = OpenApiRouter::default()
        .routes(routes!(handlers::file_for_caller))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    OpenApiRouter::default()
        .merge(submit)
        .merge(intake)
        .merge(track)
        .merge(nearby)
}

/// `/photos/…`, outside the API.
pub fn photo_router() -> Router<AppState> {
    Router::new().route("/photos/{kind}/{file}", get(serve_photos::serve))
}
