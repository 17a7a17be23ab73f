use sea_orm::entity::prelude::*;

/// An administrative penalty decision (行政处罚决定) recorded on a case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "penalty")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    /// 处罚决定书文号, unique.
    #[sea_orm(unique)]
    pub decision_no: String,
    pub enterprise: String,
    /// 统一社会信用代码, check character verified.
    pub credit_code: String,
    /// The provision violated (违反的条款).
    #[sea_orm(column_type = "Text")]
    pub provision: String,
    pub fine_fen: i64,
    /// YYYY-MM-DD.
    pub decided_on: String,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
    /// 行政处罚信息公开: when a reviewer published it.
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
