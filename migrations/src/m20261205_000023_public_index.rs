//! The public list's indexes (公开案件列表): newest first — over all cases,
//! within a category, within an area — each carrying the columns the
//! list's filters test, so that a page's ids (the first page, a filtered
//! one, page 500) are found from an index alone and only the page's own
//! rows are read (`disclosure::service::PublicCases::list`). Without the
//! state in the index, "a category's closed cases" read a row for every
//! recent, still open case it skipped: 14 ms for Open311's page of 100 at
//! 1,000,000 cases (SQLite), against 0.3 ms from the index.
//!
//! They replace `idx_cases_submitted`, `idx_cases_category_submitted` and
//! `idx_cases_area_submitted`, their first columns. PostgreSQL carries the
//! filter columns as `INCLUDE`d payload; SQLite, which has no `INCLUDE`, as
//! trailing keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, keys, payload, the index it replaces and that index's keys).
const INDEXES: [(&str, &str, &str, &str, &str); 3] = [
    (
        "idx_cases_public",
        "submitted_at, id",
        "state, category_id, area_id, disclosed_at",
        "idx_cases_submitted",
        "submitted_at",
    ),
    (
        "idx_cases_public_category",
        "category_id, submitted_at, id",
        "state, area_id, disclosed_at",
        "idx_cases_category_submitted",
        "category_id, submitted_at",
    ),
    (
        "idx_cases_public_area",
        "area_id, submitted_at, id",
        "state, category_id, disclosed_at",
        "idx_cases_area_submitted",
        "area_id, submitted_at",
    ),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, keys, payload, replaced, _) in INDEXES {
            let create = if postgres {
                format!("CREATE INDEX {name} ON cases ({keys}) INCLUDE ({payload})")
            } else {
                format!("CREATE INDEX {name} ON cases ({keys}, {payload})")
            };
            db.execute_unprepared(&create).await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {replaced}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _, _, replaced, keys) in INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {replaced} ON cases ({keys})"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }
}
