//! The background sender: claims due notifications, sends them through
//! the egress-checked client, and backs off on failure.

use super::{SIGNATURE_HEADER, WebhookSigner};
use crate::clock::Clock;
use crate::config::OutboxPolicy;
use crate::db::entities::{api_key, department, webhook_outbox};
use crate::egress::{AllowList, WebhookClient};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::time::Duration;

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
    clock: Clock,
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
        match deliver_due(&db, &client, &policy, &signer, &clock).await {
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
    clock: &Clock,
) -> Result<usize, DbErr> {
    let now = clock.now();
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
        let outcome = send(db, client, signer, &message, clock.now()).await;
        let attempts = message.attempts + 1;
        let mut row: webhook_outbox::ActiveModel = message.clone().into();
        row.attempts = Set(attempts);
        row.locked_until = Set(None);
        match outcome {
            Ok(()) => {
                row.delivered_at = Set(Some(clock.now()));
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
    now: DateTime<Utc>,
) -> Result<(), String> {
    // The current address: an admin may fix a wrong one while messages wait.
    // A message to an API key's callback is signed with that key's secret.
    let (url, signature) = match message.api_key_id {
        Some(key_id) => {
            let key = api_key::Entity::find_by_id(key_id)
                .one(db)
                .await
                .map_err(|e| e.to_string())?;
            let Some((prefix, url)) = key
                .filter(|k| k.revoked_at.is_none())
                .and_then(|k| Some((k.prefix, k.callback_url?)))
                .filter(|(_, u)| !u.trim().is_empty())
            else {
                return Err("the API key has no callback address any more".to_owned());
            };
            // Signed when sent, not when queued, so a retry carries a fresh time.
            let signature = signer.client_signature(&prefix, now.timestamp(), &message.payload);
            (url, signature)
        }
        None => {
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
            let signature = signer.signature(&code, now.timestamp(), &message.payload);
            (url, signature)
        }
    };
    // The address is checked again at every send: it may have been stored
    // before the rule existed, or written by something other than the API.
    let request = client
        .post(&url)
        .map_err(|e| format!("not delivered: {e}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
