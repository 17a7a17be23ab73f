//! Repeat sites (重复投诉): places residents keep reporting.
//!
//! **Hotspots** (`GET /api/v1/cases/hotspots`). The cases taken are those
//! the user may see (`workflow::scope`, as the condition
//! `service::in_scope` the caller passes: this module does not reach back
//! into the service that uses it), filed in the last
//! [`HOTSPOT_DAYS`] days by the server's clock (`now - 90 d <= submitted_at
//! <= now`), except merged ones (已合并: a duplicate of another case, which
//! is counted itself and carries the duplicate as a corroboration). Every
//! category counts: noise and dust from one building site is one site.
//! Distances are great-circle ([`shared::geo::distance_m`]) between the
//! cases' exact points. Then:
//!
//! 1. Each case's *neighbours* are the other cases within
//!    [`HOTSPOT_RADIUS_M`] (200 m). They are found through a grid of cells
//!    a little over 200 m on each side (in degrees: the latitude side fixed,
//!    the longitude side widened for the highest latitude in the set), so
//!    that a neighbour is always in the case's own cell or one of the eight
//!    around it, and only those are measured: O(cases × neighbours), never
//!    every pair.
//! 2. Greedily, the unclaimed case with the most unclaimed neighbours (ties:
//!    the lowest id, the case filed first) becomes a centre: it and its
//!    unclaimed neighbours form a hotspot, and are claimed. This repeats
//!    while the best centre still gathers [`HOTSPOT_MIN_CASES`] (3) cases,
//!    itself included. (Claiming only lowers counts, so a priority queue
//!    re-checks a case's count when it comes to the top instead of
//!    recounting everything after each claim.)
//! 3. A case is in at most one hotspot; every case of a hotspot is within
//!    200 m of its centre (so within 400 m of each other). Hotspots are
//!    sorted by count (largest first), then by their latest case (newest
//!    first), then by the centre's id (the case filed first); at most
//!    [`LIST_MAX`] are listed.
//!
//! The window (the `submitted_at` index) is streamed as id, point and time
//! only, 32 bytes a case; the other columns a hotspot shows (code, state,
//! category, area) are read afterwards for the listed hotspots' cases.
//!
//! **Earlier cases here** (“this place has N earlier cases”, on a case
//! page): the cases the user may see within 200 m of the case that were
//! filed before it (at any time; at the same instant, with a lower id),
//! except merged ones — which also leaves out the case's own duplicates
//! merged into it. `count` is all of them, `cases` the 10 latest. They are
//! read through a latitude/longitude box around the case (the
//! `idx_cases_lat_lon` index), then measured.
//!
//! Repeat enterprises (by unified social credit code, 统一社会信用代码) need
//! cases to record the enterprise, which they do not yet (issue 14).

use crate::db::entities::case;
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect,
};
use shared::case::CaseState;
use shared::geo::{self, LatLon};
use shared::workbench::{
    EarlierHere, HOTSPOT_DAYS, HOTSPOT_MIN_CASES, HOTSPOT_RADIUS_M, Hotspot, Hotspots, SiteCase,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// The most hotspots one answer lists, largest first.
pub const LIST_MAX: usize = 100;
/// The earlier cases a case page lists (the count covers them all).
pub const EARLIER_LISTED: usize = 10;

/// Metres in a degree of latitude, on the sphere `geo::distance_m` uses.
const M_PER_DEG_LAT: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
/// Cells and boxes are this much wider than the radius: a great circle is a
/// little shorter than the parallel between the same two points, so a pair
/// just inside 200 m may be a hair over it along the parallel.
const MARGIN: f64 = 1.01;

/// A case as the places are computed from it: only what they need.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Point {
    pub id: i64,
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    pub state: String,
    pub category_id: i64,
    pub area_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
}

impl Point {
    fn at(&self) -> LatLon {
        LatLon {
            lat: self.lat,
            lon: self.lon,
        }
    }

    fn is_open(&self) -> bool {
        CaseState::parse(&self.state).is_some_and(CaseState::is_open)
    }
}

/// A case as the clustering sees it: 32 bytes, so that a window of a
/// quarter of a million cases is a few megabytes. The columns a hotspot
/// shows are read afterwards, for the listed hotspots' cases only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    pub id: i64,
    pub lat: f64,
    pub lon: f64,
    pub submitted_at: DateTime<Utc>,
}

