//! HTTP for the hand-off: the headers and the raw body in, the receipt out.

use super::API_KEY_HEADER;
use super::service::{self, HandoffReceipt, Signed, WorkOrder};
use crate::error::{AppError, AppJson};
use crate::middleware::public_cache::PublicChange;
use crate::openapi::components::{
    BadRequest, Forbidden, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::outbox::SIGNATURE_HEADER;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// The headers a hand-off carries, as the OpenAPI document describes them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // described, never built
pub struct SignedHeaders {
    /// The platform's API key (scope `platform_12345`).
    #[param(rename = "X-Api-Key")]
    api_key: String,
    /// `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">` under the
    /// key's signing secret (its 64 hex characters as ASCII), made when the
    /// request is sent: a time more than five minutes from the server's is
    /// refused.
    #[param(rename = "X-Shanshui-Signature")]
    signature: String,
}

/// Hand off a 12345 work order (平台转办).
///
/// The city's 12345 platform files a work order as a case (channel
/// `platform_12345`), routed and handled like any other; every change of
/// its state goes to the key's callback URL as `case.updated`, signed with
/// the same secret. One order number makes one case: the same order again
/// answers 200 with its case and `duplicate: true`, and files nothing.
#[utoipa::path(
    post,
    path = "/handoffs/12345",
    tag = "handoff",
    params(SignedHeaders),
    request_body(content = WorkOrder, content_type = "application/json"),
    responses(
        (status = 201, description = "Filed: a new case.", body = HandoffReceipt),
        (status = 200, description = "This order's case, filed before.", body = HandoffReceipt),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    ),
    security(("platform_key" = []))
)]
pub async fn hand_off(
    State(state): State<AppState>,
    change: PublicChange,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, AppJson<HandoffReceipt>), AppError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        api_key: header(API_KEY_HEADER),
        signature: header(SIGNATURE_HEADER),
        body: &body,
        now: chrono::Utc::now().timestamp(),
    };
    let key = service::authenticate(&state.db, &state.signer, &signed).await?;
    let order = service::parse(&body)?;
    let receipt = service::file(&state.reports(), &key, order).await?;
    let status = if receipt.duplicate {
        StatusCode::OK
    } else {
        change.mark();
        StatusCode::CREATED
    };
    Ok((status, AppJson(receipt)))
}
