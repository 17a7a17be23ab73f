//! API keys for Open311 clients (`api_key`). A key is shown once, when it is
//! created; only its SHA-256 is stored, found by its unique prefix.

use crate::audit;
use crate::db::entities::api_key;
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

const PREFIX_LEN: usize = 8;

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

pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiKeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiKeyError::Invalid(
            "the key's name must have 1–100 characters".to_owned(),
        ));
    }
    let (key, prefix) = generate();
    let txn = crate::db::begin_write(db).await?;
    api_key::ActiveModel {
        name: Set(name.to_owned()),
        prefix: Set(prefix.clone()),
        key_hash: Set(digest(&key)),
        created_at: Set(now),
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
            detail: Some(format!("name={name}")),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(key)
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
