//! Routing and the case workflow (受理 → 查处 → 回复审核): routing rules,
//! quiet periods (高考/中考), the case's deadlines, assignee and reply, and
//! the durable webhook outbox that tells departments about their cases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RoutingRule {
    Table,
    Id,
    CategoryCode,
    GroupCode,
    AreaId,
    StartMinute,
    EndMinute,
    DepartmentId,
    CoDepartmentId,
    Priority,
    Note,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuietPeriod {
    Table,
    Id,
    Name,
    GroupCode,
    StartsAt,
    EndsAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookOutbox {
    Table,
    Id,
    DepartmentId,
    CaseId,
    Event,
    Payload,
    IdempotencyKey,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    DepartmentId,
    State,
    CoDepartmentId,
    AssigneeId,
    RuleId,
    AcceptDueAt,
    CloseDueAt,
    DueAt,
    ExtendedDays,
    AcceptedAt,
    ClosedAt,
    Finding,
    Reply,
    ActionsTaken,
    ReplyDraftedBy,
    ReplyApprovedBy,
    MergedIntoId,
    Contested,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Area {
    Table,
    Id,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoutingRule::Table)
                    .col(big_pk_auto(RoutingRule::Id))
                    // At most one of category and group; neither matches all.
                    .col(string_null(RoutingRule::CategoryCode))
                    .col(string_null(RoutingRule::GroupCode))
                    .col(big_integer_null(RoutingRule::AreaId))
                    // Local (Chongqing) time of day, minutes after midnight;
                    // a window may wrap midnight (22:00–06:00 is 1320–360).
                    .col(integer_null(RoutingRule::StartMinute))
                    .col(integer_null(RoutingRule::EndMinute))
                    .col(big_integer(RoutingRule::DepartmentId))
                    // A second department told about the case and allowed to
                    // read it (e.g. the water bureau on black-odorous water).
                    .col(big_integer_null(RoutingRule::CoDepartmentId))
                    // Raises the case's priority when set (`high`, `urgent`).
                    .col(string_null(RoutingRule::Priority))
                    .col(text_null(RoutingRule::Note))
                    .col(boolean(RoutingRule::Active).default(true))
                    .col(timestamp_with_time_zone(RoutingRule::CreatedAt))
                    .col(timestamp_with_time_zone(RoutingRule::UpdatedAt))
                    .foreign_key(&mut fk(
                        (RoutingRule::Table, RoutingRule::AreaId),
                        (Area::Table, Area::Id),
                    ))
                    .foreign_key(&mut fk(
                        (RoutingRule::Table, RoutingRule::DepartmentId),
                        (Department::Table, Department::Id),
                    ))
                    .foreign_key(&mut fk(
                        (RoutingRule::Table, RoutingRule::CoDepartmentId),
                        (Department::Table, Department::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuietPeriod::Table)
                    .col(big_pk_auto(QuietPeriod::Id))
                    .col(string(QuietPeriod::Name))
                    // The group whose reports become urgent (normally noise).
                    .col(string(QuietPeriod::GroupCode))
                    .col(timestamp_with_time_zone(QuietPeriod::StartsAt))
                    .col(timestamp_with_time_zone(QuietPeriod::EndsAt))
                    .col(timestamp_with_time_zone(QuietPeriod::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per ALTER TABLE.
        let columns = [
            big_integer_null(Cases::CoDepartmentId),
            big_integer_null(Cases::AssigneeId),
            big_integer_null(Cases::RuleId),
            timestamp_with_time_zone_null(Cases::AcceptDueAt),
            timestamp_with_time_zone_null(Cases::CloseDueAt),
            // The deadline that matters now: acceptance while submitted,
            // closing afterwards, none once final. Queues sort on it.
            timestamp_with_time_zone_null(Cases::DueAt),
            integer(Cases::ExtendedDays).default(0).to_owned(),
            timestamp_with_time_zone_null(Cases::AcceptedAt),
            timestamp_with_time_zone_null(Cases::ClosedAt),
            string_null(Cases::Finding),
            text_null(Cases::Reply),
            text_null(Cases::ActionsTaken),
            big_integer_null(Cases::ReplyDraftedBy),
            big_integer_null(Cases::ReplyApprovedBy),
            big_integer_null(Cases::MergedIntoId),
            boolean(Cases::Contested).default(false).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, cols) in [
            ("idx_cases_due", vec![Cases::DueAt]),
            (
                "idx_cases_department_due",
                vec![Cases::DepartmentId, Cases::DueAt],
            ),
            (
                "idx_cases_co_department_due",
                vec![Cases::CoDepartmentId, Cases::DueAt],
            ),
            ("idx_cases_state_due", vec![Cases::State, Cases::DueAt]),
            ("idx_cases_assignee", vec![Cases::AssigneeId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Cases::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(WebhookOutbox::Table)
                    .col(big_pk_auto(WebhookOutbox::Id))
                    .col(big_integer(WebhookOutbox::DepartmentId))
                    .col(big_integer(WebhookOutbox::CaseId))
                    .col(string(WebhookOutbox::Event))
                    .col(text(WebhookOutbox::Payload))
                    // Sent as the `Idempotency-Key` header: a receiver that
                    // sees a key twice knows it is a retry.
                    .col(string_uniq(WebhookOutbox::IdempotencyKey))
                    .col(integer(WebhookOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookOutbox::NextAttemptAt))
                    // Claimed by one worker (of possibly several replicas).
                    .col(timestamp_with_time_zone_null(WebhookOutbox::LockedUntil))
                    .col(text_null(WebhookOutbox::LastError))
                    .col(timestamp_with_time_zone_null(WebhookOutbox::DeliveredAt))
                    .col(timestamp_with_time_zone(WebhookOutbox::CreatedAt))
                    .foreign_key(&mut fk(
                        (WebhookOutbox::Table, WebhookOutbox::DepartmentId),
                        (Department::Table, Department::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_outbox_due")
                    .table(WebhookOutbox::Table)
                    .col(WebhookOutbox::DeliveredAt)
                    .col(WebhookOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookOutbox::Table.into_iden(),
            QuietPeriod::Table.into_iden(),
            RoutingRule::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
