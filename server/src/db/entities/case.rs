use sea_orm::entity::prelude::*;

/// A case (案件): opened by a report, corroborated by later ones.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub category_id: i64,
    pub group_code: String,
    pub state: String,
    pub priority: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub area_id: Option<i64>,
    pub department_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub occurred_at: Option<DateTimeUtc>,
    pub submitted_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub corroboration_count: i32,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
