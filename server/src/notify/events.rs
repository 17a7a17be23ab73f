//! Which change tells whom what. Called inside the transaction of the change,
//! so the messages and the change commit together; each writes rows for the
//! worker and sends nothing itself.

use super::sms::Template;
use super::{PUSH, SMS, mask_for_staff};
use crate::db::entities::{
    case, message_outbox, push_subscription, report, reporter_identity, reward,
};
use crate::directory::calendar::CHONGQING;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::case::CaseState;

/// How long after closing the reporter is asked 满意 / 基本满意 / 不满意:
/// a day, so the reply has been read first (and not two messages at once).
pub const RATE_QUESTION_AFTER: Duration = Duration::days(1);

/// How long before an unclaimed reward expires the reporter is reminded.
pub const REWARD_REMINDER_BEFORE: Duration = Duration::days(7);

/// A date as the reporter reads it: Beijing time, `2026-12-31`.
pub fn local_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&CHONGQING).format("%Y-%m-%d").to_string()
}

/// The start of the next Beijing day after `at`: when a capped recipient
/// is sent to again.
pub fn next_local_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    let local = at.with_timezone(&CHONGQING).date_naive();
    let next = local.succ_opt().unwrap_or(local);
    next.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(CHONGQING).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(at + Duration::days(1))
}

/// The start of the Beijing day `at` falls in.
pub fn local_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    next_local_midnight(at) - Duration::days(1)
}

