//! Citizen reports: the category catalogue (seeded here from
//! `data/categories.json`, editable later), cases (案件), the reports that
//! open or corroborate them, the reporters' encrypted identities, photos, the
//! case timeline and idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CATALOGUE: &str = include_str!("../data/categories.json");

#[derive(DeriveIden)]
enum CategoryGroup {
    Table,
    Code,
    NameZh,
    NameEn,
    SortOrder,
}

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
    Active,
    SortOrder,
    Questions,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Code,
    CategoryId,
    GroupCode,
    State,
    Priority,
    Lat,
    Lon,
    AccuracyM,
    AreaId,
    DepartmentId,
    Description,
    OccurredAt,
    SubmittedAt,
    UpdatedAt,
    CorroborationCount,
    Version,
}

#[derive(DeriveIden)]
enum ReporterIdentity {
    Table,
    Id,
    NameEnc,
    PhoneEnc,
    PhoneIndex,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    Id,
    CaseId,
    Kind,
    SecretHash,
    Description,
    Answers,
    Lat,
    Lon,
    AccuracyM,
    CoordSystem,
    LocationSource,
    OccurredAt,
    SubmittedAt,
    IdentityId,
}

#[derive(DeriveIden)]
enum Photo {
    Table,
    Id,
    ReportId,
    CaseId,
    OriginalKey,
    OriginalSha256,
    OriginalFormat,
    OriginalBytes,
    DisplayKey,
    ThumbnailKey,
    Width,
    Height,
    ExifLat,
    ExifLon,
    ExifTakenAt,
    ReceivedAt,
    Public,
}

#[derive(DeriveIden)]
enum CaseEvent {
    Table,
    Id,
    CaseId,
    At,
    Actor,
    Action,
    FromState,
    ToState,
    Note,
    Public,
}

