//! Sign-in throttling (登录限速) per account and client, replacing the
//! account-wide lockout that let a stranger keep an account's owner out.
//!
//! One row per (username, lane). A lane is who is counted: `untrusted` (every
//! client without a device cookie, together: the account-wide cap), `ip:…`
//! (one client address), or `device:…` (one recognised browser). `version`
//! goes up with every write, so a check-and-count is a compare-and-swap that
//! SQLite and PostgreSQL both make atomic. The old `sign_in_attempt` log is
//! dropped: the audit log already records every sign-in and failure.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInThrottle {
    Table,
    Username,
    Lane,
    Failures,
    Version,
    WindowStart,
    LastFailureAt,
}

#[derive(DeriveIden)]
enum SignInAttempt {
    Table,
    Id,
    Username,
    At,
    Succeeded,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInThrottle::Table)
                    .col(string(SignInThrottle::Username))
                    .col(string(SignInThrottle::Lane))
                    .col(integer(SignInThrottle::Failures))
                    .col(big_integer(SignInThrottle::Version))
                    .col(timestamp_with_time_zone(SignInThrottle::WindowStart))
                    .col(timestamp_with_time_zone(SignInThrottle::LastFailureAt))
                    .primary_key(
                        Index::create()
                            .col(SignInThrottle::Username)
                            .col(SignInThrottle::Lane),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_throttle_last_failure_at")
                    .table(SignInThrottle::Table)
                    .col(SignInThrottle::LastFailureAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SignInAttempt::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
            .await?;
        manager
            .drop_table(Table::drop().table(SignInThrottle::Table).to_owned())
            .await
    }
}
