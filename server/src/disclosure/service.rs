//! The public record of cases: one query path for `/cases`, the public API,
//! Open311, the exports and the feed, so they can never disagree about what
//! is public. A case's public record carries only what staff wrote for the
//! public and a coarsened place; the reporter's words, identity and exact
//! position stay inside.

use crate::db::entities::{case, case_event, penalty, photo};
use crate::db::limit::{limited_statement, limited_subquery};
use crate::directory::held::HeldDirectory;
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait,
    Select, TryGetable, sea_query::Expr,
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
    /// Where the page starts, given as a neighbouring case (keyset): found
    /// from the index however deep, where an offset makes the database step
    /// over every case before it. `page` then only numbers the page.
    pub keyset: Option<Keyset>,
}

/// A page next to a case on another page, the case's code normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyset {
    /// The page after this case (the last of the page before): `next`.
    After(String),
    /// The page before this case (the first of the page after): `prev`.
    Before(String),
}

/// A page of the public list.
#[derive(Debug, Clone, Default)]
pub struct PublicPage {
    pub items: Vec<PublicCase>,
    /// Cases follow this page.
    pub later: bool,
    /// Cases come before this page (it is not the list's first).
    pub earlier: bool,
}

pub struct PublicCases<'a> {
    pub db: &'a DatabaseConnection,
    pub directory: &'a HeldDirectory,
}

/// A case as the public record is made from it: the columns it shows and
/// the ones that decide what it shows, and no others. What the reporter
/// wrote and what staff wrote for themselves are not even read on a
/// public path; fewer columns are also most of what a page costs.
#[derive(Debug, Clone)]
pub(crate) struct PublicRow {
    pub id: i64,
    pub code: String,
    pub category_id: i64,
    pub group_code: String,
    pub state: String,
    pub lat: f64,
    pub lon: f64,
    pub area_id: Option<i64>,
    pub department_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub corroboration_count: i32,
    pub close_due_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub finding: Option<String>,
    pub merged_into_id: Option<i64>,
    pub disclosed_at: Option<DateTime<Utc>>,
    pub public_summary: Option<String>,
    pub public_investigation: Option<String>,
    pub public_actions: Option<String>,
    pub public_precision: Option<String>,
}

impl PublicRow {
    const COLUMNS: [case::Column; 22] = [
        case::Column::Id,
        case::Column::Code,
        case::Column::CategoryId,
        case::Column::GroupCode,
        case::Column::State,
        case::Column::Lat,
        case::Column::Lon,
        case::Column::AreaId,
        case::Column::DepartmentId,
        case::Column::SubmittedAt,
        case::Column::UpdatedAt,
        case::Column::CorroborationCount,
        case::Column::CloseDueAt,
        case::Column::AcceptedAt,
        case::Column::ClosedAt,
        case::Column::Finding,
        case::Column::MergedIntoId,
        case::Column::DisclosedAt,
        case::Column::PublicSummary,
        case::Column::PublicInvestigation,
        case::Column::PublicActions,
        case::Column::PublicPrecision,
    ];

    fn select() -> Select<case::Entity> {
        case::Entity::find().select_only().columns(Self::COLUMNS)
    }

    /// Where the row stands in a list's order, newest first.
    fn position(&self, order: Sort) -> (Option<DateTime<Utc>>, i64) {
        match order {
            Sort::Submitted => (Some(self.submitted_at), self.id),
            Sort::Closed => (self.closed_at, self.id),
        }
    }

    fn state(&self) -> CaseState {
        case::state_of(&self.state)
    }
}

