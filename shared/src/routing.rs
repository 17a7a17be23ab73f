//! Routing rules (分派规则) and quiet periods (静音期) as the admin API
//! shows and takes them.

use serde::{Deserialize, Serialize};

/// A rule: reports matching all its set fields go to `department`. Times are
/// Chongqing local `HH:MM`; a window may wrap midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingRule {
    pub id: i64,
    #[serde(flatten)]
    pub rule: RoutingRuleInput,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingRuleInput {
    /// A category code, or…
    #[serde(default)]
    pub category: Option<String>,
    /// …a group code; neither: every kind of problem.
    #[serde(default)]
    pub group: Option<String>,
    /// An area (街道/镇) code.
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    pub department: String,
    #[serde(default)]
    pub co_department: Option<String>,
    /// `high` or `urgent` raise the case's priority.
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Where a report would go: `GET /api/v1/routing-rules/preview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutePreview {
    pub department: Option<String>,
    pub co_department: Option<String>,
    pub priority: String,
    /// The rule that decided; none when the fallback did.
    pub rule: Option<i64>,
    pub area: Option<String>,
    pub quiet_period: Option<String>,
}

/// A quiet period (高考, 中考): reports of `group` while it lasts are urgent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuietPeriod {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub group: String,
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
}
