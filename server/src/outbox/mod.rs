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
//!
//! - [`signer`]: the signature a receiver checks;
//! - [`worker`]: the background sender, its claims and back-off;
//! - [`handlers`]: the admin's view of failing notifications.

mod handlers;
mod signer;
mod worker;

pub use handlers::router;
pub use signer::{
    BadSignature, SIGNATURE_HEADER, SIGNATURE_WINDOW_SECS, SIGNING_KEY_LABEL, WebhookSigner, sign,
    verify,
};
pub use worker::{backoff, deliver_due, run};

use crate::config::OutboxPolicy;
use crate::db::entities::{api_key, case, category, department, webhook_outbox};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

/// What a department's system receives. Nothing personal: the reporter's
/// identity and words never leave Shanshui this way.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    event: &'a str,
    case: &'a str,
    category: &'a str,
    department: &'a str,
    priority: &'a str,
    state: &'a str,
    /// The state it left, on `case.updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_state: Option<&'a str>,
    /// The road it came in by (受理渠道).
    channel: &'a str,
    submitted_at: String,
    deadline: Option<String>,
    lat: f64,
    lon: f64,
    /// Once the reply is approved (办结): the finding, the reply to the
    /// reporter and the measures taken, as the reviewer approved them, so
    /// the system a case came from (the 12345 platform) can answer its
    /// caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome<'a>>,
}

#[derive(Debug, Serialize)]
struct Outcome<'a> {
    finding: &'a str,
    reply: &'a str,
    actions_taken: Option<&'a str>,
    closed_at: Option<String>,
}

/// `case.updated`: the case's state changed (受理, 不予受理, 办理中, 办结, …).
pub const CASE_UPDATED: &str = "case.updated";

/// Queues a notification of `event` on `case` for `department`, if the
/// department has a webhook. Call it inside the transaction of the change.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    department: &department::Model,
    case: &case::Model,
    event: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    enqueue_change(conn, department, None, case, event, None, now).await
}

/// Queues `case.updated` for each department holding `case` now (the lead
/// and any co-department) that has a webhook, and for the API key the case
/// came through if it has a callback (the 12345 platform, an Open311
/// client): the case left `previous`.
pub async fn enqueue_updated(
    conn: &impl ConnectionTrait,
    case: &case::Model,
    previous: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for id in [case.department_id, case.co_department_id]
        .into_iter()
        .flatten()
    {
        if let Some(d) = department::Entity::find_by_id(id).one(conn).await? {
            enqueue_change(conn, &d, None, case, CASE_UPDATED, Some(previous), now).await?;
        }
    }
    if let Some(key_id) = case.api_key_id
        && let Some(key) = api_key::Entity::find_by_id(key_id).one(conn).await?
        && let Some(lead) = match case.department_id {
            Some(id) => department::Entity::find_by_id(id).one(conn).await?,
            None => None,
        }
    {
        enqueue_change(
            conn,
            &lead,
            Some(&key),
            case,
            CASE_UPDATED,
            Some(previous),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Queues one notification about `department`'s case: to the department's
/// webhook, or with `client` to that API key's callback. Nothing is queued
/// where there is no address (or the key is revoked).
async fn enqueue_change(
    conn: &impl ConnectionTrait,
    department: &department::Model,
    client: Option<&api_key::Model>,
    case: &case::Model,
    event: &str,
    previous_state: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let address = match client {
        Some(key) if key.revoked_at.is_some() => None,
        Some(key) => key.callback_url.as_deref(),
        None => department.webhook_url.as_deref(),
    };
    if address.is_none_or(|u| u.trim().is_empty()) {
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
        previous_state,
        channel: &case.channel,
        submitted_at: case.submitted_at.to_rfc3339(),
        deadline: case.due_at.map(|d| d.to_rfc3339()),
        lat: case.lat,
        lon: case.lon,
        // Only an approved reply: a draft under review is not an answer.
        outcome: match (case.state.as_str(), &case.finding, &case.reply) {
            ("closed", Some(finding), Some(reply)) => Some(Outcome {
                finding,
                reply,
                actions_taken: case.actions_taken.as_deref(),
                closed_at: case.closed_at.map(|t| t.to_rfc3339()),
            }),
            _ => None,
        },
    };
    webhook_outbox::ActiveModel {
        department_id: Set(department.id),
        api_key_id: Set(client.map(|k| k.id)),
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
pub async fn retry_now(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = webhook_outbox::Entity::update_many()
        .col_expr(webhook_outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(webhook_outbox::Column::Id.eq(id))
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
