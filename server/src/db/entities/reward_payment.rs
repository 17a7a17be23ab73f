use sea_orm::entity::prelude::*;

/// A reward's payment (奖金发放): at most one per reward, by a unique index.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward_payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reward_id: i64,
    pub paid_by: i64,
    pub paid_at: DateTimeUtc,
    pub amount_fen: i64,
    pub payment_reference: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
