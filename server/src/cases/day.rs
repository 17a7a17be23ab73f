//! My day (今日待办): a handler's start page — what is assigned to them,
//! what of their department's is due within the warning window or overdue,
//! the notes that mention them, and their open cases on a map — and the
//! team's loads (承办人工作量) a supervisor reads, one row per handler.

use super::access::{actor, in_scope, usernames};
use super::deadlines::Deadlines;
use super::service::summary;
use super::workflow::{self, Scope, Staff};
use crate::auth::session::StaffUser;
use crate::db::entities::{app_user, case, case_note, note_mention};
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use shared::Role;
use shared::workbench::{DayCounts, HandlerLoad, MapCase, Mention, MyDay};
use std::collections::BTreeMap;

/// The most rows one list of a day shows; the counts say how many in all.
const LIST: u64 = 50;
/// The most cases on the day's map.
const MAP: u64 = 500;

/// Who reads other handlers' days and the team's loads.
pub const SUPERVISORS: &[Role] = &[Role::Dispatcher, Role::Reviewer, Role::Admin];

/// Open cases (they alone have a deadline), most urgent first.
fn open() -> Select<case::Entity> {
    case::Entity::find()
        .filter(case::Column::DueAt.is_not_null())
        .order_by_asc(case::Column::DueAt)
        .order_by_asc(case::Column::Id)
}

/// The handler whose day `user` asks for: their own, or — for a supervisor
/// — a handler they may oversee (a department's reviewer: their own
/// department's). Another's day is "no such handler" otherwise.
async fn whose(
    db: &DatabaseConnection,
    user: &StaffUser,
    handler: Option<&str>,
) -> Result<app_user::Model, AppError> {
    let name = handler.map(str::trim).filter(|h| !h.is_empty());
    let own = name.is_none_or(|h| h == user.username);
    if !own {
        user.require(SUPERVISORS)?;
    }
    let target = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(name.unwrap_or(&user.username)))
        .one(db)
        .await?
        .filter(|u| own || u.role == Role::Handler.as_str())
        .ok_or_else(|| {
            AppError::field(
                "handler",
                shared::FieldErrorCode::NotFound,
                "no such handler",
            )
        })?;
    if let Scope::Department(d) = workflow::scope(&actor(user))
        && target.department_id != Some(d)
    {
        return Err(AppError::field(
            "handler",
            shared::FieldErrorCode::NotFound,
            "no such handler",
        ));
    }
    Ok(target)
}

