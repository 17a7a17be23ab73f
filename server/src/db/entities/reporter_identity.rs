use sea_orm::entity::prelude::*;

/// A reporter's name and phone, encrypted (AES-256-GCM), kept apart from the
/// case. Never shown on a public page, feed or API answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reporter_identity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "Text")]
    pub name_enc: String,
    #[sea_orm(column_type = "Text")]
    pub phone_enc: String,
    pub phone_index: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
