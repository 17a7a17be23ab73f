//! 找回: a reporter who gave a phone (their own, or one left for messages)
//! finds their reports again after losing the secrets. A one-time code of
//! six digits goes to the phone by SMS; with it, each report gets a fresh
//! secret, and the old one stops working.
//!
//! The answers say nothing of whether a phone has reported: a code request
//! for an unknown phone is answered, counted and limited exactly like one
//! for a known phone (a code row is written either way; only a known phone
//! is sent a message), and a wrong code reads the same as a code for a
//! phone that was never sent one.

use crate::audit;
use crate::db::entities::{case, recovery_code, report, reporter_identity};
use crate::digest::sha256_hex;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
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

/// The one answer to every code request that is not refused.
pub fn code_sent() -> RecoverCodeSent {
    RecoverCodeSent {
        message: "if this phone has reports, a code was sent to it".to_owned(),
        valid_minutes: RECOVERY_CODE_MINUTES,
    }
}

fn parse_phone(input: &str) -> Result<Phone, AppError> {
    Phone::parse(input)
        .ok_or_else(|| AppError::validation("phone", "enter a mainland mobile number (11 digits)"))
}

/// The code's stored form: keyed by the deployment's secret, so a copy of
/// the database does not give the million candidates away for free.
fn code_hash(pii: &PiiCipher, phone_index: &str, code: &str) -> String {
    pii.blind_index(&format!("recovery:{phone_index}:{code}"))
}

/// Sends a code to `phone` if it has reports. Refused (429) beyond the
/// per-phone limits, whether or not the phone is known.
pub async fn send_code(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<RecoverCodeSent, AppError> {
    let phone = parse_phone(phone)?;
    let index = pii.blind_index(phone.as_str());
    let since = |d: Duration| {
        recovery_code::Entity::find()
            .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
            .filter(recovery_code::Column::CreatedAt.gt(now - d))
            .count(db)
    };
    if since(Duration::hours(1)).await? >= CODES_PER_HOUR {
        return Err(AppError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    if since(Duration::days(1)).await? >= CODES_PER_DAY {
        return Err(AppError::RateLimited {
            retry_after_secs: 86_400,
        });
    }
    let code: String = {
        let mut rng = rand::rngs::OsRng;
        (0..RECOVERY_CODE_DIGITS)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    };
    let known = !reports_of(db, &index).await?.is_empty();
    let txn = crate::db::begin_write(db).await?;
    // A newer code replaces the older ones.
    recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    recovery_code::ActiveModel {
        phone_index: Set(index.clone()),
        code_hash: Set(code_hash(pii, &index, &code)),
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
    audit::record(
        &txn,
        audit::Entry {
            actor: "reporter",
            action: "recovery.code_requested",
            object_type: "phone",
            // The blind index's start: enough to see repeats in the log,
            // not the number.
            object_id: &index[..12.min(index.len())],
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(code_sent())
}

/// The reports with this phone: the real-name ones and those that left it
/// for messages.
async fn reports_of(db: &DatabaseConnection, index: &str) -> Result<Vec<report::Model>, AppError> {
    let identities: Vec<i64> = reporter_identity::Entity::find()
        .filter(reporter_identity::Column::PhoneIndex.eq(index))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let mut any = Condition::any().add(report::Column::NotifyPhoneIndex.eq(index));
    if !identities.is_empty() {
        any = any.add(report::Column::IdentityId.is_in(identities));
    }
    Ok(report::Entity::find()
        .filter(any)
        .order_by_desc(report::Column::SubmittedAt)
        .all(db)
        .await?)
}

/// With the right code: every report of the phone, each with a fresh
/// secret. A wrong, spent or expired code is one answer (400
/// `invalid_code`); the fifth wrong try spends the code.
pub async fn recover(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    phone: &str,
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
    let Some(live) = recovery_code::Entity::find()
        .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .filter(recovery_code::Column::ExpiresAt.gt(now))
        .filter(recovery_code::Column::Tries.lt(RECOVERY_CODE_TRIES))
        .order_by_desc(recovery_code::Column::Id)
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
        code_hash(pii, &index, code).as_bytes(),
        live.code_hash.as_bytes(),
    );
    if counted.rows_affected != 1 || !matches {
        txn.commit().await?;
        return Err(invalid());
    }
    recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(recovery_code::Column::Id.eq(live.id))
        .exec(&txn)
        .await?;
    let mut out = Vec::new();
    for r in reports_of(db, &index).await? {
        let Some(c) = case::Entity::find_by_id(r.case_id).one(&txn).await? else {
            continue;
        };
        let secret = crate::reports::service::new_secret();
        let mut row: report::ActiveModel = r.clone().into();
        row.secret_hash = Set(sha256_hex(secret.as_bytes()));
        row.update(&txn).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: "reporter",
                action: "recovery.new_secret",
                object_type: "case",
                object_id: &c.code,
                detail: Some(
                    "found again by a one-time code; the old secret no longer works".to_owned(),
                ),
            },
        )
        .await?;
        out.push(RecoveredReport {
            track_url: format!("/track#code={}&secret={}", c.code, secret),
            tracking_code: c.code,
            secret,
            state: c.state,
            submitted_at: r.submitted_at.to_rfc3339(),
        });
    }
    txn.commit().await?;
    Ok(Recovered { reports: out })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
