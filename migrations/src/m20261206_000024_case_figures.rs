//! The public statistics (统计) without reading every case.
//!
//! `/stats` counted the cases by category, area, channel and month, each
//! department's closed cases and how many of them by their deadline, the
//! closed cases by finding and each department's replied ones: a dozen
//! `GROUP BY`s over every case, about 3 s at 1,000,000 on SQLite each time
//! the held copy aged out. As with the console's counts (migration 000020),
//! the database now keeps a tally of them by triggers: a row of `+1` for a
//! case's (figure, key) when it comes to count there and `-1` when it
//! stops, so that the statistics are a sum over a few hundred rows. In the
//! database, not the services, so that no write path can forget one.
//!
//! A figure is a condition on the case and a key. A change writes rows
//! only for the figures whose condition or key it changed, so an action
//! that only moves a case on through its states writes none at all or the
//! one or two the state decides (closed, on time, finding, replied).
//! Rows are only ever added; `stats::figures::compact` folds them.
//!
//! The tally is built from the cases already there with the writers kept
//! out (one transaction; on PostgreSQL a lock on `cases`), so that no case
//! written between the count and the triggers is left out. The console's
//! tally (000020) was built without that guard, so it is counted again here
//! under the same lock.
//!
//! A figure changed later means a new migration that replaces the triggers
//! and counts again, never an edit of this one.
//!
//! `idx_cases_accepted` serves the median time to acceptance, which reads
//! the latest accepted cases and sorted every case to find them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseFigures {
    Table,
    Id,
    Figure,
    Key,
    N,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    AcceptedAt,
}

const ACCEPTED_INDEX: &str = "idx_cases_accepted";

/// One figure: its name, the condition under which a case counts in it and
/// the key it counts under, as SQL over one side (`OLD`, `NEW` or the
/// table's own columns with `""`). Neither may be NULL for any case.
struct Figure {
    name: &'static str,
    when: fn(&str, DbBackend) -> String,
    key: fn(&str, DbBackend) -> String,
}

fn always(_: &str, _: DbBackend) -> String {
    "TRUE".into()
}

/// `side.column`, or the bare column for the backfill.
fn col(side: &str, column: &str) -> String {
    if side.is_empty() {
        column.to_owned()
    } else {
        format!("{side}.{column}")
    }
}

fn id_key(side: &str, column: &str) -> String {
    format!("COALESCE(CAST({} AS TEXT), '')", col(side, column))
}

/// Closed or refused with a closing time: the timeliness table's cases.
fn finished(s: &str) -> String {
    format!(
        "{} IN ('closed', 'rejected') AND {} IS NOT NULL",
        col(s, "state"),
        col(s, "closed_at")
    )
}

/// Closed (办结) with `column` set.
fn closed_with(s: &str, column: &str) -> String {
    format!(
        "{} = 'closed' AND {} IS NOT NULL",
        col(s, "state"),
        col(s, column)
    )
}

const FIGURES: &[Figure] = &[
    Figure {
        name: "category",
        when: always,
        key: |s, _| id_key(s, "category_id"),
    },
    Figure {
        name: "area",
        when: always,
        key: |s, _| id_key(s, "area_id"),
    },
    Figure {
        name: "channel",
        when: always,
        key: |s, _| col(s, "channel"),
    },
    // The month it was reported in, Chongqing time (UTC+8 all year).
    Figure {
        name: "month",
        when: always,
        key: |s, backend| match backend {
            DbBackend::Postgres => format!(
                "to_char(({} AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM')",
                col(s, "submitted_at")
            ),
            // The stored text is UTC (`…+00:00`); its first 19 characters
            // to the second, since SQLite rounds a fraction to the
            // millisecond and 23:59:59.9999 would become the next day.
            _ => format!(
                "COALESCE(strftime('%Y-%m', substr({}, 1, 19), '+8 hours'), '')",
                col(s, "submitted_at")
            ),
        },
    },
    Figure {
        name: "closed",
        when: |s, _| finished(s),
        key: |s, _| id_key(s, "department_id"),
    },
    Figure {
        name: "on_time",
        when: |s, _| {
            format!(
                "{} AND {} IS NOT NULL AND {} <= {}",
                finished(s),
                col(s, "close_due_at"),
                col(s, "closed_at"),
                col(s, "close_due_at")
            )
        },
        key: |s, _| id_key(s, "department_id"),
    },
    Figure {
        name: "finding",
        when: |s, _| closed_with(s, "finding"),
        key: |s, _| col(s, "finding"),
    },
    // Closed with a reply: the cases the satisfaction survey asks about.
    Figure {
        name: "replied",
        when: |s, _| closed_with(s, "reply"),
        key: |s, _| id_key(s, "department_id"),
    },
];

