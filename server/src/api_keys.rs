//! API keys (`api_key`) for the systems that file reports into Shanshui:
//! Open311 clients and the city's 12345 platform. A key is shown once, when
//! it is created; only its SHA-256 is stored, found by its unique prefix.
//!
//! A key may have a callback URL, told of every change of state of the
//! cases filed through it (`case.updated`, by the outbox). A platform key
//! also signs what it sends (see `crate::handoff`), with a secret derived
//! from the deployment's signing key and the key's prefix, like a
//! department's webhook secret: not stored, shown when the key is made.

use crate::audit;
use crate::db::entities::api_key;
use crate::egress::AllowList;
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

const PREFIX_LEN: usize = 8;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// File requests through Open311 (`POST /open311/v2/requests`).
    Open311,
    /// Hand off the 12345 platform's work orders (`POST
    /// /api/v1/handoffs/12345`), signed.
    #[value(name = "platform_12345")]
    Platform12345,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Open311 => "open311",
            Scope::Platform12345 => "platform_12345",
        }
    }
}

/// A key as made: the key itself and its signing secret, each shown once.
pub struct Created {
    pub key: String,
    pub prefix: String,
    pub signing_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// `ss_` + 8 hex (the prefix) + `_` + 32 hex: 160 random bits in all.
fn generate() -> (String, String) {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    let hex = hex::encode(bytes);
    let prefix = hex[..PREFIX_LEN].to_owned();
    (format!("ss_{prefix}_{}", &hex[PREFIX_LEN..]), prefix)
}

fn digest(key: &str) -> String {
    crate::digest::sha256_hex(key.as_bytes())
}

/// An Open311 client's key, without a callback.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiKeyError> {
    let options = NewKey {
        name,
        scope: Scope::Open311,
        callback_url: None,
    };
    let created = create_with(db, options, &AllowList::default(), None, actor, now).await?;
    Ok(created.key)
}

pub struct NewKey<'a> {
    pub name: &'a str,
    pub scope: Scope,
    pub callback_url: Option<&'a str>,
}

/// Makes a key. The callback URL is checked as a department's webhook is
/// (http or https, no credentials, not on the server's own network unless
/// `allow` permits it), and checked again at every send. The signing
/// secret comes from `signer` (the server's), or is empty without one.
pub async fn create_with(
    db: &DatabaseConnection,
    new: NewKey<'_>,
    allow: &AllowList,
    signer: Option<&crate::outbox::WebhookSigner>,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Created, ApiKeyError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiKeyError::Invalid(
            "the key's name must have 1–100 characters".to_owned(),
        ));
    }
    let callback = new.callback_url.map(str::trim).filter(|u| !u.is_empty());
    if let Some(url) = callback {
        if url.len() > 500 || url.chars().any(char::is_whitespace) {
            return Err(ApiKeyError::Invalid(
                "the callback URL is not a valid http(s) address".to_owned(),
            ));
        }
        allow
            .check_url(url)
            .map_err(|e| ApiKeyError::Invalid(format!("callback URL: {e}")))?;
    }
    let (key, prefix) = generate();
    let txn = crate::db::begin_write(db).await?;
    api_key::ActiveModel {
        name: Set(name.to_owned()),
        prefix: Set(prefix.clone()),
        key_hash: Set(digest(&key)),
        created_at: Set(now),
        scope: Set(new.scope.as_str().to_owned()),
        callback_url: Set(callback.map(str::to_owned)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "api_key.create",
            object_type: "api_key",
            object_id: &prefix,
            // The callback itself may carry a token: not in the log.
            detail: Some(format!(
                "name={name} scope={}{}",
                new.scope.as_str(),
                if callback.is_some() {
                    " callback set"
                } else {
                    ""
                }
            )),
        },
    )
    .await?;
    txn.commit().await?;
    let signing_secret = signer.map(|s| s.client_secret(&prefix)).unwrap_or_default();
    Ok(Created {
        key,
        prefix,
        signing_secret,
    })
}

/// The key's row when `key` is a live key, else None. Compares digests, so
/// the time taken says nothing about how much of a key was right.
pub async fn verify(db: &DatabaseConnection, key: &str) -> Result<Option<api_key::Model>, DbErr> {
    let Some(prefix) = key.strip_prefix("ss_").and_then(|k| k.get(..PREFIX_LEN)) else {
        return Ok(None);
    };
    let row = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(row.filter(|r| r.key_hash == digest(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_unique_and_carry_their_prefix() {
        let (a, pa) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("ss_{pa}_")));
        assert_eq!(a.len(), 3 + 8 + 1 + 32);
    }
}
