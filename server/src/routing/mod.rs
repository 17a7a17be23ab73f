//! Routing (分派): which department a report goes to, decided by rules that
//! admins edit — (category or group, area, time of day) → department, most
//! specific first — plus quiet periods (高考/中考) that make noise urgent.

mod handlers;
pub mod rules;
pub mod service;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get, put};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list,
    handlers::create,
    handlers::preview,
    handlers::update,
    handlers::delete,
    handlers::quiet_periods,
    handlers::add_quiet_period,
    handlers::delete_quiet_period,
))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/routing-rules", get(handlers::list).post(handlers::create))
        .route("/routing-rules/preview", get(handlers::preview))
        .route(
            "/routing-rules/{id}",
            put(handlers::update).delete(handlers::delete),
        )
        .route(
            "/quiet-periods",
            get(handlers::quiet_periods).post(handlers::add_quiet_period),
        )
        .route("/quiet-periods/{id}", delete(handlers::delete_quiet_period))
}
