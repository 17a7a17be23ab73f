use sea_orm::entity::prelude::*;

/// A reward tier (奖励档次), e.g. 500 yuan, or 5% of the fine.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward_tier")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub amount_fen: Option<i64>,
    pub percent_of_fine: Option<i32>,
    pub cap_fen: Option<i64>,
    pub needs_penalty: bool,
    pub sort_order: i32,
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
