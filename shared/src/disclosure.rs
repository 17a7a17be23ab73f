//! The public record of a case (公开信息) and open information: what anyone
//! may read on `/cases`, in Open311, the exports and the feed. Nothing here
//! names or locates a reporter: the texts are the reviewer's, never the
//! reporter's own words, and the place is coarsened.

use crate::case::{CaseState, Finding, NamedRef};
use crate::report::{PhotoRef, TimelineEntry};
use serde::{Deserialize, Serialize};

/// How precisely the public sees where a case is. A reviewer chooses when
/// disclosing; a case not yet disclosed is shown by `Area` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// A public site (an outfall, a construction site): about 10 m.
    Site,
    /// About 200 m: the street, not the building.
    #[default]
    Street,
    /// About 1 km: a report at or near a home (社会生活噪声, 油烟 from a
    /// neighbour) and every case not yet disclosed.
    Area,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Site => "site",
            Precision::Street => "street",
            Precision::Area => "area",
        }
    }

    pub fn parse(s: &str) -> Option<Precision> {
        [Precision::Site, Precision::Street, Precision::Area]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// The grid step in degrees (1° of latitude is about 111 km).
    fn step(self) -> f64 {
        match self {
            Precision::Site => 0.0001,
            Precision::Street => 0.002,
            Precision::Area => 0.01,
        }
    }

    /// Half a grid cell in degrees: how far (on each axis) a published
    /// point can be from the exact one.
    pub fn half_step(self) -> f64 {
        self.step() / 2.0
    }

    /// The centre of the grid cell the point falls in: every point of a
    /// cell publishes the same place, so nothing finer leaks.
    pub fn coarsen(self, lat: f64, lon: f64) -> (f64, f64) {
        let step = self.step();
        let snap = |v: f64| {
            let centre = ((v / step).floor() + 0.5) * step;
            // Round away float noise (29.405000000000001).
            (centre * 1e6).round() / 1e6
        };
        (snap(lat), snap(lon))
    }
}

/// A case as the public sees it: the columns of the district's disclosure
/// tables (公示表) and what Open311 needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicCase {
    /// 受理编号: the tracking code, also the Open311 `service_request_id`.
    pub code: String,
    /// 问题类型.
    pub category: NamedRef,
    pub group: String,
    /// 行政区域 (街道/镇).
    pub area: Option<NamedRef>,
    /// The department handling it (`agency_responsible`).
    pub department: Option<NamedRef>,
    pub state: CaseState,
    /// 是否办结.
    pub closed: bool,
    pub submitted_at: String,
    pub updated_at: String,
    pub accepted_at: Option<String>,
    pub closed_at: Option<String>,
    /// When the case is due to be closed (Open311 `expected_datetime`).
    pub expected_at: Option<String>,
    /// WGS84, coarsened to `precision`.
    pub lat: f64,
    pub lon: f64,
    pub precision: Precision,
    /// Whether a reviewer has published the texts below.
    pub disclosed: bool,
    /// 问题基本情况.
    pub summary: Option<String>,
    /// 调查核实情况.
    pub investigation: Option<String>,
    /// 是否属实: shown once the case is closed and disclosed.
    pub finding: Option<Finding>,
    /// 处理和整改情况.
    pub actions_taken: Option<String>,
    /// Further reports of the same problem ("me too").
    pub corroborations: u32,
    pub merged_into: Option<String>,
    /// The photos a reviewer chose, as public copies (no metadata).
    pub photos: Vec<PhotoRef>,
    /// 行政处罚信息公开: the published penalty decisions from this case.
    pub penalties: Vec<PublicPenalty>,
}

/// A published penalty decision as a case's public record lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicPenalty {
    pub decision_no: String,
    pub enterprise: String,
    pub credit_code: String,
    pub fine_fen: i64,
    pub decided_on: String,
}

/// `GET /api/v1/public/cases/{code}`: the case and its public timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicCaseDetail {
    #[serde(flatten)]
    pub case: PublicCase,
    pub timeline: Vec<TimelineEntry>,
}

/// `GET /api/v1/public/cases`: a page of cases, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicCasePage {
    pub items: Vec<PublicCase>,
    pub page: u32,
    pub page_size: u32,
    pub has_more: bool,
    /// When more follow: the `after` that asks for the next page (the code
    /// of this page's last case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// When cases come before this page: the `before` that asks for the
    /// page before (the code of this page's first case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The case action `disclose`: what a reviewer publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    pub summary: String,
    pub investigation: Option<String>,
    pub actions_taken: Option<String>,
    /// Ids of the case's photos to show (their public copies).
    #[serde(default)]
    pub photos: Vec<i64>,
    #[serde(default)]
    pub precision: Precision,
}

/// Plain labels for open data (CSV, feeds, Open311 `status_notes`), where
/// the front end's translations are not at hand.
pub fn state_label(state: CaseState, zh: bool) -> &'static str {
    match (state, zh) {
        (CaseState::Submitted, true) => "已提交,待受理",
        (CaseState::Submitted, false) => "Submitted, awaiting acceptance",
        (CaseState::Accepted, true) => "已受理",
        (CaseState::Accepted, false) => "Accepted",
        (CaseState::Rejected, true) => "不予受理",
        (CaseState::Rejected, false) => "Not accepted",
        (CaseState::Merged, true) => "已合并",
        (CaseState::Merged, false) => "Merged into another case",
        (CaseState::Investigating, true) => "查处中",
        (CaseState::Investigating, false) => "Under investigation",
        (CaseState::ReplyReview, true) => "答复审核中",
        (CaseState::ReplyReview, false) => "Reply under review",
        (CaseState::Closed, true) => "已办结",
        (CaseState::Closed, false) => "Closed",
    }
}

pub fn finding_label(finding: Finding, zh: bool) -> &'static str {
    match (finding, zh) {
        (Finding::Substantiated, true) => "属实",
        (Finding::Substantiated, false) => "Substantiated",
        (Finding::PartlySubstantiated, true) => "部分属实",
        (Finding::PartlySubstantiated, false) => "Partly substantiated",
        (Finding::Unsubstantiated, true) => "不属实",
        (Finding::Unsubstantiated, false) => "Unsubstantiated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarsening_snaps_a_cell_to_one_point() {
        let a = Precision::Area.coarsen(29.40123, 106.60987);
        let b = Precision::Area.coarsen(29.40877, 106.60001);
        assert_eq!(a, b);
        assert_eq!(a, (29.405, 106.605));
        let s = Precision::Street.coarsen(29.40123, 106.60987);
        assert_eq!(s, (29.401, 106.609));
        assert!((Precision::Site.coarsen(29.40123, 106.60987).0 - 29.40125).abs() < 1e-9);
    }

    #[test]
    fn precision_names_round_trip() {
        for p in [Precision::Site, Precision::Street, Precision::Area] {
            assert_eq!(Precision::parse(p.as_str()), Some(p));
        }
        assert_eq!(Precision::parse("exact"), None);
    }
}
