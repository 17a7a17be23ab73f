//! Signing in and out, and finding who a request's session belongs to.

use crate::audit;
use crate::db::entities::{app_user, department, sign_in_attempt, staff_session};
use crate::users::password;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::Role;
use std::sync::OnceLock;

pub const COOKIE: &str = "shanshui_session";

/// Failed sign-ins per account within `LOCKOUT_WINDOW` before it is locked
/// for the rest of the window (ASVS 2.2.1 allows at most 100 an hour).
pub const MAX_FAILURES: u64 = 10;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Signed out after this long without a request (ASVS 3.3.2: 30 min).
    pub idle: Duration,
    /// Signed out this long after signing in, whatever happens (12 h).
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::minutes(30), absolute: Duration::hours(12) }
    }
}

/// The signed-in staff member behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub department: Option<String>,
}

impl StaffUser {
    /// Refuses (403) unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), crate::error::AppError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(crate::error::AppError::Forbidden(format!(
            "a {} cannot do this; it needs the role {}",
            self.role,
            names.join(" or ")
        )))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong username or password; the same answer for both.
    #[error("wrong username or password")]
    Invalid,
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    LockedOut { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// A hash to verify against when the username is unknown, so the time an
/// answer takes does not tell whether an account exists.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash("not a real password, only for timing").unwrap_or_default())
}

/// Checks the password and opens a session; returns the cookie's token.
pub async fn sign_in(
    db: &DatabaseConnection,
    username: &str,
    password_text: &str,
    policy: SessionPolicy,
) -> Result<(String, StaffUser), SignInError> {
    let username = username.trim().to_lowercase();
    let now = Utc::now();
    let window_start = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let recent_failures = sign_in_attempt::Entity::find()
        .filter(sign_in_attempt::Column::Username.eq(username.as_str()))
        .filter(sign_in_attempt::Column::Succeeded.eq(false))
        .filter(sign_in_attempt::Column::At.gt(window_start))
        .order_by_asc(sign_in_attempt::Column::At);
    if recent_failures.clone().count(db).await? >= MAX_FAILURES {
        let oldest = recent_failures.one(db).await?.map(|a| a.at).unwrap_or(now);
        let until = oldest + Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        let retry_after_secs = u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1);
        return Err(SignInError::LockedOut { retry_after_secs });
    }

    let user = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .one(db)
        .await?;
    let phc = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_owned());
    let candidate = password_text.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify(&candidate, &phc))
        .await
        .unwrap_or(false);
    let user = user.filter(|_| matches);

    let txn = crate::db::begin_write(db).await?;
    sign_in_attempt::ActiveModel {
        username: Set(username.clone()),
        at: Set(now),
        succeeded: Set(user.is_some()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let Some(user) = user else {
        audit::record(
            &txn,
            audit::Entry {
                actor: "anonymous",
                action: "session.sign_in_failed",
                object_type: "user",
                object_id: &username,
                detail: None,
            },
        )
        .await?;
        txn.commit().await?;
        return Err(SignInError::Invalid);
    };
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    staff_session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.absolute),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &user.username,
            action: "session.sign_in",
            object_type: "user",
            object_id: &user.username,
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    let staff = staff_user(db, user).await?;
    Ok((token, staff))
}

async fn staff_user(db: &DatabaseConnection, user: app_user::Model) -> Result<StaffUser, DbErr> {
    let department = match user.department_id {
        Some(id) => department::Entity::find_by_id(id).one(db).await?.map(|d| d.code),
        None => None,
    };
    Ok(StaffUser {
        id: user.id,
        // A role name the code no longer knows fails closed: the lowest role.
        role: user.role.parse().unwrap_or(Role::Auditor),
        username: user.username,
        department_id: user.department_id,
        department,
    })
}

/// The staff member whose live session `token` is, if any. Sliding idle
/// expiry: a request older than `idle` since the last one ends the session.
pub async fn resolve(
    db: &DatabaseConnection,
    token: &str,
    policy: SessionPolicy,
) -> Result<Option<StaffUser>, DbErr> {
    let hash = token_hash(token);
    let Some(session) = staff_session::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if session.expires_at <= now || session.last_seen_at + policy.idle <= now {
        staff_session::Entity::delete_by_id(hash).exec(db).await?;
        return Ok(None);
    }
    let Some(user) = app_user::Entity::find_by_id(session.user_id)
        .filter(app_user::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Write at most once a minute per session, not on every request.
    if now - session.last_seen_at > Duration::seconds(60) {
        touch(db, &hash, now).await?;
    }
    Ok(Some(staff_user(db, user).await?))
}

async fn touch(db: &DatabaseConnection, hash: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    staff_session::Entity::update_many()
        .col_expr(staff_session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(now))
        .filter(staff_session::Column::TokenHash.eq(hash))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends the session (sign-out); unknown tokens are ignored.
pub async fn sign_out(db: &DatabaseConnection, token: &str) -> Result<Option<String>, DbErr> {
    let hash = token_hash(token);
    let Some(session) = staff_session::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(None);
    };
    let user = app_user::Entity::find_by_id(session.user_id).one(db).await?;
    let txn = crate::db::begin_write(db).await?;
    staff_session::Entity::delete_by_id(hash).exec(&txn).await?;
    if let Some(u) = &user {
        audit::record(
            &txn,
            audit::Entry {
                actor: &u.username,
                action: "session.sign_out",
                object_type: "user",
                object_id: &u.username,
                detail: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user.map(|u| u.username))
}
