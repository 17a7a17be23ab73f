//! The foundation: the directory (departments 部门, areas 街道/镇), staff
//! accounts, API keys and the append-only audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Area {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
    Kind,
    Approximate,
    Geometry,
    MinLon,
    MinLat,
    MaxLon,
    MaxLat,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
    Kind,
    AreaId,
    WebhookUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    DepartmentId,
    Active,
    CreatedAt,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
    Name,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Action,
    ObjectType,
    ObjectId,
    Detail,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Area::Table)
                    .col(big_pk_auto(Area::Id))
                    .col(string_uniq(Area::Code))
                    .col(string(Area::NameZh))
                    .col(string(Area::NameEn))
                    .col(string(Area::Kind))
                    .col(boolean(Area::Approximate))
                    // A GeoJSON Polygon or MultiPolygon geometry (WGS84).
                    .col(text(Area::Geometry))
                    // Its bounding box, so a point lookup tests few polygons.
                    .col(double(Area::MinLon))
                    .col(double(Area::MinLat))
                    .col(double(Area::MaxLon))
                    .col(double(Area::MaxLat))
                    .col(timestamp_with_time_zone(Area::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Department::Table)
                    .col(big_pk_auto(Department::Id))
                    .col(string_uniq(Department::Code))
                    .col(string(Department::NameZh))
                    .col(string(Department::NameEn))
                    .col(string(Department::Kind))
                    .col(big_integer_null(Department::AreaId))
                    .col(string_null(Department::WebhookUrl))
                    .col(timestamp_with_time_zone(Department::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Department::Table, Department::AreaId)
                            .to(Area::Table, Area::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(big_pk_auto(AppUser::Id))
                    .col(string_uniq(AppUser::Username))
                    // An argon2id PHC string.
                    .col(string(AppUser::PasswordHash))
                    .col(string(AppUser::Role))
                    .col(big_integer_null(AppUser::DepartmentId))
                    .col(boolean(AppUser::Active).default(true))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone(AppUser::PasswordChangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppUser::Table, AppUser::DepartmentId)
                            .to(Department::Table, Department::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .col(big_pk_auto(ApiKey::Id))
                    .col(string(ApiKey::Name))
                    // The key's first characters, unique, to find its row;
                    // only the SHA-256 of the whole key is stored.
                    .col(string_uniq(ApiKey::Prefix))
                    .col(string(ApiKey::KeyHash))
                    .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::ObjectType))
                    .col(string(AuditLog::ObjectId))
                    .col(text_null(AuditLog::Detail))
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_object")
                    .table(AuditLog::Table)
                    .col(AuditLog::ObjectType)
                    .col(AuditLog::ObjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            ApiKey::Table.into_iden(),
            AppUser::Table.into_iden(),
            Department::Table.into_iden(),
            Area::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