/// Read by position, in the order of [`PublicRow::COLUMNS`]. The derived
/// reader looked every column of every row up by its name (a hash of the
/// name each time, and a formatted error for each NULL), about a tenth of
/// what an uncached page of 100 cost.
impl FromQueryResult for PublicRow {
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        let mut c = Columns { res, at: 0 };
        let row = PublicRow {
            id: c.next()?,
            code: c.next()?,
            category_id: c.next()?,
            group_code: c.next()?,
            state: c.next()?,
            lat: c.next()?,
            lon: c.next()?,
            area_id: c.next()?,
            department_id: c.next()?,
            submitted_at: c.next()?,
            updated_at: c.next()?,
            corroboration_count: c.next()?,
            close_due_at: c.next()?,
            accepted_at: c.next()?,
            closed_at: c.next()?,
            finding: c.next()?,
            merged_into_id: c.next()?,
            disclosed_at: c.next()?,
            public_summary: c.next()?,
            public_investigation: c.next()?,
            public_actions: c.next()?,
            public_precision: c.next()?,
        };
        debug_assert_eq!(c.at, PublicRow::COLUMNS.len());
        Ok(row)
    }
}

/// A row's columns, one after the other.
struct Columns<'a> {
    res: &'a QueryResult,
    at: usize,
}

impl Columns<'_> {
    fn next<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.res.try_get_by_index(self.at);
        self.at += 1;
        value
    }
}

/// `cases.id IN (page)`, for the page of ids from [`limited_subquery`].
fn in_page(page: Expr) -> Expr {
    use sea_orm::sea_query::{BinOper, ExprTrait};
    Expr::col((case::Entity, case::Column::Id)).binary(BinOper::In, page)
}

