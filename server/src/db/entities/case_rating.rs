use sea_orm::entity::prelude::*;

/// The reporter's rating of a closed case (回访), once per case, and its
/// supervision (督办) when dissatisfied.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_rating")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub case_id: i64,
    pub report_id: i64,
    pub rating: String,
    /// The reporter's words: staff read them, the public never.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub rated_at: DateTimeUtc,
    /// The department that closed the case.
    pub department_id: Option<i64>,
    pub handled_at: Option<DateTimeUtc>,
    pub handled_by: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub handled_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
