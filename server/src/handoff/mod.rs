//! The 12345 platform's hand-off (平台转办): Chongqing's 12345 platform
//! (which since 2024 also takes the 12369 environmental hotline) sends a
//! work order it routes to Banan's environment bureau, and Shanshui makes
//! it a case like any other, whose every change of state goes back to the
//! platform's callback (`case.updated`, see `crate::outbox`).
//!
//! The platform holds an API key of scope `platform_12345` and signs each
//! request's exact body the way Shanshui signs its webhooks
//! (`X-Shanshui-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of
//! "<t>.<body>">`, keyed with the key's signing secret), so a request
//! changed on the way, signed with another key's secret, or replayed more
//! than five minutes later is refused. One order number makes one case:
//! the same order again (a retry, or a replay inside the window) answers
//! the case it made, and nothing new is filed.
//!
//! - [`service`]: the checks and the filing, without HTTP;
//! - [`handlers`]: the route.

mod handlers;
pub mod service;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A work order is text: 64 KB is far more than one needs.
pub const MAX_BODY: usize = 64 * 1024;

/// The key's header.
pub const API_KEY_HEADER: &str = "x-api-key";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(handlers::hand_off))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}
