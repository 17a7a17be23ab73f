//! Telling departments about their cases (通知): a durable outbox. A
//! notification is a row written in the same transaction as the routing or
//! transfer it reports, so neither exists without the other; a background
//! worker POSTs it to the department's webhook with `reqwest`, retrying with
//! exponential back-off until it is delivered. Rows survive restarts; a row
//! is claimed (`locked_until`) before it is sent, so several replicas never
//! send the same one at once, and each carries an `Idempotency-Key` so a
//! receiver can drop the duplicate a lost answer causes.
//!
//! Each is signed ([`WebhookSigner`]) so the department's system can check
//! that it comes from Shanshui and was not changed on the way. Each goes
//! through [`WebhookClient`], which refuses addresses on the server's own
//! network unless `--webhook-allow` names them (see [`crate::egress`]).

use crate::config::OutboxPolicy;
use crate::db::entities::{case, category, department, webhook_outbox};
use crate::egress::{AllowList, WebhookClient};
use chrono::{DateTime, Utc};
use hmac::Mac;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The header that carries a notification's signature.
pub const SIGNATURE_HEADER: &str = "x-shanshui-signature";
/// The label the signing key is derived under from the deployment's secret
/// (`PiiCipher::derive_key`).
pub const SIGNING_KEY_LABEL: &str = "shanshui webhook signing v1";

/// Signs notifications the way Stripe and GitHub sign theirs:
/// `X-Shanshui-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`,
/// keyed with the department's own secret (its text, as ASCII), so one
/// department cannot forge messages to another's system. A receiver
/// recomputes the MAC over the exact body bytes, compares in constant time,
/// and refuses a `t` more than a few minutes old (a replay).
///
/// The secrets are derived from one signing key and the department's code,
/// not stored: admins read them at `GET /api/v1/departments/{code}/webhook-secret`.
pub struct WebhookSigner {
    key: [u8; 32],
}

