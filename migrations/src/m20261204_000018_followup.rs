//! The reporter's loop (回访): questions staff ask the reporter and the
//! answers (补充材料), the reporter's rating of a closed case with the
//! supervision (督办) of a dissatisfied one, and the link from a case whose
//! problem came back to the case it came back from. The case keeps flags
//! the state machine reads (a question waits, rated, came back already).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InfoRequest {
    Table,
    Id,
    CaseId,
    Question,
    AskedBy,
    AskedAt,
    Answer,
    AnsweredAt,
    ReportId,
}

#[derive(DeriveIden)]
enum CaseRating {
    Table,
    Id,
    CaseId,
    ReportId,
    Rating,
    Comment,
    RatedAt,
    DepartmentId,
    HandledAt,
    HandledBy,
    HandledNote,
}

#[derive(DeriveIden)]
enum Photo {
    Table,
    Answer,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    QuestionOpen,
    Rated,
    CameBack,
    CameBackFromId,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InfoRequest::Table)
                    .col(big_pk_auto(InfoRequest::Id))
                    .col(big_integer(InfoRequest::CaseId))
                    .col(text(InfoRequest::Question))
                    .col(big_integer(InfoRequest::AskedBy))
                    .col(timestamp_with_time_zone(InfoRequest::AskedAt))
                    .col(text_null(InfoRequest::Answer))
                    .col(timestamp_with_time_zone_null(InfoRequest::AnsweredAt))
                    .col(big_integer_null(InfoRequest::ReportId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_info_request_case")
                    .table(InfoRequest::Table)
                    .col(InfoRequest::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaseRating::Table)
                    .col(big_pk_auto(CaseRating::Id))
                    // Once per case.
                    .col(big_integer(CaseRating::CaseId).unique_key())
                    .col(big_integer(CaseRating::ReportId))
                    .col(string(CaseRating::Rating))
                    .col(text_null(CaseRating::Comment))
                    .col(timestamp_with_time_zone(CaseRating::RatedAt))
                    // The department that closed the case, for the rates.
                    .col(big_integer_null(CaseRating::DepartmentId))
                    .col(timestamp_with_time_zone_null(CaseRating::HandledAt))
                    .col(big_integer_null(CaseRating::HandledBy))
                    .col(text_null(CaseRating::HandledNote))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_rating_supervision")
                    .table(CaseRating::Table)
                    .col(CaseRating::Rating)
                    .col(CaseRating::HandledAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            boolean(Cases::QuestionOpen).default(false).to_owned(),
            boolean(Cases::Rated).default(false).to_owned(),
            boolean(Cases::CameBack).default(false).to_owned(),
            big_integer_null(Cases::CameBackFromId).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // A photo sent with an answer is evidence, never the public record.
        manager
            .alter_table(
                Table::alter()
                    .table(Photo::Table)
                    .add_column(boolean(Photo::Answer).default(false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Photo::Table)
                    .drop_column(Photo::Answer)
                    .to_owned(),
            )
            .await?;
        for column in [
            Cases::CameBackFromId,
            Cases::CameBack,
            Cases::Rated,
            Cases::QuestionOpen,
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
        for table in [
            CaseRating::Table.into_iden(),
            InfoRequest::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
