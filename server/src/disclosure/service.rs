//! The public record of cases: one query path for `/cases`, the public API,
//! Open311, the exports and the feed, so they can never disagree about what
//! is public. A case's public record carries only what staff wrote for the
//! public and a coarsened place; the reporter's words, identity and exact
//! position stay inside.

use crate::db::entities::{case, case_event, penalty, photo};
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use shared::case::{CaseState, Finding};
use shared::disclosure::{Precision, PublicCase, PublicCaseDetail, PublicPenalty};
use shared::geo::LatLon;
use shared::report::{PhotoRef, TimelineEntry};
use std::collections::BTreeMap;

/// Which cases by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Any,
    /// Not yet final (Open311 `open`).
    Open,
    /// Closed, rejected or merged (Open311 `closed`).
    Closed,
    One(CaseState),
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s {
            "" | "all" => Some(StatusFilter::Any),
            "open" => Some(StatusFilter::Open),
            "closed" => Some(StatusFilter::Closed),
            other => CaseState::parse(other).map(StatusFilter::One),
        }
    }

    fn states(self) -> Option<Vec<&'static str>> {
        let pick = |f: fn(CaseState) -> bool| {
            CaseState::ALL
                .into_iter()
                .filter(|s| f(*s))
                .map(CaseState::as_str)
                .collect()
        };
        match self {
            StatusFilter::Any => None,
            StatusFilter::Open => Some(pick(CaseState::is_open)),
            StatusFilter::Closed => Some(pick(|s| !s.is_open())),
            StatusFilter::One(s) => Some(vec![s.as_str()]),
        }
    }
}

/// Newest reported first (the list), or newest closed first (the feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Submitted,
    Closed,
}

/// What to list. Codes of categories and areas are checked against the
/// catalogue: an unknown one is a 400, not an empty list.
#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    /// Only these cases (Open311 `service_request_id`); the other filters
    /// still apply.
    pub codes: Vec<String>,
    pub categories: Vec<String>,
    pub area: Option<String>,
    pub status: StatusFilter,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub disclosed_only: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

pub struct PublicCases<'a> {
    pub db: &'a DatabaseConnection,
}

impl PublicCases<'_> {
    /// A page of cases, newest first, and whether more follow.
    pub async fn list(&self, filter: &PublicFilter) -> Result<(Vec<PublicCase>, bool), AppError> {
        let lookups = Lookups::load(self.db).await?;
        let mut query = case::Entity::find();
        if !filter.codes.is_empty() {
            query = query.filter(
                case::Column::Code.is_in(filter.codes.iter().map(|c| c.trim().to_uppercase())),
            );
        }
        if !filter.categories.is_empty() {
            let mut ids = Vec::new();
            for code in &filter.categories {
                ids.push(lookups.category_id(code).ok_or_else(|| {
                    AppError::validation("category", format!("no category `{code}`"))
                })?);
            }
            query = query.filter(case::Column::CategoryId.is_in(ids));
        }
        if let Some(code) = &filter.area {
            let id = lookups
                .area_id(code)
                .ok_or_else(|| AppError::validation("area", format!("no area `{code}`")))?;
            query = query.filter(case::Column::AreaId.eq(id));
        }
        if let Some(states) = filter.status.states() {
            query = query.filter(case::Column::State.is_in(states));
        }
        if let Some(from) = filter.from {
            query = query.filter(case::Column::SubmittedAt.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(case::Column::SubmittedAt.lt(to));
        }
        if filter.disclosed_only {
            query = query.filter(case::Column::DisclosedAt.is_not_null());
        }
        let size = u64::from(filter.page_size.max(1));
        let query = match filter.sort {
            Sort::Submitted => query.order_by_desc(case::Column::SubmittedAt),
            Sort::Closed => query
                .filter(case::Column::ClosedAt.is_not_null())
                .order_by_desc(case::Column::ClosedAt),
        };
        let rows = query
            .order_by_desc(case::Column::Id)
            .offset(u64::from(filter.page.max(1) - 1) * size)
            .limit(size + 1)
            .all(self.db)
            .await?;
        let has_more = rows.len() as u64 > size;
        let rows: Vec<case::Model> = rows.into_iter().take(size as usize).collect();
        let mut photos = public_photos(
            self.db,
            rows.iter()
                .filter(|c| c.disclosed_at.is_some())
                .map(|c| c.id),
        )
        .await?;
        let merged = merged_codes(self.db, &rows).await?;
        let mut penalties = published_penalties(self.db, rows.iter().map(|c| c.id)).await?;
        let items = rows
            .iter()
            .map(|c| PublicCase {
                penalties: penalties.remove(&c.id).unwrap_or_default(),
                ..to_public(
                    c,
                    &lookups,
                    photos.remove(&c.id).unwrap_or_default(),
                    merged.get(&c.id).cloned(),
                )
            })
            .collect();
        Ok((items, has_more))
    }

    /// One case and its public timeline; 404 for an unknown code.
    pub async fn detail(&self, code: &str) -> Result<PublicCaseDetail, AppError> {
        let c = case::Entity::find()
            .filter(case::Column::Code.eq(code.trim().to_uppercase()))
            .one(self.db)
            .await?
            .ok_or(AppError::NotFound)?;
        let lookups = Lookups::load(self.db).await?;
        let disclosed = c.disclosed_at.is_some();
        let photos = if disclosed {
            public_photos(self.db, [c.id])
                .await?
                .remove(&c.id)
                .unwrap_or_default()
        } else {
            vec![]
        };
        let merged = merged_codes(self.db, std::slice::from_ref(&c)).await?;
        let timeline = public_timeline(self.db, &c).await?;
        let penalties = published_penalties(self.db, [c.id])
            .await?
            .remove(&c.id)
            .unwrap_or_default();
        Ok(PublicCaseDetail {
            case: PublicCase {
                penalties,
                ..to_public(&c, &lookups, photos, merged.get(&c.id).cloned())
            },
            timeline,
        })
    }
}

