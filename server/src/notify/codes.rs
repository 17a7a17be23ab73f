//! One-time codes by SMS (验证码), for two things: finding one's reports
//! again (找回, [`super::recovery`]) and proving that a phone left for
//! messages is the reporter's ([`super::contacts`]).
//!
//! A code belongs to the request that asked for it (`request`, given with
//! the answer and sent back with the code): a stranger who knows the phone
//! spends only their own tries, and a new request cancels none. A phone is
//! sent at most 3 codes an hour and 10 a day whatever they are for, counted
//! under a per-phone lock; past that the same answer comes back and
//! nothing is sent or kept, so the answer never says that somebody else is
//! asking for that phone.

use crate::db::entities::recovery_code;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, Set, Statement,
};
use shared::FieldErrorCode as Code;
use shared::notify::{RECOVERY_CODE_DIGITS, RECOVERY_CODE_MINUTES, RECOVERY_CODE_TRIES};

/// A mainland mobile number as typed, or the field's 422.
pub fn parse_phone(input: &str) -> Result<shared::report::Phone, AppError> {
    shared::report::Phone::parse(input)
        .ok_or_else(|| AppError::validation("phone", "enter a mainland mobile number (11 digits)"))
}

/// Codes one phone may be sent: a few an hour, a handful more a day.
pub const CODES_PER_HOUR: u64 = 3;
pub const CODES_PER_DAY: u64 = 10;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Recover,
    /// Confirm the phone `phone_enc` for the report `report_id`.
    Confirm {
        report_id: i64,
    },
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Recover => "recover",
            Purpose::Confirm { .. } => "confirm",
        }
    }
}

/// A code issued: the request to answer with, and the digits to text, or
/// None when the phone's limits were reached (nothing is sent or kept).
pub struct Issued {
    pub request: String,
    pub code: Option<String>,
}

/// The code's stored form: keyed by the deployment's secret, so a copy of
/// the database does not give the million candidates away for free.
fn code_hash(pii: &PiiCipher, phone_index: &str, request: &str, code: &str) -> String {
    pii.blind_index(&format!("one-time code:{phone_index}:{request}:{code}"))
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

/// Issues a code for `phone` (11 digits) inside the caller's write
/// transaction, within the phone's limits.
pub async fn issue(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    phone: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Issued, AppError> {
    let index = pii.blind_index(phone);
    let request = uuid::Uuid::new_v4().to_string();
    lock_phone(txn, &index).await?;
    let since = |d: Duration| {
        recovery_code::Entity::find()
            .filter(recovery_code::Column::PhoneIndex.eq(index.as_str()))
            .filter(recovery_code::Column::CreatedAt.gt(now - d))
            .count(txn)
    };
    if since(Duration::hours(1)).await? >= CODES_PER_HOUR
        || since(Duration::days(1)).await? >= CODES_PER_DAY
    {
        return Ok(Issued {
            request,
            code: None,
        });
    }
    let code: String = {
        let mut rng = rand::rngs::OsRng;
        (0..RECOVERY_CODE_DIGITS)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    };
    let (report_id, phone_enc) = match purpose {
        Purpose::Recover => (None, None),
        Purpose::Confirm { report_id } => (Some(report_id), Some(pii.encrypt(phone))),
    };
    recovery_code::ActiveModel {
        request_id: Set(request.clone()),
        purpose: Set(purpose.as_str().to_owned()),
        report_id: Set(report_id),
        phone_enc: Set(phone_enc),
        phone_index: Set(index.clone()),
        code_hash: Set(code_hash(pii, &index, &request, &code)),
        tries: Set(0),
        expires_at: Set(now + Duration::minutes(RECOVERY_CODE_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Issued {
        request,
        code: Some(code),
    })
}

/// Queues the text that carries `code` to `phone`, in the transaction
/// that issued it.
pub async fn text(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    phone: &str,
    code: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    super::enqueue_to_phone(
        txn,
        pii,
        phone,
        None,
        super::sms::Template::RecoveryCode,
        vec![code],
        now,
    )
    .await?;
    Ok(())
}

/// What comes back: the request the code was sent for, and the code.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub request: &'a str,
    pub code: &'a str,
}

/// The one answer to a wrong, spent, expired or unknown code.
pub fn invalid() -> AppError {
    AppError::field(
        "code",
        Code::Invalid,
        "the code is wrong or has expired; ask for a new one",
    )
}

/// Takes the code of `request` for `purpose` (and, for 找回, the phone
/// with blind index `phone_index`): counts the try first, by a guarded
/// update, so two at once cannot both slip under the limit; the fifth
/// wrong try spends it; a right one is used once. Writes in `txn`, which
/// the caller commits whether or not the code was right (a wrong try must
/// count).
pub async fn take(
    db: &DatabaseConnection,
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    answer: Answer<'_>,
    purpose: Purpose,
    phone_index: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<recovery_code::Model>, AppError> {
    let (request, code) = (answer.request, answer.code.trim());
    if code.len() != RECOVERY_CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let mut query = recovery_code::Entity::find()
        .filter(recovery_code::Column::RequestId.eq(request.trim()))
        .filter(recovery_code::Column::Purpose.eq(purpose.as_str()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .filter(recovery_code::Column::ExpiresAt.gt(now))
        .filter(recovery_code::Column::Tries.lt(RECOVERY_CODE_TRIES));
    if let Some(index) = phone_index {
        query = query.filter(recovery_code::Column::PhoneIndex.eq(index));
    }
    if let Purpose::Confirm { report_id } = purpose {
        query = query.filter(recovery_code::Column::ReportId.eq(report_id));
    }
    let Some(live) = query.one(db).await? else {
        return Ok(None);
    };
    let counted = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::Tries,
            sea_orm::ExprTrait::add(Expr::col(recovery_code::Column::Tries), 1),
        )
        .filter(recovery_code::Column::Id.eq(live.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .filter(recovery_code::Column::Tries.lt(RECOVERY_CODE_TRIES))
        .exec(txn)
        .await?;
    let matches = constant_time_eq(
        code_hash(pii, &live.phone_index, &live.request_id, code).as_bytes(),
        live.code_hash.as_bytes(),
    );
    if counted.rows_affected != 1 || !matches {
        return Ok(None);
    }
    // Used once: of two right answers at once, one gets it.
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(recovery_code::Column::Id.eq(live.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok((used.rows_affected == 1).then_some(live))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Forgets codes a day old: by then they are spent or expired, and a
/// phone's blind index (or a phone waiting for its proof) is not kept
/// longer than it serves.
pub async fn forget_old(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let result = recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::CreatedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
