//! The category catalogue becomes data that admins edit (issue 14): each
//! category gets a version and a duplicate-search radius, every version's
//! definition is kept (`category_version`), and each case and report
//! records the version it was filed under, so that an edit never changes
//! the questions an old report answered or the reward rule it was filed
//! under. Adds the kinds of pollution the plan names that the first
//! catalogue lacked (`data/categories-plan.json`).

use sea_orm_migration::{prelude::*, schema::*};

const PLAN_CATALOGUE: &str = include_str!("../data/categories-plan.json");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Category {
    Table,
    Id,
    Code,
    GroupCode,
    NameZh,
    NameEn,
    Icon,
    Rewardable,
    SortOrder,
    Questions,
    Version,
    DuplicateRadiusM,
}

#[derive(DeriveIden)]
enum CategoryVersion {
    Table,
    Id,
    CategoryId,
    Version,
    GroupCode,
    NameZh,
    NameEn,
    Icon,
    Rewardable,
    DuplicateRadiusM,
    Questions,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    CategoryId,
    CategoryVersion,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    CaseId,
    CategoryId,
    CategoryVersion,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            integer(Category::Version).default(1).to_owned(),
            integer(Category::DuplicateRadiusM).default(1000).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Category::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(integer(Cases::CategoryVersion).default(1))
                    .to_owned(),
            )
            .await?;
        for column in [
            big_integer_null(Report::CategoryId).to_owned(),
            integer(Report::CategoryVersion).default(1).to_owned(),
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
            .create_table(
                Table::create()
                    .table(CategoryVersion::Table)
                    .col(big_pk_auto(CategoryVersion::Id))
                    .col(big_integer(CategoryVersion::CategoryId))
                    .col(integer(CategoryVersion::Version))
                    .col(string(CategoryVersion::GroupCode))
                    .col(string(CategoryVersion::NameZh))
                    .col(string(CategoryVersion::NameEn))
                    .col(string(CategoryVersion::Icon))
                    .col(boolean(CategoryVersion::Rewardable))
                    .col(integer(CategoryVersion::DuplicateRadiusM))
                    .col(text(CategoryVersion::Questions))
                    .col(timestamp_with_time_zone(CategoryVersion::CreatedAt))
                    .col(string(CategoryVersion::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_category_version_unique")
                    .table(CategoryVersion::Table)
                    .col(CategoryVersion::CategoryId)
                    .col(CategoryVersion::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // The plan's kinds, and "other" kept last.
        crate::m20261128_000002_reports::seed_catalogue(
            manager,
            "categories-plan.json",
            PLAN_CATALOGUE,
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Category::Table)
                    .value(Category::SortOrder, 999)
                    .and_where(Expr::col(Category::Code).eq("other"))
                    .to_owned(),
            )
            .await?;

        // Version 1 of every category is what it is now.
        let now = chrono::Utc::now();
        let select = Query::select()
            .columns([
                Category::Id,
                Category::GroupCode,
                Category::NameZh,
                Category::NameEn,
                Category::Icon,
                Category::Rewardable,
                Category::DuplicateRadiusM,
                Category::Questions,
            ])
            .expr(Expr::val(1))
            .expr(Expr::val(now))
            .expr(Expr::val("migration"))
            .from(Category::Table)
            .to_owned();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CategoryVersion::Table)
                    .columns([
                        CategoryVersion::CategoryId,
                        CategoryVersion::GroupCode,
                        CategoryVersion::NameZh,
                        CategoryVersion::NameEn,
                        CategoryVersion::Icon,
                        CategoryVersion::Rewardable,
                        CategoryVersion::DuplicateRadiusM,
                        CategoryVersion::Questions,
                        CategoryVersion::Version,
                        CategoryVersion::CreatedAt,
                        CategoryVersion::CreatedBy,
                    ])
                    .select_from(select)
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        // A report answered its case's category (a correction since cannot
        // be told apart from here: the case's is the best there is).
        manager
            .exec_stmt(
                Query::update()
                    .table(Report::Table)
                    .value(
                        Report::CategoryId,
                        SimpleExpr::SubQuery(
                            None,
                            Box::new(
                                Query::select()
                                    .column((Cases::Table, Cases::CategoryId))
                                    .from(Cases::Table)
                                    .and_where(
                                        Expr::col((Cases::Table, Cases::Id))
                                            .equals((Report::Table, Report::CaseId)),
                                    )
                                    .to_owned()
                                    .into_sub_query_statement(),
                            ),
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CategoryVersion::Table).to_owned())
            .await?;
        for (table, column) in [
            (
                Report::Table.into_iden(),
                Report::CategoryVersion.into_iden(),
            ),
            (Report::Table.into_iden(), Report::CategoryId.into_iden()),
            (Cases::Table.into_iden(), Cases::CategoryVersion.into_iden()),
            (
                Category::Table.into_iden(),
                Category::DuplicateRadiusM.into_iden(),
            ),
            (Category::Table.into_iden(), Category::Version.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
