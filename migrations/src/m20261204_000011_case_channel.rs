//! The road each case came in by (受理渠道): `web` (the report form) or
//! `open311` today, the staff-filed channels (12345/12369 calls, letters,
//! walk-ins, the 12345 platform, inspections) later. Cases filed before
//! this came through the form or Open311, which nothing recorded apart;
//! they count as `web`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Channel,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(string(Cases::Channel).default("web"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::Channel)
                    .to_owned(),
            )
            .await
    }
}
