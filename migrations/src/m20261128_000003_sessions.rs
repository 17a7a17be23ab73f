//! Staff sessions, kept in the database so they survive a restart and work
//! across replicas, and the sign-in attempts that throttle guessing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffSession {
    Table,
    /// SHA-256 of the cookie's token: a stolen database holds no live token.
    TokenHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SignInAttempt {
    Table,
    Id,
    Username,
    At,
    Succeeded,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffSession::Table)
                    .col(string(StaffSession::TokenHash).primary_key())
                    .col(big_integer(StaffSession::UserId))
                    .col(timestamp_with_time_zone(StaffSession::CreatedAt))
                    .col(timestamp_with_time_zone(StaffSession::LastSeenAt))
                    .col(timestamp_with_time_zone(StaffSession::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffSession::Table, StaffSession::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_session_user")
                    .table(StaffSession::Table)
                    .col(StaffSession::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempt::Table)
                    .col(big_pk_auto(SignInAttempt::Id))
                    .col(string(SignInAttempt::Username))
                    .col(timestamp_with_time_zone(SignInAttempt::At))
                    .col(boolean(SignInAttempt::Succeeded))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_attempt_username_at")
                    .table(SignInAttempt::Table)
                    .col(SignInAttempt::Username)
                    .col(SignInAttempt::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInAttempt::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StaffSession::Table).to_owned())
            .await
    }
}
