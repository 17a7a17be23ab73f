//! The personal-data key must be the one the database was written with.
//!
//! A key that differs is not an error anything notices by itself: a server
//! with it starts, encrypts new identities that no other replica can read,
//! cannot read the old ones, computes other blind indexes (找回 by phone
//! finds nothing) and signs webhooks with other secrets. That happens when
//! a replica is given the wrong `SHANSHUI_PII_KEY`, or when the key file is
//! lost — after a restore onto a fresh machine, say — and the embedded
//! default quietly generates a new one. So the database keeps the key's
//! fingerprint (`key_check`, written by the first server to start), and a
//! server whose key does not match it, or that would have to generate one
//! for a database that already has one, refuses to start (exit code 2).

use super::PiiCipher;
use crate::config::ConfigError;
use crate::db::entities::key_check;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::path::Path;

const PII: &str = "pii";

/// The personal-data key, checked against the database's record of it (and
/// recorded there if this is the first server).
pub async fn open(
    data_dir: &Path,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<PiiCipher, ConfigError> {
    let on_record = recorded(db).await?;
    if let Some(expected) = &on_record
        && !PiiCipher::exists(data_dir)
    {
        return Err(ConfigError::new(format!(
            "there is no personal-data key ({} or {}), but this database was written with one \
             (fingerprint {expected}): put the original key back; a new one would leave every \
             reporter's identity unreadable",
            super::cipher::KEY_ENV,
            data_dir.join(super::cipher::KEY_FILE).display(),
        )));
    }
    let pii = PiiCipher::load_or_create(data_dir)?;
    let mine = pii.fingerprint();
    let expected = match on_record {
        Some(expected) => expected,
        None => {
            // First start: record this key. Two replicas starting at once
            // both try; the first row stays, and the other checks it.
            key_check::Entity::insert(key_check::ActiveModel {
                name: Set(PII.to_owned()),
                fingerprint: Set(mine.clone()),
                recorded_at: Set(now),
            })
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await
            .map_err(|e| ConfigError::new(format!("cannot record the key's fingerprint: {e}")))?;
            recorded(db).await?.unwrap_or_else(|| mine.clone())
        }
    };
    if mine != expected {
        return Err(ConfigError::new(format!(
            "the personal-data key from {} (fingerprint {mine}) is not the one this database was \
             written with (fingerprint {expected}): give every replica the same key",
            super::source(
                super::cipher::KEY_ENV,
                &data_dir.join(super::cipher::KEY_FILE)
            )
        )));
    }
    Ok(pii)
}

async fn recorded(db: &impl ConnectionTrait) -> Result<Option<String>, ConfigError> {
    key_check::Entity::find_by_id(PII.to_owned())
        .one(db)
        .await
        .map(|row| row.map(|r| r.fingerprint))
        .map_err(|e| ConfigError::new(format!("cannot read the key's fingerprint: {e}")))
}
