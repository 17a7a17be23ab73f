//! The reporter's loop beside the case (回访): questions and answers
//! (补充材料), the reporter's rating with the supervision queue (督办) of
//! the dissatisfied ones, and satisfaction per department for `/stats`.
//! The state machine decides each step (`workflow::check_followup`,
//! `effects`); this writes and reads what goes beside the case.

use super::access::in_scope;
use super::effects::Followup;
use super::workflow::{self, Staff};
use crate::audit;
use crate::db::entities::{app_user, case, case_rating, department, info_request};
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::followup::{
    InfoRequest, QUESTION_MAX_CHARS, Rating, RatingView, Satisfaction, SupervisionItem,
};
use std::collections::BTreeMap;

/// Writes a step of the reporter's loop on case `c` (as it was read).
pub async fn apply(
    txn: &impl ConnectionTrait,
    c: &case::Model,
    step: Followup,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match step {
        Followup::Ask { question, by } => {
            info_request::ActiveModel {
                case_id: Set(c.id),
                question: Set(question),
                asked_by: Set(by),
                asked_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        Followup::Answer { answer, report_id } => {
            // The state machine let the answer through because a question
            // waits: the latest one unanswered.
            let waiting = info_request::Entity::find()
                .filter(info_request::Column::CaseId.eq(c.id))
                .filter(info_request::Column::AnsweredAt.is_null())
                .order_by_desc(info_request::Column::Id)
                .one(txn)
                .await?
                .ok_or_else(|| {
                    AppError::Conflict("no question is waiting for an answer".to_owned())
                })?;
            let mut row: info_request::ActiveModel = waiting.into();
            row.answer = Set(Some(answer));
            row.answered_at = Set(Some(now));
            row.report_id = Set(Some(report_id));
            row.update(txn).await?;
        }
        Followup::Rate {
            rating,
            comment,
            report_id,
        } => {
            case_rating::ActiveModel {
                case_id: Set(c.id),
                report_id: Set(report_id),
                rating: Set(rating.as_str().to_owned()),
                comment: Set(comment),
                rated_at: Set(now),
                department_id: Set(c.department_id),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        // The linked case is opened by the reports service, which files
        // cases; the flag set beside this keeps it to once.
        Followup::CameBack { .. } => {}
    }
    Ok(())
}

/// The questions asked on a case, the earliest first.
pub async fn questions(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<InfoRequest>, DbErr> {
    Ok(info_request::Entity::find()
        .filter(info_request::Column::CaseId.eq(case_id))
        .order_by_asc(info_request::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|q| InfoRequest {
            question: q.question,
            asked_at: q.asked_at.to_rfc3339(),
            answer: q.answer,
            answered_at: q.answered_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

/// The case's rating, with its comment.
pub async fn rating(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<RatingView>, DbErr> {
    Ok(case_rating::Entity::find()
        .filter(case_rating::Column::CaseId.eq(case_id))
        .one(conn)
        .await?
        .and_then(|r| {
            Some(RatingView {
                rating: Rating::parse(&r.rating)?,
                comment: r.comment,
                rated_at: r.rated_at.to_rfc3339(),
            })
        }))
}

/// The codes of the cases linked to `c`: the one it came back from, and
/// those it came back as.
pub async fn links(
    conn: &impl ConnectionTrait,
    c: &case::Model,
) -> Result<(Option<String>, Vec<String>), DbErr> {
    let from = match c.came_back_from_id {
        Some(id) => case::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|o| o.code),
        None => None,
    };
    let to = case::Entity::find()
        .filter(case::Column::CameBackFromId.eq(c.id))
        .order_by_asc(case::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.code)
        .collect();
    Ok((from, to))
}

/// The supervision queue (督办) in the reader's scope (a reviewer of a
/// department sees that department's cases, as everywhere): the
/// dissatisfied ratings not yet dealt with, oldest first, then the latest
/// ones dealt with, newest first.
pub async fn supervision(
    db: &DatabaseConnection,
    reader: &Staff,
) -> Result<Vec<SupervisionItem>, AppError> {
    let dissatisfied = || {
        case_rating::Entity::find()
            .filter(case_rating::Column::Rating.eq(Rating::Dissatisfied.as_str()))
    };
    let mut rows = dissatisfied()
        .filter(case_rating::Column::HandledAt.is_null())
        .order_by_asc(case_rating::Column::RatedAt)
        .order_by_asc(case_rating::Column::Id)
        .limit(WAITING_SHOWN)
        .all(db)
        .await?;
    rows.extend(
        dissatisfied()
            .filter(case_rating::Column::HandledAt.is_not_null())
            .order_by_desc(case_rating::Column::HandledAt)
            .order_by_desc(case_rating::Column::Id)
            .limit(HANDLED_SHOWN)
            .all(db)
            .await?,
    );
    items(db, reader, rows).await
}

/// How many waiting and dealt-with items the queue shows.
const WAITING_SHOWN: u64 = 500;
const HANDLED_SHOWN: u64 = 100;

/// The ratings as queue items, those of cases outside the reader's scope
/// left out.
async fn items(
    db: &DatabaseConnection,
    reader: &Staff,
    rows: Vec<case_rating::Model>,
) -> Result<Vec<SupervisionItem>, AppError> {
    let cases: BTreeMap<i64, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(rows.iter().map(|r| r.case_id)))
        .filter(in_scope(workflow::scope(reader)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let user_ids = rows
        .iter()
        .filter_map(|r| r.handled_by)
        .chain(cases.values().filter_map(|c| c.assignee_id));
    let users: BTreeMap<i64, String> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let lookups = Lookups::load(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let c = cases.get(&r.case_id)?;
            let category = lookups.category(c.category_id);
            Some(SupervisionItem {
                id: r.id,
                case: c.code.clone(),
                category: category.code,
                category_name: category.name,
                category_name_en: category.name_en,
                department: lookups.department_code(r.department_id),
                department_name: lookups.department_name(r.department_id),
                handler: c.assignee_id.and_then(|id| users.get(&id).cloned()),
                closed_at: c.closed_at.map(|t| t.to_rfc3339()),
                rated_at: r.rated_at.to_rfc3339(),
                comment: r.comment,
                handled_at: r.handled_at.map(|t| t.to_rfc3339()),
                handled_by: r.handled_by.and_then(|id| users.get(&id).cloned()),
                handled_note: r.handled_note,
            })
        })
        .collect())
}

/// A reviewer records what was done about a dissatisfied rating (督办
/// 办结) of a case in their scope (another's is a 404); audited. Once: a
/// handled item is a 409.
pub async fn handle(
    db: &DatabaseConnection,
    reader: &Staff,
    username: &str,
    id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<SupervisionItem, AppError> {
    let note = super::texts::text_within("note", note, QUESTION_MAX_CHARS)?;
    let txn = crate::db::begin_write(db).await?;
    let row = case_rating::Entity::find_by_id(id)
        .filter(case_rating::Column::Rating.eq(Rating::Dissatisfied.as_str()))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = case::Entity::find_by_id(row.case_id)
        .filter(in_scope(workflow::scope(reader)))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.handled_at.is_some() {
        return Err(AppError::Conflict(
            "this rating was already dealt with".to_owned(),
        ));
    }
    let mut active: case_rating::ActiveModel = row.into();
    active.handled_at = Set(Some(now));
    active.handled_by = Set(Some(reader.user_id));
    active.handled_note = Set(Some(note));
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: username,
            action: "supervision.handle",
            object_type: "case",
            object_id: &c.code,
            detail: Some(format!("rating {id}")),
        },
    )
    .await?;
    txn.commit().await?;
    // The answer is the row just written, whatever the queue's length.
    items(db, reader, vec![updated])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Satisfaction per department (满意率, 回访率), as `/stats` publishes it:
/// cases closed with a reply (`closed`, by department, which the statistics
/// read from their tally) against the ratings of them. Only counts.
pub async fn satisfaction(
    conn: &impl ConnectionTrait,
    closed: impl IntoIterator<Item = (Option<i64>, u64)>,
) -> Result<Vec<Satisfaction>, DbErr> {
    let rated: Vec<(Option<i64>, String, i64)> = case_rating::Entity::find()
        .select_only()
        .column(case_rating::Column::DepartmentId)
        .column(case_rating::Column::Rating)
        .column_as(case_rating::Column::Id.count(), "n")
        .group_by(case_rating::Column::DepartmentId)
        .group_by(case_rating::Column::Rating)
        .into_tuple()
        .all(conn)
        .await?;
    let departments: BTreeMap<i64, department::Model> = department::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut out: BTreeMap<i64, Satisfaction> = BTreeMap::new();
    fn slot<'a>(
        out: &'a mut BTreeMap<i64, Satisfaction>,
        departments: &BTreeMap<i64, department::Model>,
        id: Option<i64>,
    ) -> Option<&'a mut Satisfaction> {
        let id = id?;
        let d = departments.get(&id)?;
        Some(out.entry(id).or_insert_with(|| Satisfaction {
            department: d.code.clone(),
            department_name: d.name_zh.clone(),
            department_name_en: d.name_en.clone(),
            closed: 0,
            rated: 0,
            satisfied: 0,
            basically_satisfied: 0,
            dissatisfied: 0,
            response_rate: None,
            satisfaction_rate: None,
            withheld: false,
        }))
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    for (id, n) in closed {
        if let Some(s) = slot(&mut out, &departments, id) {
            s.closed += n;
        }
    }
    for (id, rating, n) in rated {
        let (Some(s), Some(r)) = (slot(&mut out, &departments, id), Rating::parse(&rating)) else {
            continue;
        };
        s.rated += count(n);
        match r {
            Rating::Satisfied => s.satisfied += count(n),
            Rating::BasicallySatisfied => s.basically_satisfied += count(n),
            Rating::Dissatisfied => s.dissatisfied += count(n),
        }
    }
    let mut list: Vec<Satisfaction> = out.into_values().map(Satisfaction::with_rates).collect();
    list.sort_by(|a, b| {
        b.closed
            .cmp(&a.closed)
            .then(a.department.cmp(&b.department))
    });
    Ok(list)
}
