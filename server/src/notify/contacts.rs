//! How a reporter is reached: browsers subscribed to push for a report, and
//! the phone an anonymous reporter may leave for messages only.

use crate::audit;
use crate::db::entities::{message_outbox, push_subscription, report};
use crate::egress::AllowList;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use shared::notify::{CodeSent, MAX_SUBSCRIPTIONS, NotifyStatus, PushSubscribe};

/// The longest push endpoint taken (real ones are about 200–500 bytes).
const MAX_ENDPOINT: usize = 1024;

/// Checks a push endpoint and answers it as it will be stored (the URL
/// parser's form, so what is signed for is what is reached). A push
/// service is public and speaks HTTPS on its default port; anything else
/// — plain HTTP, another port, an address on the server's own network —
/// only where `--push-allow` names the literal address (a test's or a
/// government network's own push service). The push allow list is not the
/// webhooks': an anonymous reporter chooses this address, an admin chooses
/// a webhook's. Every refusal reads alike, so the answer maps nothing of
/// the network; the address is checked again at every send.
pub fn check_endpoint(allow: &AllowList, endpoint: &str) -> Result<String, AppError> {
    let refuse = || {
        AppError::validation(
            "endpoint",
            "not a push service's address: send the endpoint the browser's subscription gave",
        )
    };
    if endpoint.len() > MAX_ENDPOINT {
        return Err(refuse());
    }
    let url = allow.check_url(endpoint).map_err(|_| refuse())?;
    let listed_ip = url
        .host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().ok())
        .filter(|ip| crate::egress::classify(*ip) != crate::egress::Kind::Public);
    match (url.scheme(), url.port(), listed_ip) {
        // A named public host over HTTPS on 443 (resolved, and judged, when sent).
        ("https", None, _) => Ok(url.as_str().to_owned()),
        // A private or loopback address `--push-allow` lists (check_url
        // refused any it does not).
        ("https" | "http", _, Some(_)) => Ok(url.as_str().to_owned()),
        _ => Err(refuse()),
    }
}