impl WebhookSigner {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The department's signing secret: 64 hex characters.
    pub fn secret(&self, department: &str) -> String {
        let mut mac = crate::privacy::cipher::hmac_with(&self.key);
        mac.update(b"department:");
        mac.update(department.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The header value for `body` sent to `department` at `at` (Unix seconds).
    pub fn signature(&self, department: &str, at: i64, body: &str) -> String {
        let mut mac = crate::privacy::cipher::hmac_with(self.secret(department).as_bytes());
        mac.update(at.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// What a department's system receives. Nothing personal: the reporter's
/// identity never leaves Shanshui this way.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    event: &'a str,
    case: &'a str,
    category: &'a str,
    department: &'a str,
    priority: &'a str,
    state: &'a str,
    submitted_at: String,
    deadline: Option<String>,
    lat: f64,
    lon: f64,
}

/// Queues a notification of `event` on `case` for `department`, if the
/// department has a webhook. Call it inside the transaction of the change.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    department: &department::Model,
    case: &case::Model,
    event: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if department
        .webhook_url
        .as_deref()
        .is_none_or(|u| u.trim().is_empty())
    {
        return Ok(());
    }
    let category = category::Entity::find_by_id(case.category_id)
        .one(conn)
        .await?;
    let payload = Payload {
        event,
        case: &case.code,
        category: category
            .as_ref()
            .map(|c| c.code.as_str())
            .unwrap_or_default(),
        department: &department.code,
        priority: &case.priority,
        state: &case.state,
        submitted_at: case.submitted_at.to_rfc3339(),
        deadline: case.due_at.map(|d| d.to_rfc3339()),
        lat: case.lat,
        lon: case.lon,
    };
    webhook_outbox::ActiveModel {
        department_id: Set(department.id),
        case_id: Set(case.id),
        event: Set(event.to_owned()),
        payload: Set(serde_json::to_string(&payload).unwrap_or_default()),
        idempotency_key: Set(uuid::Uuid::new_v4().to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// The delay before attempt `attempts + 1`: base × 2^attempts, capped.
pub fn backoff(policy: &OutboxPolicy, attempts: i32) -> Duration {
    let factor = 2u32.saturating_pow(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30));
    policy
        .retry_base
        .saturating_mul(factor)
        .min(policy.max_delay)
}

/// Runs the worker until `stop` fires.
pub async fn run(
    db: DatabaseConnection,
    policy: OutboxPolicy,
    allow: AllowList,
    signer: Arc<WebhookSigner>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = match WebhookClient::new(allow, policy.request_timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; notifications stay queued");
            return;
        }
    };
    loop {
        match deliver_due(&db, &client, &policy, &signer).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sent = n, "webhook outbox pass"),
            Err(e) => tracing::warn!(error = %e, "webhook outbox pass failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(policy.poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass: claims and sends every due notification. Answers how many were
/// attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    client: &WebhookClient,
    policy: &OutboxPolicy,
    signer: &WebhookSigner,
) -> Result<usize, DbErr> {
    let now = Utc::now();
    let due = webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(webhook_outbox::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_outbox::Column::LockedUntil.is_null())
                .add(webhook_outbox::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(webhook_outbox::Column::NextAttemptAt)
        .limit(20)
        .all(db)
        .await?;
    let mut attempted = 0;
    for message in due {
        if !claim(db, &message, policy, now).await? {
            continue; // another replica took it
        }
        attempted += 1;
        let outcome = send(db, client, signer, &message).await;
        let attempts = message.attempts + 1;
        let mut row: webhook_outbox::ActiveModel = message.clone().into();
        row.attempts = Set(attempts);
        row.locked_until = Set(None);
        match outcome {
            Ok(()) => {
                row.delivered_at = Set(Some(Utc::now()));
                row.last_error = Set(None);
            }
            Err(e) => {
                // Counted from the claim, not from the answer: a next attempt
                // that moved with the time a send took would tell an admin a
                // timeout (a filtered port) from a refusal (a closed one).
                let wait = chrono::Duration::from_std(backoff(policy, message.attempts))
                    .unwrap_or_default();
                row.next_attempt_at = Set(now + wait);
                if attempts >= policy.failing_after {
                    tracing::warn!(id = message.id, attempts, error = %e, "a webhook keeps failing");
                }
                row.last_error = Set(Some(e));
            }
        }
        row.update(db).await?;
    }
    Ok(attempted)
}

/// Takes the row for this worker until the send has had time to finish.
async fn claim(
    db: &DatabaseConnection,
    message: &webhook_outbox::Model,
    policy: &OutboxPolicy,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let hold = chrono::Duration::from_std(policy.request_timeout * 3).unwrap_or_default();
    let result = webhook_outbox::Entity::update_many()
        .col_expr(
            webhook_outbox::Column::LockedUntil,
            Expr::value(Some(now + hold)),
        )
        .filter(webhook_outbox::Column::Id.eq(message.id))
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(
            Condition::any()
                .add(webhook_outbox::Column::LockedUntil.is_null())
                .add(webhook_outbox::Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn send(
    db: &DatabaseConnection,
    client: &WebhookClient,
    signer: &WebhookSigner,
    message: &webhook_outbox::Model,
) -> Result<(), String> {
    // The department's current address: an admin may fix a wrong one while
    // messages wait.
    let department = department::Entity::find_by_id(message.department_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?;
    let Some((code, url)) = department
        .and_then(|d| Some((d.code, d.webhook_url?)))
        .filter(|(_, u)| !u.trim().is_empty())
    else {
        return Err("the department has no webhook address any more".to_owned());
    };
    // The address is checked again at every send: it may have been stored
    // before the rule existed, or written by something other than the API.
    let request = client
        .post(&url)
        .map_err(|e| format!("not delivered: {e}"))?;
    // Signed when sent, not when queued, so a retry carries a fresh time.
    let signature = signer.signature(&code, Utc::now().timestamp(), &message.payload);
    let response = request
        .header("content-type", "application/json")
        .header("idempotency-key", &message.idempotency_key)
        .header("x-shanshui-event", &message.event)
        .header(SIGNATURE_HEADER, signature)
        .body(message.payload.clone())
        .send()
        .await
        .map_err(|e| {
            // The detail is for the operator's log; the admin view gets the
            // coarse reason only.
            tracing::debug!(id = message.id, error = %without_url(&e), "a webhook was not delivered");
            crate::egress::failure(&e)
        })?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(()),
        // Only the class: the exact code would fingerprint what listens.
        300..=399 => Err("the receiver answered HTTP 3xx (redirects are not followed)".to_owned()),
        _ => Err(format!("the receiver answered HTTP {}xx", status / 100)),
    }
}

/// reqwest's errors name the URL, which may carry a token; the log gets the
/// failure without it.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    match e.url() {
        Some(url) => text.replace(url.as_str(), "<webhook>"),
        None => text,
    }
}

/// Notifications that have failed `failing_after` times or more and are not
/// delivered: the admin view lists them.
pub async fn failing(
    db: &impl ConnectionTrait,
    policy: &OutboxPolicy,
) -> Result<Vec<webhook_outbox::Model>, DbErr> {
    webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(webhook_outbox::Column::Attempts.gte(policy.failing_after))
        .order_by_asc(webhook_outbox::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await
}

/// Sends a failing notification again now (an admin fixed the receiver).
pub async fn retry_now(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = webhook_outbox::Entity::update_many()
        .col_expr(
            webhook_outbox::Column::NextAttemptAt,
            Expr::value(Utc::now()),
        )
        .filter(webhook_outbox::Column::Id.eq(id))
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Failing notifications (发送失败的通知).
///
/// Webhook notifications to departments that keep failing, for admins,
/// dispatchers and auditors.
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    tag = "outbox",
    responses(
        (status = 200, description = "The notifications.", body = Vec<shared::directory::OutboxMessage>),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    ),
    security(("session" = []))
)]
pub async fn failing_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
) -> Result<crate::error::AppJson<Vec<shared::directory::OutboxMessage>>, crate::error::AppError> {
    user.require(&[
        shared::Role::Admin,
        shared::Role::Dispatcher,
        shared::Role::Auditor,
    ])?;
    let rows = failing(&state.db, &state.settings.outbox).await?;
    let departments: std::collections::BTreeMap<i64, String> = department::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code = case::Entity::find_by_id(r.case_id)
            .one(&state.db)
            .await?
            .map(|c| c.code)
            .unwrap_or_default();
        out.push(shared::directory::OutboxMessage {
            id: r.id,
            department: departments
                .get(&r.department_id)
                .cloned()
                .unwrap_or_default(),
            case: code,
            event: r.event,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.to_rfc3339(),
            last_error: r.last_error,
            delivered_at: r.delivered_at.map(|d| d.to_rfc3339()),
            created_at: r.created_at.to_rfc3339(),
        });
    }
    Ok(crate::error::AppJson(out))
}

/// Retry a notification now (立即重发).
///
/// For admins; audited. 404 when there is no such undelivered notification.
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{id}/retry",
    tag = "outbox",
    params(crate::openapi::IdPath),
    responses(
        (status = 202, description = "Queued to be sent at once."),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    ),
    security(("session" = []))
)]
pub async fn retry_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<axum::http::StatusCode, crate::error::AppError> {
    user.require(&[shared::Role::Admin])?;
    if !retry_now(&state.db, id).await? {
        return Err(crate::error::AppError::NotFound);
    }
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "outbox.retry",
        object_type: "webhook_outbox",
        object_id: &id.to_string(),
        detail: None,
    };
    crate::audit::record(&state.db, entry).await?;
    Ok(axum::http::StatusCode::ACCEPTED)
}

/// A department's webhook signing secret (回调签名密钥).
///
/// For admins, to configure the department's receiving system; every
/// reading is audited. See `X-Shanshui-Signature` in the README.
#[utoipa::path(
    get,
    path = "/api/v1/departments/{code}/webhook-secret",
    tag = "outbox",
    params(("code" = String, Path, description = "The department's code.")),
    responses(
        (status = 200, description = "The secret and how notifications are signed with it.", body = shared::directory::WebhookSecret),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    ),
    security(("session" = []))
)]
pub async fn secret_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    user: crate::auth::StaffUser,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<crate::error::AppJson<shared::directory::WebhookSecret>, crate::error::AppError> {
    user.require(&[shared::Role::Admin])?;
    let department = department::Entity::find()
        .filter(department::Column::Code.eq(code.as_str()))
        .one(&state.db)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let entry = crate::audit::Entry {
        actor: &user.username,
        action: "webhook.secret_read",
        object_type: "department",
        object_id: &department.code,
        detail: None,
    };
    crate::audit::record(&state.db, entry).await?;
    Ok(crate::error::AppJson(shared::directory::WebhookSecret {
        secret: state.signer.secret(&department.code),
        department: department.code,
        header: SIGNATURE_HEADER.to_owned(),
        scheme:
            "t=<unix seconds>,v1=<hex HMAC-SHA-256 of \"<t>.<body>\" keyed with the secret's text>"
                .to_owned(),
    }))
}

