//! The category catalogue (举报类别) and the answers to its extra questions.

pub mod answers;
mod handlers;
pub mod service;

use crate::state::AppState;
use axum::{Router, routing::get};

pub fn router() -> Router<AppState> {
    Router::new().route("/categories", get(handlers::list))
}