impl PublicCases<'_> {
    /// A page of cases, newest first, and whether more follow or come
    /// before it.
    ///
    /// Two steps in one statement: the page's ids are found from an index
    /// alone (`idx_cases_public` and the category's and area's), however
    /// deep the page, and only those cases' rows are then read. Reading
    /// whole rows to skip them made page 500 cost what 10,000 cases do.
    pub async fn list(&self, filter: &PublicFilter) -> Result<PublicPage, AppError> {
        let directory = self.directory.get(self.db).await?;
        let lookups = &directory.lookups;
        let backend = self.db.get_database_backend();
        let mut ids = case::Entity::find().select_only().column(case::Column::Id);
        if !filter.codes.is_empty() {
            ids = ids.filter(
                case::Column::Code.is_in(filter.codes.iter().map(|c| c.trim().to_uppercase())),
            );
        }
        if !filter.categories.is_empty() {
            let mut categories = Vec::new();
            for code in &filter.categories {
                categories.push(lookups.category_id(code).ok_or_else(|| {
                    AppError::validation("category", format!("no category `{code}`"))
                })?);
            }
            ids = ids.filter(case::Column::CategoryId.is_in(categories));
        }
        if let Some(code) = &filter.area {
            let id = lookups
                .area_id(code)
                .ok_or_else(|| AppError::validation("area", format!("no area `{code}`")))?;
            ids = ids.filter(case::Column::AreaId.eq(id));
        }
        if let Some(states) = filter.status.states() {
            // On SQLite the unary `+` keeps the planner on the list's own
            // index, which carries the state: offered `state IN (…)`, it read
            // every open case through the deadline index and sorted them
            // (1.5 s a page at 1,000,000 cases, and a pool soon exhausted).
            use sea_orm::sea_query::ExprTrait;
            let state = if backend == DbBackend::Sqlite {
                Expr::cust("+\"state\"")
            } else {
                Expr::col(case::Column::State)
            };
            ids = ids.filter(state.is_in(states));
        }
        if let Some(from) = filter.from {
            ids = ids.filter(case::Column::SubmittedAt.gte(from));
        }
        if let Some(to) = filter.to {
            ids = ids.filter(case::Column::SubmittedAt.lt(to));
        }
        if filter.disclosed_only {
            ids = ids.filter(case::Column::DisclosedAt.is_not_null());
        }
        let size = u64::from(filter.page_size.max(1));
        let order = match filter.sort {
            Sort::Submitted => case::Column::SubmittedAt,
            Sort::Closed => {
                ids = ids.filter(case::Column::ClosedAt.is_not_null());
                case::Column::ClosedAt
            }
        };
        // Next to a given case (keyset): found from the index however deep;
        // the page number then only numbers the page. The page before a
        // case is read upwards from it and turned round.
        let newest_first = !matches!(filter.keyset, Some(Keyset::Before(_)));
        // Read upwards, whether any case follows the page is not in the
        // rows read: it is asked.
        let mut follows = None;
        let here = || Expr::tuple([Expr::col(order), Expr::col(case::Column::Id)]);
        // The given case's place in the order, read inside the statement
        // that uses it: one round trip to the database fewer (what a
        // crawler's next page costs). Whether there is such a case is asked
        // only when nothing comes back.
        let place = |code: &str| {
            use sea_orm::sea_query::QueryStatementBuilder;
            let place = case::Entity::find()
                .select_only()
                .column(order)
                .column(case::Column::Id)
                .filter(case::Column::Code.eq(code))
                .into_query();
            Expr::SubQuery(None, Box::new(place.into_sub_query_statement()))
        };
        let offset = match &filter.keyset {
            Some(Keyset::After(code)) => {
                use sea_orm::sea_query::ExprTrait;
                ids = ids.filter(here().lt(place(code)));
                0
            }
            Some(Keyset::Before(code)) => {
                use sea_orm::sea_query::ExprTrait;
                // The case itself, or any after it, if the filters keep it.
                let next = ids.clone().filter(here().lte(place(code))).into_query();
                let next = self
                    .db
                    .query_one_raw(limited_statement(backend, &next, 1, 0))
                    .await?;
                follows = Some(next.is_some());
                ids = ids.filter(here().gt(place(code)));
                0
            }
            None => u64::from(filter.page.max(1) - 1) * size,
        };
        let ids = if newest_first {
            ids.order_by_desc(order).order_by_desc(case::Column::Id)
        } else {
            ids.order_by_asc(order).order_by_asc(case::Column::Id)
        }
        .into_query();
        // Put in order here rather than by the database, which would copy
        // every row's 22 columns into a sorter to do it.
        let mut rows: Vec<PublicRow> = PublicRow::select()
            .filter(in_page(limited_subquery(backend, &ids, size + 1, offset)))
            .into_model()
            .all(self.db)
            .await?;
        match &filter.keyset {
            Some(Keyset::After(code)) if rows.is_empty() => {
                self.placed("after", code, order).await?;
            }
            Some(Keyset::Before(code)) if follows == Some(false) => {
                self.placed("before", code, order).await?;
            }
            _ => {}
        }
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.position(filter.sort)));
        // One row more than the page says whether another page lies that way.
        let beyond = rows.len() as u64 > size;
        let (rows, later, earlier): (Vec<PublicRow>, bool, bool) = if newest_first {
            let earlier = offset > 0 || filter.keyset.is_some();
            let rows = rows.into_iter().take(size as usize).collect();
            (rows, beyond, earlier)
        } else {
            if !beyond && (rows.len() as u64) < size {
                // Read back past the top (a link numbered or made by hand,
                // cases gone from a filter): the first page is what comes
                // before, whole.
                let first = PublicFilter {
                    keyset: None,
                    page: 1,
                    ..filter.clone()
                };
                return Box::pin(self.list(&first)).await;
            }
            // The extra row read upwards is the newest: it belongs before.
            let skip = usize::from(beyond);
            let later = follows.unwrap_or(true);
            (rows.into_iter().skip(skip).collect(), later, beyond)
        };
        let mut photos = public_photos(
            self.db,
            rows.iter()
                .filter(|c| c.disclosed_at.is_some())
                .map(|c| c.id),
        )
        .await?;
        let merged = merged_codes(self.db, &rows).await?;
        let mut penalties = published_penalties(
            self.db,
            rows.iter()
                .map(|c| c.id)
                .filter(|id| directory.penalized.contains(id)),
        )
        .await?;
        let items = rows
            .iter()
            .map(|c| PublicCase {
                penalties: penalties.remove(&c.id).unwrap_or_default(),
                ..to_public(
                    c,
                    lookups,
                    photos.remove(&c.id).unwrap_or_default(),
                    merged.get(&c.id).cloned(),
                )
            })
            .collect();
        Ok(PublicPage {
            items,
            later,
            earlier,
        })
    }

    /// Refuses a keyset's case that is not there, or has no place in the
    /// order (a case not yet closed, in the order of closing): the client's
    /// mistake, a 422 naming `field`, not an empty page.
    async fn placed(&self, field: &str, code: &str, order: case::Column) -> Result<(), AppError> {
        let found: Option<Option<DateTime<Utc>>> = case::Entity::find()
            .select_only()
            .column(order)
            .filter(case::Column::Code.eq(code))
            .into_tuple()
            .one(self.db)
            .await?;
        match found {
            Some(Some(_)) => Ok(()),
            _ => Err(AppError::validation(
                field,
                format!("no case `{code}` in this list"),
            )),
        }
    }

    /// One case and its public timeline; 404 for an unknown code.
    pub async fn detail(&self, code: &str) -> Result<PublicCaseDetail, AppError> {
        let c: PublicRow = PublicRow::select()
            .filter(case::Column::Code.eq(code.trim().to_uppercase()))
            .into_model()
            .one(self.db)
            .await?
            .ok_or(AppError::NotFound)?;
        let directory = self.directory.get(self.db).await?;
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
        let timeline = public_timeline(self.db, c.id, disclosed).await?;
        let penalties = if directory.penalized.contains(&c.id) {
            published_penalties(self.db, [c.id])
                .await?
                .remove(&c.id)
                .unwrap_or_default()
        } else {
            vec![]
        };
        Ok(PublicCaseDetail {
            case: PublicCase {
                penalties,
                ..to_public(&c, &directory.lookups, photos, merged.get(&c.id).cloned())
            },
            timeline,
        })
    }
}

