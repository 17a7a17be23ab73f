//! SQLite: `VACUUM INTO` makes the snapshot, `PRAGMA integrity_check`
//! vouches for a copy, and a rename puts it in place.
//!
//! `VACUUM INTO` is one read transaction: beside a running server (WAL
//! mode, so its writers carry on) it writes a compact, self-contained file
//! in rollback-journal mode, with no `-wal` to go with it. A copy is opened
//! read-only and `immutable`, so checking a backup writes nothing next to it.

use super::{BackupError, Contents, contents};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _};
use sea_orm::{DatabaseConnection, SqlxSqliteConnector};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

/// The file a `sqlite:` URL names.
pub fn database_path(url: &str) -> Result<PathBuf, BackupError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| BackupError::Refused(format!("the SQLite URL cannot be read: {e}")))?;
    Ok(options.get_filename().to_path_buf())
}

/// Writes a consistent copy of the database at `url` to `into` (which must
/// not exist) and reads back what the copy holds.
pub async fn snapshot(url: &str, into: &Path) -> Result<Contents, BackupError> {
    let path = database_path(url)?;
    if !path.is_file() {
        return Err(BackupError::Refused(format!(
            "there is no SQLite database at {}",
            path.display()
        )));
    }
    let into_text = into
        .to_str()
        .ok_or_else(|| BackupError::Refused(format!("{} is not a UTF-8 path", into.display())))?;
    // Never creates a database; waits out a writer's lock like the server.
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| BackupError::Refused(e.to_string()))?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let mut conn = options
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
    let done = sqlx::query("VACUUM INTO ?")
        .bind(into_text)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    done.map_err(|e| anyhow::anyhow!("VACUUM INTO {}: {e}", into.display()))?;
    crate::disk::set_mode(into, 0o600)?;
    inspect(into).await
}

/// Checks a copy with `PRAGMA integrity_check` and reads what it holds.
pub async fn inspect(copy: &Path) -> Result<Contents, BackupError> {
    let db = open_copy(copy).await?;
    let checked = check(&db).await;
    let read = match checked {
        Ok(()) => contents(&db).await.map_err(|e| {
            BackupError::Refused(format!(
                "the database copy {} cannot be read: {e}",
                copy.display()
            ))
        }),
        Err(e) => Err(e),
    };
    let _ = db.close().await;
    read
}

async fn check(db: &DatabaseConnection) -> Result<(), BackupError> {
    use sea_orm::ConnectionTrait as _;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .map_err(|e| BackupError::Refused(format!("the database copy cannot be checked: {e}")))?;
    let found: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if found != ["ok"] {
        return Err(BackupError::Refused(format!(
            "the database copy fails SQLite's integrity check: {}",
            found.join("; ")
        )));
    }
    Ok(())
}

/// A copy, read-only and immutable: nothing is written beside it.
async fn open_copy(path: &Path) -> Result<DatabaseConnection, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| {
            BackupError::Refused(format!(
                "the database copy {} cannot be opened: {e}",
                path.display()
            ))
        })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// What is at the restore's target.
pub enum Target {
    /// No file, or an empty one.
    Absent,
    /// A database without tables.
    Empty,
    /// A database with tables: what it holds, in words.
    Holds(String),
}

/// Looks at the database a restore would replace, changing nothing.
pub async fn target(path: &Path) -> Result<Target, BackupError> {
    if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
        return Ok(Target::Absent);
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| {
        BackupError::Refused(format!("{} is not a SQLite database: {e}", path.display()))
    })?;
    let cases: Option<i64> = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut conn)
        .await
        .ok();
    let _ = conn.close().await;
    Ok(match (tables, cases) {
        (0, _) => Target::Empty,
        (n, Some(cases)) => Target::Holds(format!("{n} tables, {cases} cases")),
        (n, None) => Target::Holds(format!("{n} tables")),
    })
}

/// Makes sure no server has the target open, and leaves it without a
/// `-wal`: a stale write-ahead log beside a renamed-in file would be
/// replayed into it. Leaving WAL mode needs the only connection, so a
/// running server makes this fail, and the restore is refused.
pub async fn take_over(path: &Path) -> Result<(), BackupError> {
    let in_use = || {
        BackupError::Refused(format!(
            "the database {} is in use: stop every shanshui server that uses it, then restore again",
            path.display()
        ))
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .map_err(|_| in_use())?;
    let mode: Result<String, _> = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    match mode {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => Ok(()),
        _ => Err(in_use()),
    }
}

/// Puts the checked copy `from` at `to`: copied to a temporary name beside
/// it (its SHA-256 checked again as it is written), then renamed over the
/// old file in one step. Journal files of the old database are removed
/// first (after [`take_over`] there are none but a crash's).
pub fn put_in_place(from: &Path, to: &Path, sha256: &str) -> Result<(), BackupError> {
    if let Some(dir) = to.parent() {
        crate::disk::create_dir(dir, true)?;
    }
    let tmp = super::files::temp_beside(to);
    super::files::copy_whole(from, &tmp, true, Some(sha256))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = to.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
    }
    if let Err(e) = std::fs::rename(&tmp, to) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    if let Some(dir) = to.parent() {
        crate::disk::sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_reads_back_and_a_damaged_copy_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
        let live = sea_orm::Database::connect(url.as_str()).await.unwrap();
        crate::db::migrate(&live).await.unwrap();
        let copy = dir.path().join("copy.db");
        let read = snapshot(&url, &copy).await.unwrap();
        live.close().await.unwrap();
        use migrations::MigratorTrait as _;
        assert_eq!(
            read.migrations.len(),
            migrations::Migrator::migrations().len()
        );
        assert_eq!(read.counts, super::super::Counts::default());
        assert!(
            matches!(snapshot(&url, &copy).await, Err(BackupError::Failed(_))),
            "VACUUM INTO never overwrites"
        );

        // A page of the copy overwritten: SQLite's own check finds it.
        let mut bytes = std::fs::read(&copy).unwrap();
        let page = 4096;
        assert!(bytes.len() > 8 * page);
        bytes[4 * page..5 * page].fill(0xA5);
        std::fs::write(&copy, bytes).unwrap();
        let err = inspect(&copy).await.unwrap_err();
        assert!(matches!(err, BackupError::Refused(_)), "{err}");
    }

    #[tokio::test]
    async fn there_is_nothing_to_back_up_without_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("none.db").display());
        let err = snapshot(&url, &dir.path().join("copy.db"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no SQLite database"), "{err}");
        assert!(!dir.path().join("none.db").exists(), "none was made");
    }
}
