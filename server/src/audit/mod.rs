//! The append-only audit log (审计日志). Written with the change it records,
//! on the same connection or transaction, so neither exists without the other.
//! It never holds personal data: only who, what, which object, why.
//!
//! Its times are the wall clock's when the entry is written, not the
//! server's `Clock`: the log is the record of when things really happened,
//! even where a test has moved the server's time forward.
//!
//! Everything that changes something calls [`record`]; auditors and admins
//! read it through [`handlers`].

mod handlers;

pub use handlers::{AuditFilter, router};

use crate::db::entities::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub detail: Option<String>,
}

pub async fn record(conn: &impl ConnectionTrait, entry: Entry<'_>) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(chrono::Utc::now()),
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        object_type: Set(entry.object_type.to_owned()),
        object_id: Set(entry.object_id.to_owned()),
        detail: Set(entry.detail),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}
