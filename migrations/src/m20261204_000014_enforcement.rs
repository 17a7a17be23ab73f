//! 查处结果: administrative penalty decisions (行政处罚决定) recorded on a
//! case and linked to the enterprise by its unified social credit code, and
//! the referral of a case to the police (移送公安机关).
//!
//! A penalty is published (行政处罚信息公开) by a reviewer; until then only
//! staff read it. Its decision number is unique across Shanshui.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Penalty {
    Table,
    Id,
    CaseId,
    DecisionNo,
    Enterprise,
    CreditCode,
    Provision,
    FineFen,
    DecidedOn,
    RecordedBy,
    RecordedAt,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    PoliceReferredAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Penalty::Table)
                    .col(big_pk_auto(Penalty::Id))
                    .col(big_integer(Penalty::CaseId))
                    .col(string(Penalty::DecisionNo).unique_key())
                    .col(string(Penalty::Enterprise))
                    .col(string(Penalty::CreditCode))
                    .col(text(Penalty::Provision))
                    .col(big_integer(Penalty::FineFen))
                    .col(string(Penalty::DecidedOn))
                    .col(big_integer(Penalty::RecordedBy))
                    .col(timestamp_with_time_zone(Penalty::RecordedAt))
                    .col(timestamp_with_time_zone_null(Penalty::PublishedAt))
                    .col(big_integer_null(Penalty::PublishedBy))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_penalty_case", Penalty::CaseId),
            ("idx_penalty_credit_code", Penalty::CreditCode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Penalty::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(timestamp_with_time_zone_null(Cases::PoliceReferredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::PoliceReferredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Penalty::Table).to_owned())
            .await
    }
}
