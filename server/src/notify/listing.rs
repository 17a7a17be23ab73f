//! Messages as the console shows them: the admins' list and a case's own
//! (what its reporters were told, not where).

use crate::db::entities::{case, message_outbox};
use crate::error::AppError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::notify::MessageView;
use std::collections::BTreeMap;

/// A case's messages, for its page in the console: what the reporters
/// were told, not where.
pub async fn for_case(
    db: &sea_orm::DatabaseConnection,
    c: &case::Model,
) -> Result<Vec<MessageView>, AppError> {
    let codes = BTreeMap::from([(c.id, c.code.clone())]);
    Ok(message_outbox::Entity::find()
        .filter(message_outbox::Column::CaseId.eq(c.id))
        .order_by_asc(message_outbox::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|m| view(m, &codes, false))
        .collect())
}

/// One message as the console shows it; `with_recipient` false for a
/// case's timeline, where staff see that the reporter was told, not where.
pub fn view(
    m: message_outbox::Model,
    codes: &BTreeMap<i64, String>,
    with_recipient: bool,
) -> MessageView {
    MessageView {
        id: m.id,
        case: m.case_id.and_then(|id| codes.get(&id).cloned()),
        channel: m.channel,
        event: m.event,
        recipient: with_recipient.then_some(m.recipient_mask),
        status: m.status,
        attempts: m.attempts,
        // A provider's or push service's words are the admins': they may
        // echo what they were sent.
        last_error: m.last_error.filter(|_| with_recipient),
        created_at: m.created_at.to_rfc3339(),
        next_attempt_at: m.next_attempt_at.to_rfc3339(),
        sent_at: m.sent_at.map(|t| t.to_rfc3339()),
    }
}
