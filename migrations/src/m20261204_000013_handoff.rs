//! The 12345 platform's hand-off (平台转办) and callbacks to API clients.
//!
//! - An API key has a `scope` (`open311`, the default for keys made before,
//!   or `platform_12345`) and an optional `callback_url` that is told of
//!   every change of state of the cases filed through it.
//! - A case remembers the key it came through and the platform's order
//!   number (`external_ref`); one order number per key makes one case.
//! - An outbox row may be addressed to a key's callback (`api_key_id`)
//!   instead of the department's webhook; `department_id` is then the
//!   case's lead department, which the row is still about.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Scope,
    CallbackUrl,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    ApiKeyId,
    ExternalRef,
}

#[derive(DeriveIden)]
enum WebhookOutbox {
    Table,
    ApiKeyId,
}

const ORDER_INDEX: &str = "idx_cases_api_key_external_ref";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKey::Table)
                    .add_column(string(ApiKey::Scope).default("open311"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKey::Table)
                    .add_column(string_null(ApiKey::CallbackUrl))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(big_integer_null(Cases::ApiKeyId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(string_null(Cases::ExternalRef))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ORDER_INDEX)
                    .table(Cases::Table)
                    .col(Cases::ApiKeyId)
                    .col(Cases::ExternalRef)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookOutbox::Table)
                    .add_column(big_integer_null(WebhookOutbox::ApiKeyId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(ORDER_INDEX)
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                WebhookOutbox::Table.into_iden(),
                WebhookOutbox::ApiKeyId.into_iden(),
            ),
            (Cases::Table.into_iden(), Cases::ExternalRef.into_iden()),
            (Cases::Table.into_iden(), Cases::ApiKeyId.into_iden()),
            (ApiKey::Table.into_iden(), ApiKey::CallbackUrl.into_iden()),
            (ApiKey::Table.into_iden(), ApiKey::Scope.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