impl Spot {
    fn at(&self) -> LatLon {
        LatLon {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// One hotspot as indexes into the points: the centre, and every member
/// (the centre first) with its distance from the centre in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub centre: usize,
    pub members: Vec<(usize, f64)>,
}

/// The cases' columns read for places, of the cases `visible` lets through
/// and not merged.
fn points_query(visible: Condition) -> sea_orm::Select<case::Entity> {
    case::Entity::find()
        .select_only()
        .columns([
            case::Column::Id,
            case::Column::Code,
            case::Column::Lat,
            case::Column::Lon,
            case::Column::State,
            case::Column::CategoryId,
            case::Column::AreaId,
            case::Column::SubmittedAt,
        ])
        .filter(visible)
        .filter(case::Column::State.ne(CaseState::Merged.as_str()))
}

/// The repeat sites among the cases `visible` lets through (the caller's
/// scope, `service::in_scope`), as of `now` (see the module's notes).
///
/// The window's cases are streamed as [`Spot`]s (id, place, time), never
/// held as whole rows: at 1,000,000 cases a 90-day window can hold a
/// quarter of a million. Only the listed hotspots' cases are then read in
/// full.
pub async fn hotspots(
    conn: &DatabaseConnection,
    visible: Condition,
    now: DateTime<Utc>,
) -> Result<Hotspots, AppError> {
    let mut rows = case::Entity::find()
        .select_only()
        .columns([
            case::Column::Id,
            case::Column::Lat,
            case::Column::Lon,
            case::Column::SubmittedAt,
        ])
        .filter(visible)
        .filter(case::Column::State.ne(CaseState::Merged.as_str()))
        .filter(case::Column::SubmittedAt.gte(now - Duration::days(HOTSPOT_DAYS)))
        .filter(case::Column::SubmittedAt.lte(now))
        .into_tuple::<(i64, f64, f64, DateTime<Utc>)>()
        .stream(conn)
        .await?;
    let mut spots = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let (id, lat, lon, submitted_at) = row;
        spots.push(Spot {
            id,
            lat,
            lon,
            submitted_at,
        });
    }
    drop(rows);
    let mut clusters = cluster(
        &spots,
        f64::from(HOTSPOT_RADIUS_M),
        HOTSPOT_MIN_CASES as usize,
    );
    // Largest first, then the most recently active, then the centre's id
    // (the order of the list; the codes are not read yet).
    let last = |c: &Cluster| c.members.iter().map(|&(i, _)| spots[i].submitted_at).max();
    clusters.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| last(b).cmp(&last(a)))
            .then_with(|| spots[a.centre].id.cmp(&spots[b.centre].id))
    });
    clusters.truncate(LIST_MAX);

    let ids: Vec<i64> = clusters
        .iter()
        .flat_map(|c| c.members.iter().map(|&(i, _)| spots[i].id))
        .collect();
    let mut details: HashMap<i64, Point> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let found: Vec<Point> = points_query(Condition::all())
            .filter(case::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<Point>()
            .all(conn)
            .await?;
        details.extend(found.into_iter().map(|p| (p.id, p)));
    }
    let lookups = Lookups::load(conn).await?;
    let items = clusters
        .iter()
        .filter_map(|c| hotspot(&spots, &details, c, &lookups))
        .collect();
    Ok(Hotspots {
        radius_m: HOTSPOT_RADIUS_M,
        min_cases: HOTSPOT_MIN_CASES,
        days: HOTSPOT_DAYS,
        items,
    })
}

fn site_case(p: &Point, distance_m: f64, lookups: &Lookups) -> SiteCase {
    SiteCase {
        code: p.code.clone(),
        state: CaseState::parse(&p.state).unwrap_or(CaseState::Submitted),
        category: lookups.category(p.category_id),
        submitted_at: p.submitted_at.to_rfc3339(),
        distance_m: distance_m.round() as u32,
    }
}

/// A cluster as the list shows it; none if one of its cases vanished
/// between the two reads (cases are never deleted, so never in practice).
fn hotspot(
    spots: &[Spot],
    details: &HashMap<i64, Point>,
    c: &Cluster,
    lookups: &Lookups,
) -> Option<Hotspot> {
    let centre = details.get(&spots[c.centre].id)?;
    let mut members: Vec<(&Point, f64)> = c
        .members
        .iter()
        .map(|&(i, d)| details.get(&spots[i].id).map(|p| (p, d)))
        .collect::<Option<_>>()?;
    // Newest first.
    members.sort_by_key(|(p, _)| Reverse((p.submitted_at, p.id)));
    let first_at = members.iter().map(|(p, _)| p.submitted_at).min();
    let last_at = members.iter().map(|(p, _)| p.submitted_at).max();
    let stamp = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    Some(Hotspot {
        centre: centre.code.clone(),
        lat: centre.lat,
        lon: centre.lon,
        area: lookups.area(centre.area_id),
        count: u32::try_from(members.len()).unwrap_or(u32::MAX),
        open: u32::try_from(members.iter().filter(|(p, _)| p.is_open()).count())
            .unwrap_or(u32::MAX),
        first_at: stamp(first_at),
        last_at: stamp(last_at),
        cases: members
            .into_iter()
            .map(|(p, d)| site_case(p, d, lookups))
            .collect(),
    })
}

