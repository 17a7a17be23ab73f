//! Cases as staff work them: the queue, the case page, the workflow's
//! actions and revealing a reporter's identity. Every change is one write
//! transaction holding the change, its timeline entry and its audit entry;
//! the `version` column makes two people acting at once settle on one winner.

use super::deadlines::Deadlines;
use super::effects::{
    self, Assignee, Change, Event, Field, Named, OtherCase, Request, RewardEffect,
};
use super::timeline::record_event;
use super::version;
use super::workflow::{self, Actor, Scope, Staff};
use crate::audit;
use crate::auth::session::StaffUser;
use crate::clock::Clock;
use crate::db::entities::{
    app_user, case, case_event, category, department, photo, report, reporter_identity,
};
use crate::db::limit::limited;
use crate::directory::calendar::parse_day;
use crate::directory::lookups::Lookups;
use crate::disclosure::service::REPORTER_ACTOR;
use crate::error::AppError;
use crate::outbox;
use crate::privacy::PiiCipher;
use crate::rewards::service as reward_service;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, UpdateMany,
};
use shared::Role;
use shared::case::{
    ActionRequest, CaseAction, CaseCounts, CaseDetail, CaseQueue, CaseState, CaseSummary, Finding,
    RevealedReporter, StaffPhoto, StaffReport, StaffTimelineEntry,
};
use shared::disclosure::{Disclosure, Precision};
use shared::report::Channel;
use std::collections::BTreeMap;

/// The queue's last page (at 200 a page, 20 million cases).
const MAX_QUEUE_PAGE: u32 = 100_000;

/// Roles that may see who reported a case, each time with an audited action:
/// those who may need to call the reporter back.
pub const MAY_REVEAL: &[Role] = &[Role::Dispatcher, Role::Handler];

/// Roles that see the originals of photos (evidence with EXIF intact).
pub const SEE_ORIGINALS: &[Role] = &[
    Role::Dispatcher,
    Role::Handler,
    Role::Reviewer,
    Role::Auditor,
];

pub use super::access::{actor, facts, facts_with, in_scope, load_visible, usernames};

/// Open cases of the same kind within 500 m of the case (possible
/// duplicates, to merge), those the actor may see: read in one query, not
/// one per neighbour.
pub async fn nearby(
    conn: &DatabaseConnection,
    actor: &Staff,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<shared::report::NearbyCase>, AppError> {
    let c = load_visible(conn, actor, code).await?;
    let Some(kind) = category::Entity::find_by_id(c.category_id)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let at = shared::geo::LatLon {
        lat: c.lat,
        lon: c.lon,
    };
    let found = crate::reports::nearby::nearby(conn, &kind.code, at, None, 30, now).await?;
    let codes: Vec<&str> = found
        .iter()
        .map(|n| n.tracking_code.as_str())
        .filter(|n| *n != c.code)
        .collect();
    let visible: std::collections::BTreeSet<String> = case::Entity::find()
        .filter(case::Column::Code.is_in(codes))
        .all(conn)
        .await?
        .into_iter()
        .filter(|n| workflow::can_see(actor, &facts(n)))
        .map(|n| n.code)
        .collect();
    Ok(found
        .into_iter()
        .filter(|n| visible.contains(&n.tracking_code))
        .collect())
}

pub struct Cases<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a PiiCipher,
    pub deadlines: Deadlines,
    pub clock: &'a Clock,
}

/// The queue's filters (`GET /api/v1/cases?…`).
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// One state, several separated by commas, `open` (the default) or `all`.
    pub state: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// A department code.
    pub department: Option<String>,
    /// An area (街道/镇) code.
    pub area: Option<String>,
    /// The road a case came in by (受理渠道), one or several separated by
    /// commas: `web`, `open311`, `phone_12345`, `phone_12369`, `letter`,
    /// `walk_in`, `platform_12345`, `inspection`.
    pub channel: Option<String>,
    /// `true`: only overdue cases.
    pub overdue: Option<bool>,
    /// Submitted on or after this date (YYYY-MM-DD, Chongqing time).
    pub from: Option<String>,
    /// Submitted on or before this date.
    pub to: Option<String>,
    /// `me`: only cases assigned to the signed-in handler.
    pub assignee: Option<String>,
    /// The page, from 1 to 100000 (default 1).
    pub page: Option<u32>,
    /// Rows per page, 1 to 200 (default 50).
    pub page_size: Option<u32>,
}

/// The queue's filters as one query condition, each code checked against
/// the directory (an unknown one is a 422 naming its field).
pub(crate) struct CaseFilterCondition {
    pub(crate) condition: Condition,
    /// Whether final states (no deadline) may match: the queue then sorts
    /// cases without a deadline last.
    pub(crate) finals: bool,
}

