//! Staff accounts (工作人员账号).

mod handlers;
pub mod password;
mod service;

pub use service::{NewUser, User, UserError, create, list, update};

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::list, handlers::create))
        .routes(routes!(handlers::update))
}
