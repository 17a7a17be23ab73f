use sea_orm::entity::prelude::*;

/// A site inspection (现场检查) recorded on a case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub inspected_at: DateTimeUtc,
    pub place: String,
    /// `[{name, badge}]`, at least two.
    #[sea_orm(column_type = "Text")]
    pub officers: String,
    #[sea_orm(column_type = "Text")]
    pub found: String,
    /// `[shared::inspection::Measurement]`, limits and excess computed.
    #[sea_orm(column_type = "Text")]
    pub measurements: String,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