/// [`QueueFilter`] → [`CaseFilterCondition`]: the one reading of the
/// filters, shared by the queue and the ledger (台账), so both answer the
/// same cases for the same query string. `page` and `page_size` are the
/// queue's alone and not read here. `user_id` is whom `assignee=me` means;
/// `now` what "overdue" is judged by.
pub(crate) fn filter_condition(
    f: &QueueFilter,
    lookups: &Lookups,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<CaseFilterCondition, AppError> {
    let mut condition = Condition::all();
    // States. "Open" is exactly "has a deadline", which the deadline index
    // answers in order without sorting.
    let mut finals = false;
    match f.state.as_deref().map(str::trim) {
        None | Some("") | Some("open") => {
            condition = condition.add(case::Column::DueAt.is_not_null())
        }
        Some("all") => finals = true,
        Some(list) => {
            let mut states = Vec::new();
            for name in list.split(',') {
                let s = CaseState::parse(name.trim()).ok_or_else(|| {
                    AppError::validation(
                        "state",
                        format!(
                            "unknown state `{}`; use open, all or a state name",
                            name.trim()
                        ),
                    )
                })?;
                finals |= !s.is_open();
                states.push(s.as_str());
            }
            condition = condition.add(case::Column::State.is_in(states));
        }
    }
    if let Some(code) = f.category.as_deref().filter(|s| !s.is_empty()) {
        let id = lookups
            .category_id(code)
            .ok_or_else(|| AppError::validation("category", "no such category"))?;
        condition = condition.add(case::Column::CategoryId.eq(id));
    }
    if let Some(code) = f.department.as_deref().filter(|s| !s.is_empty()) {
        let id = lookups
            .department_id(code)
            .ok_or_else(|| AppError::validation("department", "no such department"))?;
        condition = condition.add(case::Column::DepartmentId.eq(id));
    }
    if let Some(code) = f.area.as_deref().filter(|s| !s.is_empty()) {
        let id = lookups
            .area_id(code)
            .ok_or_else(|| AppError::validation("area", "no such area"))?;
        condition = condition.add(case::Column::AreaId.eq(id));
    }
    if let Some(list) = f.channel.as_deref().filter(|s| !s.trim().is_empty()) {
        let mut channels = Vec::new();
        for name in list.split(',').map(str::trim) {
            let c = Channel::parse(name).ok_or_else(|| {
                AppError::validation(
                    "channel",
                    format!("unknown channel `{name}`; use one or more of {}", {
                        Channel::ALL.map(Channel::as_str).join(", ")
                    }),
                )
            })?;
            channels.push(c.as_str());
        }
        condition = condition.add(case::Column::Channel.is_in(channels));
    }
    if let Some(from) = f.from.as_deref().filter(|s| !s.is_empty()) {
        condition = condition.add(case::Column::SubmittedAt.gte(parse_day("from", from, false)?));
    }
    if let Some(to) = f.to.as_deref().filter(|s| !s.is_empty()) {
        condition = condition.add(case::Column::SubmittedAt.lt(parse_day("to", to, true)?));
    }
    if f.overdue == Some(true) {
        condition = condition.add(case::Column::DueAt.lt(now));
    }
    match f.assignee.as_deref() {
        None | Some("") => {}
        Some("me") => condition = condition.add(case::Column::AssigneeId.eq(user_id)),
        Some(_) => return Err(AppError::validation("assignee", "only `me` is supported")),
    }
    Ok(CaseFilterCondition { condition, finals })
}

/// Cases per state in `scope`, and how many open ones are late at `now`:
/// the workbench's counts, and the metrics' (`crate::metrics`) for every
/// case. The states from the tally (`tally`), the late ones from the
/// deadline's index: neither reads the closed cases.
pub async fn counts_in(
    db: &impl ConnectionTrait,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<CaseCounts, sea_orm::DbErr> {
    // The tally the database keeps, not a count over every case.
    let rows = super::tally::by_state(db, scope).await?;
    let by_state = CaseState::ALL
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s, u64::try_from(n).unwrap_or(0))
        })
        .collect();
    // Only open cases have a deadline: late is past it (an index range,
    // as long as the open cases).
    let overdue = case::Entity::find()
        .filter(in_scope(scope))
        .filter(case::Column::DueAt.lt(now))
        .count(db)
        .await?;
    Ok(CaseCounts { by_state, overdue })
}