/// The messages a case action causes, from the case as read before it and
/// as written after it. `asked`: the action was `request_info`.
pub async fn after_change(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    contest_days: i64,
    before: &case::Model,
    after: &case::Model,
    asked: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    // Invented reporters (演示数据) are told nothing.
    if after.demo {
        return Ok(());
    }
    let from = before.state.as_str();
    let to = after.state.as_str();
    let code = after.code.clone();
    let moved = from != to;
    if moved && to == CaseState::Accepted.as_str() && from == CaseState::Submitted.as_str() {
        for r in reports_of(txn, after.id, false).await? {
            enqueue_for_report(
                txn,
                pii,
                &r,
                Template::Accepted,
                vec![code.clone()],
                now,
                now,
            )
            .await?;
        }
    }
    if moved && to == CaseState::Rejected.as_str() {
        for r in reports_of(txn, after.id, false).await? {
            enqueue_for_report(
                txn,
                pii,
                &r,
                Template::Rejected,
                vec![code.clone()],
                now,
                now,
            )
            .await?;
        }
    }
    // The question, the reply and 回访 are the original reporter's.
    if asked {
        for r in reports_of(txn, after.id, true).await? {
            enqueue_for_report(
                txn,
                pii,
                &r,
                Template::InfoRequested,
                vec![code.clone()],
                now,
                now,
            )
            .await?;
        }
    }
    if moved && to == CaseState::Closed.as_str() {
        let closed = after.closed_at.unwrap_or(now);
        let contest_until = local_date(closed + Duration::days(contest_days));
        // Asked once: a question dropped unsent (the case was contested
        // within the day) does not count.
        let asked_before = message_outbox::Entity::find()
            .filter(message_outbox::Column::CaseId.eq(after.id))
            .filter(message_outbox::Column::Event.eq(Template::RateQuestion.as_str()))
            .filter(message_outbox::Column::Status.ne(super::DROPPED))
            .count(txn)
            .await?
            > 0;
        for r in reports_of(txn, after.id, true).await? {
            enqueue_for_report(
                txn,
                pii,
                &r,
                Template::ReplyApproved,
                vec![code.clone(), contest_until.clone()],
                now,
                now,
            )
            .await?;
            // Asked once: a reply approved again after a contest does not
            // ask again.
            if !after.rated && !asked_before {
                enqueue_for_report(
                    txn,
                    pii,
                    &r,
                    Template::RateQuestion,
                    vec![code.clone()],
                    now + RATE_QUESTION_AFTER,
                    now,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// A reward was approved (奖励审核通过): the reporter it is for is told the
/// claim deadline now, and reminded a week before it.
pub async fn after_reward_approved(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    reward: &reward::Model,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(r) = report::Entity::find_by_id(reward.report_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let Some(deadline) = reward.claim_deadline else {
        return Ok(());
    };
    let params = vec![code.to_owned(), local_date(deadline)];
    enqueue_for_report(
        txn,
        pii,
        &r,
        Template::RewardApproved,
        params.clone(),
        now,
        now,
    )
    .await?;
    let remind_at = deadline - REWARD_REMINDER_BEFORE;
    if remind_at > now {
        enqueue_for_report(
            txn,
            pii,
            &r,
            Template::RewardExpiring,
            params,
            remind_at,
            now,
        )
        .await?;
    }
    Ok(())
}

/// The reports of a case that are told: all, or only the original one.
async fn reports_of(
    conn: &impl ConnectionTrait,
    case_id: i64,
    original_only: bool,
) -> Result<Vec<report::Model>, DbErr> {
    let mut query = report::Entity::find().filter(report::Column::CaseId.eq(case_id));
    if original_only {
        query = query.filter(report::Column::Kind.eq("original"));
    }
    query.order_by_asc(report::Column::Id).all(conn).await
}

/// The phone a report's messages go to, encrypted, with its blind index:
/// the real-name reporter's, else the one an anonymous reporter left for
/// messages.
pub async fn phone_of(
    conn: &impl ConnectionTrait,
    r: &report::Model,
) -> Result<Option<(String, String)>, DbErr> {
    if let Some(id) = r.identity_id
        && let Some(identity) = reporter_identity::Entity::find_by_id(id).one(conn).await?
    {
        return Ok(Some((identity.phone_enc, identity.phone_index)));
    }
    Ok(r.notify_phone_enc.clone().zip(r.notify_phone_index.clone()))
}

/// Queues `template` for report `r` on every channel it has: each push
/// subscription, and its phone. Sent from `at` on. Answers how many
/// messages were queued (none when the reporter left no way to reach them).
pub async fn enqueue_for_report(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    r: &report::Model,
    template: Template,
    params: Vec<String>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    if template.render(&params).is_err() {
        // A programming error, never the reporter's: the change goes on.
        tracing::error!(
            template = template.as_str(),
            "a message's parameters do not fit its template"
        );
        return Ok(0);
    }
    let params_json = serde_json::to_string(&params).unwrap_or_else(|_| "[]".to_owned());
    let mut queued = 0;
    let subscriptions = push_subscription::Entity::find()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .all(txn)
        .await?;
    for s in subscriptions {
        insert(
            txn,
            Row {
                report_id: Some(r.id),
                case_id: Some(r.case_id),
                channel: PUSH,
                subscription_id: Some(s.id),
                recipient_enc: None,
                recipient_mask: "push".to_owned(),
                recipient_key: format!("push:{}", s.id),
                template,
                params: params_json.clone(),
                lang: s.lang.clone(),
                at,
            },
            now,
        )
        .await?;
        queued += 1;
    }
    if let Some((phone_enc, phone_index)) = phone_of(txn, r).await? {
        let mask = pii
            .decrypt(&phone_enc)
            .map(|p| mask_for_staff(&p))
            .unwrap_or_else(|_| "****".to_owned());
        insert(
            txn,
            Row {
                report_id: Some(r.id),
                case_id: Some(r.case_id),
                channel: SMS,
                subscription_id: None,
                recipient_enc: Some(phone_enc),
                recipient_mask: mask,
                recipient_key: format!("sms:{phone_index}"),
                template,
                params: params_json,
                lang: "zh-CN".to_owned(),
                at,
            },
            now,
        )
        .await?;
        queued += 1;
    }
    Ok(queued)
}

/// Queues an SMS to a phone that is not (or not yet) a report's: a
/// recovery code, or a 代录 caller's receipt.
pub async fn enqueue_to_phone(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    phone: &str,
    case_id: Option<i64>,
    template: Template,
    params: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    insert(
        txn,
        Row {
            report_id: None,
            case_id,
            channel: SMS,
            subscription_id: None,
            recipient_enc: Some(pii.encrypt(phone)),
            recipient_mask: mask_for_staff(phone),
            recipient_key: format!("sms:{}", pii.blind_index(phone)),
            template,
            params: serde_json::to_string(&params).unwrap_or_else(|_| "[]".to_owned()),
            lang: "zh-CN".to_owned(),
            at: now,
        },
        now,
    )
    .await
}

struct Row {
    report_id: Option<i64>,
    case_id: Option<i64>,
    channel: &'static str,
    subscription_id: Option<i64>,
    recipient_enc: Option<String>,
    recipient_mask: String,
    recipient_key: String,
    template: Template,
    params: String,
    lang: String,
    at: DateTime<Utc>,
}

async fn insert(txn: &impl ConnectionTrait, row: Row, now: DateTime<Utc>) -> Result<(), DbErr> {
    message_outbox::ActiveModel {
        report_id: Set(row.report_id),
        case_id: Set(row.case_id),
        channel: Set(row.channel.to_owned()),
        subscription_id: Set(row.subscription_id),
        recipient_enc: Set(row.recipient_enc),
        recipient_mask: Set(row.recipient_mask),
        recipient_key: Set(row.recipient_key),
        event: Set(row.template.as_str().to_owned()),
        params: Set(row.params),
        lang: Set(row.lang),
        idempotency_key: Set(uuid::Uuid::new_v4().to_string()),
        status: Set("queued".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(row.at),
        locked_until: Set(None),
        last_error: Set(None),
        provider_id: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_beijing_dates() {
        // 16:30 UTC on the 31st is already the 1st in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap();
        assert_eq!(local_date(t), "2027-01-01");
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 15, 59, 0).unwrap();
        assert_eq!(local_date(t), "2026-12-31");
        assert_eq!(
            next_local_midnight(t),
            Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(
            local_midnight(t),
            Utc.with_ymd_and_hms(2026, 12, 30, 16, 0, 0).unwrap()
        );
    }
}
