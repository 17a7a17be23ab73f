use sea_orm::entity::prelude::*;

/// A case's reward (奖励), from proposal to payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub case_id: i64,
    /// The first valid report: its reporter is the one rewarded.
    pub report_id: i64,
    pub state: String,
    pub tier_code: String,
    pub amount_fen: i64,
    #[sea_orm(column_type = "Text")]
    pub basis: String,
    pub penalty_decision: Option<String>,
    pub fine_fen: Option<i64>,
    pub target: Option<String>,
    pub proposed_by: i64,
    pub proposed_at: DateTimeUtc,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_note: Option<String>,
    pub claim_deadline: Option<DateTimeUtc>,
    pub claimed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub payout_account_enc: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    /// Set while the case's reply is contested: the reward waits.
    pub held_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The case the reward is for: the queue and the ledger read both in
    /// one query.
    #[sea_orm(
        belongs_to = "super::case::Entity",
        from = "Column::CaseId",
        to = "super::case::Column::Id"
    )]
    Case,
}

impl Related<super::case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
