use sea_orm::entity::prelude::*;

/// A category as it was defined at one version: what a report filed under
/// that version answered, and the reward rule its case is judged by.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "category_version")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub category_id: i64,
    pub version: i32,
    pub group_code: String,
    pub name_zh: String,
    pub name_en: String,
    pub icon: String,
    pub rewardable: bool,
    pub duplicate_radius_m: i32,
    #[sea_orm(column_type = "Text")]
    pub questions: String,
    pub created_at: DateTimeUtc,
    /// The admin's username, or `migration` for the first version.
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
