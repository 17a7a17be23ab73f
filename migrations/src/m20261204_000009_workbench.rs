//! The handlers' workbench (工作台): internal notes on cases (内部备注) with
//! their @mentions, and the reply templates (答复模板) admins edit, seeded
//! with the texts the console used to hard-code.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseNote {
    Table,
    Id,
    CaseId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NoteMention {
    Table,
    Id,
    NoteId,
    UserId,
    SeenAt,
}

#[derive(DeriveIden)]
enum ReplyTemplate {
    Table,
    Id,
    Category,
    Finding,
    Title,
    Body,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
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

/// The templates the console offered before they were editable, by category
/// group, with placeholders where the handler used to overwrite "……".
const SEED: &[(&str, &str, &str)] = &[
    (
        "noise",
        "噪声：现场核查",
        "您好，您于{{submitted_date}}反映的噪声问题（{{code}}），{{department}}已于{{inspection_date}}到{{site}}现场核查，监测结果：{{measurement}}。处理情况：{{measures}}。我单位将持续加强巡查。",
    ),
    (
        "water",
        "水污染：核查与检测",
        "您好，您反映的水体/排口问题（{{code}}），{{department}}已于{{inspection_date}}现场核查并采样检测，结果：{{measurement}}。已责令{{site}}{{measures}}，整改期限：{{deadline}}，届时安排复查。",
    ),
    (
        "dust",
        "扬尘：降尘措施",
        "您好，您反映的扬尘问题（{{code}}），{{department}}已于{{inspection_date}}到{{site}}现场核查，已责令落实覆盖、洒水等降尘措施：{{measures}}。",
    ),
    (
        "burning",
        "焚烧：现场制止",
        "您好，您反映的{{area}}焚烧问题（{{code}}），{{department}}已于{{inspection_date}}到场制止，处理情况：{{measures}}。",
    ),
    (
        "cooking_fumes",
        "餐饮油烟：限期整改",
        "您好，您反映的餐饮油烟问题（{{code}}），{{department}}已于{{inspection_date}}对{{site}}现场核查，油烟监测结果：{{measurement}}。已责令其{{measures}}，整改期限：{{deadline}}。",
    ),
    (
        "odour",
        "异味：核查与监测",
        "您好，您反映的异味问题（{{code}}），{{department}}已于{{inspection_date}}现场核查和监测，结果：{{measurement}}。处理情况：{{measures}}。",
    ),
];

const GENERIC: &str = "您好，您于{{submitted_date}}反映的问题（{{code}}）已由{{department}}核查，处理情况如下：{{measures}}。";
const UNSUBSTANTIATED: &str = "您好，{{department}}已于{{inspection_date}}对您反映的问题（{{code}}）进行现场核查，未发现所反映的情况。如问题再次出现，欢迎再次举报并附上照片。";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseNote::Table)
                    .col(big_pk_auto(CaseNote::Id))
                    .col(big_integer(CaseNote::CaseId))
                    .col(big_integer(CaseNote::AuthorId))
                    .col(text(CaseNote::Body))
                    .col(timestamp_with_time_zone(CaseNote::CreatedAt))
                    .foreign_key(&mut fk(
                        (CaseNote::Table, CaseNote::CaseId),
                        (Cases::Table, Cases::Id),
                    ))
                    .foreign_key(&mut fk(
                        (CaseNote::Table, CaseNote::AuthorId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_note_case")
                    .table(CaseNote::Table)
                    .col(CaseNote::CaseId)
                    .col(CaseNote::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoteMention::Table)
                    .col(big_pk_auto(NoteMention::Id))
                    .col(big_integer(NoteMention::NoteId))
                    .col(big_integer(NoteMention::UserId))
                    // Set when the mentioned colleague opens the case.
                    .col(timestamp_with_time_zone_null(NoteMention::SeenAt))
                    .foreign_key(&mut fk(
                        (NoteMention::Table, NoteMention::NoteId),
                        (CaseNote::Table, CaseNote::Id),
                    ))
                    .foreign_key(&mut fk(
                        (NoteMention::Table, NoteMention::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_note_mention_user_seen")
                    .table(NoteMention::Table)
                    .col(NoteMention::UserId)
                    .col(NoteMention::SeenAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReplyTemplate::Table)
                    .col(big_pk_auto(ReplyTemplate::Id))
                    // A category's or a category group's code; none: all.
                    .col(string_null(ReplyTemplate::Category))
                    // A finding; none: every finding.
                    .col(string_null(ReplyTemplate::Finding))
                    .col(string(ReplyTemplate::Title))
                    .col(text(ReplyTemplate::Body))
                    .col(timestamp_with_time_zone(ReplyTemplate::UpdatedAt))
                    .col(string(ReplyTemplate::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        // The wall clock: a migration runs once, outside the server's clock.
        let now = chrono::Utc::now();
        let mut rows: Vec<(Option<&str>, Option<&str>, &str, &str)> = SEED
            .iter()
            .map(|(group, title, body)| (Some(*group), None, *title, *body))
            .collect();
        rows.push((None, None, "通用答复", GENERIC));
        rows.push((
            None,
            Some("unsubstantiated"),
            "经核查不属实",
            UNSUBSTANTIATED,
        ));
        for (category, finding, title, body) in rows {
            let insert = Query::insert()
                .into_table(ReplyTemplate::Table)
                .columns([
                    ReplyTemplate::Category,
                    ReplyTemplate::Finding,
                    ReplyTemplate::Title,
                    ReplyTemplate::Body,
                    ReplyTemplate::UpdatedAt,
                    ReplyTemplate::UpdatedBy,
                ])
                .values([
                    category.map(str::to_owned).into(),
                    finding.map(str::to_owned).into(),
                    title.into(),
                    body.into(),
                    now.into(),
                    "system".into(),
                ])
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NoteMention::Table.into_iden(),
            CaseNote::Table.into_iden(),
            ReplyTemplate::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
