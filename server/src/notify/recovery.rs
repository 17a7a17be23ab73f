//! 找回: a reporter who gave a phone (their own, or one left for messages)
//! finds their reports again after losing the secrets. A one-time code of
//! six digits goes to the phone by SMS; with it, each report gets a fresh
//! secret, and the old one stops working.
//!
//! Nothing here tells whether a phone has reported. A code request for an
//! unknown phone is answered, recorded and limited exactly like one for a
//! known phone (a code row is written either way; only a known phone is
//! sent a message, and the admins' list of messages leaves codes out), and
//! past a phone's limits the same answer comes back with nothing sent — so
//! a 429 never says that somebody else is recovering that phone. A wrong
//! code reads the same as a code for a phone that was never sent one.
//!
//! Each code belongs to the request that asked for it (`request`, returned
//! with the answer): a stranger who knows the phone can spend their own
//! tries, never the reporter's, and a new request does not cancel an older
//! one.

use crate::audit;
use crate::db::entities::{case, recovery_code, report, reporter_identity};
use crate::digest::sha256_hex;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
};
use shared::FieldErrorCode as Code;
use shared::notify::{
    RECOVERY_CODE_DIGITS, RECOVERY_CODE_MINUTES, RECOVERY_CODE_TRIES, RecoverCodeSent, Recovered,
    RecoveredReport,
};
use shared::report::Phone;

/// Codes one phone may be sent: a few an hour, a handful more a day.
pub const CODES_PER_HOUR: u64 = 3;
pub const CODES_PER_DAY: u64 = 10;

/// Reports found again: those of open cases and of cases closed within
/// this many days. Numbers are recycled in China, and a 代录 caller may have
/// used a shared phone: years-old reports stay with the secrets they had.
pub const RECOVERABLE_DAYS: i64 = 90;

/// The one answer to every code request that is not refused.
fn code_sent(request: String) -> RecoverCodeSent {
    RecoverCodeSent {
        message: "if this phone has reports, a code was sent to it".to_owned(),
        valid_minutes: RECOVERY_CODE_MINUTES,
        request,
    }
}

fn parse_phone(input: &str) -> Result<Phone, AppError> {
    Phone::parse(input)
        .ok_or_else(|| AppError::validation("phone", "enter a mainland mobile number (11 digits)"))
}

/// The code's stored form: keyed by the deployment's secret, so a copy of
/// the database does not give the million candidates away for free.
fn code_hash(pii: &PiiCipher, phone_index: &str, request: &str, code: &str) -> String {
    pii.blind_index(&format!("recovery:{phone_index}:{request}:{code}"))
}

/// Serialises the code requests of one phone on PostgreSQL (SQLite's write
/// transactions already are), so that ten requests at once cannot all read
/// "none yet" and all be sent.
async fn lock_phone(conn: &impl ConnectionTrait, index: &str) -> Result<(), AppError> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let key = index
        .get(..15)
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .unwrap_or_default();
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Sends a code to `phone` if it has reports: the same answer whether or
/// not it has, and whether or not the phone's limits were reached.
pub async fn send_code(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<RecoverCodeSent, AppError> {
    let phone = parse_phone(phone)?;
    let index = pii.blind_index(phone.as_str());
    let request = uuid::Uuid::new_v4().to_string();
    let txn = crate::db::begin_write(db).await?;
    lock_phone(&txn, &index).await?;
    let since = |d: Duration| {
        recovery_code::Entity::find()
            .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
            .filter(recovery_code::Column::CreatedAt.gt(now - d))
            .count(&txn)
    };
    if since(Duration::hours(1)).await? >= CODES_PER_HOUR
        || since(Duration::days(1)).await? >= CODES_PER_DAY
    {
        // Nothing is sent or kept, and the answer does not say so.
        txn.commit().await?;
        return Ok(code_sent(request));
    }
    let code: String = {
        let mut rng = rand::rngs::OsRng;
        (0..RECOVERY_CODE_DIGITS)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    };
    let known = !reports_of(&txn, &index, now).await?.is_empty();
    recovery_code::ActiveModel {
        request_id: Set(request.clone()),
        phone_index: Set(index.clone()),
        code_hash: Set(code_hash(pii, &index, &request, &code)),
        tries: Set(0),
        expires_at: Set(now + Duration::minutes(RECOVERY_CODE_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if known {
        super::enqueue_to_phone(
            &txn,
            pii,
            phone.as_str(),
            None,
            super::sms::Template::RecoveryCode,
            vec![code],
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(code_sent(request))
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
    let code = code.trim();
    let invalid = || {
        AppError::field(
            "code",
            Code::Invalid,
            "the code is wrong or has expired; ask for a new one",
        )
    };
    if code.len() != RECOVERY_CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let index = pii.blind_index(phone.as_str());
    let request = request.trim();
    let Some(live) = recovery_code::Entity::find()
        .filter(recovery_code::Column::RequestId.eq(request))
        .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .filter(recovery_code::Column::ExpiresAt.gt(now))
        .filter(recovery_code::Column::Tries.lt(RECOVERY_CODE_TRIES))
        .one(db)
        .await?
    else {
        return Err(invalid());
    };
    let txn = crate::db::begin_write(db).await?;
    // Counted before comparing, by a guarded update: two tries at once
    // cannot both slip under the limit.
    let counted = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::Tries,
            sea_orm::ExprTrait::add(Expr::col(recovery_code::Column::Tries), 1),
        )
        .filter(recovery_code::Column::Id.eq(live.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .filter(recovery_code::Column::Tries.lt(RECOVERY_CODE_TRIES))
        .exec(&txn)
        .await?;
    let matches = constant_time_eq(
        code_hash(pii, &index, request, code).as_bytes(),
        live.code_hash.as_bytes(),
    );
    if counted.rows_affected != 1 || !matches {
        txn.commit().await?;
        return Err(invalid());
    }
    // Used once: of two right answers at once, one finds the reports.
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(recovery_code::Column::Id.eq(live.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        txn.rollback().await?;
        return Err(invalid());
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
            object_id: request,
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Forgets codes a day old: by then they are spent or expired, and a
/// phone's blind index is not kept longer than it serves.
pub async fn forget_old_codes(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let result = recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::CreatedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
