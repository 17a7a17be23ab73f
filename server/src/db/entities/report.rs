use sea_orm::entity::prelude::*;

/// One resident's report: the one that opened a case, or a corroboration.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    #[sea_orm(unique)]
    pub secret_hash: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub coord_system: String,
    pub location_source: String,
    pub occurred_at: Option<DateTimeUtc>,
    pub submitted_at: DateTimeUtc,
    pub identity_id: Option<i64>,
    /// The category and version whose questions this report answered.
    pub category_id: Option<i64>,
    pub category_version: i32,
    /// A phone an anonymous reporter left for messages only (encrypted),
    /// with its blind index for 找回; deleted 90 days after the case closed.
    #[sea_orm(column_type = "Text", nullable)]
    pub notify_phone_enc: Option<String>,
    pub notify_phone_index: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
