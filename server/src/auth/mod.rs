//! Staff sign-in (工作人员登录): server-side sessions in the database, so
//! they survive a restart and work across replicas; a cookie holds only a
//! random token (its SHA-256 is what is stored).

pub mod device;
mod handlers;
pub mod session;
pub mod throttle;

pub use session::StaffUser;

use crate::middleware::rate_limit;
use crate::state::AppState;
use axum::{Router, middleware::from_fn_with_state, routing::post};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::sign_in, handlers::current, handlers::sign_out))]
pub struct ApiDoc;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            post(handlers::sign_in)
                .get(handlers::current)
                .delete(handlers::sign_out),
        )
        .route_layer(from_fn_with_state(
            state.limits.sign_in.clone(),
            rate_limit::limit,
        ))
}