/// The case's timeline as the public reads it (see [`public_note`]).
pub async fn public_timeline(
    conn: &impl ConnectionTrait,
    case_id: i64,
    disclosed: bool,
) -> Result<Vec<TimelineEntry>, AppError> {
    let events = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(case_id))
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
fn precision(disclosed: bool, chosen: Option<&str>) -> Precision {
    if disclosed {
        chosen.and_then(Precision::parse).unwrap_or_default()
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
    coarsened(
        precision(c.disclosed_at.is_some(), c.public_precision.as_deref()),
        c.lat,
        c.lon,
    )
}

fn coarsened(precision: Precision, lat: f64, lon: f64) -> LatLon {
    let (lat, lon) = precision.coarsen(lat, lon);
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
fn to_public(
    c: &PublicRow,
    lookups: &Lookups,
    photos: Vec<PhotoRef>,
    merged_into: Option<String>,
) -> PublicCase {
    let state = c.state();
    let disclosed = c.disclosed_at.is_some();
    let precision = precision(disclosed, c.public_precision.as_deref());
    let LatLon { lat, lon } = coarsened(precision, c.lat, c.lon);
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
    // Only what a public copy's reference needs: the rest of a photo's row
    // (the original's key, its EXIF, its hashes) is evidence.
    let rows: Vec<(i64, String, String, i32, i32)> = photo::Entity::find()
        .select_only()
        .columns([
            photo::Column::CaseId,
            photo::Column::DisplayKey,
            photo::Column::ThumbnailKey,
            photo::Column::Width,
            photo::Column::Height,
        ])
        .filter(photo::Column::CaseId.is_in(ids))
        .filter(photo::Column::Public.eq(true))
        // By case first: the order the case index already reads them in, so
        // SQLite needs no temporary tree to sort them (each case's photos
        // are still in the order they came).
        .order_by_asc(photo::Column::CaseId)
        .order_by_asc(photo::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    for (case_id, display_key, thumbnail_key, width, height) in rows {
        out.entry(case_id).or_default().push(PhotoRef {
            display_url: format!("/photos/display/{display_key}.jpg"),
            thumbnail_url: format!("/photos/thumb/{thumbnail_key}.jpg"),
            width: u32::try_from(width).unwrap_or(0),
            height: u32::try_from(height).unwrap_or(0),
        });
    }
    Ok(out)
}

async fn merged_codes(
    conn: &impl ConnectionTrait,
    rows: &[PublicRow],
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
