//! 找回: a reporter who gave a phone (their own, or one left for messages)
//! finds their reports again after losing the secrets. A one-time code of
//! six digits goes to the phone by SMS; with it, each report gets a fresh
//! secret, and the old one stops working.
//!
//! Nothing here tells whether a phone has reported: a code request for an
//! unknown phone is answered, recorded and limited exactly like one for a
//! known phone (a code is issued either way; only a known phone is sent a
//! message, and the admins' list of messages leaves codes out), and a
//! wrong code reads the same as a code for a phone that was never sent one.
//! The codes themselves, their limits and their tries are [`super::codes`].

use super::codes::{self, Purpose, parse_phone};
use crate::audit;
use crate::db::entities::{case, report, reporter_identity};
use crate::digest::sha256_hex;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::notify::{CodeSent, RECOVERY_CODE_MINUTES, Recovered, RecoveredReport};

/// Reports found again: those of open cases and of cases closed within
/// this many days. Numbers are recycled in China, and a 代录 caller may have
/// used a shared phone: years-old reports stay with the secrets they had.
pub const RECOVERABLE_DAYS: i64 = 90;

/// The one answer to every code request that is not refused.
pub fn code_sent(request: String) -> CodeSent {
    CodeSent {
        message: "if this phone has reports, a code was sent to it".to_owned(),
        valid_minutes: RECOVERY_CODE_MINUTES,
        request,
    }
}

/// Sends a code to `phone` if it has reports: the same answer whether or
/// not it has, and whether or not the phone's limits were reached.
pub async fn send_code(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<CodeSent, AppError> {
    let phone = parse_phone(phone)?;
    let txn = crate::db::begin_write(db).await?;
    let issued = codes::issue(&txn, pii, phone.as_str(), Purpose::Recover, now).await?;
    if let Some(code) = issued.code
        && !reports_of(&txn, &pii.blind_index(phone.as_str()), now)
            .await?
            .is_empty()
    {
        codes::text(&txn, pii, phone.as_str(), code, now).await?;
    }
    txn.commit().await?;
    super::wake();
    Ok(code_sent(issued.request))
}

/// The reports with this phone that may be found again: the real-name ones
/// and those that left it for messages, of cases open or closed within
/// [`RECOVERABLE_DAYS`].
async fn reports_of(
    conn: &impl ConnectionTrait,
    index: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(report::Model, case::Model)>, AppError> {
    let identities: Vec<i64> = reporter_identity::Entity::find()
        .filter(reporter_identity::Column::PhoneIndex.eq(index))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let mut any = Condition::any().add(report::Column::NotifyPhoneIndex.eq(index));
    if !identities.is_empty() {
        any = any.add(report::Column::IdentityId.is_in(identities));
    }
    let reports = report::Entity::find()
        .filter(any)
        .order_by_desc(report::Column::SubmittedAt)
        .all(conn)
        .await?;
    let cutoff = now - Duration::days(RECOVERABLE_DAYS);
    let mut out = Vec::with_capacity(reports.len());
    for r in reports {
        if let Some(c) = case::Entity::find_by_id(r.case_id).one(conn).await?
            && c.closed_at.is_none_or(|t| t > cutoff)
        {
            out.push((r, c));
        }
    }
    Ok(out)
}

/// With the right code for `request`: every recoverable report of the
/// phone, each with a fresh secret. A wrong, spent or expired code is one
/// answer (422 on `code`); the fifth wrong try spends the code.
pub async fn recover(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    phone: &str,
    request: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Recovered, AppError> {
    let phone = parse_phone(phone)?;
    let index = pii.blind_index(phone.as_str());
    let txn = crate::db::begin_write(db).await?;
    let taken = codes::take(
        db,
        &txn,
        pii,
        codes::Answer { request, code },
        Purpose::Recover,
        Some(&index),
        now,
    )
    .await?;
    if taken.is_none() {
        // A wrong try counts: committed, then refused.
        txn.commit().await?;
        return Err(codes::invalid());
    }
    let mut out = Vec::new();
    for (r, c) in reports_of(&txn, &index, now).await? {
        let secret = crate::reports::service::new_secret();
        let mut row: report::ActiveModel = r.clone().into();
        row.secret_hash = Set(sha256_hex(secret.as_bytes()));
        row.update(&txn).await?;
        out.push(RecoveredReport {
            track_url: format!("/track#code={}&secret={}", c.code, secret),
            tracking_code: c.code,
            secret,
            state: c.state,
            submitted_at: r.submitted_at.to_rfc3339(),
        });
    }
    // One entry, by count: naming the cases side by side would tell an
    // auditor that an anonymous case and a named one are one person's.
    audit::record(
        &txn,
        audit::Entry {
            actor: "reporter",
            action: "recovery.completed",
            object_type: "recovery",
            object_id: request.trim(),
            detail: Some(format!(
                "{} report(s) found again by a one-time code; their old secrets no longer work",
                out.len()
            )),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Recovered { reports: out })
}
