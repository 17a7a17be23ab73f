//! A work order from the 12345 platform, checked and filed.

use crate::api_keys::{self, Scope};
use crate::db::entities::{api_key, case};
use crate::error::AppError;
use crate::outbox::{BadSignature, WebhookSigner};
use crate::reports::input::RawReport;
use crate::reports::service::{Intake, ORDER_EXISTS, Reports};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use shared::FieldErrorCode;

/// A work order (工单) as the platform sends it: the platform maps its own
/// classification to one of Shanshui's categories.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkOrder {
    /// The platform's work-order number (工单号): 1 to 64 of `A–Z a–z 0–9 - _ .`.
    pub order_no: String,
    /// A category's `code` (see `GET /api/v1/categories`).
    pub category: String,
    /// What the caller reported, 5 to 4000 characters.
    pub description: String,
    /// Latitude, WGS84 (or GCJ-02 with `coord_system`). Must lie in Banan.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// `wgs84` (default) or `gcj02`.
    #[serde(default)]
    pub coord_system: Option<String>,
    /// When it happened, RFC 3339, within the last year.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// The category's questions answered: question code → value.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Map<String, serde_json::Value>>,
    /// The caller, when they gave their name and a mainland mobile number
    /// (stored encrypted, as a resident's).
    #[serde(default)]
    pub caller: Option<Caller>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Caller {
    pub name: String,
    pub phone: String,
}

/// What the platform gets back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandoffReceipt {
    pub order_no: String,
    /// The case's number (受理编号).
    pub tracking_code: String,
    pub state: String,
    /// The caller's key to `/track`, only in the answer that made the case
    /// (it is not kept readable anywhere).
    pub secret: Option<String>,
    /// The order was handed off before: this is its case, nothing new.
    pub duplicate: bool,
}

/// The request as received: the key, the signature header, the exact body.
pub struct Signed<'a> {
    pub api_key: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
    pub now: i64,
}

fn refused(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Rejected {
        status,
        code,
        message: message.into(),
    }
}

/// The platform's key, when the request is signed with its secret: 401
/// for a missing or unknown key or a bad, stale or missing signature, 403
/// for a key that may not hand off.
pub async fn authenticate(
    db: &DatabaseConnection,
    signer: &WebhookSigner,
    request: &Signed<'_>,
) -> Result<api_key::Model, AppError> {
    let unknown = || {
        refused(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "give the platform's API key in X-Api-Key",
        )
    };
    let key = match request.api_key.map(str::trim) {
        Some(k) if !k.is_empty() => api_keys::verify(db, k).await?.ok_or_else(unknown)?,
        _ => return Err(unknown()),
    };
    if key.scope != Scope::Platform12345.as_str() {
        return Err(AppError::Forbidden(
            "this API key may not hand off work orders (its scope is not platform_12345)"
                .to_owned(),
        ));
    }
    let secret = signer.client_secret(&key.prefix);
    crate::outbox::verify(
        &secret,
        request.signature.unwrap_or_default(),
        request.body,
        request.now,
    )
    .map_err(|e| {
        let code = match e {
            BadSignature::Stale => "signature_expired",
            BadSignature::Malformed | BadSignature::Mismatch => "bad_signature",
        };
        refused(StatusCode::UNAUTHORIZED, code, e.to_string())
    })?;
    Ok(key)
}

/// The order as JSON: a body that is not one is a 400; fields are checked
/// by the report's own rules afterwards.
pub fn parse(body: &[u8]) -> Result<WorkOrder, AppError> {
    let order: WorkOrder = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the body is not a work order: {e}")))?;
    let n = order.order_no.chars().count();
    if !(1..=64).contains(&n)
        || !order
            .order_no
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(AppError::field(
            "order_no",
            FieldErrorCode::Invalid,
            "1 to 64 of A–Z, a–z, 0–9, '-', '_' and '.'",
        ));
    }
    Ok(order)
}

/// Files the order, or answers the case it made before.
pub async fn file(
    reports: &Reports<'_>,
    key: &api_key::Model,
    order: WorkOrder,
) -> Result<HandoffReceipt, AppError> {
    if let Some(existing) = existing(reports.db, key, &order.order_no).await? {
        return Ok(existing);
    }
    let raw = RawReport {
        category: Some(order.category),
        description: Some(order.description),
        lat: Some(order.lat.to_string()),
        lon: Some(order.lon.to_string()),
        coord_system: order.coord_system,
        occurred_at: order.occurred_at,
        answers: order
            .answers
            .map(|a| serde_json::Value::Object(a).to_string()),
        name: order.caller.as_ref().map(|c| c.name.clone()),
        phone: order.caller.as_ref().map(|c| c.phone.clone()),
        ..Default::default()
    };
    match reports
        .submit(raw, Intake::handoff(key, &order.order_no), None)
        .await
    {
        Ok(receipt) => Ok(HandoffReceipt {
            order_no: order.order_no,
            tracking_code: receipt.tracking_code,
            state: receipt.state,
            secret: Some(receipt.secret),
            duplicate: false,
        }),
        // A twin of this request committed first.
        Err(AppError::Rejected { code, .. }) if code == ORDER_EXISTS => {
            existing(reports.db, key, &order.order_no)
                .await?
                .ok_or(AppError::Conflict(
                    "this work order is being handed off".to_owned(),
                ))
        }
        Err(e) => Err(e),
    }
}

async fn existing(
    db: &DatabaseConnection,
    key: &api_key::Model,
    order_no: &str,
) -> Result<Option<HandoffReceipt>, AppError> {
    let found = case::Entity::find()
        .filter(case::Column::ApiKeyId.eq(key.id))
        .filter(case::Column::ExternalRef.eq(order_no))
        .one(db)
        .await?;
    Ok(found.map(|c| HandoffReceipt {
        order_no: order_no.to_owned(),
        tracking_code: c.code,
        state: c.state,
        secret: None,
        duplicate: true,
    }))
}