/// A handler's day, as [`MyDay`] describes it.
pub async fn day(
    db: &DatabaseConnection,
    user: &StaffUser,
    handler: Option<&str>,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<MyDay, AppError> {
    let target = whose(db, user, handler).await?;
    let lookups = Lookups::load(db).await?;
    let role: Role = target.role.parse().unwrap_or(Role::Handler);
    let them = Staff {
        user_id: target.id,
        role,
        department_id: target.department_id,
    };
    let soon = now + Duration::days(deadlines.warn_days);

    let mine = || open().filter(case::Column::AssigneeId.eq(target.id));
    // "Their department's" is the cases the handler may see: lead or
    // co-department (for a handler without one, nothing).
    let department = || match target.department_id {
        Some(d) => open().filter(in_scope(Scope::Department(d))),
        None => open().filter(in_scope(Scope::Nothing)),
    };
    let due_soon = || {
        department()
            .filter(case::Column::DueAt.gte(now))
            .filter(case::Column::DueAt.lt(soon))
    };
    let overdue = || department().filter(case::Column::DueAt.lt(now));

    let assigned = mine().limit(LIST).all(db).await?;
    let soon_rows = due_soon().limit(LIST).all(db).await?;
    let late_rows = overdue().limit(LIST).all(db).await?;
    let map_rows = mine().limit(MAP).all(db).await?;
    let counts = DayCounts {
        assigned: mine().count(db).await?,
        due_soon: due_soon().count(db).await?,
        overdue: overdue().count(db).await?,
        mentions: unseen(target.id).count(db).await?,
    };
    let mentions = mentions(db, &them, target.id).await?;

    let names = usernames(
        db,
        assigned
            .iter()
            .chain(&soon_rows)
            .chain(&late_rows)
            .filter_map(|c| c.assignee_id),
    )
    .await?;
    let list = |rows: Vec<case::Model>| {
        rows.into_iter()
            .map(|c| summary(c, &lookups, &names, deadlines, now))
            .collect()
    };
    Ok(MyDay {
        handler: target.username.clone(),
        department: lookups.department(target.department_id),
        map: map_rows
            .into_iter()
            .map(|c| MapCase {
                overdue: c.due_at.is_some_and(|d| d < now),
                state: c.state(),
                lat: c.lat,
                lon: c.lon,
                code: c.code,
            })
            .collect(),
        assigned: list(assigned),
        due_soon: list(soon_rows),
        overdue: list(late_rows),
        mentions,
        counts,
    })
}

fn unseen(user_id: i64) -> Select<note_mention::Entity> {
    note_mention::Entity::find()
        .filter(note_mention::Column::UserId.eq(user_id))
        .filter(note_mention::Column::SeenAt.is_null())
}

/// The notes that mention the handler and that they have not opened yet,
/// newest first, on cases they (still) may see.
async fn mentions(
    db: &DatabaseConnection,
    them: &Staff,
    user_id: i64,
) -> Result<Vec<Mention>, AppError> {
    let rows = unseen(user_id)
        .order_by_desc(note_mention::Column::Id)
        .limit(LIST)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let notes: BTreeMap<i64, case_note::Model> = case_note::Entity::find()
        .filter(case_note::Column::Id.is_in(rows.iter().map(|m| m.note_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let cases: BTreeMap<i64, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(notes.values().map(|n| n.case_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let authors = usernames(db, notes.values().map(|n| n.author_id)).await?;
    Ok(rows
        .iter()
        .filter_map(|m| {
            let note = notes.get(&m.note_id)?;
            let c = cases.get(&note.case_id)?;
            if !workflow::can_see(them, &super::service::facts(c)) {
                return None;
            }
            Some(Mention {
                note_id: note.id,
                case_code: c.code.clone(),
                at: note.created_at.to_rfc3339(),
                author: authors.get(&note.author_id).cloned().unwrap_or_default(),
                excerpt: note.body.chars().take(140).collect(),
            })
        })
        .collect())
}

/// Every active handler a supervisor oversees (a department's reviewer:
/// their department's), with their open, due-soon and overdue cases.
pub async fn team(
    db: &DatabaseConnection,
    user: &StaffUser,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<Vec<HandlerLoad>, AppError> {
    user.require(SUPERVISORS)?;
    let mut handlers = app_user::Entity::find()
        .filter(app_user::Column::Role.eq(Role::Handler.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .order_by_asc(app_user::Column::DepartmentId)
        .order_by_asc(app_user::Column::Username);
    match workflow::scope(&actor(user)) {
        Scope::All => {}
        Scope::Department(d) => handlers = handlers.filter(app_user::Column::DepartmentId.eq(d)),
        Scope::Nothing => return Ok(Vec::new()),
    }
    let handlers = handlers.all(db).await?;
    if handlers.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = handlers.iter().map(|h| h.id).collect();
    // One grouped count per column of the table, not one query per handler.
    let ids = &ids;
    let per_handler = |extra: Condition| async move {
        let rows: Vec<(Option<i64>, i64)> = case::Entity::find()
            .filter(case::Column::DueAt.is_not_null())
            .filter(case::Column::AssigneeId.is_in(ids.clone()))
            .filter(extra)
            .select_only()
            .column(case::Column::AssigneeId)
            .column_as(case::Column::Id.count(), "n")
            .group_by(case::Column::AssigneeId)
            .into_tuple()
            .all(db)
            .await?;
        Ok::<BTreeMap<i64, u64>, AppError>(
            rows.into_iter()
                .filter_map(|(id, n)| Some((id?, u64::try_from(n).unwrap_or(0))))
                .collect(),
        )
    };
    let soon = now + Duration::days(deadlines.warn_days);
    let open = per_handler(Condition::all()).await?;
    let due_soon = per_handler(
        Condition::all()
            .add(case::Column::DueAt.gte(now))
            .add(case::Column::DueAt.lt(soon)),
    )
    .await?;
    let overdue = per_handler(Condition::all().add(case::Column::DueAt.lt(now))).await?;
    let lookups = Lookups::load(db).await?;
    let of = |m: &BTreeMap<i64, u64>, id: i64| m.get(&id).copied().unwrap_or(0);
    Ok(handlers
        .into_iter()
        .map(|h| HandlerLoad {
            department: lookups.department(h.department_id),
            open: of(&open, h.id),
            due_soon: of(&due_soon, h.id),
            overdue: of(&overdue, h.id),
            username: h.username,
        })
        .collect())
}
