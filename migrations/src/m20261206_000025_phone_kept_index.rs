//! The reports still keeping a phone for messages, by case: what the
//! housekeeping job reads each minute to forget the phones of cases closed
//! long ago (`notify::contacts::forget_old_phones`). Partial, so it holds
//! only those reports, not one entry for each of a million.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_report_phone_kept ON report (case_id) \
                 WHERE notify_phone_enc IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_report_phone_kept")
            .await?;
        Ok(())
    }
}