/// A case as a row of a list (the queue, a handler's day).
pub(super) fn summary(
    c: case::Model,
    lookups: &Lookups,
    assignees: &BTreeMap<i64, String>,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> CaseSummary {
    let (overdue, due_soon) = deadlines.status(c.due_at, now);
    CaseSummary {
        state: c.state(),
        channel: c.channel(),
        priority: c.priority.clone(),
        category: lookups.category(c.category_id),
        area: lookups.area(c.area_id),
        department: lookups.department_code(c.department_id),
        assignee: c.assignee_id.and_then(|id| assignees.get(&id).cloned()),
        submitted_at: c.submitted_at.to_rfc3339(),
        deadline: c.due_at.map(|d| d.to_rfc3339()),
        overdue,
        due_soon,
        corroborations: u32::try_from(c.corroboration_count).unwrap_or(0),
        version: c.version,
        summary: c
            .description
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect(),
        code: c.code,
    }
}

impl Cases<'_> {
    /// The signed-in user's queue, sorted by deadline (the most urgent first).
    pub async fn queue(&self, user: &StaffUser, f: QueueFilter) -> Result<CaseQueue, AppError> {
        let actor = actor(user);
        let now = self.clock.now();
        let page = std::cmp::Ord::max(f.page.unwrap_or(1), 1);
        if page > MAX_QUEUE_PAGE {
            return Err(AppError::validation(
                "page",
                format!("a whole number from 1 to {MAX_QUEUE_PAGE}"),
            ));
        }
        let page_size = std::cmp::Ord::clamp(f.page_size.unwrap_or(50), 1, 200);
        let lookups = Lookups::load(self.db).await?;
        let CaseFilterCondition { condition, finals } =
            filter_condition(&f, &lookups, user.id, now)?;
        let mut query = case::Entity::find().filter(condition);

        // Scope: the rule of `workflow::can_see`, applied below.
        let scope = workflow::scope(&actor);

        query = if finals {
            query.order_by_with_nulls(case::Column::DueAt, Order::Asc, NullOrdering::Last)
        } else {
            query.order_by_asc(case::Column::DueAt)
        };
        let query = query.order_by_asc(case::Column::Id);
        let offset = u64::from(page - 1) * u64::from(page_size);
        let wanted = u64::from(page_size) + 1;
        // The limits written into the SQL (see `db::limit`).
        let backend = self.db.get_database_backend();
        let rows = match scope {
            Scope::All => limited(backend, query, wanted, offset).all(self.db).await?,
            Scope::Nothing => Vec::new(),
            // "Lead or co-department" as one OR defeats the (department,
            // deadline) indexes and sorts every matching case; two ordered
            // index scans, each cut at the page's end, merge in memory
            // instead, so the page costs the same at any size.
            Scope::Department(own) => {
                // Each half cut at the page's end: written into the SQL
                // on the first page only, since on the others the number
                // grows with the page (a statement text per page).
                let cut = async |q: Select<case::Entity>| {
                    if offset == 0 {
                        limited(backend, q, wanted, 0).all(self.db).await
                    } else {
                        q.limit(offset + wanted).all(self.db).await
                    }
                };
                let lead = cut(query.clone().filter(case::Column::DepartmentId.eq(own))).await?;
                let co = query
                    .filter(case::Column::CoDepartmentId.eq(own))
                    .filter(case::Column::DepartmentId.ne(own));
                let co = cut(co).await?;
                let mut rows: Vec<case::Model> = lead.into_iter().chain(co).collect();
                // The database's order: deadline (none last), then id.
                rows.sort_by_key(|c| (c.due_at.is_none(), c.due_at, c.id));
                rows.into_iter()
                    .skip(offset as usize)
                    .take(wanted as usize)
                    .collect()
            }
        };
        let has_more = rows.len() > page_size as usize;
        let assignees = usernames(self.db, rows.iter().filter_map(|c| c.assignee_id)).await?;
        let items = rows
            .into_iter()
            .take(page_size as usize)
            .map(|c| summary(c, &lookups, &assignees, &self.deadlines, now))
            .collect();
        Ok(CaseQueue {
            items,
            page,
            page_size,
            has_more,
        })
    }

    /// Cases per state in the user's scope, and how many open ones are late.
    pub async fn counts(&self, user: &StaffUser) -> Result<CaseCounts, AppError> {
        let scope = workflow::scope(&actor(user));
        Ok(counts_in(self.db, scope, self.clock.now()).await?)
    }

    pub async fn detail(&self, user: &StaffUser, code: &str) -> Result<CaseDetail, AppError> {
        reward_service::expire_due(self.db, self.clock.now()).await?;
        let actor = actor(user);
        let c = load_visible(self.db, &actor, code).await?;
        // Opening the case is reading the notes that mention the user.
        super::notes::mark_seen(self.db, user.id, c.id, self.clock.now()).await?;
        self.render(user, c).await
    }

    async fn render(&self, user: &StaffUser, c: case::Model) -> Result<CaseDetail, AppError> {
        let actor = actor(user);
        let now = self.clock.now();
        let lookups = Lookups::load(self.db).await?;
        let users = usernames(
            self.db,
            [c.assignee_id, c.reply_drafted_by].into_iter().flatten(),
        )
        .await?;
        let merged_into = match c.merged_into_id {
            Some(id) => case::Entity::find_by_id(id)
                .one(self.db)
                .await?
                .map(|m| m.code),
            None => None,
        };
        let originals = SEE_ORIGINALS.contains(&user.role);
        let photos = photo::Entity::find()
            .filter(photo::Column::CaseId.eq(c.id))
            .order_by_asc(photo::Column::Id)
            .all(self.db)
            .await?;
        let public_photos: Vec<i64> = photos.iter().filter(|p| p.public).map(|p| p.id).collect();
        // The category's questions, to show each answer by name.
        let category_row = category::Entity::find_by_id(c.category_id)
            .one(self.db)
            .await?;
        // Where the rules would send the case as it now is (after a
        // correction of its category or place): offered as a transfer.
        let routing_suggestion = match &category_row {
            Some(row) if facts(&c).state.is_open() && c.merged_into_id.is_none() => {
                let happened = c
                    .occurred_at
                    .filter(|t| *t <= now)
                    .unwrap_or(c.submitted_at);
                let route =
                    crate::routing::service::route(self.db, row, c.area_id, happened).await?;
                (route.department_id.is_some() && route.department_id != c.department_id).then(
                    || shared::case::RoutingSuggestion {
                        department: lookups
                            .department_code(route.department_id)
                            .unwrap_or_default(),
                        department_name: lookups
                            .department_name(route.department_id)
                            .unwrap_or_default(),
                        department_name_en: lookups
                            .department_name_en(route.department_id)
                            .unwrap_or_default(),
                    },
                )
            }
            _ => None,
        };
        let report_rows = report::Entity::find()
            .filter(report::Column::CaseId.eq(c.id))
            .order_by_asc(report::Column::Id)
            .all(self.db)
            .await?;
        // Each report's answers are read by the questions it was asked: the
        // category and version it was filed under, whatever an admin or a
        // correction has changed since.
        let mut asked = Vec::with_capacity(report_rows.len());
        for r in &report_rows {
            asked.push(
                crate::categories::service::questions_answered(
                    self.db,
                    r.category_id,
                    r.category_version,
                    category_row.as_ref(),
                )
                .await?,
            );
        }
        let reports = report_rows
            .into_iter()
            .zip(asked)
            .map(|(r, questions)| StaffReport {
                photos: photos
                    .iter()
                    .filter(|p| p.report_id == r.id)
                    .map(|p| StaffPhoto {
                        id: p.id,
                        public: p.public,
                        display_url: format!("/photos/display/{}.jpg", p.display_key),
                        thumbnail_url: format!("/photos/thumb/{}.jpg", p.thumbnail_key),
                        original_url: originals
                            .then(|| format!("/api/v1/cases/{}/photos/{}/original", c.code, p.id)),
                        original_sha256: p.original_sha256.clone(),
                        received_at: p.received_at.to_rfc3339(),
                        width: u32::try_from(p.width).unwrap_or(0),
                        height: u32::try_from(p.height).unwrap_or(0),
                        from_answer: p.answer,
                    })
                    .collect(),
                id: r.id,
                kind: r.kind,
                submitted_at: r.submitted_at.to_rfc3339(),
                description: r.description,
                answered: crate::categories::answers::labelled(&questions, &r.answers),
                answers: r.answers,
                lat: r.lat,
                lon: r.lon,
                location_source: r.location_source,
                named: r.identity_id.is_some(),
            })
            .collect::<Vec<_>>();
        let timeline = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(c.id))
            .order_by_asc(case_event::Column::At)
            .order_by_asc(case_event::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(|e| StaffTimelineEntry {
                at: e.at.to_rfc3339(),
                actor: e.actor,
                action: e.action,
                from: e.from_state,
                to: e.to_state,
                note: e.note,
                public: e.public,
            })
            .collect();
        let (overdue, due_soon) = self.deadlines.status(c.due_at, now);
        let reward_row = reward_service::for_case(self.db, c.id).await?;
        let reward = match &reward_row {
            Some(r) => Some(reward_service::view(self.db, r).await?),
            None => None,
        };
        let eligibility = match facts(&c).state {
            CaseState::Closed => Some(reward_service::eligibility(self.db, &c).await?),
            _ => None,
        };
        let f = facts_with(&c, reward_row.as_ref());
        let penalties = super::enforcement::on_case(self.db, c.id).await?;
        let mut evidence =
            crate::evidence::listing::for_case(self.db, &c.code, c.id, originals).await?;
        let inspections = super::inspections::on_case(self.db, c.id, &mut evidence).await?;
        let documents = evidence.documents.remove(&None).unwrap_or_default();
        let info_requests = super::followup::questions(self.db, c.id).await?;
        let rating = super::followup::rating(self.db, c.id).await?;
        let (came_back_from, came_back_as) = super::followup::links(self.db, &c).await?;
        let messages = crate::notify::listing::for_case(self.db, &c).await?;
        let can_reveal = MAY_REVEAL.contains(&user.role)
            && reports.iter().any(|r| r.named)
            && (user.role != Role::Handler || user.department_id == c.department_id);
        Ok(CaseDetail {
            state: f.state,
            channel: c.channel(),
            priority: c.priority.clone(),
            version: c.version,
            category: lookups.category(c.category_id),
            group: c.group_code.clone(),
            area: lookups.area(c.area_id),
            department: lookups.department_code(c.department_id),
            department_name: lookups.department_name(c.department_id),
            co_department: lookups.department_code(c.co_department_id),
            assignee: c.assignee_id.and_then(|id| users.get(&id).cloned()),
            description: c.description.clone(),
            lat: c.lat,
            lon: c.lon,
            accuracy_m: c.accuracy_m,
            occurred_at: c.occurred_at.map(|t| t.to_rfc3339()),
            submitted_at: c.submitted_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            accept_due_at: c.accept_due_at.map(|t| t.to_rfc3339()),
            close_due_at: c.close_due_at.map(|t| t.to_rfc3339()),
            deadline: c.due_at.map(|t| t.to_rfc3339()),
            overdue,
            due_soon,
            extended_days: c.extended_days,
            corroborations: u32::try_from(c.corroboration_count).unwrap_or(0),
            finding: c.finding.as_deref().and_then(Finding::parse),
            reply: c.reply.clone(),
            actions_taken: c.actions_taken.clone(),
            reply_drafted_by: c.reply_drafted_by.and_then(|id| users.get(&id).cloned()),
            merged_into,
            contested: c.contested,
            disclosure: c.disclosed_at.is_some().then(|| Disclosure {
                summary: c.public_summary.clone().unwrap_or_default(),
                investigation: c.public_investigation.clone(),
                actions_taken: c.public_actions.clone(),
                photos: public_photos.clone(),
                precision: c
                    .public_precision
                    .as_deref()
                    .and_then(Precision::parse)
                    .unwrap_or_default(),
            }),
            disclosed_at: c.disclosed_at.map(|t| t.to_rfc3339()),
            reward,
            eligibility,
            // Publishing needs a recorded penalty not yet published.
            allowed_actions: workflow::allowed(&actor, &f)
                .into_iter()
                .filter(|a| {
                    *a != shared::case::ActionKind::PublishPenalty
                        || penalties.iter().any(|p| p.published_at.is_none())
                })
                .collect(),
            penalties,
            inspections,
            documents,
            police_referred_at: c.police_referred_at.map(|t| t.to_rfc3339()),
            info_requests,
            rating,
            came_back_from,
            came_back_as,
            routing_suggestion,
            can_reveal,
            reports,
            timeline,
            messages,
            notes: super::notes::list(self.db, c.id).await?,
            earlier_here: super::sites::earlier_here(
                self.db,
                in_scope(workflow::scope(&actor)),
                &c,
                &lookups,
            )
            .await?,
            code: c.code,
        })
    }

    /// Takes one action on a case and shows the case as it now stands; a
    /// transfer may have taken it out of the actor's scope. Refused actions
    /// change nothing.
    pub async fn act(
        &self,
        user: &StaffUser,
        code: &str,
        request: ActionRequest,
    ) -> Result<CaseDetail, AppError> {
        let fresh = self.act_on(user, code, request).await?;
        self.render(user, fresh).await
    }

    /// Takes one action on a case in its own transaction, answering the
    /// case as written. Refused actions change nothing.
    pub async fn act_on(
        &self,
        user: &StaffUser,
        code: &str,
        request: ActionRequest,
    ) -> Result<case::Model, AppError> {
        let staff = actor(user);
        let now = self.clock.now();
        let txn = crate::db::begin_write(self.db).await?;
        let c = load_visible(&txn, &staff, code).await?;
        if let Some(seen) = request.version
            && seen != c.version
        {
            return Err(AppError::Conflict(format!(
                "the case changed since you opened it (version {seen}, now {}); reload it and try again",
                c.version
            )));
        }
        let reward_row = reward_service::for_case(&txn, c.id).await?;
        let f = facts_with(&c, reward_row.as_ref());
        let named = self.resolve(&txn, &staff, &c, &request.action).await?;
        let change = effects::effects(
            &Actor::Staff(staff),
            &f,
            Request::Staff(request.action),
            &named,
            &self.deadlines,
            now,
        )?;
        let kind = change.event.action;
        apply(
            &txn,
            &Applier {
                pii: self.pii,
                deadlines: &self.deadlines,
            },
            &c,
            By::Staff {
                id: user.id,
                username: &user.username,
            },
            change,
            now,
        )
        .await?;
        txn.commit().await?;
        crate::notify::wake();
        tracing::info!(case = %c.code, action = kind, actor = %user.username, "case action");
        case::Entity::find_by_id(c.id)
            .one(self.db)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Looks up what a staff action names (the case to merge into, the
    /// handler to assign, the department to transfer to), for `effects` to
    /// judge.
    async fn resolve(
        &self,
        conn: &impl ConnectionTrait,
        staff: &Staff,
        c: &case::Model,
        action: &CaseAction,
    ) -> Result<Named, AppError> {
        let mut named = Named::default();
        match action {
            CaseAction::Merge { into } => {
                // A case outside the actor's scope is "no such case".
                named.merge_into = match load_visible(conn, staff, into).await {
                    Ok(t) => Some(OtherCase {
                        id: t.id,
                        open: t.state().is_open(),
                        code: t.code,
                    }),
                    Err(AppError::NotFound) => None,
                    Err(e) => return Err(e),
                };
            }
            CaseAction::Assign { assignee } => {
                named.assignee = app_user::Entity::find()
                    .filter(app_user::Column::Username.eq(assignee.trim()))
                    .one(conn)
                    .await?
                    .map(|u| Assignee {
                        eligible: u.active
                            && u.role == Role::Handler.as_str()
                            && u.department_id == c.department_id,
                        id: u.id,
                        username: u.username,
                    });
            }
            CaseAction::Transfer {
                department: code, ..
            } => {
                named.department = department::Entity::find()
                    .filter(department::Column::Code.eq(code.trim()))
                    .one(conn)
                    .await?;
            }
            CaseAction::Recategorize { category: code, .. } => {
                let current = category::Entity::find_by_id(c.category_id)
                    .one(conn)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let named_one = crate::categories::service::find_active(conn, code.trim()).await?;
                named.category = Some((current, named_one));
            }
            CaseAction::Relocate { lat, lon, .. } => {
                let to = shared::geo::LatLon {
                    lat: *lat,
                    lon: *lon,
                };
                let area = if lat.is_finite() && lon.is_finite() {
                    crate::directory::geo::locate(conn, to).await?
                } else {
                    None
                };
                let from = shared::geo::LatLon {
                    lat: c.lat,
                    lon: c.lon,
                };
                named.place = Some((from, area));
            }
            _ => {}
        }
        Ok(named)
    }

    /// The reporters' names and phone numbers, decrypted, for a role that
    /// needs them; recorded in the audit log before anything is shown.
    pub async fn reveal(
        &self,
        user: &StaffUser,
        code: &str,
    ) -> Result<Vec<RevealedReporter>, AppError> {
        user.require(MAY_REVEAL)?;
        let actor = actor(user);
        let txn = crate::db::begin_write(self.db).await?;
        let c = load_visible(&txn, &actor, code).await?;
        if user.role == Role::Handler && user.department_id != c.department_id {
            return Err(AppError::Forbidden(
                "only the handling department may contact the reporter".to_owned(),
            ));
        }
        let reports = report::Entity::find()
            .filter(report::Column::CaseId.eq(c.id))
            .filter(report::Column::IdentityId.is_not_null())
            .order_by_asc(report::Column::Id)
            .all(&txn)
            .await?;
        let mut out = Vec::new();
        for r in &reports {
            let Some(identity) =
                reporter_identity::Entity::find_by_id(r.identity_id.unwrap_or_default())
                    .one(&txn)
                    .await?
            else {
                continue;
            };
            let decrypt = |v: &str| {
                self.pii.decrypt(v).map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("identity {}: {e}", identity.id))
                })
            };
            out.push(RevealedReporter {
                report_id: r.id,
                kind: r.kind.clone(),
                name: decrypt(&identity.name_enc)?,
                phone: decrypt(&identity.phone_enc)?,
            });
        }
        let entry = audit::Entry {
            actor: &user.username,
            action: "case.reveal_identity",
            object_type: "case",
            object_id: &c.code,
            detail: Some(format!("{} reporter(s)", out.len())),
        };
        audit::record(&txn, entry).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// The original of a photo of a visible case, for roles that see evidence.
    pub async fn original_photo(
        &self,
        user: &StaffUser,
        code: &str,
        photo_id: i64,
    ) -> Result<photo::Model, AppError> {
        user.require(SEE_ORIGINALS)?;
        let c = load_visible(self.db, &actor(user), code).await?;
        photo::Entity::find_by_id(photo_id)
            .one(self.db)
            .await?
            .filter(|p| p.case_id == c.id)
            .ok_or(AppError::NotFound)
    }
}

