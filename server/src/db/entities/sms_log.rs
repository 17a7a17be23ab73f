use sea_orm::entity::prelude::*;

/// What the `log` SMS provider "sent": the embedded default keeps each
/// message here so the whole loop can be seen without an account anywhere.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub phone_mask: String,
    pub template: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
