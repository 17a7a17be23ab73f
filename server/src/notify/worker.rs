//! The message sender: claims due messages, checks they are still wanted and
//! within the recipient's daily cap, sends them by push or SMS, and backs
//! off on failure. Like the webhook outbox, a row is claimed
//! (`locked_until`) by one conditional update before it is sent, so two
//! replicas never send the same message, and a worker killed mid-send
//! leaves a claim that expires and is taken again (the push service is
//! given a `Topic`, so a message sent twice that way replaces itself).

use super::sms::{Sms, SmsError, Template};
use super::{Channels, DAILY_CAP_PUSH, DAILY_CAP_SMS, MAX_ATTEMPTS, PUSH, PUSH_TTL_SECS};
use crate::clock::Clock;
use crate::config::OutboxPolicy;
use crate::db::entities::{case, message_outbox, push_subscription, reward};
use crate::egress::{AllowList, WebhookClient};
use crate::outbox::backoff;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::sync::Arc;

pub use super::{DROPPED, FAILED, QUEUED, SENT};

/// Runs the worker until `stop` fires.
pub async fn run(
    db: DatabaseConnection,
    policy: OutboxPolicy,
    allow: AllowList,
    channels: Arc<Channels>,
    clock: Clock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = match WebhookClient::new(allow, policy.request_timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the push client; messages stay queued");
            return;
        }
    };
    loop {
        let full = match deliver_due(&db, &client, &policy, &channels, &clock).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(sent = n, "message outbox pass");
                }
                n >= BATCH
            }
            Err(e) => {
                tracing::warn!(error = %e, "message outbox pass failed; retrying");
                false
            }
        };
        // A full pass leaves more waiting (a backlog after an outage):
        // go again at once. Otherwise wait for a change here (`wake`) or
        // the poll, which finds retries, scheduled messages and other
        // replicas' rows.
        if full {
            if *stop.borrow() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = super::woken_or(policy.poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// What became of one attempt.
enum Outcome {
    Sent(Option<String>),
    /// Not needed any more (rated already, reward claimed, subscription
    /// gone): recorded, never sent.
    Dropped(String),
    /// Later, without counting an attempt: the daily cap, or a reminder
    /// whose date moved.
    Later(DateTime<Utc>, Option<String>),
    Retry(String),
    /// Refused for good by the provider or the push service.
    Failed(String),
}

/// Messages one pass takes.
pub const BATCH: usize = 50;

/// Recipients one worker sends to at once: a slow push service holds up
/// only its own messages, not everyone's.
pub const CONCURRENCY: usize = 8;

/// One pass: claims and sends every due message, [`CONCURRENCY`] at a
/// time. Answers how many were attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    client: &WebhookClient,
    policy: &OutboxPolicy,
    channels: &Channels,
    clock: &Clock,
) -> Result<usize, DbErr> {
    use futures::StreamExt;
    let now = clock.now();
    let due = message_outbox::Entity::find()
        .filter(message_outbox::Column::Status.eq(QUEUED))
        .filter(message_outbox::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(message_outbox::Column::LockedUntil.is_null())
                .add(message_outbox::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(message_outbox::Column::NextAttemptAt)
        .limit(BATCH as u64)
        .all(db)
        .await?;
    // One recipient's messages one after another (so its daily cap counts
    // each sent before the next), different recipients side by side.
    let mut by_recipient: Vec<Vec<message_outbox::Model>> = Vec::new();
    for message in due {
        match by_recipient
            .iter_mut()
            .find(|group| group[0].recipient_key == message.recipient_key)
        {
            Some(group) => group.push(message),
            None => by_recipient.push(vec![message]),
        }
    }
    let results: Vec<Result<usize, DbErr>> = futures::stream::iter(by_recipient)
        .map(|group| async move {
            let mut attempted = 0;
            for message in group {
                if deliver_one(db, client, policy, channels, clock, message, now).await? {
                    attempted += 1;
                }
            }
            Ok(attempted)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut attempted = 0;
    for r in results {
        attempted += r?;
    }
    Ok(attempted)
}

/// Claims one message and, if this worker got it, sends it and writes the
/// outcome under its claim. Answers whether it was this worker's.
async fn deliver_one(
    db: &DatabaseConnection,
    client: &WebhookClient,
    policy: &OutboxPolicy,
    channels: &Channels,
    clock: &Clock,
    message: message_outbox::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use message_outbox::Column as C;
    let token = uuid::Uuid::new_v4().to_string();
    if !claim(db, &message, policy, &token, now).await? {
        return Ok(false); // another replica took it
    }
    let outcome = attempt(db, client, channels, &message, now).await?;
    let mut columns: Vec<(C, sea_orm::Value)> = vec![
        (C::LockedUntil, None::<DateTime<Utc>>.into()),
        (C::ClaimToken, None::<String>.into()),
    ];
    // What a message holds is not kept once it has served: the phone, and
    // a one-time code's digits.
    let finished = |columns: &mut Vec<(C, sea_orm::Value)>| {
        columns.push((C::RecipientEnc, None::<String>.into()));
        if message.event == Template::RecoveryCode.as_str() {
            columns.push((C::Params, "[]".into()));
        }
    };
    match outcome {
        Outcome::Sent(provider_id) => {
            columns.push((C::Attempts, (message.attempts + 1).into()));
            columns.push((C::Status, SENT.into()));
            columns.push((C::SentAt, Some(clock.now()).into()));
            columns.push((C::ProviderId, provider_id.into()));
            columns.push((C::LastError, None::<String>.into()));
            finished(&mut columns);
        }
        Outcome::Dropped(why) => {
            columns.push((C::Status, DROPPED.into()));
            columns.push((C::LastError, Some(why).into()));
            finished(&mut columns);
        }
        Outcome::Later(at, why) => {
            columns.push((C::NextAttemptAt, at.into()));
            columns.push((C::LastError, why.into()));
        }
        Outcome::Retry(e) => {
            let attempts = message.attempts + 1;
            columns.push((C::Attempts, attempts.into()));
            if attempts >= MAX_ATTEMPTS {
                tracing::warn!(id = message.id, attempts, error = %e, "a message is given up");
                columns.push((C::Status, FAILED.into()));
                finished(&mut columns);
            } else {
                // Counted from the claim, like the webhooks' back-off.
                let wait =
                    Duration::from_std(backoff(policy, message.attempts)).unwrap_or_default();
                columns.push((C::NextAttemptAt, (now + wait).into()));
            }
            columns.push((C::LastError, Some(e).into()));
        }
        Outcome::Failed(e) => {
            columns.push((C::Attempts, (message.attempts + 1).into()));
            columns.push((C::Status, FAILED.into()));
            columns.push((C::LastError, Some(e).into()));
            finished(&mut columns);
        }
    }
    let mut update = message_outbox::Entity::update_many();
    for (column, value) in columns {
        update = update.col_expr(column, Expr::value(value));
    }
    // Only under this worker's claim: a worker that stalled past its claim
    // (whose message another then took) writes nothing.
    update
        .filter(C::Id.eq(message.id))
        .filter(C::ClaimToken.eq(token.as_str()))
        .exec(db)
        .await?;
    Ok(true)
}

/// Takes the row for this worker, under `token`, until the send has had
/// time to finish.
async fn claim(
    db: &DatabaseConnection,
    message: &message_outbox::Model,
    policy: &OutboxPolicy,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let hold = Duration::from_std(policy.request_timeout * 3).unwrap_or_default();
    let result = message_outbox::Entity::update_many()
        .col_expr(
            message_outbox::Column::LockedUntil,
            Expr::value(Some(now + hold)),
        )
        .col_expr(message_outbox::Column::ClaimToken, Expr::value(Some(token)))
        .filter(message_outbox::Column::Id.eq(message.id))
        .filter(message_outbox::Column::Status.eq(QUEUED))
        .filter(
            Condition::any()
                .add(message_outbox::Column::LockedUntil.is_null())
                .add(message_outbox::Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn attempt(
    db: &DatabaseConnection,
    client: &WebhookClient,
    channels: &Channels,
    message: &message_outbox::Model,
    now: DateTime<Utc>,
) -> Result<Outcome, DbErr> {
    let Some(template) = Template::parse(&message.event) else {
        return Ok(Outcome::Failed("an unknown template".to_owned()));
    };
    if let Some(outcome) = still_wanted(db, message, template, now).await? {
        return Ok(outcome);
    }
    // A recovery code cannot wait for tomorrow: it has its own limits.
    if template != Template::RecoveryCode {
        let cap = if message.channel == PUSH {
            DAILY_CAP_PUSH
        } else {
            DAILY_CAP_SMS
        };
        // Codes are not counted: a stranger asking for codes to a phone
        // must not push its owner's case messages to tomorrow.
        let sent_today = message_outbox::Entity::find()
            .filter(message_outbox::Column::RecipientKey.eq(message.recipient_key.as_str()))
            .filter(message_outbox::Column::Status.eq(SENT))
            .filter(message_outbox::Column::Event.ne(Template::RecoveryCode.as_str()))
            .filter(message_outbox::Column::SentAt.gte(super::events::local_midnight(now)))
            .count(db)
            .await?;
        if sent_today >= cap {
            // Tomorrow at eight, Beijing time: not a phone buzzing at midnight.
            return Ok(Outcome::Later(
                super::events::next_local_midnight(now) + Duration::hours(8),
                Some("the recipient's daily limit is reached; sent tomorrow".to_owned()),
            ));
        }
    }
    let params: Vec<String> = serde_json::from_str(&message.params).unwrap_or_default();
    if message.channel == PUSH {
        return push(db, client, channels, message, template, &params).await;
    }
    let Some(phone) = message
        .recipient_enc
        .as_deref()
        .and_then(|p| channels.pii.decrypt(p).ok())
    else {
        return Ok(Outcome::Failed("the phone cannot be read".to_owned()));
    };
    let sms = Sms {
        phone: &phone,
        template,
        params: &params,
    };
    Ok(match channels.sms.send(&sms).await {
        Ok(sent) => Outcome::Sent(sent.provider_id),
        Err(SmsError::Rejected(e)) => Outcome::Failed(format!("refused by the provider: {e}")),
        Err(SmsError::Temporary(e)) => Outcome::Retry(format!("not sent: {e}")),
    })
}

/// Whether a message queued earlier still says something true: a
/// satisfaction question to a case already rated, or a reminder of a
/// reward already claimed, is dropped; a reminder whose deadline moved
/// (the reward was held during a review) waits for the new date.
async fn still_wanted(
    db: &DatabaseConnection,
    message: &message_outbox::Model,
    template: Template,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, DbErr> {
    // A code is worth sending only while it is valid.
    if template == Template::RecoveryCode
        && now - message.created_at > Duration::minutes(shared::notify::RECOVERY_CODE_MINUTES)
    {
        return Ok(Some(Outcome::Dropped(
            "the code expired before it could be sent".to_owned(),
        )));
    }
    // A text for a report goes to the phone the report has now: none if the
    // reporter removed it (or it was deleted 90 days after closing), not an
    // old one if they changed it.
    if message.channel == super::SMS
        && let Some(report_id) = message.report_id
    {
        let current = match crate::db::entities::report::Entity::find_by_id(report_id)
            .one(db)
            .await?
        {
            Some(r) => super::events::phone_of(db, &r).await?,
            None => None,
        };
        if current.is_none_or(|(_, index)| format!("sms:{index}") != message.recipient_key) {
            return Ok(Some(Outcome::Dropped(
                "the reporter's phone was removed or changed".to_owned(),
            )));
        }
    }
    let Some(case_id) = message.case_id else {
        return Ok(None);
    };
    // Invented reporters (演示数据) are told nothing: a demo case's phone
    // is nobody's. (Its receipt is queued before the case is marked.)
    let Some(c) = case::Entity::find_by_id(case_id).one(db).await? else {
        return Ok(Some(Outcome::Dropped("the case is gone".to_owned())));
    };
    if c.demo {
        return Ok(Some(Outcome::Dropped(
            "演示数据 demo data: not sent".to_owned(),
        )));
    }
    match template {
        Template::RateQuestion => Ok((c.rated || c.state != "closed")
            .then(|| Outcome::Dropped("answered already".to_owned()))),
        Template::RewardExpiring => {
            let Some(report_id) = message.report_id else {
                return Ok(None);
            };
            let live = reward::Entity::find()
                .filter(reward::Column::CaseId.eq(case_id))
                .filter(reward::Column::ReportId.eq(report_id))
                .filter(reward::Column::State.eq("approved"))
                .one(db)
                .await?;
            Ok(match live {
                None => Some(Outcome::Dropped("the reward is no longer open".to_owned())),
                Some(r) if r.held_at.is_some() => Some(Outcome::Later(
                    now + Duration::days(1),
                    Some("the reward is held for a review".to_owned()),
                )),
                Some(r) => match r.claim_deadline {
                    Some(d) if d - super::events::REWARD_REMINDER_BEFORE > now => Some(
                        Outcome::Later(d - super::events::REWARD_REMINDER_BEFORE, None),
                    ),
                    _ => None,
                },
            })
        }
        _ => Ok(None),
    }
}

/// The payload the service worker shows: a title, a line, and the page to
/// open. Nothing else; the case's own words stay on `/track`.
fn push_payload(template: Template, params: &[String], lang: &str) -> String {
    let code = params.first().cloned().unwrap_or_default();
    let (title, body) = if lang == "en" {
        ("Shanshui".to_owned(), text_en(template, params))
    } else {
        (
            "山水 · 环保举报".to_owned(),
            template.render(params).unwrap_or_default(),
        )
    };
    serde_json::json!({
        "title": title,
        "body": body,
        "url": format!("/track#code={code}"),
        "tag": code,
    })
    .to_string()
}

/// The English line of a notification, for a browser that subscribed in
/// English (an SMS is always the approved Chinese template).
fn text_en(template: Template, params: &[String]) -> String {
    let p = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    match template {
        Template::Accepted => format!(
            "Your report {} was accepted. Open it to follow its progress.",
            p(0)
        ),
        Template::Rejected => format!(
            "Your report {} was not accepted. Open it to read why.",
            p(0)
        ),
        Template::InfoRequested => format!(
            "A question about your report {} waits for your answer.",
            p(0)
        ),
        Template::ReplyApproved => format!(
            "Your report {} has its reply. You may contest it until {}.",
            p(0),
            p(1)
        ),
        Template::RewardApproved => format!(
            "A reward for your report {} was approved. Claim it by {}.",
            p(0),
            p(1)
        ),
        Template::RewardExpiring => format!(
            "The reward for your report {} expires on {}. Claim it before then.",
            p(0),
            p(1)
        ),
        Template::RateQuestion => {
            format!("Was the problem in your report {} solved? Tell us.", p(0))
        }
        Template::RecoveryCode => format!("Your code is {}. It is valid for 10 minutes.", p(0)),
        Template::Receipt => format!("Your report was filed as {}. Keep its secret safe.", p(0)),
    }
}

async fn push(
    db: &DatabaseConnection,
    client: &WebhookClient,
    channels: &Channels,
    message: &message_outbox::Model,
    template: Template,
    params: &[String],
) -> Result<Outcome, DbErr> {
    let found = match message.subscription_id {
        Some(id) => push_subscription::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let Some(subscription) = found else {
        return Ok(Outcome::Dropped("the subscription was removed".to_owned()));
    };
    let payload = push_payload(template, params, &message.lang);
    let body =
        match super::webpush::encrypt(&subscription.p256dh, &subscription.auth, payload.as_bytes())
        {
            Ok(b) => b,
            Err(e) => return Ok(Outcome::Failed(format!("cannot encrypt: {e}"))),
        };
    // The push service judges `exp` by its own, real clock, not ours.
    let expires = (Utc::now() + Duration::hours(12)).timestamp();
    let authorization =
        match channels
            .vapid
            .authorization(&subscription.endpoint, &channels.contact, expires)
        {
            Ok(a) => a,
            Err(e) => return Ok(Outcome::Failed(format!("cannot sign: {e}"))),
        };
    let request = match client.post(&subscription.endpoint) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::Failed(format!("not delivered: {e}"))),
    };
    // RFC 8030 §5.4: a later message with the same topic replaces one the
    // push service still holds, so a resend after a lost answer shows once.
    let topic: String = message
        .idempotency_key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32)
        .collect();
    let sent = request
        .header("content-encoding", "aes128gcm")
        .header("content-type", "application/octet-stream")
        .header("ttl", PUSH_TTL_SECS.to_string())
        .header("urgency", "normal")
        .header("topic", topic)
        .header("authorization", authorization)
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::Retry(crate::egress::failure(&e))),
    };
    let status = response.status().as_u16();
    Ok(match status {
        200..=299 => Outcome::Sent(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(|l| l.chars().take(200).collect()),
        ),
        // RFC 8030 §7.3: the subscription has expired or was withdrawn;
        // it is removed, and its other queued messages with it.
        404 | 410 => {
            forget_subscription(db, subscription.id).await?;
            Outcome::Dropped(format!(
                "the push service answered {status}: the subscription is gone and was removed"
            ))
        }
        429 | 500..=599 => Outcome::Retry(format!("the push service answered HTTP {status}")),
        _ => Outcome::Failed(format!("the push service answered HTTP {status}")),
    })
}

/// Removes a subscription the push service says is gone, and drops the
/// messages still queued for it.
async fn forget_subscription(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    push_subscription::Entity::delete_by_id(id).exec(db).await?;
    message_outbox::Entity::update_many()
        .col_expr(message_outbox::Column::Status, Expr::value(DROPPED))
        .col_expr(
            message_outbox::Column::LastError,
            Expr::value(Some("the subscription is gone")),
        )
        .filter(message_outbox::Column::SubscriptionId.eq(id))
        .filter(message_outbox::Column::Status.eq(QUEUED))
        .filter(message_outbox::Column::LockedUntil.is_null())
        .exec(db)
        .await?;
    Ok(())
}
