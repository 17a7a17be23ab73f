//! Evidence staff bring to a case (查处, issue 14): photos taken on a site
//! inspection and PDF documents (a letter or a visitor's papers, an
//! inspection's 现场检查笔录). Everything here is private evidence: the
//! files sit in the store's private folders, staff who can see the case
//! read them, every download is audited, and no public page, export, feed
//! or Open311 answer reads these tables.
//!
//! - `pdf`: a PDF by its content, and its pages counted;
//! - `documents`: a document checked, stored and written (also used by
//!   代录, `reports::service`);
//! - `listing`: a case's evidence for the case page;
//! - `service`: attaching evidence and handing it back, audited;
//! - `handlers`: the HTTP routes below.

pub mod documents;
mod handlers;
pub mod listing;
pub mod pdf;
pub mod service;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/api/v1`, with their documentation (see `crate::openapi`):
/// the upload with a report's body limit.
pub fn router() -> OpenApiRouter<AppState> {
    let upload = OpenApiRouter::default()
        .routes(routes!(handlers::attach))
        .layer(DefaultBodyLimit::max(crate::reports::MAX_BODY));
    OpenApiRouter::default()
        .merge(upload)
        .routes(routes!(handlers::document))
        .routes(routes!(handlers::original_photo))
}
