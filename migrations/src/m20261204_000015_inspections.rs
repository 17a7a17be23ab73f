//! Site inspections (现场检查) on a case: when, where, the officers, what
//! was found, and the measurements with the limit each was judged by.
//! Officers and measurements are kept as JSON with the row: they are read
//! and shown with it, never queried alone.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Inspection {
    Table,
    Id,
    CaseId,
    InspectedAt,
    Place,
    Officers,
    Found,
    Measurements,
    RecordedBy,
    RecordedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inspection::Table)
                    .col(big_pk_auto(Inspection::Id))
                    .col(big_integer(Inspection::CaseId))
                    .col(timestamp_with_time_zone(Inspection::InspectedAt))
                    .col(string(Inspection::Place))
                    .col(text(Inspection::Officers))
                    .col(text(Inspection::Found))
                    .col(text(Inspection::Measurements))
                    .col(big_integer(Inspection::RecordedBy))
                    .col(timestamp_with_time_zone(Inspection::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inspection_case")
                    .table(Inspection::Table)
                    .col(Inspection::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Inspection::Table).to_owned())
            .await
    }
}
