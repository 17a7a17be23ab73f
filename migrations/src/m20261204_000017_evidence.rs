//! Evidence brought to a case by staff (查处 evidence): PDF documents — a
//! letter or a visitor's papers keyed in with the report (代录), or an
//! inspection's 现场检查笔录 — and the photos an inspector takes on site.
//! Both are private: the files sit in the store's private folders, and no
//! public query reads these tables. Inspection photos have a table of their
//! own rather than rows in `photo`, which belong to a resident's report and
//! which a reviewer may publish.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EvidenceDocument {
    Table,
    Id,
    CaseId,
    InspectionId,
    StoreKey,
    FileName,
    Bytes,
    Pages,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InspectionPhoto {
    Table,
    Id,
    CaseId,
    InspectionId,
    OriginalKey,
    OriginalSha256,
    OriginalFormat,
    OriginalBytes,
    DisplayKey,
    ThumbnailKey,
    Width,
    Height,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Inspection {
    Table,
    Id,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EvidenceDocument::Table)
                    .col(big_pk_auto(EvidenceDocument::Id))
                    .col(big_integer(EvidenceDocument::CaseId))
                    .col(big_integer_null(EvidenceDocument::InspectionId))
                    .col(string(EvidenceDocument::StoreKey))
                    .col(string(EvidenceDocument::FileName))
                    .col(big_integer(EvidenceDocument::Bytes))
                    .col(integer(EvidenceDocument::Pages))
                    .col(big_integer(EvidenceDocument::UploadedBy))
                    .col(timestamp_with_time_zone(EvidenceDocument::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(EvidenceDocument::Table, EvidenceDocument::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(EvidenceDocument::Table, EvidenceDocument::InspectionId)
                            .to(Inspection::Table, Inspection::Id)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_document_case")
                    .table(EvidenceDocument::Table)
                    .col(EvidenceDocument::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InspectionPhoto::Table)
                    .col(big_pk_auto(InspectionPhoto::Id))
                    .col(big_integer(InspectionPhoto::CaseId))
                    .col(big_integer(InspectionPhoto::InspectionId))
                    .col(string(InspectionPhoto::OriginalKey))
                    .col(string(InspectionPhoto::OriginalSha256))
                    .col(string(InspectionPhoto::OriginalFormat))
                    .col(big_integer(InspectionPhoto::OriginalBytes))
                    .col(string(InspectionPhoto::DisplayKey))
                    .col(string(InspectionPhoto::ThumbnailKey))
                    .col(integer(InspectionPhoto::Width))
                    .col(integer(InspectionPhoto::Height))
                    .col(big_integer(InspectionPhoto::UploadedBy))
                    .col(timestamp_with_time_zone(InspectionPhoto::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(InspectionPhoto::Table, InspectionPhoto::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(InspectionPhoto::Table, InspectionPhoto::InspectionId)
                            .to(Inspection::Table, Inspection::Id)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inspection_photo_case")
                    .table(InspectionPhoto::Table)
                    .col(InspectionPhoto::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InspectionPhoto::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EvidenceDocument::Table).to_owned())
            .await
    }
}
