//! `shanshui backup --to DIR` and `shanshui restore --from DIR`.
//!
//! A backup is made while the server runs. The database comes first, as one
//! consistent snapshot (`VACUUM INTO` on SQLite, `pg_dump` inside an
//! exported snapshot on PostgreSQL); the photo files come after it. Files
//! are content-addressed and never change, and a photo is stored before the
//! row naming it commits, so every photo the snapshot names is already on
//! disk when the copying starts: the pair is consistent without stopping
//! anything. A manifest with the SHA-256 of every file is written last.
//!
//! A restore checks the whole backup before it replaces anything (the
//! manifest, every hash, SQLite's `integrity_check` or `pg_restore --list`,
//! migrations this binary knows, the personal-data key), refuses to
//! overwrite a database that holds data unless told `--force`, puts the
//! photos back first (adding files to a content-addressed store harms
//! nothing) and the database last, in one step: a rename on SQLite, one
//! transaction on PostgreSQL.
//!
//! The keys are not copied (see `keys.rs`). Photos in object storage are
//! not copied either: a bucket has its own versioning and replication.

mod create;
mod files;
mod keys;
mod manifest;
mod postgres;
mod restore;
mod sqlite;

pub use create::{BackupSummary, backup};
pub use manifest::{Counts, Manifest};
pub use restore::{RestoreSummary, restore};

use crate::config::Settings;
use crate::db::entities::{case, photo, report};
use crate::storage::StoreLocation;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, Statement};
use std::path::PathBuf;

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Found before anything was written or replaced: a target in the way,
    /// a backup that does not check out, a missing tool. Exit code 2.
    #[error("{0}")]
    Refused(String),
    /// Failed on the way (a disk, the database server). Exit code 1.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<DbErr> for BackupError {
    fn from(e: DbErr) -> Self {
        BackupError::Failed(e.into())
    }
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Failed(e.into())
    }
}

impl From<crate::config::ConfigError> for BackupError {
    fn from(e: crate::config::ConfigError) -> Self {
        BackupError::Refused(e.to_string())
    }
}

/// What a database snapshot holds, read from the snapshot itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contents {
    /// Applied migrations, oldest first.
    pub migrations: Vec<String>,
    pub counts: Counts,
}

/// The migrations applied and the rows counted, in one read (a snapshot
/// or a transaction).
pub(crate) async fn contents(db: &impl ConnectionTrait) -> Result<Contents, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    let migrations = rows
        .iter()
        .map(|r| r.try_get::<String>("", "version"))
        .collect::<Result<_, _>>()?;
    Ok(Contents {
        migrations,
        counts: Counts {
            cases: case::Entity::find().count(db).await?,
            reports: report::Entity::find().count(db).await?,
            photos: photo::Entity::find().count(db).await?,
        },
    })
}

/// Where this server's photo files are: the data directory's store, or
/// object storage, which a backup does not copy.
#[derive(Debug, Clone)]
enum PhotoPlace {
    Files(PathBuf),
    ObjectStorage(String),
}

impl PhotoPlace {
    fn of(settings: &Settings) -> Self {
        match &settings.photo_store {
            StoreLocation::DataDir => PhotoPlace::Files(settings.data_dir.join("photos")),
            StoreLocation::S3(s3) => PhotoPlace::ObjectStorage(s3.url.clone()),
        }
    }
}

/// The manifest's name for the configured database.
fn kind_of(settings: &Settings) -> manifest::DatabaseKind {
    match settings.database_kind {
        crate::config::DatabaseKind::Sqlite => manifest::DatabaseKind::Sqlite,
        crate::config::DatabaseKind::Postgres => manifest::DatabaseKind::Postgres,
    }
}

/// `12.3 MB`
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}