#[derive(DeriveIden)]
enum Idempotency {
    Table,
    Key,
    RequestHash,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Area {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Department {
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
                    .table(CategoryGroup::Table)
                    .col(string(CategoryGroup::Code).primary_key())
                    .col(string(CategoryGroup::NameZh))
                    .col(string(CategoryGroup::NameEn))
                    .col(integer(CategoryGroup::SortOrder))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Category::Table)
                    .col(big_pk_auto(Category::Id))
                    // Also the Open311 `service_code`.
                    .col(string_uniq(Category::Code))
                    .col(string(Category::GroupCode))
                    .col(string(Category::NameZh))
                    .col(string(Category::NameEn))
                    .col(string(Category::Icon))
                    .col(boolean(Category::Rewardable))
                    .col(boolean(Category::Active).default(true))
                    .col(integer(Category::SortOrder))
                    // The extra questions (Open311 attributes), as JSON.
                    .col(text(Category::Questions))
                    .foreign_key(&mut fk(
                        (Category::Table, Category::GroupCode),
                        (CategoryGroup::Table, CategoryGroup::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        seed_catalogue(manager, "categories.json", CATALOGUE).await?;

        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(big_pk_auto(Cases::Id))
                    // The tracking code: also the public case number (受理编号)
                    // and the Open311 service_request_id.
                    .col(string_uniq(Cases::Code))
                    .col(big_integer(Cases::CategoryId))
                    .col(string(Cases::GroupCode))
                    .col(string(Cases::State))
                    .col(string(Cases::Priority))
                    .col(double(Cases::Lat))
                    .col(double(Cases::Lon))
                    .col(double_null(Cases::AccuracyM))
                    .col(big_integer_null(Cases::AreaId))
                    .col(big_integer_null(Cases::DepartmentId))
                    .col(text(Cases::Description))
                    .col(timestamp_with_time_zone_null(Cases::OccurredAt))
                    .col(timestamp_with_time_zone(Cases::SubmittedAt))
                    .col(timestamp_with_time_zone(Cases::UpdatedAt))
                    .col(integer(Cases::CorroborationCount).default(0))
                    // Optimistic concurrency: every change bumps it.
                    .col(integer(Cases::Version).default(0))
                    .foreign_key(&mut fk(
                        (Cases::Table, Cases::CategoryId),
                        (Category::Table, Category::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Cases::Table, Cases::AreaId),
                        (Area::Table, Area::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Cases::Table, Cases::DepartmentId),
                        (Department::Table, Department::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Nearby open cases of a group: a bounding-box scan on these.
        manager
            .create_index(
                Index::create()
                    .name("idx_cases_group_state_lat")
                    .table(Cases::Table)
                    .col(Cases::GroupCode)
                    .col(Cases::State)
                    .col(Cases::Lat)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReporterIdentity::Table)
                    .col(big_pk_auto(ReporterIdentity::Id))
                    // AES-256-GCM: nonce ‖ ciphertext, base64.
                    .col(text(ReporterIdentity::NameEnc))
                    .col(text(ReporterIdentity::PhoneEnc))
                    // HMAC-SHA-256 of the normalised phone number: finds a
                    // reporter's other reports without decrypting anything.
                    .col(string(ReporterIdentity::PhoneIndex))
                    .col(timestamp_with_time_zone(ReporterIdentity::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reporter_identity_phone_index")
                    .table(ReporterIdentity::Table)
                    .col(ReporterIdentity::PhoneIndex)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Report::Table)
                    .col(big_pk_auto(Report::Id))
                    .col(big_integer(Report::CaseId))
                    // `original` (opened the case) or `corroboration` ("me too").
                    .col(string(Report::Kind))
                    // SHA-256 of the reporter's secret (≥128 random bits).
                    .col(string_uniq(Report::SecretHash))
                    .col(text(Report::Description))
                    .col(text(Report::Answers))
                    .col(double(Report::Lat))
                    .col(double(Report::Lon))
                    .col(double_null(Report::AccuracyM))
                    // What the client sent: `wgs84` or `gcj02` (converted).
                    .col(string(Report::CoordSystem))
                    // `device` (GPS/map pin) or `exif` (from a photo).
                    .col(string(Report::LocationSource))
                    .col(timestamp_with_time_zone_null(Report::OccurredAt))
                    .col(timestamp_with_time_zone(Report::SubmittedAt))
                    .col(big_integer_null(Report::IdentityId))
                    .foreign_key(&mut fk(
                        (Report::Table, Report::CaseId),
                        (Cases::Table, Cases::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Report::Table, Report::IdentityId),
                        (ReporterIdentity::Table, ReporterIdentity::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_case")
                    .table(Report::Table)
                    .col(Report::CaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Photo::Table)
                    .col(big_pk_auto(Photo::Id))
                    .col(big_integer(Photo::ReportId))
                    .col(big_integer(Photo::CaseId))
                    // The original as received: evidence, staff only.
                    .col(string(Photo::OriginalKey))
                    .col(string(Photo::OriginalSha256))
                    .col(string(Photo::OriginalFormat))
                    .col(big_integer(Photo::OriginalBytes))
                    // Re-encoded copies without metadata.
                    .col(string(Photo::DisplayKey))
                    .col(string(Photo::ThumbnailKey))
                    .col(integer(Photo::Width))
                    .col(integer(Photo::Height))
                    .col(double_null(Photo::ExifLat))
                    .col(double_null(Photo::ExifLon))
                    .col(string_null(Photo::ExifTakenAt))
                    .col(timestamp_with_time_zone(Photo::ReceivedAt))
                    // Shown on public pages once staff have reviewed it.
                    .col(boolean(Photo::Public).default(false))
                    .foreign_key(&mut fk(
                        (Photo::Table, Photo::ReportId),
                        (Report::Table, Report::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Photo::Table, Photo::CaseId),
                        (Cases::Table, Cases::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_photo_case")
                    .table(Photo::Table)
                    .col(Photo::CaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseEvent::Table)
                    .col(big_pk_auto(CaseEvent::Id))
                    .col(big_integer(CaseEvent::CaseId))
                    .col(timestamp_with_time_zone(CaseEvent::At))
                    .col(string(CaseEvent::Actor))
                    .col(string(CaseEvent::Action))
                    .col(string_null(CaseEvent::FromState))
                    .col(string_null(CaseEvent::ToState))
                    .col(text_null(CaseEvent::Note))
                    // Shown to the reporter (and, once disclosed, the public).
                    .col(boolean(CaseEvent::Public))
                    .foreign_key(&mut fk(
                        (CaseEvent::Table, CaseEvent::CaseId),
                        (Cases::Table, Cases::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_event_case")
                    .table(CaseEvent::Table)
                    .col(CaseEvent::CaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Idempotency::Table)
                    .col(string(Idempotency::Key).primary_key())
                    // SHA-256 of what was sent, so a reused key with another
                    // request is refused instead of answered wrongly.
                    .col(string(Idempotency::RequestHash))
                    .col(text(Idempotency::Response))
                    .col(timestamp_with_time_zone(Idempotency::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Idempotency::Table.into_iden(),
            CaseEvent::Table.into_iden(),
            Photo::Table.into_iden(),
            Report::Table.into_iden(),
            ReporterIdentity::Table.into_iden(),
            Cases::Table.into_iden(),
            Category::Table.into_iden(),
            CategoryGroup::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Adds the groups and categories of a catalogue file (`data/*.json`): a
/// group's `sort_order` defaults to its place in the file.
pub(crate) async fn seed_catalogue(
    manager: &SchemaManager<'_>,
    file: &str,
    source: &str,
) -> Result<(), DbErr> {
    let bad = |what: &str| DbErr::Migration(format!("data/{file}: {what}"));
    let catalogue: serde_json::Value =
        serde_json::from_str(source).map_err(|e| bad(&e.to_string()))?;
    let text = |v: &serde_json::Value, k: &str| -> Result<String, DbErr> {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| bad(&format!("missing `{k}`")))
    };
    let groups = catalogue["groups"]
        .as_array()
        .ok_or_else(|| bad("no groups"))?;
    for (i, g) in groups.iter().enumerate() {
        let insert = Query::insert()
            .into_table(CategoryGroup::Table)
            .columns([
                CategoryGroup::Code,
                CategoryGroup::NameZh,
                CategoryGroup::NameEn,
                CategoryGroup::SortOrder,
            ])
            .values([
                text(g, "code")?.into(),
                text(g, "name_zh")?.into(),
                text(g, "name_en")?.into(),
                (g["sort_order"]
                    .as_i64()
                    .map_or((i as i32 + 1) * 10, |n| n as i32))
                .into(),
            ])
            .map_err(|e| bad(&e.to_string()))?
            .to_owned();
        manager.exec_stmt(insert).await?;
    }
    let categories = catalogue["categories"]
        .as_array()
        .ok_or_else(|| bad("no categories"))?;
    for c in categories {
        let insert = Query::insert()
            .into_table(Category::Table)
            .columns([
                Category::Code,
                Category::GroupCode,
                Category::NameZh,
                Category::NameEn,
                Category::Icon,
                Category::Rewardable,
                Category::Active,
                Category::SortOrder,
                Category::Questions,
            ])
            .values([
                text(c, "code")?.into(),
                text(c, "group")?.into(),
                text(c, "name_zh")?.into(),
                text(c, "name_en")?.into(),
                text(c, "icon")?.into(),
                c["rewardable"].as_bool().unwrap_or(false).into(),
                true.into(),
                (c["sort_order"].as_i64().unwrap_or(0) as i32).into(),
                c["questions"].to_string().into(),
            ])
            .map_err(|e| bad(&e.to_string()))?
            .to_owned();
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}
