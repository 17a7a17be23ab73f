use sea_orm::entity::prelude::*;

/// A one-time code sent by SMS: to find one's reports again (找回), or to
/// prove a phone left for messages is the reporter's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_code")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Given to the requester with the answer; sent back with the code.
    #[sea_orm(unique)]
    pub request_id: String,
    /// `recover` or `confirm`.
    pub purpose: String,
    /// `confirm`: the report whose messages the phone is for, and the
    /// phone, encrypted, until the code proves it.
    pub report_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub phone_enc: Option<String>,
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
