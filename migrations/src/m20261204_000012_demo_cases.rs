//! Demo cases (演示数据) are marked, so every page can say so while any
//! exist and an operator can tell them from residents' reports.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Demo,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(boolean(Cases::Demo).default(false))
                    .to_owned(),
            )
            .await?;
        // "Is there any demo case?" is asked once a minute; the index
        // answers it without reading the cases.
        manager
            .create_index(
                Index::create()
                    .name("idx_cases_demo")
                    .table(Cases::Table)
                    .col(Cases::Demo)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_cases_demo")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::Demo)
                    .to_owned(),
            )
            .await
    }
}
