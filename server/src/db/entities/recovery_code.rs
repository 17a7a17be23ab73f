use sea_orm::entity::prelude::*;

/// A one-time code sent by SMS to find one's reports again (找回).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_code")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Given to the requester with the answer; sent back with the code.
    #[sea_orm(unique)]
    pub request_id: String,
    /// The phone's blind index: the phone itself is not kept here.
    pub phone_index: String,
    pub code_hash: String,
    pub tries: i32,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