/// The case's timeline as the public reads it (see [`public_note`]).
pub async fn public_timeline(
    conn: &impl ConnectionTrait,
    c: &case::Model,
) -> Result<Vec<TimelineEntry>, AppError> {
    let disclosed = c.disclosed_at.is_some();
    let events = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(c.id))
        .filter(case_event::Column::Public.eq(true))
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(conn)
        .await?;
    Ok(events
        .into_iter()
        .map(|e| TimelineEntry {
            note: public_note(&e, disclosed),
            at: e.at.to_rfc3339(),
            action: e.action,
            state: e.to_state,
        })
        .collect())
}

/// How precisely the public may see where the case is: the reviewer's
/// choice once disclosed, about 1 km before.
pub(crate) fn precision(c: &case::Model) -> Precision {
    if c.disclosed_at.is_some() {
        c.public_precision
            .as_deref()
            .and_then(Precision::parse)
            .unwrap_or_default()
    } else {
        Precision::Area
    }
}

/// The case's place as the public record shows it. Everything a stranger
/// can learn about where a case is — the pages, the exports, and the
/// distances and radius of `/api/v1/reports/nearby` — is computed from
/// this point, never from the exact one, so that no combination of
/// answers locates it more precisely than the record does.
pub fn public_point(c: &case::Model) -> LatLon {
    let (lat, lon) = precision(c).coarsen(c.lat, c.lon);
    LatLon { lat, lon }
}

/// A timeline note as the public (and a "me too" reporter) may read it.
/// Staff write timeline notes for the reporter; the public reads them only
/// once a reviewer has looked at the whole case. A text the reporter wrote
/// (a contest's reason) is never public, disclosed or not.
pub(crate) fn public_note(e: &case_event::Model, disclosed: bool) -> Option<String> {
    if !disclosed || e.actor == REPORTER_ACTOR {
        return None;
    }
    e.note.clone()
}

/// The case event actor for what a reporter did on /track.
pub const REPORTER_ACTOR: &str = "reporter";

/// The public record of one case.
pub(crate) fn to_public(
    c: &case::Model,
    lookups: &Lookups,
    photos: Vec<PhotoRef>,
    merged_into: Option<String>,
) -> PublicCase {
    let state = c.state();
    let disclosed = c.disclosed_at.is_some();
    let precision = precision(c);
    let LatLon { lat, lon } = public_point(c);
    let when_disclosed = |v: &Option<String>| if disclosed { v.clone() } else { None };
    PublicCase {
        code: c.code.clone(),
        category: lookups.category(c.category_id),
        group: c.group_code.clone(),
        area: lookups.area(c.area_id),
        department: lookups.department(c.department_id),
        state,
        closed: !state.is_open(),
        submitted_at: c.submitted_at.to_rfc3339(),
        updated_at: c.updated_at.to_rfc3339(),
        accepted_at: c.accepted_at.map(|t| t.to_rfc3339()),
        closed_at: c.closed_at.map(|t| t.to_rfc3339()),
        expected_at: if state.is_open() {
            c.close_due_at.map(|t| t.to_rfc3339())
        } else {
            None
        },
        lat,
        lon,
        precision,
        disclosed,
        summary: when_disclosed(&c.public_summary),
        investigation: when_disclosed(&c.public_investigation),
        // A finding is final only when the reply was approved.
        finding: if disclosed && state == CaseState::Closed {
            c.finding.as_deref().and_then(Finding::parse)
        } else {
            None
        },
        actions_taken: when_disclosed(&c.public_actions),
        corroborations: u32::try_from(c.corroboration_count).unwrap_or(0),
        merged_into,
        photos,
        // Filled in by whoever read the case's published penalties.
        penalties: Vec::new(),
    }
}

