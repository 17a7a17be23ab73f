use sea_orm::entity::prelude::*;

/// A notification to a department's webhook, written in the transaction that
/// routed the case and sent by the outbox worker until it is delivered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The department whose case it is about (and whose webhook it goes to,
    /// unless `api_key_id` says otherwise).
    pub department_id: i64,
    /// Addressed to this API key's callback URL instead of the department.
    pub api_key_id: Option<i64>,
    pub case_id: i64,
    pub event: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