/// Subscribes a browser for report `r`. The same endpoint again replaces
/// its keys; beyond [`MAX_SUBSCRIPTIONS`] the oldest goes.
pub async fn subscribe(
    db: &DatabaseConnection,
    allow: &AllowList,
    r: &report::Model,
    input: PushSubscribe,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let endpoint = check_endpoint(allow, input.endpoint.trim())?;
    let (p256dh, auth) = super::webpush::canonical_keys(&input.keys.p256dh, &input.keys.auth)
        .map_err(|e| AppError::validation("keys", e.to_string()))?;
    let lang = match input.lang.as_deref() {
        Some("en") => "en",
        _ => "zh-CN",
    };
    let txn = crate::db::begin_write(db).await?;
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .filter(push_subscription::Column::Endpoint.eq(endpoint.as_str()))
        .exec(&txn)
        .await?;
    let held = push_subscription::Entity::find()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .order_by_asc(push_subscription::Column::Id)
        .all(&txn)
        .await?;
    let excess = (held.len() as u64 + 1).saturating_sub(MAX_SUBSCRIPTIONS);
    for old in held.iter().take(usize::try_from(excess).unwrap_or(0)) {
        push_subscription::Entity::delete_by_id(old.id)
            .exec(&txn)
            .await?;
    }
    push_subscription::ActiveModel {
        report_id: Set(r.id),
        endpoint: Set(endpoint),
        p256dh: Set(p256dh),
        auth: Set(auth),
        lang: Set(lang.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stops push for this browser (the endpoint it subscribed with).
pub async fn unsubscribe(
    db: &DatabaseConnection,
    r: &report::Model,
    endpoint: &str,
) -> Result<(), AppError> {
    // Stored in the parser's form: compare in it.
    let endpoint = reqwest::Url::parse(endpoint.trim())
        .map(|u| u.as_str().to_owned())
        .unwrap_or_else(|_| endpoint.trim().to_owned());
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .filter(push_subscription::Column::Endpoint.eq(endpoint))
        .exec(db)
        .await?;
    Ok(())
}

fn real_name(r: &report::Model) -> Result<(), AppError> {
    if r.identity_id.is_some() {
        return Err(AppError::Conflict(
            "this report gave a name and phone: its messages go to that phone".to_owned(),
        ));
    }
    Ok(())
}

/// An anonymous reporter asks to be texted at `phone`: a code goes to it
/// (验证码), and the phone is kept only when the code comes back
/// ([`confirm_phone`]), so nobody can have texts about their report sent
/// to a stranger. The phone's limits are the codes' (answered alike).
pub async fn request_phone(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    r: &report::Model,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<CodeSent, AppError> {
    real_name(r)?;
    let phone = super::codes::parse_phone(phone)?;
    let txn = crate::db::begin_write(db).await?;
    let issued = super::codes::issue(
        &txn,
        pii,
        phone.as_str(),
        super::codes::Purpose::Confirm { report_id: r.id },
        now,
    )
    .await?;
    if let Some(code) = issued.code {
        super::codes::text(&txn, pii, phone.as_str(), code, now).await?;
    }
    txn.commit().await?;
    super::wake();
    Ok(CodeSent {
        message: "a code was sent to this phone; send it back to confirm".to_owned(),
        valid_minutes: shared::notify::RECOVERY_CODE_MINUTES,
        request: issued.request,
    })
}

/// The code texted to the phone came back: from now on this report's
/// messages go to it (and texts queued for an earlier one are dropped).
pub async fn confirm_phone(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    r: &report::Model,
    case_code: &str,
    request: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    real_name(r)?;
    let txn = crate::db::begin_write(db).await?;
    let taken = super::codes::take(
        db,
        &txn,
        pii,
        super::codes::Answer { request, code },
        super::codes::Purpose::Confirm { report_id: r.id },
        None,
        now,
    )
    .await?;
    let Some(proved) = taken.filter(|c| c.phone_enc.is_some()) else {
        txn.commit().await?;
        return Err(super::codes::invalid());
    };
    keep_phone(
        &txn,
        r,
        case_code,
        proved.phone_enc,
        Some(proved.phone_index),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes the phone an anonymous reporter left for messages.
pub async fn remove_phone(
    db: &DatabaseConnection,
    r: &report::Model,
    case_code: &str,
) -> Result<(), AppError> {
    real_name(r)?;
    let txn = crate::db::begin_write(db).await?;
    keep_phone(&txn, r, case_code, None, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Writes the report's messages-only phone (or none), drops the texts
/// queued for the one before, and audits it (never the number).
async fn keep_phone(
    txn: &impl ConnectionTrait,
    r: &report::Model,
    case_code: &str,
    phone_enc: Option<String>,
    phone_index: Option<String>,
) -> Result<(), AppError> {
    let set = phone_enc.is_some();
    let mut row: report::ActiveModel = r.clone().into();
    row.notify_phone_enc = Set(phone_enc);
    row.notify_phone_index = Set(phone_index);
    row.update(txn).await?;
    // Texts queued for the old number are not sent to it.
    drop_queued(
        txn,
        Condition::all()
            .add(message_outbox::Column::ReportId.eq(r.id))
            .add(message_outbox::Column::Channel.eq(super::SMS)),
    )
    .await?;
    audit::record(
        txn,
        audit::Entry {
            actor: "reporter",
            action: if set {
                "report.notify_phone_set"
            } else {
                "report.notify_phone_removed"
            },
            object_type: "case",
            object_id: case_code,
            detail: None,
        },
    )
    .await?;
    Ok(())
}

/// How report `r` is reached, for its `/track` view.
pub async fn status(
    conn: &impl ConnectionTrait,
    pii: &PiiCipher,
    r: &report::Model,
) -> Result<NotifyStatus, AppError> {
    let push_subscriptions = push_subscription::Entity::find()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .count(conn)
        .await?;
    let phone = super::events::phone_of(conn, r)
        .await?
        .and_then(|(enc, _)| pii.decrypt(&enc).ok())
        .map(|p| super::mask_phone(&p));
    Ok(NotifyStatus {
        push_subscriptions: u32::try_from(push_subscriptions).unwrap_or(u32::MAX),
        phone,
        phone_is_identity: r.identity_id.is_some(),
    })
}

/// Forgets, for cases closed (办结, 不予受理 or merged) more than `days` ago,
/// the messages-only phones and the push subscriptions of their reports,
/// and the texts still queued for them (the promise made on `/track`).
/// Answers how many phones.
pub async fn forget_old_phones(
    db: &DatabaseConnection,
    days: i64,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use crate::db::entities::case;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let cutoff = now - chrono::Duration::days(days);
    // Each row asks of its own case, rather than the cases closed long ago
    // being listed first: at 1,000,000 cases on SQLite that list took about
    // 0.7 s to make, inside the write lock, every minute. SQLite now reads
    // only the reports still keeping a phone (a partial index, migration
    // 000025); PostgreSQL plans the same statement as a join of its own.
    let case_closed_long_ago = |report_id: Expr| {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(report::Entity)
                .inner_join(
                    case::Entity,
                    Expr::col((case::Entity, case::Column::Id))
                        .equals((report::Entity, report::Column::CaseId)),
                )
                .and_where(Expr::col((report::Entity, report::Column::Id)).eq(report_id))
                .and_where(Expr::col((case::Entity, case::Column::ClosedAt)).lt(cutoff))
                .to_owned(),
        )
    };
    let txn = crate::db::begin_write(db).await?;
    let result = report::Entity::update_many()
        .col_expr(report::Column::NotifyPhoneEnc, Expr::value(None::<String>))
        .col_expr(
            report::Column::NotifyPhoneIndex,
            Expr::value(None::<String>),
        )
        .filter(report::Column::NotifyPhoneEnc.is_not_null())
        .filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(case::Entity)
                .and_where(
                    Expr::col((case::Entity, case::Column::Id))
                        .equals((report::Entity, report::Column::CaseId)),
                )
                .and_where(Expr::col((case::Entity, case::Column::ClosedAt)).lt(cutoff))
                .to_owned(),
        ))
        .exec(&txn)
        .await?;
    push_subscription::Entity::delete_many()
        .filter(case_closed_long_ago(Expr::col((
            push_subscription::Entity,
            push_subscription::Column::ReportId,
        ))))
        .exec(&txn)
        .await?;
    drop_queued(
        &txn,
        Condition::all().add(case_closed_long_ago(Expr::col((
            message_outbox::Entity,
            message_outbox::Column::ReportId,
        )))),
    )
    .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// Drops the queued messages `which` selects, and the phones they held.
async fn drop_queued(conn: &impl ConnectionTrait, which: Condition) -> Result<(), sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    message_outbox::Entity::update_many()
        .col_expr(message_outbox::Column::Status, Expr::value(super::DROPPED))
        .col_expr(
            message_outbox::Column::LastError,
            Expr::value(Some("the recipient was removed")),
        )
        .col_expr(
            message_outbox::Column::RecipientEnc,
            Expr::value(None::<String>),
        )
        .filter(message_outbox::Column::Status.eq(super::QUEUED))
        .filter(which)
        .exec(conn)
        .await?;
    Ok(())
}
