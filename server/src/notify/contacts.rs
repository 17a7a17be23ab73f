//! How a reporter is reached: browsers subscribed to push for a report, and
//! the phone an anonymous reporter may leave for messages only.

use crate::audit;
use crate::db::entities::{push_subscription, report};
use crate::egress::AllowList;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use shared::notify::{MAX_SUBSCRIPTIONS, NotifyStatus, PushSubscribe};
use shared::report::Phone;

/// The longest push endpoint taken (real ones are about 200–500 bytes).
const MAX_ENDPOINT: usize = 1024;

/// Checks a push endpoint: an `https://` URL (a push service), or plain
/// `http://` only to an address the egress allow list names (a test's or a
/// government network's own push service); never an address the rule
/// refuses. The address is checked again when a message is sent.
pub fn check_endpoint(allow: &AllowList, endpoint: &str) -> Result<(), AppError> {
    let refuse = |m: &str| AppError::validation("endpoint", m);
    if endpoint.len() > MAX_ENDPOINT {
        return Err(refuse("the endpoint is too long"));
    }
    let url = allow
        .check_url(endpoint)
        .map_err(|e| refuse(&format!("not a push service this server may reach: {e}")))?;
    let literal_ip = url.host_str().is_some_and(|h| {
        h.trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
    });
    match url.scheme() {
        "https" => Ok(()),
        // Plain HTTP only to an address the allow list names (checked above).
        "http" if literal_ip => Ok(()),
        _ => Err(refuse("a push endpoint must be an https:// URL")),
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
    let endpoint = input.endpoint.trim().to_owned();
    check_endpoint(allow, &endpoint)?;
    super::webpush::check_keys(&input.keys.p256dh, &input.keys.auth)
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
        p256dh: Set(input.keys.p256dh.trim().to_owned()),
        auth: Set(input.keys.auth.trim().to_owned()),
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
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::ReportId.eq(r.id))
        .filter(push_subscription::Column::Endpoint.eq(endpoint.trim()))
        .exec(db)
        .await?;
    Ok(())
}

/// Leaves (or with `None` removes) the phone an anonymous reporter's
/// messages go to. A real-name report's messages go to the phone it was
/// filed with, which is not changed here.
pub async fn set_phone(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    r: &report::Model,
    code: &str,
    phone: Option<&str>,
) -> Result<(), AppError> {
    if r.identity_id.is_some() {
        return Err(AppError::Conflict(
            "this report gave a name and phone: its messages go to that phone".to_owned(),
        ));
    }
    let phone = match phone {
        Some(p) => Some(Phone::parse(p).ok_or_else(|| {
            AppError::validation("phone", "enter a mainland mobile number (11 digits)")
        })?),
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    let mut row: report::ActiveModel = r.clone().into();
    row.notify_phone_enc = Set(phone.as_ref().map(|p| pii.encrypt(p.as_str())));
    row.notify_phone_index = Set(phone.as_ref().map(|p| pii.blind_index(p.as_str())));
    row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: "reporter",
            action: if phone.is_some() {
                "report.notify_phone_set"
            } else {
                "report.notify_phone_removed"
            },
            object_type: "case",
            object_id: code,
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
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

/// Forgets the messages-only phones of cases closed more than `days` ago
/// (the promise made when the phone was left). Answers how many.
pub async fn forget_old_phones(
    db: &DatabaseConnection,
    days: i64,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use crate::db::entities::case;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let closed_long_ago = Query::select()
        .column(case::Column::Id)
        .from(case::Entity)
        .and_where(Expr::col(case::Column::State).eq("closed"))
        .and_where(Expr::col(case::Column::ClosedAt).lt(now - chrono::Duration::days(days)))
        .to_owned();
    let result = report::Entity::update_many()
        .col_expr(
            report::Column::NotifyPhoneEnc,
            sea_orm::sea_query::Expr::value(None::<String>),
        )
        .col_expr(
            report::Column::NotifyPhoneIndex,
            sea_orm::sea_query::Expr::value(None::<String>),
        )
        .filter(report::Column::NotifyPhoneEnc.is_not_null())
        .filter(report::Column::CaseId.in_subquery(closed_long_ago))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
