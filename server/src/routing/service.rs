//! Routing rules in the database: choosing a new report's department, and
//! the admins' edits (each one audited in the same transaction).

use super::rules::{self, Priority, Rule, Subject, Window};
use crate::audit;
use crate::db::entities::{area, category, category_group, department, quiet_period, routing_rule};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::routing::{QuietPeriod, RoutingRule, RoutingRuleInput};
use shared::{FieldError, FieldErrorCode as Code};
use std::collections::BTreeMap;

/// Where a report goes when no rule matches: the district's ecology and
/// environment bureau (生态环境局).
pub const FALLBACK_DEPARTMENT: &str = "environment";

/// The outcome of routing one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub department_id: Option<i64>,
    pub co_department_id: Option<i64>,
    pub priority: Priority,
    pub rule_id: Option<i64>,
    pub quiet_period: Option<String>,
}

/// A stored routing rule as the matcher takes it.
pub fn to_rule(m: &routing_rule::Model) -> Rule {
    Rule {
        id: m.id,
        category: m.category_code.clone(),
        group: m.group_code.clone(),
        area_id: m.area_id,
        window: match (m.start_minute, m.end_minute) {
            (Some(start), Some(end)) => Some(Window { start, end }),
            _ => None,
        },
        department_id: m.department_id,
        co_department_id: m.co_department_id,
        priority: m.priority.as_deref().and_then(Priority::parse),
    }
}

/// Routes a report of `category` in `area_id` that happened at `at`.
pub async fn route(
    conn: &impl ConnectionTrait,
    category: &category::Model,
    area_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Route, DbErr> {
    let rows = routing_rule::Entity::find()
        .filter(routing_rule::Column::Active.eq(true))
        .all(conn)
        .await?;
    let rules: Vec<Rule> = rows.iter().map(to_rule).collect();
    let subject = Subject {
        category: &category.code,
        group: &category.group_code,
        area_id,
        minute: rules::local_minute(at),
    };
    let chosen = rules::choose(&rules, &subject);
    let department_id = match chosen {
        Some(r) => Some(r.department_id),
        None => department::Entity::find()
            .filter(department::Column::Code.eq(FALLBACK_DEPARTMENT))
            .one(conn)
            .await?
            .map(|d| d.id),
    };
    let quiet = quiet_period::Entity::find()
        .filter(quiet_period::Column::GroupCode.eq(category.group_code.as_str()))
        .filter(quiet_period::Column::StartsAt.lte(at))
        .filter(quiet_period::Column::EndsAt.gt(at))
        .one(conn)
        .await?;
    let mut priority = chosen.and_then(|r| r.priority).unwrap_or(Priority::Normal);
    if quiet.is_some() {
        priority = Priority::Urgent;
    }
    Ok(Route {
        department_id,
        co_department_id: chosen.and_then(|r| r.co_department_id),
        priority,
        rule_id: chosen.map(|r| r.id),
        quiet_period: quiet.map(|q| q.name),
    })
}

pub async fn department_code(
    conn: &impl ConnectionTrait,
    id: Option<i64>,
) -> Result<Option<String>, DbErr> {
    match id {
        None => Ok(None),
        Some(id) => Ok(department::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|d| d.code)),
    }
}

/// Codes ↔ ids of departments and areas, for showing and taking rules.
struct Directory {
    departments: BTreeMap<i64, String>,
    areas: BTreeMap<i64, String>,
}

impl Directory {
    async fn load(conn: &impl ConnectionTrait) -> Result<Self, DbErr> {
        Ok(Self {
            departments: department::Entity::find()
                .all(conn)
                .await?
                .into_iter()
                .map(|d| (d.id, d.code))
                .collect(),
            areas: area::Entity::find()
                .all(conn)
                .await?
                .into_iter()
                .map(|a| (a.id, a.code))
                .collect(),
        })
    }

    fn department_id(&self, code: &str) -> Option<i64> {
        self.departments
            .iter()
            .find(|(_, c)| c.as_str() == code)
            .map(|(id, _)| *id)
    }

    fn area_id(&self, code: &str) -> Option<i64> {
        self.areas
            .iter()
            .find(|(_, c)| c.as_str() == code)
            .map(|(id, _)| *id)
    }
}

fn view(m: &routing_rule::Model, dir: &Directory) -> RoutingRule {
    RoutingRule {
        id: m.id,
        rule: RoutingRuleInput {
            category: m.category_code.clone(),
            group: m.group_code.clone(),
            area: m.area_id.and_then(|id| dir.areas.get(&id).cloned()),
            start: m.start_minute.map(Window::format_time),
            end: m.end_minute.map(Window::format_time),
            department: dir
                .departments
                .get(&m.department_id)
                .cloned()
                .unwrap_or_default(),
            co_department: m
                .co_department_id
                .and_then(|id| dir.departments.get(&id).cloned()),
            priority: m.priority.clone(),
            note: m.note.clone(),
            active: m.active,
        },
        updated_at: m.updated_at.to_rfc3339(),
    }
}

