use sea_orm::entity::prelude::*;

/// A case (案件): opened by a report, corroborated by later ones.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub category_id: i64,
    pub group_code: String,
    pub state: String,
    pub priority: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub area_id: Option<i64>,
    pub department_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub occurred_at: Option<DateTimeUtc>,
    pub submitted_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub corroboration_count: i32,
    pub version: i32,
    pub co_department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// The routing rule that chose the department (none: the fallback).
    pub rule_id: Option<i64>,
    pub accept_due_at: Option<DateTimeUtc>,
    pub close_due_at: Option<DateTimeUtc>,
    /// The deadline that matters in the current state; none once final.
    pub due_at: Option<DateTimeUtc>,
    pub extended_days: i32,
    pub accepted_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub finding: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reply: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub actions_taken: Option<String>,
    pub reply_drafted_by: Option<i64>,
    pub reply_approved_by: Option<i64>,
    pub merged_into_id: Option<i64>,
    /// The reporter contested the reply (allowed once).
    pub contested: bool,
    /// The public record (公开信息), set by a reviewer: none until disclosed.
    pub disclosed_at: Option<DateTimeUtc>,
    pub disclosed_by: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_summary: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_investigation: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_actions: Option<String>,
    pub public_precision: Option<String>,
    /// How the case came in (`shared::report::Channel`).
    pub channel: String,
    /// Invented by `shanshui demo` (演示数据), not a resident's.
    pub demo: bool,
    /// The API key it came through (an Open311 client, the 12345 platform).
    pub api_key_id: Option<i64>,
    /// The platform's work-order number (12345 工单号), one case per key.
    pub external_ref: Option<String>,
    /// 移送公安机关: when the case was referred to the police.
    pub police_referred_at: Option<DateTimeUtc>,
    /// The version of its category it is judged by (filed under, or set by
    /// a correction): the reward rule of that version holds.
    pub category_version: i32,
    /// 补充材料: a question waits for the reporter's answer.
    pub question_open: bool,
    /// 回访: the reporter has rated the closed case.
    pub rated: bool,
    /// The reporter said the problem came back (a linked case was opened).
    pub came_back: bool,
    /// This case is the problem of that closed case, come back.
    pub came_back_from_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The channel as intake wrote it; an unknown name (never written) reads
    /// as the form.
    pub fn channel(&self) -> shared::report::Channel {
        shared::report::Channel::parse(&self.channel).unwrap_or_default()
    }

    /// The state as the workflow knows it. Only the workflow writes the
    /// column, always a state's name; were it ever something else, the case
    /// shows as newly submitted, where a dispatcher sees it, rather than
    /// failing the page.
    pub fn state(&self) -> shared::case::CaseState {
        state_of(&self.state)
    }
}

/// A stored state as the workflow knows it (see [`Model::state`]), for
/// a partial row that is not a whole `Model`.
pub fn state_of(stored: &str) -> shared::case::CaseState {
    shared::case::CaseState::parse(stored).unwrap_or(shared::case::CaseState::Submitted)
}
