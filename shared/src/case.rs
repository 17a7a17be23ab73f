//! Cases (案件) as staff see them: states, findings, the actions of the
//! workflow (受理 → 查处 → 回复审核) and the queue. Which action is allowed
//! when is decided by the server alone; clients draw their buttons from a
//! case's `allowed_actions`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A case's state. The names are part of the interface contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 待受理: filed, waiting for a department to accept it.
    Submitted,
    /// 已受理: accepted, waiting for a handler.
    Accepted,
    /// 不予受理: refused, with the reason.
    Rejected,
    /// 已合并: a duplicate of another case.
    Merged,
    /// 查处中: a handler is investigating.
    Investigating,
    /// 回复审核: the reply waits for a second person's review.
    ReplyReview,
    /// 已办结.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 7] = [
        CaseState::Submitted,
        CaseState::Accepted,
        CaseState::Rejected,
        CaseState::Merged,
        CaseState::Investigating,
        CaseState::ReplyReview,
        CaseState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::Accepted => "accepted",
            CaseState::Rejected => "rejected",
            CaseState::Merged => "merged",
            CaseState::Investigating => "investigating",
            CaseState::ReplyReview => "reply_review",
            CaseState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The names of the open states, for a query's `state IN (…)`.
    pub fn open_names() -> impl Iterator<Item = &'static str> {
        CaseState::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(CaseState::as_str)
    }

    /// Still being worked on: open to corroboration, counted against deadlines.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Submitted
                | CaseState::Accepted
                | CaseState::Investigating
                | CaseState::ReplyReview
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The finding of an investigation (调查核实情况 → 是否属实).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// 属实
    Substantiated,
    /// 部分属实
    PartlySubstantiated,
    /// 不属实
    Unsubstantiated,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Substantiated => "substantiated",
            Finding::PartlySubstantiated => "partly_substantiated",
            Finding::Unsubstantiated => "unsubstantiated",
        }
    }

    pub fn parse(s: &str) -> Option<Finding> {
        [
            Finding::Substantiated,
            Finding::PartlySubstantiated,
            Finding::Unsubstantiated,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// One step of the workflow, as `POST /api/v1/cases/{code}/actions` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CaseAction {
    /// 受理
    Accept { note: Option<String> },
    /// 不予受理
    Reject { reason: String },
    /// A duplicate: its reports join case `into`.
    Merge { into: String },
    /// To a handler (by username) of the case's department.
    Assign { assignee: String },
    /// 转办: to another department; the clock keeps running.
    Transfer { department: String, reason: String },
    /// The handler's reply (回复), with the finding and what was done; it
    /// goes to review.
    DraftReply {
        finding: Finding,
        reply: String,
        actions_taken: Option<String>,
    },
    /// 回复审核 passes, by a reviewer who did not draft the reply: the case
    /// is closed (办结).
    ApproveReply { note: Option<String> },
    /// 回复审核 sends the reply back to the handler, with the reason.
    ReturnReply { reason: String },
    /// Once per case, up to the configured number of days.
    Extend { days: i64, reason: String },
    /// 奖励审核 starts: the handler proposes a tier and amount (fen), with
    /// the basis, and the penalty decision and fine where the tier needs them.
    /// `target` names the offender, so several problems of one target pay
    /// the highest item only.
    ProposeReward {
        tier: String,
        amount_fen: i64,
        basis: String,
        penalty_decision: Option<String>,
        fine_fen: Option<i64>,
        target: Option<String>,
    },
    /// By a reward reviewer who is not the proposer.
    ApproveReward { note: Option<String> },
    /// The reward is refused, with the reason.
    RejectReward { reason: String },
    /// 奖金发放: by finance, once the reporter has claimed it.
    PayReward {
        payment_reference: String,
        amount_fen: i64,
    },
    /// Publishes the case's public record (公开): the reviewer's own texts,
    /// the photos to show and how precisely the place is shown. Taken again,
    /// it replaces them.
    Disclose(crate::disclosure::Disclosure),
    /// Takes the public record down again (the case stays listed without it).
    Undisclose { reason: String },
    /// 更正类别: the report was filed under the wrong category. Reward
    /// eligibility follows the new one; where the rules would route it to
    /// another department, the case says so (`routing_suggestion`) and a
    /// transfer is one step away. The deadline keeps running.
    Recategorize { category: String, reason: String },
    /// 更正地点: the case is somewhere else (WGS84). The reports keep the
    /// place they were filed with, as evidence.
    Relocate { lat: f64, lon: f64, reason: String },
    /// 查处结果: an administrative penalty decision, linking the case to the
    /// enterprise by its credit code. Its fine is what a percent-of-fine
    /// reward is computed from.
    RecordPenalty(PenaltyInput),
    /// 移送公安机关: the case is referred to the police (once).
    ReferToPolice { reason: String },
    /// 行政处罚信息公开: a reviewer publishes a recorded penalty on `/info`.
    PublishPenalty { decision_no: String },
    /// 现场检查: a site inspection by two officers or more, with what was
    /// found and measured; each measurement's limit comes from its standard.
    RecordInspection(crate::inspection::InspectionInput),
    /// 补充材料: a question for the reporter, answered on `/track` (one
    /// waits at a time). The deadline keeps running.
    RequestInfo { question: String },
}

/// A penalty decision as staff record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PenaltyInput {
    /// 处罚决定书文号, e.g. 渝（巴）环罚〔2026〕12号; unique.
    pub decision_no: String,
    /// The enterprise's registered name.
    pub enterprise: String,
    /// 统一社会信用代码 (GB 32100, its check character verified).
    pub credit_code: String,
    /// The provision violated (违反的条款).
    pub provision: String,
    /// The fine, in fen (0 for a penalty without a fine).
    pub fine_fen: i64,
    /// The decision's date, YYYY-MM-DD.
    pub decided_on: String,
}

