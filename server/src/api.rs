//! The JSON API under `/api/v1/`. Each domain module owns its routes and
//! documents them in one place: its `OpenApiRouter`, whose `routes!()`
//! register each handler with its `#[utoipa::path]` (see `openapi`). This
//! merges them and answers everything else with a JSON 404/405.

use crate::error::AppError;
use crate::state::{AppState, Limits};
use crate::{
    audit, auth, cases, categories, directory, disclosure, evidence, handoff, info, openapi,
    outbox, reports, rewards, routing, stats, users,
};
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{any, get};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes under `/api/v1`, with their documentation: each handler's
/// route and its operation in the OpenAPI document come from the same
/// `routes!()`. (`OpenApiRouter::route` would route without documenting:
/// it has no place here.) Add a module's router here.
pub fn v1(limits: &Limits) -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .merge(auth::router(limits))
        .merge(directory::router())
        .merge(categories::router())
        .merge(reports::api_router(limits))
        .merge(cases::router())
        .merge(evidence::router())
        .merge(handoff::router())
        .merge(routing::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(outbox::router())
        .merge(crate::notify::router(limits))
        .merge(rewards::router())
        .merge(disclosure::api_router())
        .merge(stats::router())
        .merge(info::router())
        .routes(routes!(document))
}

/// The whole OpenAPI document: the paths of [`v1`] under `/api/v1`, with
/// the API's description, tags, shared components and security schemes
/// (`openapi::assemble`). Built here, where the routes are merged, so that
/// `openapi` (the building blocks handlers use) never depends on them.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, routes) = v1(&openapi::unused_limits()).split_for_parts();
    openapi::assemble(routes)
}

/// Computed once, at the first request.
fn rendered() -> &'static openapi::Rendered {
    static RENDERED: OnceLock<openapi::Rendered> = OnceLock::new();
    RENDERED.get_or_init(|| openapi::Rendered::of(&openapi()))
}

/// This document (OpenAPI 3.1).
///
/// Generated from the server's code; cached for five minutes and
/// revalidated with its `ETag`. A readable version is at `/api/docs`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified (`If-None-Match` matched the `ETag`)."),
    )
)]
pub async fn document(headers: HeaderMap) -> Response {
    let r = rendered();
    openapi::cached(&headers, &r.json_etag, "application/json", r.json.clone())
}

/// `GET /api/docs`: the document as a page.
pub async fn page(headers: HeaderMap) -> Response {
    let r = rendered();
    openapi::cached(
        &headers,
        &r.html_etag,
        "text/html; charset=utf-8",
        r.html.clone().into_bytes(),
    )
}

// The docs page: plain HTML generated from the JSON of the document, so it
// shows exactly what clients get.

/// axum's own extractor rejections (a path id that is not a number) answer
/// in plain text; the API answers every error as JSON, so rewrite them here,
/// keeping their status and message. Query strings and JSON bodies are read
/// with `AppQuery` and `AppJson`, whose rejections are JSON already.
async fn json_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain {
        return response;
    }
    let status = response.status();
    let message = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => "the request could not be read".to_owned(),
    };
    let code = if status == axum::http::StatusCode::UNPROCESSABLE_ENTITY {
        "invalid_body"
    } else {
        "bad_request"
    };
    (
        status,
        axum::Json(shared::ErrorBody {
            error: shared::ApiError::new(code, message),
        }),
    )
        .into_response()
}

pub fn router(state: &AppState) -> Router<AppState> {
    // The document is served from `openapi()`, built from the same
    // `v1`; only the routes are needed here.
    let (v1, _) = v1(&state.limits).split_for_parts();
    let v1 = v1
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(json_rejections));
    Router::new()
        .nest("/api/v1", v1)
        // The document as a page, before the JSON 404s of `/api/*`.
        .route(openapi::PAGE_PATH, get(page))
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> (axum::http::StatusCode, axum::Json<shared::ErrorBody>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(shared::ErrorBody {
            error: shared::ApiError::new("method_not_allowed", "this method is not allowed here"),
        }),
    )
}
