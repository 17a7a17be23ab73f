//! `Idempotency-Key`s (幂等键): a retried submission answers the first
//! receipt instead of filing twice.
//!
//! A key belongs to one client: it is stored hashed together with its
//! scope ([`KeyScope`]: the API key of an Open311 client, or the address of
//! an anonymous one), so two clients sending the same key never see each
//! other's receipt — a receipt carries the reporter's secret. A key is
//! remembered for [`TTL`], long enough for any retry and short enough that
//! the table stays small.

use crate::db::entities::idempotency;
use crate::digest::sha256_hex;
use crate::error::AppError;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// How long a key is remembered.
pub const TTL: Duration = Duration::hours(24);

/// Whose requests a key is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// An anonymous client, by its rate-limit key (an IPv6 client by /64).
    Client(IpAddr),
    /// A client with an API key (Open311), by the key's id.
    ApiKey(i64),
    /// A member of staff filing for a caller (代录), by their user id.
    Staff(i64),
    /// A reporter acting on their case (saying the problem came back), by
    /// their report's id.
    Reporter(i64),
}

/// A client's key as stored: the hash of its scope and the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(scope: KeyScope, key: &str) -> Self {
        let scope = match scope {
            KeyScope::Client(ip) => format!("client {ip}"),
            KeyScope::ApiKey(id) => format!("api-key {id}"),
            KeyScope::Staff(id) => format!("staff {id}"),
            KeyScope::Reporter(id) => format!("reporter {id}"),
        };
        IdempotencyKey(sha256_hex(format!("{scope}\n{key}").as_bytes()))
    }
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible ASCII
/// characters, or a 400.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(k) if (1..=200).contains(&k.trim().len()) => Ok(Some(k.trim().to_owned())),
        _ => Err(AppError::BadRequest(
            "Idempotency-Key must be 1–200 visible ASCII characters".to_owned(),
        )),
    }
}

/// The first answer for this key (a report's receipt, or what evidence was
/// attached: `T`), if it was used within [`TTL`]; a key used for a different
/// request is refused (422).
pub async fn replay<T: DeserializeOwned>(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<T>, AppError> {
    let Some(row) = idempotency::Entity::find_by_id(key.0.clone())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if row.created_at + TTL <= now {
        // Forgotten: the key may start afresh.
        idempotency::Entity::delete_by_id(key.0.clone())
            .exec(conn)
            .await?;
        return Ok(None);
    }
    if row.request_hash != request_hash {
        return Err(AppError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different request".to_owned(),
        });
    }
    let receipt = serde_json::from_str(&row.response).map_err(anyhow::Error::from)?;
    Ok(Some(receipt))
}

/// Remembers the answer under the key, in the request's transaction.
pub async fn remember<T: Serialize>(
    txn: &impl ConnectionTrait,
    key: &IdempotencyKey,
    request_hash: &str,
    receipt: &T,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let body = serde_json::to_string(receipt).map_err(|e| DbErr::Custom(e.to_string()))?;
    idempotency::ActiveModel {
        key: Set(key.0.clone()),
        request_hash: Set(request_hash.to_owned()),
        response: Set(body),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// Forgets keys older than [`TTL`] (the background jobs call it).
pub async fn forget_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = idempotency::Entity::delete_many()
        .filter(idempotency::Column::CreatedAt.lte(now - TTL))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_from_two_clients_is_two_keys() {
        let a = IdempotencyKey::new(KeyScope::Client("203.0.113.7".parse().unwrap()), "k1");
        let b = IdempotencyKey::new(KeyScope::Client("203.0.113.8".parse().unwrap()), "k1");
        let c = IdempotencyKey::new(KeyScope::ApiKey(7), "k1");
        let d = IdempotencyKey::new(KeyScope::ApiKey(8), "k1");
        assert_ne!(a, b);
        assert_ne!(c, d);
        assert_ne!(a, c);
        assert_eq!(
            a,
            IdempotencyKey::new(KeyScope::Client("203.0.113.7".parse().unwrap()), "k1")
        );
    }
}