/// The module's part of the OpenAPI document (see `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(failing_handler, retry_handler, secret_handler))]
pub struct ApiDoc;

pub fn router() -> axum::Router<crate::state::AppState> {
    axum::Router::new()
        .route("/outbox", axum::routing::get(failing_handler))
        .route("/outbox/{id}/retry", axum::routing::post(retry_handler))
        .route(
            "/departments/{code}/webhook-secret",
            axum::routing::get(secret_handler),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_time_dot_body_under_the_department_secret() {
        let signer = WebhookSigner::new([7u8; 32]);
        let secret = signer.secret("BN-EPB");
        assert_eq!(secret.len(), 64);
        assert_ne!(
            secret,
            signer.secret("BN-WATER"),
            "each department its own secret"
        );
        assert_ne!(
            secret,
            WebhookSigner::new([8u8; 32]).secret("BN-EPB"),
            "and a new key changes them"
        );
        let body = r#"{"event":"case.routed"}"#;
        let mut mac = crate::privacy::cipher::hmac_with(secret.as_bytes());
        mac.update(b"1764400000.");
        mac.update(body.as_bytes());
        let expected = format!(
            "t=1764400000,v1={}",
            hex::encode(mac.finalize().into_bytes())
        );
        assert_eq!(signer.signature("BN-EPB", 1_764_400_000, body), expected);
        assert_ne!(
            signer.signature("BN-EPB", 1_764_400_000, &body.replace("routed", "closed")),
            expected
        );
    }

    #[test]
    fn back_off_doubles_and_is_capped() {
        let policy = OutboxPolicy {
            retry_base: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            ..Default::default()
        };
        assert_eq!(backoff(&policy, 0), Duration::from_secs(10));
        assert_eq!(backoff(&policy, 1), Duration::from_secs(20));
        assert_eq!(backoff(&policy, 5), Duration::from_secs(320));
        assert_eq!(backoff(&policy, 12), Duration::from_secs(3600));
        assert_eq!(backoff(&policy, i32::MAX), Duration::from_secs(3600));
    }
}
