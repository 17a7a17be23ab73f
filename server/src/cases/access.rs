//! Who sees which case, as the services ask it: the signed-in user as the
//! workflow's `Staff`, a case's `Facts`, the visibility rule as a query
//! condition, loading a case only if it is visible, and usernames by id.
//! Below `service` and the workbench modules (notes, day, bulk, ledger), so
//! that they can share it without importing each other.

use super::workflow::{self, Facts, Scope, Staff};
use crate::auth::session::StaffUser;
use crate::db::entities::{app_user, case, reward};
use crate::error::AppError;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use shared::reward::RewardState;
use std::collections::BTreeMap;

pub fn actor(user: &StaffUser) -> Staff {
    Staff {
        user_id: user.id,
        role: user.role,
        department_id: user.department_id,
    }
}

pub fn facts(c: &case::Model) -> Facts {
    facts_with(c, None)
}

/// The facts with the case's reward track, for deciding reward steps.
pub fn facts_with(c: &case::Model, reward: Option<&reward::Model>) -> Facts {
    Facts {
        id: c.id,
        state: c.state(),
        department_id: c.department_id,
        co_department_id: c.co_department_id,
        assignee_id: c.assignee_id,
        reply_drafted_by: c.reply_drafted_by,
        extended: c.extended_days > 0,
        reward: reward.and_then(|r| RewardState::parse(&r.state)),
        reward_proposed_by: reward.map(|r| r.proposed_by),
        reward_held: reward.is_some_and(|r| r.held_at.is_some()),
        disclosed: c.disclosed_at.is_some(),
        has_reply: c.reply.is_some(),
        contested: c.contested,
        submitted_at: c.submitted_at,
        closed_at: c.closed_at,
        close_due_at: c.close_due_at,
        corroborations: i64::from(c.corroboration_count),
        police_referred: c.police_referred_at.is_some(),
        question_open: c.question_open,
        rated: c.rated,
        came_back: c.came_back,
    }
}

/// [`workflow::scope`] as a query condition (the rule of `can_see`).
pub fn in_scope(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Department(own) => Condition::any()
            .add(case::Column::DepartmentId.eq(own))
            .add(case::Column::CoDepartmentId.eq(own)),
        // Ids are never negative.
        Scope::Nothing => Condition::all().add(case::Column::Id.lt(0)),
    }
}

/// The case, if it exists and the actor may see it: otherwise 404, so a
/// handler cannot even learn that another department's case exists.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    actor: &Staff,
    code: &str,
) -> Result<case::Model, AppError> {
    let code = shared::report::tracking_code::normalize(code).ok_or(AppError::NotFound)?;
    let c = case::Entity::find()
        .filter(case::Column::Code.eq(code.as_str()))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    if workflow::can_see(actor, &facts(&c)) {
        Ok(c)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn usernames(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, String>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}
