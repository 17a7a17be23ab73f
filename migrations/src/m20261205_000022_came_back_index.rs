//! Cases by the case they came back from (回访: "the problem came back"):
//! every case page asks which later cases name it, and without an index
//! that question read every case — 26 ms a page at 100,000 cases and
//! growing with them (`case_bench`, 2026-12-05).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    CameBackFromId,
}

const NAME: &str = "idx_cases_came_back_from";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Cases::Table)
                    .col(Cases::CameBackFromId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Cases::Table).to_owned())
            .await
    }
}
