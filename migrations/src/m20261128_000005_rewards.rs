//! Reward for reporting (举报奖励): tiers as data (seeded after the Chongqing
//! 2025 rules), one reward per case, its payment (at most one, by the
//! database's own constraint), and the people excluded from rewards.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RewardTier {
    Table,
    Code,
    NameZh,
    NameEn,
    AmountFen,
    PercentOfFine,
    CapFen,
    NeedsPenalty,
    SortOrder,
    Active,
}

#[derive(DeriveIden)]
enum Reward {
    Table,
    Id,
    CaseId,
    ReportId,
    State,
    TierCode,
    AmountFen,
    Basis,
    PenaltyDecision,
    FineFen,
    Target,
    ProposedBy,
    ProposedAt,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    ClaimDeadline,
    ClaimedAt,
    PayoutAccountEnc,
    ClosedAt,
    Version,
}

#[derive(DeriveIden)]
enum RewardPayment {
    Table,
    Id,
    RewardId,
    PaidBy,
    PaidAt,
    AmountFen,
    PaymentReference,
}

#[derive(DeriveIden)]
enum RewardExclusion {
    Table,
    Id,
    PhoneIndex,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Report {
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

/// (code, 中文, English, fixed amount in fen, percent of the fine, cap in fen, needs a penalty decision)
type SeedTier = (
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<i32>,
    Option<i64>,
    bool,
);

const TIERS: [SeedTier; 5] = [
    (
        "tier_500",
        "一般线索奖励 500 元",
        "Standard tip, 500 yuan",
        Some(50_000),
        None,
        None,
        false,
    ),
    (
        "tier_1000",
        "较重要线索奖励 1000 元",
        "Important tip, 1,000 yuan",
        Some(100_000),
        None,
        None,
        false,
    ),
    (
        "tier_2000",
        "重要线索奖励 2000 元",
        "Major tip, 2,000 yuan",
        Some(200_000),
        None,
        None,
        false,
    ),
    (
        "fine_5pct",
        "按罚款金额 5% 奖励",
        "5% of the fine imposed",
        None,
        Some(5),
        Some(1_000_000),
        true,
    ),
    (
        "incident",
        "防止重大突发环境事件特别奖励",
        "Special reward for preventing a serious incident",
        None,
        None,
        Some(10_000_000),
        false,
    ),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RewardTier::Table)
                    .col(string(RewardTier::Code).primary_key())
                    .col(string(RewardTier::NameZh))
                    .col(string(RewardTier::NameEn))
                    // Exactly one of a fixed amount and a percentage of the fine;
                    // neither: the proposer sets the amount, up to the cap.
                    .col(big_integer_null(RewardTier::AmountFen))
                    .col(integer_null(RewardTier::PercentOfFine))
                    .col(big_integer_null(RewardTier::CapFen))
                    .col(boolean(RewardTier::NeedsPenalty))
                    .col(integer(RewardTier::SortOrder))
                    .col(boolean(RewardTier::Active).default(true))
                    .to_owned(),
            )
            .await?;
        for (i, (code, zh, en, amount, percent, cap, penalty)) in TIERS.into_iter().enumerate() {
            let insert = Query::insert()
                .into_table(RewardTier::Table)
                .columns([
                    RewardTier::Code,
                    RewardTier::NameZh,
                    RewardTier::NameEn,
                    RewardTier::AmountFen,
                    RewardTier::PercentOfFine,
                    RewardTier::CapFen,
                    RewardTier::NeedsPenalty,
                    RewardTier::SortOrder,
                    RewardTier::Active,
                ])
                .values([
                    code.into(),
                    zh.into(),
                    en.into(),
                    amount.into(),
                    percent.into(),
                    cap.into(),
                    penalty.into(),
                    ((i as i32 + 1) * 10).into(),
                    true.into(),
                ])
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Reward::Table)
                    .col(big_pk_auto(Reward::Id))
                    // One reward per case: the first valid reporter's.
                    .col(big_integer_uniq(Reward::CaseId))
                    .col(big_integer(Reward::ReportId))
                    .col(string(Reward::State))
                    .col(string(Reward::TierCode))
                    // Integers in fen (分), never floats.
                    .col(big_integer(Reward::AmountFen))
                    .col(text(Reward::Basis))
                    .col(string_null(Reward::PenaltyDecision))
                    .col(big_integer_null(Reward::FineFen))
                    // The offender (site, enterprise) as the handler names it:
                    // several problems of one target pay the highest item only.
                    .col(string_null(Reward::Target))
                    .col(big_integer(Reward::ProposedBy))
                    .col(timestamp_with_time_zone(Reward::ProposedAt))
                    .col(big_integer_null(Reward::ReviewedBy))
                    .col(timestamp_with_time_zone_null(Reward::ReviewedAt))
                    .col(text_null(Reward::ReviewNote))
                    .col(timestamp_with_time_zone_null(Reward::ClaimDeadline))
                    .col(timestamp_with_time_zone_null(Reward::ClaimedAt))
                    // The reporter's payout account, AES-256-GCM like all identity data.
                    .col(text_null(Reward::PayoutAccountEnc))
                    .col(timestamp_with_time_zone_null(Reward::ClosedAt))
                    .col(integer(Reward::Version).default(0))
                    .foreign_key(&mut fk(
                        (Reward::Table, Reward::CaseId),
                        (Cases::Table, Cases::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Reward::Table, Reward::ReportId),
                        (Report::Table, Report::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Reward::Table, Reward::TierCode),
                        (RewardTier::Table, RewardTier::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reward_state")
                    .table(Reward::Table)
                    .col(Reward::State)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RewardPayment::Table)
                    .col(big_pk_auto(RewardPayment::Id))
                    // Paid at most once: a second payment cannot be stored.
                    .col(big_integer_uniq(RewardPayment::RewardId))
                    .col(big_integer(RewardPayment::PaidBy))
                    .col(timestamp_with_time_zone(RewardPayment::PaidAt))
                    .col(big_integer(RewardPayment::AmountFen))
                    .col(string(RewardPayment::PaymentReference))
                    .foreign_key(&mut fk(
                        (RewardPayment::Table, RewardPayment::RewardId),
                        (Reward::Table, Reward::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RewardExclusion::Table)
                    .col(big_pk_auto(RewardExclusion::Id))
                    // The blind index (HMAC) of the phone number, never the number.
                    .col(string_uniq(RewardExclusion::PhoneIndex))
                    .col(string(RewardExclusion::Note))
                    .col(string(RewardExclusion::CreatedBy))
                    .col(timestamp_with_time_zone(RewardExclusion::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RewardExclusion::Table.into_iden(),
            RewardPayment::Table.into_iden(),
            Reward::Table.into_iden(),
            RewardTier::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
