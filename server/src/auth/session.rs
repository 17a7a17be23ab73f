//! Signing in and out, and finding who a request's session belongs to.

use super::device::DeviceKeys;
use super::throttle;
use crate::audit;
use crate::db::entities::{app_user, department, staff_session};
use crate::users::password;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use shared::Role;
use std::net::IpAddr;

pub const COOKIE: &str = "shanshui_session";

/// No account has a longer username (they are 3–32 characters): a longer one
/// is refused as wrong without being counted or hashed.
const MAX_USERNAME_BYTES: usize = 64;

/// How long sessions live: a setting, defined with the others.
pub use crate::config::SessionPolicy;

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
    /// This client has failed too often on this account (see `throttle`).
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// Every password-checking slot is taken; nothing was counted.
    #[error("the server is busy; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// A sign-in attempt, as the client sent it.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's key (its IPv4 address or IPv6 /64).
    pub client: IpAddr,
    /// The device cookie's value, if the client sent one.
    pub device_cookie: Option<&'a str>,
    /// When it came (the server's clock): throttle delays and the session's
    /// life count from it.
    pub at: DateTime<Utc>,
}

/// A successful sign-in: the session cookie's token, who signed in, and the
/// device cookie's value to (re)send.
pub struct SignedIn {
    pub token: String,
    pub user: StaffUser,
    pub device_cookie: String,
}

/// Checks the password and opens a session.
///
/// The attempt is first reserved in the account's throttle lanes (refused
/// with `Throttled` when its lane is full or delayed), then checked within
/// the password gate (refused with `Busy` when the server is already
/// hashing all it can), then settled: a failure stays counted, a success
/// clears its lane. See `throttle` and `device` for why the lanes are as
/// they are.
pub async fn sign_in(
    db: &DatabaseConnection,
    devices: &DeviceKeys,
    attempt: Attempt<'_>,
    policy: SessionPolicy,
) -> Result<SignedIn, SignInError> {
    let username = attempt.username.trim().to_lowercase();
    if username.len() > MAX_USERNAME_BYTES {
        return Err(SignInError::Invalid);
    }
    let now = attempt.at;
    let device = attempt
        .device_cookie
        .and_then(|v| devices.verify(v, &username));
    let (client, caller) = match &device {
        Some(id) => (
            throttle::Client::Device(id.clone()),
            password::Caller::Trusted,
        ),
        None => (
            throttle::Client::Address(attempt.client),
            password::Caller::Anyone,
        ),
    };
    let reservation = match throttle::reserve(db, &username, client, now).await? {
        Ok(r) => r,
        Err(t) => {
            return Err(SignInError::Throttled {
                retry_after_secs: t.retry_after_secs,
            });
        }
    };

    let user = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .one(db)
        .await?;
    let phc = user.as_ref().map(|u| u.password_hash.clone());
    let matches = match password::verify_bounded(attempt.password.to_owned(), phc, caller).await {
        Ok(m) => m,
        Err(busy) => {
            reservation.not_checked(db).await?;
            return Err(SignInError::Busy {
                retry_after_secs: busy.retry_after_secs,
            });
        }
    };
    let Some(user) = user.filter(|_| matches) else {
        record_failure(db, &username, &reservation, now).await?;
        return Err(SignInError::Invalid);
    };
    reservation.succeeded(db).await?;

    let token = open_session(db, &user, policy, now).await?;
    // A recognised browser keeps its id (its lane's history stays its own);
    // any other gets a new one.
    let device_cookie = match (device, attempt.device_cookie) {
        (Some(_), Some(value)) => value.to_owned(),
        _ => devices.issue(&user.username),
    };
    let user = staff_user(db, user).await?;
    Ok(SignedIn {
        token,
        user,
        device_cookie,
    })
}

/// Audits a failed sign-in, and the start of throttling when this failure
/// is the one that fills a lane's budget (ASVS 7.2.2: failed access
/// decisions are logged).
async fn record_failure(
    db: &DatabaseConnection,
    username: &str,
    reservation: &throttle::Reservation,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let failed = audit::Entry {
        actor: "anonymous",
        action: "session.sign_in_failed",
        object_type: "user",
        object_id: username,
        detail: None,
    };
    audit::record(&txn, failed).await?;
    for alert in reservation.alerts(now) {
        let throttled = audit::Entry {
            actor: "anonymous",
            action: "session.sign_in_throttled",
            object_type: "user",
            object_id: username,
            detail: Some(alert),
        };
        audit::record(&txn, throttled).await?;
    }
    txn.commit().await
}

/// Stores a new session for `user` and audits the sign-in; returns the
/// cookie's token (only its SHA-256 is stored).
async fn open_session(
    db: &DatabaseConnection,
    user: &app_user::Model,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let txn = crate::db::begin_write(db).await?;
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
    Ok(token)
}

async fn staff_user(db: &DatabaseConnection, user: app_user::Model) -> Result<StaffUser, DbErr> {
    let department = match user.department_id {
        Some(id) => department::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|d| d.code),
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
    now: DateTime<Utc>,
) -> Result<Option<StaffUser>, DbErr> {
    let hash = token_hash(token);
    let Some(session) = staff_session::Entity::find_by_id(hash.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
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
        .col_expr(
            staff_session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(staff_session::Column::TokenHash.eq(hash))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends the session (sign-out); unknown tokens are ignored.
pub async fn sign_out(db: &DatabaseConnection, token: &str) -> Result<Option<String>, DbErr> {
    let hash = token_hash(token);
    let Some(session) = staff_session::Entity::find_by_id(hash.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = app_user::Entity::find_by_id(session.user_id)
        .one(db)
        .await?;
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
