//! Staff accounts (工作人员账号).

mod handlers;
pub mod password;
mod service;

pub use service::{NewUser, User, UserError, create, list, update};

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, patch};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(handlers::list).post(handlers::create))
        .route("/users/{username}", patch(handlers::update))
}
