//! Open information beyond cases: notices and documents published by staff
//! (`/info`), enterprise environmental disclosures, and the statistics page
//! with the plan's targets (`/stats`).

use serde::{Deserialize, Serialize};

/// What kind of item `/info` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 通知公告.
    Notice,
    /// 政策文件.
    Document,
    /// 执法结果 (行政处罚结果).
    Enforcement,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] = [
        NoticeKind::Notice,
        NoticeKind::Document,
        NoticeKind::Enforcement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Notice => "notice",
            NoticeKind::Document => "document",
            NoticeKind::Enforcement => "enforcement",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A notice as listed and shown. `body_html` was rendered from Markdown and
/// sanitised by the server when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    /// Staff only: the Markdown source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_md: Option<String>,
    /// None: a draft (staff only).
    pub published_at: Option<String>,
    pub updated_at: String,
}

/// `POST /api/v1/notices` and `PUT /api/v1/notices/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeInput {
    pub kind: NoticeKind,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub body: String,
    /// Publish now (true) or keep as a draft.
    #[serde(default)]
    pub published: bool,
}

/// 企业环境信息依法披露: one enterprise's disclosure for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseDisclosure {
    pub id: i64,
    pub enterprise: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// 排污许可证编号.
    pub permit_no: Option<String>,
    pub industry: Option<String>,
    pub year: i32,
    /// What was disclosed (emissions, monitoring, measures).
    pub disclosed: String,
    /// Administrative penalties in the year, if any.
    pub penalties: Option<String>,
    /// The full report, where the enterprise publishes it.
    pub url: Option<String>,
    pub published_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseDisclosureInput {
    pub enterprise: String,
    pub credit_code: String,
    #[serde(default)]
    pub permit_no: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    pub year: i32,
    pub disclosed: String,
    #[serde(default)]
    pub penalties: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// `GET /api/v1/info`: notices and enterprise disclosures matching a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfoPage {
    pub notices: Vec<Notice>,
    pub enterprises: Vec<EnterpriseDisclosure>,
    /// 行政处罚信息公开: published penalty decisions, newest first.
    pub penalties: Vec<PublishedPenalty>,
}

/// `GET /api/v1/enterprises/{credit_code}`: everything public about one
/// enterprise, by its unified social credit code — its published penalty
/// decisions, the cases they came from, and its environmental disclosures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRecord {
    pub credit_code: String,
    /// The names it was recorded under, latest first.
    pub names: Vec<String>,
    pub penalties: Vec<PublishedPenalty>,
    /// The numbers of the cases its penalties came from (受理编号).
    pub cases: Vec<String>,
    pub disclosures: Vec<EnterpriseDisclosure>,
    /// The fines of its published penalties, in fen.
    pub total_fine_fen: i64,
}

/// A penalty decision as the public reads it: the decision, the enterprise,
/// the violation and the fine, and the case it came from — nothing about
/// the reporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedPenalty {
    pub decision_no: String,
    pub enterprise: String,
    pub credit_code: String,
    pub provision: String,
    pub fine_fen: i64,
    pub decided_on: String,
    /// The case's number (受理编号), whose public record is at `/cases/{case}`.
    pub case: String,
    pub published_at: String,
}

/// One of the plan's targets and the value staff entered for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub unit: String,
    /// `at_least` or `at_most` the target.
    pub comparison: String,
    pub target: f64,
    pub year: i32,
    pub value: Option<f64>,
    pub value_note: Option<String>,
    pub updated_at: Option<String>,
    /// Whether the value meets the target (none until a value is entered).
    pub met: Option<bool>,
}

/// `PUT /api/v1/indicators/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorValue {
    pub value: f64,
    #[serde(default)]
    pub note: Option<String>,
}

/// A labelled count (a bar of a chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub value: u64,
}

/// A department's timeliness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentTimeliness {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Cases it closed (or rejected) in the period.
    pub closed: u64,
    /// Of those, closed by their deadline.
    pub on_time: u64,
    /// Open cases past their deadline now.
    pub overdue_open: u64,
}

/// `GET /api/v1/stats`: the figures behind `/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub total: u64,
    pub open: u64,
    pub closed: u64,
    pub by_category: Vec<Count>,
    pub by_area: Vec<Count>,
    /// By the road cases came in by (受理渠道), largest first; `key` is the
    /// channel's name.
    pub by_channel: Vec<Count>,
    /// 回访: per department, how many reporters of closed cases answered
    /// and how many were satisfied (NYC 311's customer-satisfaction survey).
    #[serde(default)]
    pub satisfaction: Vec<crate::followup::Satisfaction>,
    /// The last twelve months, oldest first; `key` is `YYYY-MM`.
    pub by_month: Vec<Count>,
    /// Median days from report to acceptance, and to closing.
    pub median_days_to_accept: Option<f64>,
    pub median_days_to_close: Option<f64>,
    pub departments: Vec<DepartmentTimeliness>,
    /// Closed cases with a finding, and how many were substantiated
    /// (属实 or 部分属实).
    pub with_finding: u64,
    pub substantiated: u64,
    pub rewards_paid: u64,
    pub rewards_paid_fen: i64,
    pub indicators: Vec<Indicator>,
    pub generated_at: String,
}
