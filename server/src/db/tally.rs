//! Tallies the database keeps by triggers (the console's counts,
//! `cases::tally`; the public statistics, `stats::figures`): rows of +1 and
//! −1 that are only ever added, so that two transactions never wait for
//! each other on a counter row. They only grow between folds, which the
//! housekeeping job runs every minute.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait};

/// Folds `table`'s rows into one per `keys` (its columns, comma-separated),
/// dropping those that sum to nothing. Safe on several replicas at once: on
/// PostgreSQL the fold is one statement whose `DELETE … RETURNING` sees
/// only the rows it removed itself, so two folds never count a row twice;
/// SQLite has one writer.
pub(crate) async fn fold(
    db: &sea_orm::DatabaseConnection,
    table: &str,
    keys: &str,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "WITH moved AS (DELETE FROM {table} RETURNING {keys}, n) \
             INSERT INTO {table} ({keys}, n) \
             SELECT {keys}, SUM(n) FROM moved GROUP BY {keys} HAVING SUM(n) <> 0"
        ))
        .await?;
        return Ok(());
    }
    // The rows up to the last one now; the folded rows' ids come after it.
    let last = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT MAX(id) AS last FROM {table}"),
        ))
        .await?
        .and_then(|row| row.try_get::<Option<i64>>("", "last").ok().flatten());
    let Some(last) = last else {
        return Ok(());
    };
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO {table} ({keys}, n) SELECT {keys}, SUM(n) FROM {table} WHERE id <= ? \
             GROUP BY {keys} HAVING SUM(n) <> 0"
        ),
        [last.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("DELETE FROM {table} WHERE id <= ?"),
        [last.into()],
    ))
    .await?;
    txn.commit().await
}
