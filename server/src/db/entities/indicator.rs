use sea_orm::entity::prelude::*;

/// One of the plan's targets (主要目标) and the value staff last entered.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub comparison: String,
    pub target: f64,
    pub year: i32,
    pub value: Option<f64>,
    pub value_note: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTimeUtc>,
    pub sort_order: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