/// The columns the figures read: an update of any other leaves them be.
const COLUMNS: &str = "state, category_id, area_id, channel, submitted_at, department_id, \
                       closed_at, close_due_at, finding, reply";

fn same(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "IS NOT DISTINCT FROM",
        _ => "IS",
    }
}

/// One statement adding `n` for every figure `side` counts in, except
/// those where `other` (the row's other side, in an update) counts under
/// the same key: a change writes only what it changed.
fn rows(side: &str, other: Option<&str>, n: i32, backend: DbBackend) -> String {
    let selects: Vec<String> = FIGURES
        .iter()
        .map(|f| {
            let key = (f.key)(side, backend);
            let mut when = format!("({})", (f.when)(side, backend));
            if let Some(other) = other {
                when = format!(
                    "{when} AND NOT (({}) AND {} {} {key})",
                    (f.when)(other, backend),
                    (f.key)(other, backend),
                    same(backend)
                );
            }
            format!("SELECT '{}', {key}, {n} WHERE {when}", f.name)
        })
        .collect();
    format!(
        "INSERT INTO case_figures (figure, key, n) {};",
        selects.join(" UNION ALL ")
    )
}

/// The figures of the cases already there.
fn backfill(backend: DbBackend) -> String {
    let selects: Vec<String> = FIGURES
        .iter()
        .map(|f| {
            let key = (f.key)("", backend);
            format!(
                "SELECT '{}', {key}, COUNT(*) FROM cases WHERE {} GROUP BY {key}",
                f.name,
                (f.when)("", backend)
            )
        })
        .collect();
    format!(
        "INSERT INTO case_figures (figure, key, n) {};",
        selects.join(" UNION ALL ")
    )
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: its write lock, taken by the first
    /// statement, keeps every other writer out until the triggers exist.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            // Reads go on; writes to `cases` wait until this commits.
            db.execute_unprepared("LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE")
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CaseFigures::Table)
                    .col(
                        ColumnDef::new(CaseFigures::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CaseFigures::Figure).string().not_null())
                    .col(ColumnDef::new(CaseFigures::Key).string().not_null())
                    .col(ColumnDef::new(CaseFigures::N).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ACCEPTED_INDEX)
                    .table(Cases::Table)
                    .col(Cases::AcceptedAt)
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&backfill(backend)).await?;
        db.execute_unprepared("DELETE FROM case_tally").await?;
        db.execute_unprepared(super::m20261205_000020_case_tally::BACKFILL)
            .await?;
        let insert = rows("NEW", None, 1, backend);
        let delete = rows("OLD", None, -1, backend);
        let old = rows("OLD", Some("NEW"), -1, backend);
        let new = rows("NEW", Some("OLD"), 1, backend);
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION case_figures_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF TG_OP = 'INSERT' THEN {insert} \
                       ELSIF TG_OP = 'DELETE' THEN {delete} \
                       ELSE {old} {new} \
                       END IF; \
                       RETURN NULL; \
                     END $$; \
                     CREATE TRIGGER case_figures_insert_delete AFTER INSERT OR DELETE ON cases \
                       FOR EACH ROW EXECUTE FUNCTION case_figures_change(); \
                     CREATE TRIGGER case_figures_update AFTER UPDATE OF {COLUMNS} ON cases \
                       FOR EACH ROW EXECUTE FUNCTION case_figures_change();",
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER case_figures_insert AFTER INSERT ON cases BEGIN {insert} END; \
                     CREATE TRIGGER case_figures_delete AFTER DELETE ON cases BEGIN {delete} END; \
                     CREATE TRIGGER case_figures_update AFTER UPDATE OF {COLUMNS} ON cases \
                       BEGIN {old} {new} END;",
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS case_figures_insert_delete ON cases; \
                     DROP TRIGGER IF EXISTS case_figures_update ON cases; \
                     DROP FUNCTION IF EXISTS case_figures_change();",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS case_figures_insert; \
                     DROP TRIGGER IF EXISTS case_figures_delete; \
                     DROP TRIGGER IF EXISTS case_figures_update;",
                )
                .await?;
            }
        }
        manager
            .drop_index(
                Index::drop()
                    .name(ACCEPTED_INDEX)
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CaseFigures::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column a figure reads is one whose update fires the trigger:
    /// a figure reading another would drift without an error.
    #[test]
    fn the_update_trigger_watches_every_column_the_figures_read() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let sql = rows("NEW", Some("OLD"), 1, backend);
            let watched: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
            let read: Vec<&str> = sql
                .split("NEW.")
                .skip(1)
                .map(|rest| {
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    &rest[..end]
                })
                .collect();
            assert!(read.len() >= FIGURES.len(), "{sql}");
            for column in read {
                assert!(watched.contains(&column), "{column} is not watched");
            }
        }
    }
}
