use sea_orm::entity::prelude::*;

/// Failed sign-ins counted per account and lane (see `auth::throttle`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    /// `untrusted`, `ip:<client key>` or `device:<id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub lane: String,
    /// Failures counted (attempts reserved and not refunded).
    pub failures: i32,
    /// Raised by every write: the compare-and-swap's witness.
    pub version: i64,
    /// The untrusted lane's hour being counted.
    pub window_start: DateTimeUtc,
    pub last_failure_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
