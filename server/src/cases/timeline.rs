//! The case's timeline (办理记录): one entry per step, written in the
//! transaction of the change it records.

use super::effects::Event;
use crate::db::entities::case_event;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

/// The one way a timeline entry (办理记录) is written.
pub async fn record_event(
    conn: &impl ConnectionTrait,
    case_id: i64,
    at: DateTime<Utc>,
    actor: &str,
    event: &Event,
) -> Result<(), DbErr> {
    case_event::ActiveModel {
        case_id: Set(case_id),
        at: Set(at),
        actor: Set(actor.to_owned()),
        action: Set(event.action.to_owned()),
        from_state: Set(event.from.map(|s| s.as_str().to_owned())),
        to_state: Set(event.to.map(|s| s.as_str().to_owned())),
        note: Set(event.note.clone()),
        public: Set(event.public),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}
