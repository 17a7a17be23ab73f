//! PostgreSQL: `pg_dump -Fc` inside an exported snapshot; `pg_restore` in
//! one transaction.
//!
//! The backup opens a read-only REPEATABLE READ transaction, exports its
//! snapshot and lets `pg_dump --snapshot` dump exactly what that
//! transaction sees, so the migrations and counts in the manifest are those
//! of the dump, however busy the server is. The password never appears on
//! a command line (other users can read those): the tools get the URL
//! without it and the password in `PGPASSWORD`.

use super::{BackupError, Contents, contents};
use crate::config::redact_url;
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, IsolationLevel,
    Statement, TransactionTrait,
};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// Dumps the database at `url` into `into` and reads what the dump holds.
pub async fn dump(url: &str, into: &Path) -> Result<Contents, BackupError> {
    tool_version("pg_dump")?;
    let db = connect(url).await?;
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let snapshot: String = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            "SELECT pg_export_snapshot()",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("pg_export_snapshot() answered nothing"))?
        .try_get_by_index(0)?;
    let read = contents(&txn).await?;
    let (dbname, password) = split_password(url);
    let args = vec![
        "--format=custom".to_owned(),
        "--no-password".to_owned(),
        format!("--snapshot={snapshot}"),
        format!("--file={}", into.display()),
        format!("--dbname={dbname}"),
    ];
    // The transaction stays open while pg_dump runs: the snapshot lives
    // as long as it does.
    let dumped = run("pg_dump", args, password).await;
    let _ = txn.rollback().await;
    let _ = db.close().await;
    dumped?;
    crate::disk::set_mode(into, 0o600)?;
    Ok(read)
}

/// Whether `pg_restore` can read the archive: its table of contents.
pub async fn check_archive(file: &Path) -> Result<(), BackupError> {
    tool_version("pg_restore")?;
    let args = vec!["--list".to_owned(), file.display().to_string()];
    run("pg_restore", args, None).await.map_err(|e| {
        BackupError::Refused(format!(
            "the database dump cannot be read by pg_restore: {e}"
        ))
    })?;
    Ok(())
}

/// What a restore would replace: the tables outside PostgreSQL's own
/// schemas, and how many other sessions use the database.
pub struct Target {
    /// Empty when the database holds no tables.
    pub holds: Option<String>,
    pub other_sessions: i64,
}

pub async fn target(url: &str) -> Result<Target, BackupError> {
    let db = connect(url).await?;
    let backend = db.get_database_backend();
    let scalar = |sql: &'static str| {
        let db = &db;
        async move {
            db.query_one_raw(Statement::from_string(backend, sql))
                .await?
                .map_or(Ok(0), |r| r.try_get_by_index::<i64>(0))
        }
    };
    let tables = scalar(
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .await;
    let sessions = scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    .await;
    let cases = scalar("SELECT COUNT(*) FROM cases").await.ok();
    let _ = db.close().await;
    let (tables, other_sessions) = (tables?, sessions?);
    let holds = match (tables, cases) {
        (0, _) => None,
        (n, Some(cases)) => Some(format!("{n} tables, {cases} cases")),
        (n, None) => Some(format!("{n} tables")),
    };
    Ok(Target {
        holds,
        other_sessions,
    })
}

/// `pg_restore --clean --if-exists` of `file` into the database at `url`,
/// in one transaction: it all happens, or none of it.
pub async fn restore(url: &str, file: &Path) -> Result<(), BackupError> {
    let (dbname, password) = split_password(url);
    let args = vec![
        "--clean".to_owned(),
        "--if-exists".to_owned(),
        "--single-transaction".to_owned(),
        "--exit-on-error".to_owned(),
        // Objects belong to the user the server connects as, whoever
        // owned them where the dump was made.
        "--no-owner".to_owned(),
        "--no-password".to_owned(),
        format!("--dbname={dbname}"),
        file.display().to_string(),
    ];
    run("pg_restore", args, password).await?;
    Ok(())
}

/// What the restored database holds.
pub async fn read(url: &str) -> Result<Contents, BackupError> {
    let db = connect(url).await?;
    let read = contents(&db).await;
    let _ = db.close().await;
    Ok(read?)
}

async fn connect(url: &str) -> Result<DatabaseConnection, BackupError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| {
        BackupError::Refused(format!("cannot open the database {}: {e}", redact_url(url)))
    })
}

/// Says clearly when a client tool is missing, before anything is done.
fn tool_version(program: &str) -> Result<(), BackupError> {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(BackupError::Refused(format!(
            "{program} --version failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(e) => Err(missing(program, &e)),
    }
}

fn missing(program: &str, e: &std::io::Error) -> BackupError {
    BackupError::Refused(format!(
        "cannot run {program} ({e}): install PostgreSQL's client tools of the server's major \
         version (Debian: apt-get install postgresql-client-15) or put the folder holding \
         {program} first on PATH"
    ))
}

/// Runs a client tool off the async runtime; a failure carries its
/// standard error.
async fn run(
    program: &'static str,
    args: Vec<String>,
    password: Option<String>,
) -> Result<Output, BackupError> {
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(program);
        cmd.args(&args);
        if let Some(password) = password {
            cmd.env("PGPASSWORD", password);
        }
        cmd.output()
    })
    .await
    .map_err(|e| anyhow::anyhow!("{program} did not finish: {e}"))?
    .map_err(|e| missing(program, &e))?;
    if !out.status.success() {
        return Err(BackupError::Failed(anyhow::anyhow!(
            "{program} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out)
}

/// The URL without its password, and the password (percent-decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let Some(at) = url[scheme_end..authority_end]
        .rfind('@')
        .map(|i| scheme_end + i)
    else {
        return (url.to_owned(), None);
    };
    let userinfo = &url[scheme_end..at];
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..scheme_end], &url[at..]),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://shan:s%40cret%2F1@db.local:5432/shanshui?sslmode=require"),
            (
                "postgres://shan@db.local:5432/shanshui?sslmode=require".to_owned(),
                Some("s@cret/1".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/postgres"),
            (
                "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
                None
            )
        );
        assert_eq!(
            split_password("postgres://127.0.0.1/x?user=a@b"),
            ("postgres://127.0.0.1/x?user=a@b".to_owned(), None)
        );
    }

    #[test]
    fn a_missing_tool_is_named_with_what_to_install() {
        let err = tool_version("pg_dump-that-is-not-installed").unwrap_err();
        assert!(matches!(err, BackupError::Refused(_)));
        let text = err.to_string();
        assert!(
            text.contains("cannot run pg_dump-that-is-not-installed")
                && text.contains("postgresql-client"),
            "{text}"
        );
    }
}