/// A recorded penalty as staff see it on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PenaltyView {
    pub decision_no: String,
    pub enterprise: String,
    pub credit_code: String,
    pub provision: String,
    pub fine_fen: i64,
    pub decided_on: String,
    pub recorded_at: String,
    /// None until a reviewer publishes it.
    pub published_at: Option<String>,
}

/// The names of the actions, as `allowed_actions` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Accept,
    Reject,
    Merge,
    Assign,
    Transfer,
    DraftReply,
    ApproveReply,
    ReturnReply,
    Extend,
    ProposeReward,
    ApproveReward,
    RejectReward,
    PayReward,
    Disclose,
    Undisclose,
    Recategorize,
    Relocate,
    RecordPenalty,
    ReferToPolice,
    PublishPenalty,
    RecordInspection,
    RequestInfo,
}

impl ActionKind {
    pub const ALL: [ActionKind; 22] = [
        ActionKind::Accept,
        ActionKind::Reject,
        ActionKind::Merge,
        ActionKind::Assign,
        ActionKind::Transfer,
        ActionKind::DraftReply,
        ActionKind::ApproveReply,
        ActionKind::ReturnReply,
        ActionKind::Extend,
        ActionKind::ProposeReward,
        ActionKind::ApproveReward,
        ActionKind::RejectReward,
        ActionKind::PayReward,
        ActionKind::Disclose,
        ActionKind::Undisclose,
        ActionKind::Recategorize,
        ActionKind::Relocate,
        ActionKind::RecordPenalty,
        ActionKind::ReferToPolice,
        ActionKind::PublishPenalty,
        ActionKind::RecordInspection,
        ActionKind::RequestInfo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Accept => "accept",
            ActionKind::Reject => "reject",
            ActionKind::Merge => "merge",
            ActionKind::Assign => "assign",
            ActionKind::Transfer => "transfer",
            ActionKind::DraftReply => "draft_reply",
            ActionKind::ApproveReply => "approve_reply",
            ActionKind::ReturnReply => "return_reply",
            ActionKind::Extend => "extend",
            ActionKind::ProposeReward => "propose_reward",
            ActionKind::ApproveReward => "approve_reward",
            ActionKind::RejectReward => "reject_reward",
            ActionKind::PayReward => "pay_reward",
            ActionKind::Disclose => "disclose",
            ActionKind::Undisclose => "undisclose",
            ActionKind::Recategorize => "recategorize",
            ActionKind::Relocate => "relocate",
            ActionKind::RecordPenalty => "record_penalty",
            ActionKind::ReferToPolice => "refer_to_police",
            ActionKind::PublishPenalty => "publish_penalty",
            ActionKind::RecordInspection => "record_inspection",
            ActionKind::RequestInfo => "request_info",
        }
    }
}

