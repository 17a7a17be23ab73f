//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the
//! discovery document, services and their definitions (the categories and
//! their questions as attributes), service requests (read from the public
//! record, filed through the same service as the JSON API) and tokens, each
//! in XML and JSON.

pub mod doc;
pub mod error;
pub mod handlers;
pub mod requests;

use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub fn router(state: &AppState) -> Router<AppState> {
    // Filing takes photos: the upload route's body limit and rate limit.
    let create = Router::new()
        .route("/open311/v2/{file}", post(handlers::create))
        .layer(DefaultBodyLimit::max(crate::reports::MAX_BODY))
        .route_layer(from_fn_with_state(
            state.limits.submit.clone(),
            crate::middleware::rate_limit::limit,
        ));
    Router::new()
        .route("/open311/{file}", get(handlers::discovery))
        .route("/open311/v2/{file}", get(handlers::collection))
        .route("/open311/v2/services/{file}", get(handlers::service))
        .route("/open311/v2/requests/{file}", get(handlers::request))
        .route("/open311/v2/tokens/{file}", get(handlers::token))
        .merge(create)
}
