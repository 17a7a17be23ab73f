//! Counting cases by state without reading them (the console's counts,
//! `GET /api/v1/cases/counts`; the metrics' open cases).
//!
//! A `GROUP BY state` over `cases` reads every case in scope: about 38 ms
//! at 1,000,000 on SQLite, on every console page a member of staff opens.
//! Instead the database keeps a tally: triggers on `cases` add a row of
//! `+1` for a case's (department, state) when it appears or arrives there
//! and a row of `-1` when it leaves, so that the counts are a sum over a
//! few hundred rows, whatever the number of cases. The triggers are in the
//! database, not in the services, so no write path (an action, a bulk
//! action, a merge, the demo, a restore) can forget one.
//!
//! Rows are only ever added, never updated: two transactions moving cases
//! of one department never wait for each other on a counter row (and
//! cannot deadlock on two of them). A job folds the rows into one per
//! (department, co, state) now and then (`cases::tally::compact`).
//!
//! `co` is 0 for the lead department (`department_id`; 0 for none) and 1
//! for the co-handling department, counted only when it is another one, as
//! the console's scope counts a case once for a department that is both.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseTally {
    Table,
    Id,
    DepartmentId,
    Co,
    State,
    N,
}

const INDEX: &str = "idx_case_tally_department";

/// The deltas for one side (`OLD` or `NEW`) with sign `n`: the lead
/// department's row, and the co-handler's when there is another one.
fn sqlite_rows(side: &str, n: i32) -> String {
    format!(
        "INSERT INTO case_tally (department_id, co, state, n) \
             VALUES (COALESCE({side}.department_id, 0), 0, {side}.state, {n}); \
         INSERT INTO case_tally (department_id, co, state, n) \
             SELECT {side}.co_department_id, 1, {side}.state, {n} \
             WHERE {side}.co_department_id IS NOT NULL \
               AND {side}.co_department_id IS NOT COALESCE({side}.department_id, 0);"
    )
}

fn postgres_rows(side: &str, n: i32) -> String {
    format!(
        "INSERT INTO case_tally (department_id, co, state, n) \
             VALUES (COALESCE({side}.department_id, 0), 0, {side}.state, {n}); \
         IF {side}.co_department_id IS NOT NULL \
            AND {side}.co_department_id IS DISTINCT FROM COALESCE({side}.department_id, 0) THEN \
             INSERT INTO case_tally (department_id, co, state, n) \
                 VALUES ({side}.co_department_id, 1, {side}.state, {n}); \
         END IF;"
    )
}

const CHANGED_SQLITE: &str = "OLD.state IS NOT NEW.state \
    OR OLD.department_id IS NOT NEW.department_id \
    OR OLD.co_department_id IS NOT NEW.co_department_id";

const CHANGED_POSTGRES: &str = "OLD.state IS DISTINCT FROM NEW.state \
    OR OLD.department_id IS DISTINCT FROM NEW.department_id \
    OR OLD.co_department_id IS DISTINCT FROM NEW.co_department_id";

/// The tally of the cases already there, one row per (department, co, state)
/// (also counted again by 000024).
pub(crate) const BACKFILL: &str = "INSERT INTO case_tally (department_id, co, state, n) \
     SELECT COALESCE(department_id, 0), 0, state, COUNT(*) FROM cases \
     GROUP BY COALESCE(department_id, 0), state; \
     INSERT INTO case_tally (department_id, co, state, n) \
     SELECT co_department_id, 1, state, COUNT(*) FROM cases \
     WHERE co_department_id IS NOT NULL \
       AND co_department_id <> COALESCE(department_id, 0) \
     GROUP BY co_department_id, state;";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseTally::Table)
                    .col(
                        ColumnDef::new(CaseTally::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CaseTally::DepartmentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseTally::Co).integer().not_null())
                    .col(ColumnDef::new(CaseTally::State).string().not_null())
                    .col(ColumnDef::new(CaseTally::N).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(CaseTally::Table)
                    .col(CaseTally::Co)
                    .col(CaseTally::DepartmentId)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION case_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN {old} END IF; \
                       IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN {new} END IF; \
                       RETURN NULL; \
                     END $$; \
                     CREATE TRIGGER case_tally_insert_delete AFTER INSERT OR DELETE ON cases \
                       FOR EACH ROW EXECUTE FUNCTION case_tally_change(); \
                     CREATE TRIGGER case_tally_update \
                       AFTER UPDATE OF state, department_id, co_department_id ON cases \
                       FOR EACH ROW WHEN ({CHANGED_POSTGRES}) \
                       EXECUTE FUNCTION case_tally_change();",
                    old = postgres_rows("OLD", -1),
                    new = postgres_rows("NEW", 1),
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER case_tally_insert AFTER INSERT ON cases BEGIN {new} END; \
                     CREATE TRIGGER case_tally_delete AFTER DELETE ON cases BEGIN {old} END; \
                     CREATE TRIGGER case_tally_update \
                       AFTER UPDATE OF state, department_id, co_department_id ON cases \
                       WHEN {CHANGED_SQLITE} BEGIN {old} {new} END;",
                    old = sqlite_rows("OLD", -1),
                    new = sqlite_rows("NEW", 1),
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
                    "DROP TRIGGER IF EXISTS case_tally_insert_delete ON cases; \
                     DROP TRIGGER IF EXISTS case_tally_update ON cases; \
                     DROP FUNCTION IF EXISTS case_tally_change();",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS case_tally_insert; \
                     DROP TRIGGER IF EXISTS case_tally_delete; \
                     DROP TRIGGER IF EXISTS case_tally_update;",
                )
                .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CaseTally::Table).to_owned())
            .await
    }
}
