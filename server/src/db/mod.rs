//! The database: SQLite (embedded default) or PostgreSQL, through sea-orm.

pub mod entities;
pub(crate) mod limit;
pub(crate) mod tally;

use crate::config::{ConfigError, DatabaseKind, Settings, redact_url};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// Rows a SQLite connection's thread may read ahead of the task that asked:
/// a page of the public record (at most 1,000 and one) goes across with few
/// stops, and a stream (the ledger) holds at most this many rows at once.
const ROW_BUFFER: usize = 256;

/// Opens the database named by the settings. Failing to open it is a
/// settings problem (a wrong URL, an unwritable directory): exit code 2.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, ConfigError> {
    if settings.database_kind == DatabaseKind::Sqlite {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            ConfigError::new(format!(
                "cannot create the data directory {}: {e}",
                settings.data_dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    match settings.database_kind {
        DatabaseKind::Sqlite => {
            // sqlx leaves the journal mode alone: WAL lets readers run beside
            // the one writer; FULL keeps a commit through a power cut.
            // Each connection's thread hands its rows over a channel of
            // `ROW_BUFFER` places; at sqlx's 50, a page of 100 stopped the
            // thread halfway until the reader caught up (two more thread
            // switches for every page Open311 and the exports read).
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.row_buffer_size(ROW_BUFFER)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .create_if_missing(true)
            });
        }
        DatabaseKind::Postgres => {
            options.max_connections(16);
        }
    }
    Database::connect(options).await.map_err(|e| {
        ConfigError::new(format!(
            "cannot open the database {}: {e}",
            redact_url(&settings.database_url)
        ))
    })
}

/// Opens the database and applies pending migrations.
pub async fn connect_and_migrate(settings: &Settings) -> Result<DatabaseConnection, ConfigError> {
    let conn = connect(settings).await?;
    migrate(&conn).await.map_err(|e| {
        ConfigError::new(format!(
            "cannot migrate the database {}: {e}",
            redact_url(&settings.database_url)
        ))
    })?;
    Ok(conn)
}

pub async fn migrate(conn: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    Migrator::up(conn, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
/// writes later cannot be upgraded while another writer is busy, and SQLite
/// then fails at once with "database is locked" instead of waiting out the
/// busy timeout (seen under concurrent submissions). PostgreSQL ignores it.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}