/// The published penalties of these cases (行政处罚信息公开), by case.
pub(crate) async fn published_penalties(
    db: &DatabaseConnection,
    case_ids: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, Vec<PublicPenalty>>, AppError> {
    let ids: Vec<i64> = case_ids.into_iter().collect();
    let mut out: BTreeMap<i64, Vec<PublicPenalty>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for p in penalty::Entity::find()
        .filter(penalty::Column::CaseId.is_in(ids))
        .filter(penalty::Column::PublishedAt.is_not_null())
        .order_by_asc(penalty::Column::Id)
        .all(db)
        .await?
    {
        out.entry(p.case_id).or_default().push(PublicPenalty {
            decision_no: p.decision_no,
            enterprise: p.enterprise,
            credit_code: p.credit_code,
            fine_fen: p.fine_fen,
            decided_on: p.decided_on,
        });
    }
    Ok(out)
}

/// The public copies of the photos a reviewer chose, per case.
async fn public_photos(
    conn: &impl ConnectionTrait,
    case_ids: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, Vec<PhotoRef>>, AppError> {
    let ids: Vec<i64> = case_ids.into_iter().collect();
    let mut out: BTreeMap<i64, Vec<PhotoRef>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = photo::Entity::find()
        .filter(photo::Column::CaseId.is_in(ids))
        .filter(photo::Column::Public.eq(true))
        .order_by_asc(photo::Column::Id)
        .all(conn)
        .await?;
    for p in rows {
        out.entry(p.case_id).or_default().push(PhotoRef {
            display_url: format!("/photos/display/{}.jpg", p.display_key),
            thumbnail_url: format!("/photos/thumb/{}.jpg", p.thumbnail_key),
            width: u32::try_from(p.width).unwrap_or(0),
            height: u32::try_from(p.height).unwrap_or(0),
        });
    }
    Ok(out)
}

async fn merged_codes(
    conn: &impl ConnectionTrait,
    rows: &[case::Model],
) -> Result<BTreeMap<i64, String>, AppError> {
    let targets: Vec<i64> = rows.iter().filter_map(|c| c.merged_into_id).collect();
    if targets.is_empty() {
        return Ok(BTreeMap::new());
    }
    let codes: BTreeMap<i64, String> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::Code)
        .filter(case::Column::Id.is_in(targets))
        .into_tuple::<(i64, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .iter()
        .filter_map(|c| Some((c.id, codes.get(&c.merged_into_id?)?.clone())))
        .collect())
}

/// Marks exactly `ids` as the case's public photos (in the caller's
/// transaction); an id that is not one of the case's photos is refused.
pub async fn choose_photos(
    conn: &impl ConnectionTrait,
    case_id: i64,
    ids: &[i64],
) -> Result<(), AppError> {
    if !ids.is_empty() {
        // A photo sent with an answer to staff's question is evidence only.
        let found = photo::Entity::find()
            .filter(photo::Column::CaseId.eq(case_id))
            .filter(photo::Column::Id.is_in(ids.to_vec()))
            .filter(photo::Column::Answer.eq(false))
            .count(conn)
            .await?;
        let wanted = ids.iter().collect::<std::collections::BTreeSet<_>>().len() as u64;
        if found != wanted {
            return Err(AppError::validation(
                "photos",
                "not all of these are photos of this case that may be published \
                 (photos sent with an answer never are)",
            ));
        }
    }
    photo::Entity::update_many()
        .col_expr(photo::Column::Public, Expr::value(false))
        .filter(photo::Column::CaseId.eq(case_id))
        .exec(conn)
        .await?;
    if !ids.is_empty() {
        photo::Entity::update_many()
            .col_expr(photo::Column::Public, Expr::value(true))
            .filter(photo::Column::CaseId.eq(case_id))
            .filter(photo::Column::Id.is_in(ids.to_vec()))
            .exec(conn)
            .await?;
    }
    Ok(())
}
