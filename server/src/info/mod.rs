//! Open information beyond cases (信息公开): notices, documents and
//! enforcement results in sanitised Markdown, and enterprise environmental
//! disclosures, for `/info`.

pub mod handlers;
pub mod markdown;
pub mod service;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get};

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::search,
    handlers::notice,
    handlers::all,
    handlers::create,
    handlers::update,
    handlers::delete,
    handlers::create_enterprise,
    handlers::delete_enterprise
))]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/info", get(handlers::search))
        .route("/notices", get(handlers::all).post(handlers::create))
        .route(
            "/notices/{id}",
            get(handlers::notice)
                .put(handlers::update)
                .delete(handlers::delete),
        )
        .route(
            "/enterprise-disclosures",
            axum::routing::post(handlers::create_enterprise),
        )
        .route(
            "/enterprise-disclosures/{id}",
            delete(handlers::delete_enterprise),
        )
}