/// Steps 1 and 2 of the module's notes: the hotspots among `points`, in the
/// order they were claimed (largest first).
pub fn cluster(points: &[Spot], radius_m: f64, min_cases: usize) -> Vec<Cluster> {
    let neighbours = neighbours(points, radius_m);
    let mut claimed = vec![false; points.len()];
    // (members if it were a centre now, the lower id first, index)
    let mut heap: BinaryHeap<(usize, Reverse<i64>, usize)> = neighbours
        .iter()
        .enumerate()
        .map(|(i, n)| (n.len() + 1, Reverse(points[i].id), i))
        .filter(|(size, _, _)| *size >= min_cases)
        .collect();
    let mut out = Vec::new();
    while let Some((size, id, i)) = heap.pop() {
        if claimed[i] {
            continue;
        }
        let free: Vec<usize> = neighbours[i]
            .iter()
            .map(|&j| j as usize)
            .filter(|&j| !claimed[j])
            .collect();
        let now_size = free.len() + 1;
        if now_size < size {
            // Neighbours were claimed since it was queued: queue it again
            // at its true size, if it may still be a centre.
            if now_size >= min_cases {
                heap.push((now_size, id, i));
            }
            continue;
        }
        let centre = points[i].at();
        let mut members = vec![(i, 0.0)];
        members.extend(
            free.into_iter()
                .map(|j| (j, geo::distance_m(centre, points[j].at()))),
        );
        for &(j, _) in &members {
            claimed[j] = true;
        }
        out.push(Cluster { centre: i, members });
    }
    out
}

/// For each point, the other points within `radius_m`, found through the
/// grid of step 1 — as indexes, four bytes each: at 200,000 points with a
/// dozen neighbours apiece, the lists are the bulk of the memory this takes.
fn neighbours(points: &[Spot], radius_m: f64) -> Vec<Vec<u32>> {
    let lat_max = points.iter().map(|p| p.lat.abs()).fold(0.0, f64::max);
    let (cell_lat, cell_lon) = box_half_sides(radius_m, lat_max);
    let cell = |p: &Spot| -> (i64, i64) {
        (
            (p.lat / cell_lat).floor() as i64,
            (p.lon / cell_lon).floor() as i64,
        )
    };
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (i, p) in points.iter().enumerate() {
        // Indexes fit: a 90-day window holds far fewer than 4 billion cases.
        grid.entry(cell(p)).or_default().push(i as u32);
    }
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (ci, cj) = cell(p);
            let mut found = Vec::new();
            for di in -1..=1 {
                for dj in -1..=1 {
                    for &j in grid.get(&(ci + di, cj + dj)).into_iter().flatten() {
                        if j as usize != i
                            && geo::distance_m(p.at(), points[j as usize].at()) <= radius_m
                        {
                            found.push(j);
                        }
                    }
                }
            }
            found
        })
        .collect()
}

/// Degrees of latitude and of longitude that hold `radius_m` (with the
/// margin) at latitudes up to `lat_abs_max`.
fn box_half_sides(radius_m: f64, lat_abs_max: f64) -> (f64, f64) {
    let d_lat = radius_m * MARGIN / M_PER_DEG_LAT;
    // Near a pole a degree of longitude is nothing; the district is at 29°N.
    let cos = (lat_abs_max + d_lat).min(89.0).to_radians().cos();
    (d_lat, d_lat / cos)
}

