//! Which personal-data key the database was written with: a fingerprint
//! (an HMAC of the key, which reveals nothing of it), so that a server
//! started with another key — a replica given the wrong variable, a key
//! file lost and generated again over a restored database — refuses to
//! start instead of writing identities no other replica can read and
//! failing to read the ones already there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyCheck {
    Table,
    Name,
    Fingerprint,
    RecordedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyCheck::Table)
                    .col(
                        ColumnDef::new(KeyCheck::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(KeyCheck::Fingerprint).string().not_null())
                    .col(
                        ColumnDef::new(KeyCheck::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KeyCheck::Table).to_owned())
            .await
    }
}
