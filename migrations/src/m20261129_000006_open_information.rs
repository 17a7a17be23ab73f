//! Open information (信息公开): what a case discloses once staff have
//! reviewed it, published notices and documents, enterprise environmental
//! disclosures (企业环境信息依法披露), and the plan's 2025 targets beside the
//! values staff enter.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    SubmittedAt,
    CategoryId,
    AreaId,
    ClosedAt,
    DisclosedAt,
    DisclosedBy,
    PublicSummary,
    PublicInvestigation,
    PublicActions,
    PublicPrecision,
}

#[derive(DeriveIden)]
enum Notice {
    Table,
    Id,
    Kind,
    Title,
    Summary,
    BodyMd,
    BodyHtml,
    PublishedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EnterpriseDisclosure {
    Table,
    Id,
    Enterprise,
    CreditCode,
    PermitNo,
    Industry,
    Year,
    Disclosed,
    Penalties,
    Url,
    PublishedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Indicator {
    Table,
    Code,
    NameZh,
    NameEn,
    Unit,
    Comparison,
    Target,
    Year,
    Value,
    ValueNote,
    UpdatedBy,
    UpdatedAt,
    SortOrder,
}

/// The plan's main targets for 2025 (巴南区深入打好污染防治攻坚战实施方案,
/// 主要目标): code, zh, en, unit, comparison, target.
const TARGETS: [(&str, &str, &str, &str, &str, f64); 11] = [
    (
        "good_air_days",
        "空气质量优良天数",
        "Days of good air quality",
        "天",
        "at_least",
        334.0,
    ),
    (
        "pm25_annual",
        "细颗粒物(PM2.5)年均浓度",
        "PM2.5 annual mean",
        "µg/m³",
        "at_most",
        30.0,
    ),
    (
        "yangtze_water_good",
        "长江干流(巴南段)水质优良比例",
        "Yangtze (Banan reach) water of good quality",
        "%",
        "at_least",
        100.0,
    ),
    (
        "drinking_water",
        "城市集中式饮用水水源水质达标率",
        "Urban drinking-water sources meeting the standard",
        "%",
        "at_least",
        100.0,
    ),
    (
        "night_noise",
        "声环境功能区夜间达标率",
        "Night-time noise compliance of functional zones",
        "%",
        "at_least",
        85.0,
    ),
    (
        "forest_cover",
        "森林覆盖率",
        "Forest cover",
        "%",
        "at_least",
        47.6,
    ),
    (
        "farmland_safe_use",
        "受污染耕地安全利用率",
        "Safe use of polluted farmland",
        "%",
        "at_least",
        93.0,
    ),
    (
        "rural_sewage",
        "农村生活污水治理率",
        "Rural domestic sewage treated",
        "%",
        "at_least",
        40.0,
    ),
    (
        "manure_use",
        "畜禽粪污综合利用率",
        "Livestock manure put to use",
        "%",
        "at_least",
        88.0,
    ),
    (
        "straw_use",
        "秸秆综合利用率",
        "Straw put to use",
        "%",
        "at_least",
        91.0,
    ),
    (
        "waste_recycling",
        "城市生活垃圾回收利用率",
        "Urban household waste recycled",
        "%",
        "at_least",
        40.0,
    ),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            // Set when a reviewer publishes the case's public record; the
            // texts below are theirs, never the reporter's own words.
            timestamp_with_time_zone_null(Cases::DisclosedAt),
            big_integer_null(Cases::DisclosedBy),
            text_null(Cases::PublicSummary),
            text_null(Cases::PublicInvestigation),
            text_null(Cases::PublicActions),
            // How precisely the public map shows the place: `site`, `street`
            // or `area` (a report at a home is shown by area only).
            string_null(Cases::PublicPrecision),
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
        // The public list, Open311 and the feeds read newest first, filtered
        // by category or area.
        for (name, cols) in [
            ("idx_cases_submitted", vec![Cases::SubmittedAt]),
            (
                "idx_cases_category_submitted",
                vec![Cases::CategoryId, Cases::SubmittedAt],
            ),
            (
                "idx_cases_area_submitted",
                vec![Cases::AreaId, Cases::SubmittedAt],
            ),
            ("idx_cases_disclosed", vec![Cases::DisclosedAt]),
            ("idx_cases_closed", vec![Cases::ClosedAt]),
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
                    .table(Notice::Table)
                    .col(big_pk_auto(Notice::Id))
                    // `notice` (通知公告), `document` (政策文件) or
                    // `enforcement` (执法结果).
                    .col(string(Notice::Kind))
                    .col(string(Notice::Title))
                    .col(string(Notice::Summary))
                    .col(text(Notice::BodyMd))
                    // Rendered and sanitised once, when saved.
                    .col(text(Notice::BodyHtml))
                    // None: a draft, seen by staff only.
                    .col(timestamp_with_time_zone_null(Notice::PublishedAt))
                    .col(string(Notice::CreatedBy))
                    .col(timestamp_with_time_zone(Notice::CreatedAt))
                    .col(timestamp_with_time_zone(Notice::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notice_published")
                    .table(Notice::Table)
                    .col(Notice::PublishedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EnterpriseDisclosure::Table)
                    .col(big_pk_auto(EnterpriseDisclosure::Id))
                    .col(string(EnterpriseDisclosure::Enterprise))
                    // 统一社会信用代码 (18 characters).
                    .col(string(EnterpriseDisclosure::CreditCode))
                    .col(string_null(EnterpriseDisclosure::PermitNo))
                    .col(string_null(EnterpriseDisclosure::Industry))
                    .col(integer(EnterpriseDisclosure::Year))
                    .col(text(EnterpriseDisclosure::Disclosed))
                    .col(text_null(EnterpriseDisclosure::Penalties))
                    .col(string_null(EnterpriseDisclosure::Url))
                    .col(timestamp_with_time_zone(EnterpriseDisclosure::PublishedAt))
                    .col(string(EnterpriseDisclosure::CreatedBy))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Indicator::Table)
                    .col(string(Indicator::Code).primary_key())
                    .col(string(Indicator::NameZh))
                    .col(string(Indicator::NameEn))
                    .col(string(Indicator::Unit))
                    // `at_least` or `at_most` the target.
                    .col(string(Indicator::Comparison))
                    .col(double(Indicator::Target))
                    .col(integer(Indicator::Year))
                    .col(double_null(Indicator::Value))
                    .col(string_null(Indicator::ValueNote))
                    .col(string_null(Indicator::UpdatedBy))
                    .col(timestamp_with_time_zone_null(Indicator::UpdatedAt))
                    .col(integer(Indicator::SortOrder))
                    .to_owned(),
            )
            .await?;
        for (i, (code, zh, en, unit, comparison, target)) in TARGETS.into_iter().enumerate() {
            let insert = Query::insert()
                .into_table(Indicator::Table)
                .columns([
                    Indicator::Code,
                    Indicator::NameZh,
                    Indicator::NameEn,
                    Indicator::Unit,
                    Indicator::Comparison,
                    Indicator::Target,
                    Indicator::Year,
                    Indicator::SortOrder,
                ])
                .values([
                    code.into(),
                    zh.into(),
                    en.into(),
                    unit.into(),
                    comparison.into(),
                    target.into(),
                    2025.into(),
                    ((i as i32 + 1) * 10).into(),
                ])
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Indicator::Table.into_iden(),
            EnterpriseDisclosure::Table.into_iden(),
            Notice::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for name in [
            "idx_cases_submitted",
            "idx_cases_category_submitted",
            "idx_cases_area_submitted",
            "idx_cases_disclosed",
            "idx_cases_closed",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Cases::Table).to_owned())
                .await?;
        }
        for column in [
            Cases::DisclosedAt,
            Cases::DisclosedBy,
            Cases::PublicSummary,
            Cases::PublicInvestigation,
            Cases::PublicActions,
            Cases::PublicPrecision,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
