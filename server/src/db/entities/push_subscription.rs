use sea_orm::entity::prelude::*;

/// A browser's Web Push subscription, tied to one report (the tracking code
/// and its secret), never to a person: an anonymous reporter can have one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_subscription")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: i64,
    #[sea_orm(column_type = "Text")]
    pub endpoint: String,
    /// The browser's P-256 public key and auth secret (RFC 8291), base64url.
    pub p256dh: String,
    pub auth: String,
    /// `zh-CN` or `en`: the language the notification is written in.
    pub lang: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
