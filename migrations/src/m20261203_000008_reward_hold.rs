//! A reward on hold (暂缓): when the reporter contests a closed case's reply,
//! the case goes back to review and its live reward waits for the outcome —
//! it can be neither approved, claimed nor paid, and its claim window does
//! not run out meanwhile.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reward {
    Table,
    HeldAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reward::Table)
                    .add_column(timestamp_with_time_zone_null(Reward::HeldAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reward::Table)
                    .drop_column(Reward::HeldAt)
                    .to_owned(),
            )
            .await
    }
}
