use sea_orm::entity::prelude::*;

/// A message to a reporter (push or SMS), written in the transaction of the
/// change it reports and sent by the message worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The report it is for; none for a recovery code.
    pub report_id: Option<i64>,
    pub case_id: Option<i64>,
    /// `push` or `sms`.
    pub channel: String,
    pub subscription_id: Option<i64>,
    /// The phone, encrypted; cleared once the message is sent or dropped.
    #[sea_orm(column_type = "Text", nullable)]
    pub recipient_enc: Option<String>,
    /// `138****8000`, or `push` — what the console shows.
    pub recipient_mask: String,
    /// Whom the daily cap counts (`push:<subscription>`, `sms:<blind index>`).
    pub recipient_key: String,
    /// The template (`notify::sms::Template`'s name).
    pub event: String,
    /// The template's parameters, a JSON array of strings: codes, dates,
    /// amounts, never a word the reporter or staff wrote.
    #[sea_orm(column_type = "Text")]
    pub params: String,
    pub lang: String,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    /// `queued`, `sent`, `failed` (given up) or `dropped` (no longer needed).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    /// The claiming worker's token: the outcome is written only under it.
    pub claim_token: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
