use sea_orm::entity::prelude::*;

/// A routing rule (分派规则): which department a new report goes to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub category_code: Option<String>,
    pub group_code: Option<String>,
    pub area_id: Option<i64>,
    /// Minutes after local midnight; the window may wrap midnight.
    pub start_minute: Option<i32>,
    pub end_minute: Option<i32>,
    pub department_id: i64,
    pub co_department_id: Option<i64>,
    pub priority: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
