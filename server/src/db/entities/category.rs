use sea_orm::entity::prelude::*;

/// A report category (举报类别); `code` is also the Open311 `service_code`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "category")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub group_code: String,
    pub name_zh: String,
    pub name_en: String,
    pub icon: String,
    pub rewardable: bool,
    pub active: bool,
    pub sort_order: i32,
    #[sea_orm(column_type = "Text")]
    pub questions: String,
    /// The current version; every one is kept in `category_version`.
    pub version: i32,
    /// How far to look for open cases of the same kind ("me too", and the
    /// staff's possible duplicates), in metres.
    pub duplicate_radius_m: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
