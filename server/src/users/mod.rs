//! Staff accounts (工作人员账号).

mod handlers;
pub mod password;
mod service;

pub use service::{NewUser, User, UserError, create, list, update};

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, patch};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::list, handlers::create, handlers::update))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(handlers::list).post(handlers::create))
        .route("/users/{username}", patch(handlers::update))
}