impl CaseAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            CaseAction::Accept { .. } => ActionKind::Accept,
            CaseAction::Reject { .. } => ActionKind::Reject,
            CaseAction::Merge { .. } => ActionKind::Merge,
            CaseAction::Assign { .. } => ActionKind::Assign,
            CaseAction::Transfer { .. } => ActionKind::Transfer,
            CaseAction::DraftReply { .. } => ActionKind::DraftReply,
            CaseAction::ApproveReply { .. } => ActionKind::ApproveReply,
            CaseAction::ReturnReply { .. } => ActionKind::ReturnReply,
            CaseAction::Extend { .. } => ActionKind::Extend,
            CaseAction::ProposeReward { .. } => ActionKind::ProposeReward,
            CaseAction::ApproveReward { .. } => ActionKind::ApproveReward,
            CaseAction::RejectReward { .. } => ActionKind::RejectReward,
            CaseAction::PayReward { .. } => ActionKind::PayReward,
            CaseAction::Disclose(_) => ActionKind::Disclose,
            CaseAction::Undisclose { .. } => ActionKind::Undisclose,
            CaseAction::Recategorize { .. } => ActionKind::Recategorize,
            CaseAction::Relocate { .. } => ActionKind::Relocate,
            CaseAction::RecordPenalty(_) => ActionKind::RecordPenalty,
            CaseAction::ReferToPolice { .. } => ActionKind::ReferToPolice,
            CaseAction::PublishPenalty { .. } => ActionKind::PublishPenalty,
            CaseAction::RecordInspection(_) => ActionKind::RecordInspection,
            CaseAction::RequestInfo { .. } => ActionKind::RequestInfo,
        }
    }
}

/// The body of `POST /api/v1/cases/{code}/actions`: the action, and
/// optionally the `version` the client saw, so a stale screen cannot act on
/// a case that has changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionRequest {
    #[serde(flatten)]
    pub action: CaseAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedRef {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// A row of the queue (`GET /api/v1/cases`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSummary {
    pub code: String,
    pub state: CaseState,
    /// How it came in (受理渠道).
    pub channel: crate::report::Channel,
    pub priority: String,
    pub category: NamedRef,
    pub area: Option<NamedRef>,
    /// The department's code.
    pub department: Option<String>,
    pub assignee: Option<String>,
    pub submitted_at: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    /// Due within the warning window (3 days).
    pub due_soon: bool,
    pub corroborations: u32,
    /// The first line of the description.
    pub summary: String,
    /// The case's version as listed, so that work on many cases at once
    /// (`BulkRequest::versions`) refuses a case changed since.
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseQueue {
    pub items: Vec<CaseSummary>,
    pub page: u32,
    pub page_size: u32,
    pub has_more: bool,
}

/// `GET /api/v1/cases/counts`: open and final cases per state in the
/// signed-in user's scope, and how many open ones are overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseCounts {
    /// `[state, count]` pairs.
    #[cfg_attr(feature = "openapi", schema(schema_with = state_count_pairs))]
    pub by_state: Vec<(CaseState, u64)>,
    pub overdue: u64,
}

/// `[[state, count], …]`: each pair an array of two items, a state and a
/// count. (utoipa writes a tuple as a list under `items`, which OpenAPI 3.1
/// does not allow; `prefixItems` would say the order too, but validators
/// in use — schemathesis among them — misread it.)
#[cfg(feature = "openapi")]
fn state_count_pairs() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Type};
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let state = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(CaseState::ALL.map(CaseState::as_str)));
    let count = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0.0));
    let pair = ArrayBuilder::new()
        .items(AnyOfBuilder::new().item(state).item(count))
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some("[state, count]"));
    ArrayBuilder::new().items(pair).build()
}

/// A step of the case's timeline as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffTimelineEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    /// Shown to the reporter (and, once disclosed, the public).
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffPhoto {
    pub id: i64,
    /// Shown on the public case page (chosen when disclosing).
    pub public: bool,
    pub display_url: String,
    pub thumbnail_url: String,
    /// The original as received, for roles allowed to see evidence.
    pub original_url: Option<String>,
    pub original_sha256: String,
    pub received_at: String,
    pub width: u32,
    pub height: u32,
    /// Sent with an answer to a question (补充材料): never published.
    #[serde(default)]
    pub from_answer: bool,
}

/// One of a category's extra questions, answered, as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answered {
    pub question: String,
    pub question_en: String,
    pub answer: String,
    pub answer_en: String,
}

