//! Internal notes (内部备注): what staff tell each other about a case. A note
//! is staff-side only — it is not a timeline entry, so no reporter's or
//! public answer can carry it — and every note is audited. A note may
//! mention colleagues (`@username`) who can see the case; each mention
//! stays in that colleague's day until they open the case.

use super::access::{actor, facts, load_visible, usernames};
use super::workflow::{self, Staff};
use crate::audit;
use crate::auth::session::StaffUser;
use crate::db::entities::{app_user, case_note, note_mention};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use shared::FieldErrorCode;
use shared::Role;
use shared::workbench::{CaseNote, NOTE_MAX_CHARS, mentions};
use std::collections::BTreeMap;

/// The case's notes, oldest first.
pub async fn list(conn: &impl ConnectionTrait, case_id: i64) -> Result<Vec<CaseNote>, AppError> {
    let notes = case_note::Entity::find()
        .filter(case_note::Column::CaseId.eq(case_id))
        .order_by_asc(case_note::Column::Id)
        .all(conn)
        .await?;
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    let mentioned = note_mention::Entity::find()
        .filter(note_mention::Column::NoteId.is_in(notes.iter().map(|n| n.id)))
        .order_by_asc(note_mention::Column::Id)
        .all(conn)
        .await?;
    let names = usernames(
        conn,
        notes
            .iter()
            .map(|n| n.author_id)
            .chain(mentioned.iter().map(|m| m.user_id)),
    )
    .await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(notes
        .into_iter()
        .map(|n| CaseNote {
            id: n.id,
            at: n.created_at.to_rfc3339(),
            author: name(n.author_id),
            mentions: mentioned
                .iter()
                .filter(|m| m.note_id == n.id)
                .map(|m| name(m.user_id))
                .collect(),
            body: n.body,
        })
        .collect())
}

/// The note's text, trimmed, checked for length.
fn checked_body(body: &str) -> Result<&str, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field(
            "body",
            FieldErrorCode::Required,
            "write the note",
        ));
    }
    let chars = body.chars().count();
    if chars > NOTE_MAX_CHARS {
        return Err(AppError::field(
            "body",
            FieldErrorCode::TooLong,
            format!("at most {NOTE_MAX_CHARS} characters (this one has {chars})"),
        ));
    }
    Ok(body)
}

/// Adds a note to a case the user can see; each `@username` must name an
/// active colleague who can see the case too, or nothing is written.
pub async fn add(
    db: &DatabaseConnection,
    user: &StaffUser,
    code: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<CaseNote, AppError> {
    let body = checked_body(body)?;
    let txn = crate::db::begin_write(db).await?;
    let c = load_visible(&txn, &actor(user), code).await?;
    let names = mentions(body);
    let found: BTreeMap<String, app_user::Model> = if names.is_empty() {
        BTreeMap::new()
    } else {
        app_user::Entity::find()
            .filter(app_user::Column::Username.is_in(names.iter().map(String::as_str)))
            .filter(app_user::Column::Active.eq(true))
            .all(&txn)
            .await?
            .into_iter()
            .map(|u| (u.username.clone(), u))
            .collect()
    };
    let mut mentioned = Vec::new();
    for name in &names {
        let Some(u) = found.get(name) else {
            return Err(AppError::field(
                "body",
                FieldErrorCode::NotFound,
                format!("@{name}: no such colleague"),
            ));
        };
        let Ok(role) = u.role.parse::<Role>() else {
            continue;
        };
        let them = Staff {
            user_id: u.id,
            role,
            department_id: u.department_id,
        };
        if !workflow::can_see(&them, &facts(&c)) {
            return Err(AppError::field(
                "body",
                FieldErrorCode::Invalid,
                format!("@{name} cannot see this case"),
            ));
        }
        mentioned.push(u);
    }
    let note = case_note::ActiveModel {
        case_id: Set(c.id),
        author_id: Set(user.id),
        body: Set(body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for u in &mentioned {
        note_mention::ActiveModel {
            note_id: Set(note.id),
            user_id: Set(u.id),
            seen_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // The audit log records that a note was written and whom it mentions;
    // the text stays on the case.
    audit::record(
        &txn,
        audit::Entry {
            actor: &user.username,
            action: "case.note",
            object_type: "case",
            object_id: &c.code,
            detail: Some(format!(
                "note {} ({} characters){}",
                note.id,
                body.chars().count(),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(", mentions {}", names.join(", "))
                }
            )),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CaseNote {
        id: note.id,
        at: note.created_at.to_rfc3339(),
        author: user.username.clone(),
        body: note.body,
        mentions: names,
    })
}

/// The user has opened the case: its notes mentioning them leave their day.
pub async fn mark_seen(
    conn: &impl ConnectionTrait,
    user_id: i64,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let notes: Vec<i64> = case_note::Entity::find()
        .filter(case_note::Column::CaseId.eq(case_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    if notes.is_empty() {
        return Ok(());
    }
    note_mention::Entity::update_many()
        .col_expr(note_mention::Column::SeenAt, Expr::value(Some(now)))
        .filter(note_mention::Column::UserId.eq(user_id))
        .filter(note_mention::Column::SeenAt.is_null())
        .filter(note_mention::Column::NoteId.is_in(notes))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed_and_bounded() {
        assert_eq!(checked_body("  查看现场 ").unwrap(), "查看现场");
        assert!(checked_body("   ").is_err());
        assert!(checked_body(&"字".repeat(NOTE_MAX_CHARS)).is_ok());
        assert!(checked_body(&"字".repeat(NOTE_MAX_CHARS + 1)).is_err());
    }
}
