//! Staff sign-in (工作人员登录): server-side sessions in the database, so
//! they survive a restart and work across replicas; a cookie holds only a
//! random token (its SHA-256 is what is stored).

pub mod device;
mod handlers;
pub mod session;
pub mod throttle;

pub use session::StaffUser;

use crate::middleware::rate_limit;
use crate::state::{AppState, Limits};
use axum::middleware::from_fn_with_state;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router(limits: &Limits) -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(
            handlers::sign_in,
            handlers::current,
            handlers::sign_out
        ))
        .route_layer(from_fn_with_state(
            limits.sign_in.clone(),
            rate_limit::limit,
        ))
}