/// Who the timeline and the audit log name for a change.
#[derive(Clone, Copy)]
pub enum By<'a> {
    Staff {
        id: i64,
        username: &'a str,
    },
    /// The reporter, through their own report.
    Reporter(&'a report::Model),
}

impl By<'_> {
    fn name(&self) -> &str {
        match self {
            By::Staff { username, .. } => username,
            By::Reporter(_) => REPORTER_ACTOR,
        }
    }
}

/// What [`apply`] needs besides the change: the key for payout accounts
/// and the deadlines for the reward's claim window.
pub struct Applier<'a> {
    pub pii: &'a PiiCipher,
    pub deadlines: &'a Deadlines,
}

/// Writes one [`Change`] to the case `read` was loaded as, inside the
/// caller's transaction: the columns (through `bump_version`, so of two
/// concurrent writers one gets 409), the reward's step, the timeline entry,
/// the case merged into, the public photos, the audit entry and the
/// department's notification.
pub async fn apply(
    txn: &impl ConnectionTrait,
    ctx: &Applier<'_>,
    read: &case::Model,
    by: By<'_>,
    change: Change,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let actor = by.name();
    let Change {
        fields,
        mut event,
        mut audit,
        merge_into,
        public_photos,
        notify,
        reward,
        enforcement,
        inspection,
        followup,
    } = change;
    // A reward step runs first: it may refuse (409) before anything is
    // written, and it says what the timeline and the audit log show.
    match &reward {
        Some(RewardEffect::Step(action)) => {
            let By::Staff { id, .. } = by else {
                return Err(AppError::Forbidden("only staff act on a reward".to_owned()));
            };
            let step =
                reward_service::apply(txn, id, read, action.clone(), ctx.deadlines.claim_days, now)
                    .await?;
            if !read.demo
                && step.to == shared::reward::RewardState::Approved
                && step.from != Some(shared::reward::RewardState::Approved)
                && let Some(r) = reward_service::for_case(txn, read.id).await?
            {
                // The reporter it is for hears of it, and is reminded a week
                // before the claim window closes.
                crate::notify::after_reward_approved(txn, ctx.pii, &r, &read.code, now).await?;
            }
            let from_reward = step.from.map(|s| s.as_str()).unwrap_or("none");
            audit.detail = format!(
                "reward {from_reward} → {}{}",
                step.to.as_str(),
                step.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            );
            event.note = step.note;
            event.public = step.public;
        }
        Some(RewardEffect::Reporter { claim }) => {
            let By::Reporter(r) = by else {
                return Err(AppError::Forbidden(
                    "only the reporter takes this step".to_owned(),
                ));
            };
            let (from, to) =
                reward_service::reporter_step(txn, ctx.pii, read, r, claim.clone(), now).await?;
            audit.detail = format!(
                "{}: reward {} → {}",
                audit.detail,
                from.as_str(),
                to.as_str()
            );
        }
        _ => {}
    }
    let mut update = case::Entity::update_many();
    for field in fields {
        update = set(update, field);
    }
    version::bump_version(txn, read, update, now).await?;
    if let Some(photos) = &public_photos {
        crate::disclosure::service::choose_photos(txn, read.id, photos).await?;
    }
    if let Some((target, gained)) = merge_into {
        case::Entity::update_many()
            .col_expr(
                case::Column::CorroborationCount,
                Expr::col(case::Column::CorroborationCount).add(gained),
            )
            .col_expr(
                case::Column::Version,
                Expr::col(case::Column::Version).add(1),
            )
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .filter(case::Column::Id.eq(target))
            .exec(txn)
            .await?;
        let merged_from = Event::aside("merged_from", Some(read.code.clone()), true);
        record_event(txn, target, now, actor, &merged_from).await?;
    }
    record_event(txn, read.id, now, actor, &event).await?;
    audit::record(
        txn,
        audit::Entry {
            actor,
            action: &audit.action,
            object_type: "case",
            object_id: &read.code,
            detail: Some(audit.detail),
        },
    )
    .await?;
    let fresh = || async {
        case::Entity::find_by_id(read.id)
            .one(txn)
            .await?
            .ok_or(AppError::NotFound)
    };
    if let Some((dept, name)) = notify {
        outbox::enqueue(txn, &dept, &fresh().await?, name, now).await?;
    }
    if let Some(step) = enforcement {
        let By::Staff { id, .. } = by else {
            return Err(AppError::Forbidden(
                "only staff record penalties".to_owned(),
            ));
        };
        super::enforcement::apply(txn, read.id, id, step, now).await?;
    }
    let asked = matches!(followup, Some(super::effects::Followup::Ask { .. }));
    if let Some(step) = followup {
        super::followup::apply(txn, read, step, now).await?;
    }
    if let Some(checked) = inspection {
        let By::Staff { id, .. } = by else {
            return Err(AppError::Forbidden(
                "only staff record inspections".to_owned(),
            ));
        };
        super::inspections::apply(txn, read.id, id, checked, now).await?;
    }
    // Every change of state goes out as `case.updated`, so a department's
    // system (and the platform a case came from) follows 受理 to 办结.
    if let Some(to) = event.to
        && to.as_str() != read.state
    {
        outbox::enqueue_updated(txn, &fresh().await?, &read.state, now).await?;
    }
    // The reporter is told (受理, 不予受理, a question, the reply, 回访), in
    // this transaction: the message exists exactly when the change does.
    if asked || event.to.is_some_and(|to| to.as_str() != read.state) {
        crate::notify::after_change(
            txn,
            ctx.pii,
            ctx.deadlines.contest_days,
            read,
            &fresh().await?,
            asked,
            now,
        )
        .await?;
    }
    match reward {
        Some(RewardEffect::Hold) => reward_service::hold(txn, read, now).await?,
        Some(RewardEffect::AfterReview) => {
            reward_service::after_review(txn, &fresh().await?, now).await?
        }
        _ => {}
    }
    Ok(())
}

