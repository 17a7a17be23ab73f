//! Telling the reporter (通知): Web Push subscriptions tied to a report,
//! a phone an anonymous reporter leaves for messages only, the durable
//! outbox of messages to reporters, the `log` SMS provider's inbox, and the
//! one-time codes of 找回 (finding one's reports again by phone).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushSubscription {
    Table,
    Id,
    ReportId,
    Endpoint,
    P256dh,
    Auth,
    Lang,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MessageOutbox {
    Table,
    Id,
    ReportId,
    CaseId,
    Channel,
    SubscriptionId,
    RecipientEnc,
    RecipientMask,
    RecipientKey,
    Event,
    Params,
    Lang,
    IdempotencyKey,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    ClaimToken,
    LastError,
    ProviderId,
    SentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SmsLog {
    Table,
    Id,
    PhoneMask,
    Template,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    Id,
    RequestId,
    Purpose,
    ReportId,
    PhoneEnc,
    PhoneIndex,
    CodeHash,
    Tries,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    NotifyPhoneEnc,
    NotifyPhoneIndex,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushSubscription::Table)
                    .col(big_pk_auto(PushSubscription::Id))
                    .col(big_integer(PushSubscription::ReportId))
                    .col(text(PushSubscription::Endpoint))
                    .col(string(PushSubscription::P256dh))
                    .col(string(PushSubscription::Auth))
                    .col(string(PushSubscription::Lang))
                    .col(timestamp_with_time_zone(PushSubscription::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_push_subscription_report")
                    .table(PushSubscription::Table)
                    .col(PushSubscription::ReportId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageOutbox::Table)
                    .col(big_pk_auto(MessageOutbox::Id))
                    // Null for a message to a phone alone (a recovery code).
                    .col(big_integer_null(MessageOutbox::ReportId))
                    .col(big_integer_null(MessageOutbox::CaseId))
                    .col(string(MessageOutbox::Channel))
                    .col(big_integer_null(MessageOutbox::SubscriptionId))
                    // The phone, encrypted, until the message is sent.
                    .col(text_null(MessageOutbox::RecipientEnc))
                    .col(string(MessageOutbox::RecipientMask))
                    // Whom the daily cap counts: the subscription or the
                    // phone's blind index.
                    .col(string(MessageOutbox::RecipientKey))
                    .col(string(MessageOutbox::Event))
                    .col(text(MessageOutbox::Params))
                    .col(string(MessageOutbox::Lang))
                    .col(string(MessageOutbox::IdempotencyKey).unique_key())
                    .col(string(MessageOutbox::Status))
                    .col(integer(MessageOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(MessageOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(MessageOutbox::LockedUntil))
                    // Who holds the claim: only that worker writes the outcome.
                    .col(string_null(MessageOutbox::ClaimToken))
                    .col(text_null(MessageOutbox::LastError))
                    .col(string_null(MessageOutbox::ProviderId))
                    .col(timestamp_with_time_zone_null(MessageOutbox::SentAt))
                    .col(timestamp_with_time_zone(MessageOutbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_message_outbox_due",
                vec![MessageOutbox::Status, MessageOutbox::NextAttemptAt],
            ),
            ("idx_message_outbox_case", vec![MessageOutbox::CaseId]),
            (
                "idx_message_outbox_recipient",
                vec![MessageOutbox::RecipientKey, MessageOutbox::SentAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(MessageOutbox::Table);
            for c in columns {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SmsLog::Table)
                    .col(big_pk_auto(SmsLog::Id))
                    .col(string(SmsLog::PhoneMask))
                    .col(string(SmsLog::Template))
                    .col(text(SmsLog::Body))
                    .col(timestamp_with_time_zone(SmsLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCode::Table)
                    .col(big_pk_auto(RecoveryCode::Id))
                    // What the requester holds besides the code, so that
                    // nobody else's wrong tries spend it.
                    .col(string(RecoveryCode::RequestId).unique_key())
                    // `recover` (找回) or `confirm` (a phone left for
                    // messages, proved before it is kept: then the report
                    // and the phone, encrypted, wait here).
                    .col(string(RecoveryCode::Purpose))
                    .col(big_integer_null(RecoveryCode::ReportId))
                    .col(text_null(RecoveryCode::PhoneEnc))
                    .col(string(RecoveryCode::PhoneIndex))
                    .col(string(RecoveryCode::CodeHash))
                    .col(integer(RecoveryCode::Tries).default(0))
                    .col(timestamp_with_time_zone(RecoveryCode::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RecoveryCode::UsedAt))
                    .col(timestamp_with_time_zone(RecoveryCode::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_code_phone")
                    .table(RecoveryCode::Table)
                    .col(RecoveryCode::PhoneIndex)
                    .col(RecoveryCode::CreatedAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            text_null(Report::NotifyPhoneEnc).to_owned(),
            string_null(Report::NotifyPhoneIndex).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Report::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_report_notify_phone")
                    .table(Report::Table)
                    .col(Report::NotifyPhoneIndex)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_report_notify_phone")
                    .table(Report::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Report::NotifyPhoneIndex, Report::NotifyPhoneEnc] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Report::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            RecoveryCode::Table.into_iden(),
            SmsLog::Table.into_iden(),
            MessageOutbox::Table.into_iden(),
            PushSubscription::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