/// The earlier cases within 200 m of `c` among those `visible` lets through
/// (the caller's scope; see the module's notes): how many, and the latest few.
pub(crate) async fn earlier_here(
    conn: &impl ConnectionTrait,
    visible: Condition,
    c: &case::Model,
    lookups: &Lookups,
) -> Result<EarlierHere, AppError> {
    let radius = f64::from(HOTSPOT_RADIUS_M);
    let (d_lat, d_lon) = box_half_sides(radius, c.lat.abs());
    let earlier = Condition::any()
        .add(case::Column::SubmittedAt.lt(c.submitted_at))
        .add(
            Condition::all()
                .add(case::Column::SubmittedAt.eq(c.submitted_at))
                .add(case::Column::Id.lt(c.id)),
        );
    let rows: Vec<Point> = points_query(visible)
        .filter(case::Column::Lat.between(c.lat - d_lat, c.lat + d_lat))
        .filter(case::Column::Lon.between(c.lon - d_lon, c.lon + d_lon))
        .filter(case::Column::Id.ne(c.id))
        .filter(earlier)
        .into_model::<Point>()
        .all(conn)
        .await?;
    let here = LatLon {
        lat: c.lat,
        lon: c.lon,
    };
    let mut near: Vec<(Point, f64)> = rows
        .into_iter()
        .map(|p| {
            let d = geo::distance_m(here, p.at());
            (p, d)
        })
        .filter(|(_, d)| *d <= radius)
        .collect();
    near.sort_by_key(|(p, _)| Reverse((p.submitted_at, p.id)));
    Ok(EarlierHere {
        count: u32::try_from(near.len()).unwrap_or(u32::MAX),
        cases: near
            .iter()
            .take(EARLIER_LISTED)
            .map(|(p, d)| site_case(p, *d, lookups))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Metres north and east of a point in Yudong (鱼洞).
    fn point(id: i64, north_m: f64, east_m: f64) -> Spot {
        let lat0: f64 = 29.3752;
        Spot {
            id,
            lat: lat0 + north_m / M_PER_DEG_LAT,
            lon: 106.5101 + east_m / (M_PER_DEG_LAT * lat0.to_radians().cos()),
            submitted_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::hours(id),
        }
    }

    fn sizes(clusters: &[Cluster]) -> Vec<usize> {
        clusters.iter().map(|c| c.members.len()).collect()
    }

    #[test]
    fn three_cases_within_200_m_make_a_hotspot_and_two_do_not() {
        let three = [
            point(1, 0.0, 0.0),
            point(2, 150.0, 0.0),
            point(3, 0.0, -190.0),
        ];
        let found = cluster(&three, 200.0, 3);
        assert_eq!(sizes(&found), [3]);
        assert_eq!(found[0].centre, 0, "the case with both others in reach");
        assert!(cluster(&three[..2], 200.0, 3).is_empty());
    }

    #[test]
    fn a_case_just_beyond_the_radius_is_not_a_neighbour() {
        let pts = [
            point(1, 0.0, 0.0),
            point(2, 0.0, 199.0),
            point(3, 0.0, -201.0),
        ];
        let n = neighbours(&pts, 200.0);
        assert_eq!(n[0], [1]);
        assert!(cluster(&pts, 200.0, 3).is_empty());
    }

    #[test]
    fn neighbours_across_cell_edges_are_found_as_a_full_scan_finds_them() {
        // A 40 × 40 lattice 60 m apart: every point has neighbours in other
        // cells; the grid must agree with measuring every pair.
        let pts: Vec<Spot> = (0..1600)
            .map(|k| point(k, (k / 40) as f64 * 60.0, (k % 40) as f64 * 60.0))
            .collect();
        let by_grid = neighbours(&pts, 200.0);
        for (i, p) in pts.iter().enumerate() {
            let mut grid: Vec<usize> = by_grid[i].iter().map(|&j| j as usize).collect();
            grid.sort_unstable();
            let all: Vec<usize> = (0..pts.len())
                .filter(|&j| j != i && geo::distance_m(p.at(), pts[j].at()) <= 200.0)
                .collect();
            assert_eq!(grid, all, "point {i}");
        }
    }

    #[test]
    fn the_busiest_case_is_claimed_first_and_each_case_counts_once() {
        // Two groups 1 km apart: five cases round one centre, three round
        // another; one stray case between them.
        let mut pts = vec![
            point(1, 0.0, 0.0),
            point(2, 50.0, 0.0),
            point(3, -50.0, 0.0),
            point(4, 0.0, 50.0),
            point(5, 0.0, -50.0),
            point(6, 1000.0, 0.0),
            point(7, 1100.0, 0.0),
            point(8, 1000.0, 100.0),
        ];
        pts.push(point(9, 500.0, 0.0));
        let found = cluster(&pts, 200.0, 3);
        assert_eq!(sizes(&found), [5, 3]);
        assert_eq!(pts[found[0].centre].id, 1);
        let mut members: Vec<usize> = found
            .iter()
            .flat_map(|c| c.members.iter().map(|(i, _)| *i))
            .collect();
        members.sort_unstable();
        members.dedup();
        assert_eq!(members.len(), 8, "no case twice, the stray in none");
    }

    #[test]
    fn a_chain_is_cut_where_the_centre_cannot_reach() {
        // Six cases 120 m apart in a line: a centre reaches one on each side.
        let pts: Vec<Spot> = (0..6)
            .map(|k| point(k + 1, 0.0, k as f64 * 120.0))
            .collect();
        let found = cluster(&pts, 200.0, 3);
        assert_eq!(sizes(&found), [3, 3]);
        for c in &found {
            assert!(c.members.iter().all(|(_, d)| *d <= 200.0));
        }
    }
}