/// A report of the case: the one that opened it, or a "me too".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffReport {
    pub id: i64,
    pub kind: String,
    pub submitted_at: String,
    pub description: String,
    /// The category's questions and their answers, as a JSON object.
    pub answers: String,
    /// The same answers as a person reads them: each question and its
    /// answer by name, in the category's order.
    pub answered: Vec<Answered>,
    pub lat: f64,
    pub lon: f64,
    pub location_source: String,
    /// Real name given (hidden until revealed with an audited action).
    pub named: bool,
    pub photos: Vec<StaffPhoto>,
}

/// `GET /api/v1/cases/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDetail {
    pub code: String,
    pub state: CaseState,
    /// How it came in (受理渠道).
    pub channel: crate::report::Channel,
    pub priority: String,
    pub version: i32,
    pub category: NamedRef,
    pub group: String,
    pub area: Option<NamedRef>,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub co_department: Option<String>,
    pub assignee: Option<String>,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub occurred_at: Option<String>,
    pub submitted_at: String,
    pub updated_at: String,
    pub accept_due_at: Option<String>,
    pub close_due_at: Option<String>,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub due_soon: bool,
    pub extended_days: i32,
    pub corroborations: u32,
    pub finding: Option<Finding>,
    pub reply: Option<String>,
    pub actions_taken: Option<String>,
    pub reply_drafted_by: Option<String>,
    pub merged_into: Option<String>,
    pub contested: bool,
    /// The public record as disclosed; null until a reviewer discloses it.
    pub disclosure: Option<crate::disclosure::Disclosure>,
    pub disclosed_at: Option<String>,
    /// The reward track (奖励), once a reward is proposed; null before.
    pub reward: Option<crate::reward::RewardView>,
    /// Whether the first reporter can be rewarded, and why (not); shown
    /// once the case is closed.
    pub eligibility: Option<crate::reward::Eligibility>,
    pub allowed_actions: Vec<ActionKind>,
    /// 现场检查: the site inspections recorded on the case.
    pub inspections: Vec<crate::inspection::Inspection>,
    /// Documents of the case itself (a letter, a visitor's papers); an
    /// inspection's are with the inspection. Staff only.
    #[serde(default)]
    pub documents: Vec<crate::evidence::EvidenceDocument>,
    /// 查处结果: the penalty decisions recorded on the case.
    pub penalties: Vec<PenaltyView>,
    /// 移送公安机关: when the case was referred to the police.
    pub police_referred_at: Option<String>,
    /// 补充材料: the questions asked of the reporter and their answers.
    #[serde(default)]
    pub info_requests: Vec<crate::followup::InfoRequest>,
    /// 回访: the reporter's rating once the case is closed (with the comment).
    #[serde(default)]
    pub rating: Option<crate::followup::RatingView>,
    /// The closed case whose problem came back as this one, and the cases
    /// this one's came back as.
    #[serde(default)]
    pub came_back_from: Option<String>,
    #[serde(default)]
    pub came_back_as: Vec<String>,
    /// Where the routing rules would send the case as it now is, when that
    /// is another department than the one it is with (after `recategorize`
    /// or `relocate`): the console offers the transfer.
    pub routing_suggestion: Option<RoutingSuggestion>,
    /// Whether the signed-in user may reveal the reporters' identities.
    pub can_reveal: bool,
    pub reports: Vec<StaffReport>,
    pub timeline: Vec<StaffTimelineEntry>,
    /// The messages sent to the reporters (push, SMS), oldest first: what
    /// they were told and whether it reached them, never where it went.
    #[serde(default)]
    pub messages: Vec<crate::notify::MessageView>,
    /// Internal notes (内部备注), oldest first: staff only.
    pub notes: Vec<crate::workbench::CaseNote>,
    /// Earlier cases within 200 m of this one (重复投诉), that the user may
    /// see.
    pub earlier_here: crate::workbench::EarlierHere,
}

/// The department the routing rules pick for a case as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingSuggestion {
    pub department: String,
    pub department_name: String,
    pub department_name_en: String,
}

/// `POST /api/v1/cases/{code}/reveal`: the reporters' identities, for a role
/// that needs them; every reveal is in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedReporter {
    pub report_id: i64,
    pub kind: String,
    pub name: String,
    pub phone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
        }
        assert_eq!(CaseState::parse("open"), None);
    }
}