/// One column as an `update_many` sets it.
fn set(update: UpdateMany<case::Entity>, field: Field) -> UpdateMany<case::Entity> {
    use case::Column as C;
    let none_time = None::<DateTime<Utc>>;
    match field {
        Field::State(s) => update.col_expr(C::State, Expr::value(s.as_str())),
        Field::AcceptedAt(t) => update.col_expr(C::AcceptedAt, Expr::value(Some(t))),
        Field::ClosedAt(t) => update.col_expr(C::ClosedAt, Expr::value(t)),
        Field::DueAt(t) => update.col_expr(C::DueAt, Expr::value(t)),
        Field::CloseDueAt(t) => update.col_expr(C::CloseDueAt, Expr::value(Some(t))),
        Field::ExtendedDays(d) => update.col_expr(C::ExtendedDays, Expr::value(d)),
        Field::MergedInto(id) => update.col_expr(C::MergedIntoId, Expr::value(Some(id))),
        Field::Assignee(id) => update.col_expr(C::AssigneeId, Expr::value(id)),
        Field::Department(id) => update.col_expr(C::DepartmentId, Expr::value(Some(id))),
        Field::CoDepartment(id) => update.col_expr(C::CoDepartmentId, Expr::value(id)),
        Field::Finding(f) => update.col_expr(C::Finding, Expr::value(Some(f.as_str()))),
        Field::Reply(r) => update.col_expr(C::Reply, Expr::value(Some(r))),
        Field::ActionsTaken(a) => update.col_expr(C::ActionsTaken, Expr::value(a)),
        Field::ReplyDraftedBy(id) => update.col_expr(C::ReplyDraftedBy, Expr::value(Some(id))),
        Field::ReplyApprovedBy(id) => update.col_expr(C::ReplyApprovedBy, Expr::value(id)),
        Field::Contested(b) => update.col_expr(C::Contested, Expr::value(b)),
        Field::Disclosed {
            at,
            by,
            summary,
            investigation,
            actions_taken,
            precision,
        } => update
            .col_expr(C::DisclosedAt, Expr::value(Some(at)))
            .col_expr(C::DisclosedBy, Expr::value(Some(by)))
            .col_expr(C::PublicSummary, Expr::value(Some(summary)))
            .col_expr(C::PublicInvestigation, Expr::value(investigation))
            .col_expr(C::PublicActions, Expr::value(actions_taken))
            .col_expr(C::PublicPrecision, Expr::value(Some(precision.as_str()))),
        Field::Category { id, version, group } => update
            .col_expr(C::CategoryId, Expr::value(id))
            .col_expr(C::CategoryVersion, Expr::value(version))
            .col_expr(C::GroupCode, Expr::value(group)),
        Field::Place { at, area_id } => update
            .col_expr(C::Lat, Expr::value(at.lat))
            .col_expr(C::Lon, Expr::value(at.lon))
            .col_expr(C::AreaId, Expr::value(area_id)),
        Field::PoliceReferred(t) => update.col_expr(C::PoliceReferredAt, Expr::value(Some(t))),
        Field::QuestionOpen(open) => update.col_expr(C::QuestionOpen, Expr::value(open)),
        Field::Rated => update.col_expr(C::Rated, Expr::value(true)),
        Field::CameBack => update.col_expr(C::CameBack, Expr::value(true)),
        Field::Undisclosed => update
            .col_expr(C::DisclosedAt, Expr::value(none_time))
            .col_expr(C::PublicSummary, Expr::value(None::<String>))
            .col_expr(C::PublicInvestigation, Expr::value(None::<String>))
            .col_expr(C::PublicActions, Expr::value(None::<String>)),
    }
}
