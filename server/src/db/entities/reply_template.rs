use sea_orm::entity::prelude::*;

/// A reply template (答复模板) admins edit: for a category or a category
/// group (none: every category) and a finding (none: every finding).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reply_template")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub category: Option<String>,
    pub finding: Option<String>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