/// Every rule, most specific first (the order they are tried in).
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<RoutingRule>, DbErr> {
    let dir = Directory::load(conn).await?;
    let mut rows = routing_rule::Entity::find()
        .order_by_asc(routing_rule::Column::Id)
        .all(conn)
        .await?;
    rows.sort_by_key(|m| (std::cmp::Reverse(to_rule(m).specificity()), m.id));
    Ok(rows.iter().map(|m| view(m, &dir)).collect())
}

/// A rule's fields, checked and resolved to ids.
struct Checked {
    category: Option<String>,
    group: Option<String>,
    area_id: Option<i64>,
    window: Option<Window>,
    department_id: i64,
    co_department_id: Option<i64>,
    priority: Option<String>,
    note: Option<String>,
    active: bool,
}

async fn check(conn: &impl ConnectionTrait, input: RoutingRuleInput) -> Result<Checked, AppError> {
    let dir = Directory::load(conn).await?;
    let mut errors = BTreeMap::new();
    let blank = |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let category = blank(input.category);
    let group = blank(input.group);
    if category.is_some() && group.is_some() {
        errors.insert(
            "group".to_owned(),
            FieldError::new(Code::Invalid, "give a category or a group, not both"),
        );
    }
    if let Some(code) = &category
        && category::Entity::find()
            .filter(category::Column::Code.eq(code.as_str()))
            .one(conn)
            .await?
            .is_none()
    {
        errors.insert(
            "category".to_owned(),
            FieldError::new(Code::NotFound, format!("no category `{code}`")),
        );
    }
    if let Some(code) = &group
        && category_group::Entity::find_by_id(code.clone())
            .one(conn)
            .await?
            .is_none()
    {
        errors.insert(
            "group".to_owned(),
            FieldError::new(Code::NotFound, format!("no category group `{code}`")),
        );
    }
    let area_id = match blank(input.area) {
        None => None,
        Some(code) => {
            let id = dir.area_id(&code);
            if id.is_none() {
                errors.insert(
                    "area".to_owned(),
                    FieldError::new(Code::NotFound, format!("no area `{code}`")),
                );
            }
            id
        }
    };
    let window = match (blank(input.start), blank(input.end)) {
        (None, None) => None,
        (Some(s), Some(e)) => match (Window::parse_time(&s), Window::parse_time(&e)) {
            (Some(start), Some(end)) if start != end => Some(Window { start, end }),
            (Some(_), Some(_)) => {
                errors.insert(
                    "end".to_owned(),
                    FieldError::new(
                        Code::Invalid,
                        "the window must not start and end at the same time",
                    ),
                );
                None
            }
            _ => {
                errors.insert(
                    "start".to_owned(),
                    FieldError::new(Code::Invalid, "times are HH:MM, e.g. 22:00"),
                );
                None
            }
        },
        _ => {
            errors.insert(
                "end".to_owned(),
                FieldError::new(
                    Code::Required,
                    "give both the start and the end of the time window",
                ),
            );
            None
        }
    };
    let department_id = dir.department_id(input.department.trim());
    if department_id.is_none() {
        errors.insert(
            "department".to_owned(),
            FieldError::new(
                Code::NotFound,
                format!("no department `{}`", input.department.trim()),
            ),
        );
    }
    let co_department_id = match blank(input.co_department) {
        None => None,
        Some(code) => {
            let id = dir.department_id(&code);
            if id.is_none() {
                errors.insert(
                    "co_department".to_owned(),
                    FieldError::new(Code::NotFound, format!("no department `{code}`")),
                );
            } else if id == department_id {
                errors.insert(
                    "co_department".to_owned(),
                    FieldError::new(
                        Code::Invalid,
                        "the co-department must differ from the department",
                    ),
                );
            }
            id
        }
    };
    let priority = blank(input.priority);
    if let Some(p) = &priority
        && Priority::parse(p).is_none()
    {
        errors.insert(
            "priority".to_owned(),
            FieldError::new(Code::Invalid, "one of normal, high, urgent"),
        );
    }
    let note = blank(input.note);
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errors.insert(
            "note".to_owned(),
            FieldError::new(Code::TooLong, "at most 500 characters"),
        );
    }
    match department_id {
        Some(department_id) if errors.is_empty() => Ok(Checked {
            category,
            group,
            area_id,
            window,
            department_id,
            co_department_id,
            priority,
            note,
            active: input.active,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

fn apply(model: &mut routing_rule::ActiveModel, c: Checked, now: DateTime<Utc>) {
    model.category_code = Set(c.category);
    model.group_code = Set(c.group);
    model.area_id = Set(c.area_id);
    model.start_minute = Set(c.window.map(|w| w.start));
    model.end_minute = Set(c.window.map(|w| w.end));
    model.department_id = Set(c.department_id);
    model.co_department_id = Set(c.co_department_id);
    model.priority = Set(c.priority);
    model.note = Set(c.note);
    model.active = Set(c.active);
    model.updated_at = Set(now);
}

fn describe(r: &RoutingRule) -> String {
    serde_json::to_string(&r.rule).unwrap_or_default()
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    input: RoutingRuleInput,
    now: DateTime<Utc>,
) -> Result<RoutingRule, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let checked = check(&txn, input).await?;
    let mut model = routing_rule::ActiveModel {
        created_at: Set(now),
        ..Default::default()
    };
    apply(&mut model, checked, now);
    let row = model.insert(&txn).await?;
    let shown = view(&row, &Directory::load(&txn).await?);
    let id = row.id.to_string();
    let entry = audit::Entry {
        actor,
        action: "routing_rule.create",
        object_type: "routing_rule",
        object_id: &id,
        detail: Some(describe(&shown)),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(shown)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &str,
    id: i64,
    input: RoutingRuleInput,
    now: DateTime<Utc>,
) -> Result<RoutingRule, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = routing_rule::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let checked = check(&txn, input).await?;
    let mut model: routing_rule::ActiveModel = row.into();
    apply(&mut model, checked, now);
    let row = model.update(&txn).await?;
    let shown = view(&row, &Directory::load(&txn).await?);
    let object_id = id.to_string();
    let entry = audit::Entry {
        actor,
        action: "routing_rule.update",
        object_type: "routing_rule",
        object_id: &object_id,
        detail: Some(describe(&shown)),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(shown)
}

pub async fn delete(db: &DatabaseConnection, actor: &str, id: i64) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = routing_rule::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let shown = view(&row, &Directory::load(&txn).await?);
    routing_rule::Entity::delete_by_id(id).exec(&txn).await?;
    let object_id = id.to_string();
    let entry = audit::Entry {
        actor,
        action: "routing_rule.delete",
        object_type: "routing_rule",
        object_id: &object_id,
        detail: Some(describe(&shown)),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn quiet_periods(conn: &impl ConnectionTrait) -> Result<Vec<QuietPeriod>, DbErr> {
    Ok(quiet_period::Entity::find()
        .order_by_asc(quiet_period::Column::StartsAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|q| QuietPeriod {
            id: q.id,
            name: q.name,
            group: q.group_code,
            starts_at: q.starts_at.to_rfc3339(),
            ends_at: q.ends_at.to_rfc3339(),
        })
        .collect())
}

pub async fn add_quiet_period(
    db: &DatabaseConnection,
    actor: &str,
    input: QuietPeriod,
    now: DateTime<Utc>,
) -> Result<QuietPeriod, AppError> {
    let mut errors = BTreeMap::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert(
            "name".to_owned(),
            FieldError::new(
                Code::Invalid,
                "a name of 1 to 100 characters, e.g. 2027年高考",
            ),
        );
    }
    let time = |s: &str| {
        DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|d| d.with_timezone(&Utc))
    };
    let (starts, ends) = (time(&input.starts_at), time(&input.ends_at));
    if starts.is_none() {
        errors.insert(
            "starts_at".to_owned(),
            FieldError::new(
                Code::Invalid,
                "an RFC 3339 time, e.g. 2027-06-07T00:00:00+08:00",
            ),
        );
    }
    if ends.is_none() {
        errors.insert(
            "ends_at".to_owned(),
            FieldError::new(
                Code::Invalid,
                "an RFC 3339 time, e.g. 2027-06-10T00:00:00+08:00",
            ),
        );
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.insert(
            "ends_at".to_owned(),
            FieldError::new(Code::Invalid, "must be after starts_at"),
        );
    }
    let txn = crate::db::begin_write(db).await?;
    if category_group::Entity::find_by_id(input.group.clone())
        .one(&txn)
        .await?
        .is_none()
    {
        errors.insert(
            "group".to_owned(),
            FieldError::new(
                Code::NotFound,
                format!("no category group `{}`", input.group),
            ),
        );
    }
    let (Some(starts), Some(ends), true) = (starts, ends, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let row = quiet_period::ActiveModel {
        name: Set(name),
        group_code: Set(input.group.clone()),
        starts_at: Set(starts),
        ends_at: Set(ends),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let object_id = row.id.to_string();
    let detail = format!(
        "{} {} {}–{}",
        row.name,
        row.group_code,
        row.starts_at.to_rfc3339(),
        row.ends_at.to_rfc3339()
    );
    let entry = audit::Entry {
        actor,
        action: "quiet_period.create",
        object_type: "quiet_period",
        object_id: &object_id,
        detail: Some(detail),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(QuietPeriod {
        id: row.id,
        name: row.name,
        group: row.group_code,
        starts_at: row.starts_at.to_rfc3339(),
        ends_at: row.ends_at.to_rfc3339(),
    })
}

pub async fn delete_quiet_period(
    db: &DatabaseConnection,
    actor: &str,
    id: i64,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let row = quiet_period::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    quiet_period::Entity::delete_by_id(id).exec(&txn).await?;
    let object_id = id.to_string();
    let entry = audit::Entry {
        actor,
        action: "quiet_period.delete",
        object_type: "quiet_period",
        object_id: &object_id,
        detail: Some(row.name),
    };
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(())
}
