//! What an allowed action changes (its effects): the case's columns, the
//! timeline entry, the audit entry, and what else moves with it — the case
//! merged into, the public photos, a department's notification, the reward.
//! Pure: [`effects`] answers a [`Change`] from the case's facts, the
//! request, what the database resolved of the names in it, the deadlines and
//! the time; `service::apply` writes a `Change` in one transaction. Adding a
//! case action is a `workflow` rule plus an arm here.

use super::deadlines::Deadlines;
use super::workflow::{self, Action, Actor, Facts, Refusal, Reporter};
use crate::db::entities::{area, category, department};
use crate::directory::calendar;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use shared::FieldErrorCode as Code;
use shared::case::{CaseAction, CaseState, Finding, PenaltyInput};
use shared::disclosure::Precision;
use shared::geo::{self, LatLon};
use shared::report::ReporterAction;

pub use super::texts::MAX_TEXT;

/// Longest reason a reporter gives for contesting a reply.
pub const MAX_CONTEST_REASON: usize = 2000;

/// An action with its payload, as staff or the reporter sent it.
#[derive(Debug, Clone)]
pub enum Request {
    Staff(CaseAction),
    Reporter(ReporterAction),
}

impl Request {
    pub fn action(&self) -> Action {
        match self {
            Request::Staff(a) => Action::Staff(a.kind()),
            Request::Reporter(ReporterAction::Contest { .. }) => Action::Contest,
            Request::Reporter(ReporterAction::ClaimReward { .. }) => Action::ClaimReward,
            Request::Reporter(ReporterAction::DeclineReward) => Action::DeclineReward,
            Request::Reporter(ReporterAction::AnswerInfo { .. }) => Action::AnswerInfo,
            Request::Reporter(ReporterAction::Rate { .. }) => Action::Rate,
            Request::Reporter(ReporterAction::CameBack { .. }) => Action::CameBack,
        }
    }
}

/// What the database knows of the things a staff action names, looked up
/// before [`effects`] decides.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// `merge`: the case to merge into, if the actor can see it.
    pub merge_into: Option<OtherCase>,
    /// `assign`: the user named, if there is one.
    pub assignee: Option<Assignee>,
    /// `transfer`: the department named, if there is one.
    pub department: Option<department::Model>,
    /// `recategorize`: the case's category now and the one named (if it is
    /// an active category).
    pub category: Option<(category::Model, Option<category::Model>)>,
    /// `relocate`: where the case is now, and the 街道/镇 of the new place
    /// (`None` outside every area).
    pub place: Option<(LatLon, Option<area::Model>)>,
}

#[derive(Debug, Clone)]
pub struct OtherCase {
    pub id: i64,
    pub code: String,
    pub open: bool,
}

#[derive(Debug, Clone)]
pub struct Assignee {
    pub id: i64,
    pub username: String,
    /// An active handler of the case's department.
    pub eligible: bool,
}

/// One column of the case, as an action sets it.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    State(CaseState),
    AcceptedAt(DateTime<Utc>),
    ClosedAt(Option<DateTime<Utc>>),
    /// The deadline the queue sorts by; `None` once the case is final.
    DueAt(Option<DateTime<Utc>>),
    CloseDueAt(DateTime<Utc>),
    ExtendedDays(i32),
    MergedInto(i64),
    Assignee(Option<i64>),
    Department(i64),
    CoDepartment(Option<i64>),
    Finding(Finding),
    Reply(String),
    ActionsTaken(Option<String>),
    ReplyDraftedBy(i64),
    ReplyApprovedBy(Option<i64>),
    Contested(bool),
    /// The public record (公开): when, by whom, and the reviewer's texts.
    Disclosed {
        at: DateTime<Utc>,
        by: i64,
        summary: String,
        investigation: Option<String>,
        actions_taken: Option<String>,
        precision: Precision,
    },
    /// The public record taken down (the precision chosen is kept).
    Undisclosed,
    /// A corrected category (and its group, which "me too" and nearby
    /// searches match on).
    Category {
        id: i64,
        /// The version it is judged by (its reward rule).
        version: i32,
        group: String,
    },
    /// A corrected place and its 街道/镇.
    Place {
        at: LatLon,
        area_id: Option<i64>,
    },
    /// 移送公安机关.
    PoliceReferred(DateTime<Utc>),
    /// 补充材料: a question waits (or no longer does).
    QuestionOpen(bool),
    /// 回访 given.
    Rated,
    /// "Came back" said: the linked case is opened beside this change.
    CameBack,
}

/// A step of the reporter's loop (回访) to write beside the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followup {
    /// Staff ask the reporter (补充材料).
    Ask { question: String, by: i64 },
    /// The reporter of `report_id` answers the waiting question.
    Answer { answer: String, report_id: i64 },
    /// The reporter rates the closed case; a dissatisfied rating goes to
    /// the supervision queue (督办).
    Rate {
        rating: shared::followup::Rating,
        comment: Option<String>,
        report_id: i64,
    },
    /// The problem came back: the reporter's new description, for the
    /// linked case the caller opens.
    CameBack { description: String },
}

/// A penalty decision to write beside the case (查处结果).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enforcement {
    /// Recorded, its fields checked (the credit code's check character).
    Record(PenaltyInput),
    /// Published on `/info` (行政处罚信息公开), by its decision number.
    Publish(String),
}

/// The longest decision number, enterprise name or provision.
const MAX_PENALTY_FIELD: usize = 200;
/// A fine over 100 million yuan is a typing error, not a decision.
pub const MAX_FINE_FEN: i64 = 10_000_000_000;

/// Checks a penalty as staff typed it: every field present, the credit
/// code's GB 32100 check character, the fine in range, the date real and
/// not in the future.
fn penalty(input: PenaltyInput, now: DateTime<Utc>) -> Result<PenaltyInput, AppError> {
    let short = |field: &str, v: &str| text_within(field, v, MAX_PENALTY_FIELD);
    let credit_code = shared::enterprise::credit_code(&input.credit_code)
        .map_err(|e| AppError::field("credit_code", Code::Invalid, e.to_string()))?;
    if !(0..=MAX_FINE_FEN).contains(&input.fine_fen) {
        return Err(AppError::field(
            "fine_fen",
            Code::OutOfRange,
            format!("from 0 to {MAX_FINE_FEN} fen"),
        ));
    }
    let decided = chrono::NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field("decided_on", Code::Invalid, "a date, YYYY-MM-DD"))?;
    let today = calendar::local(now).date();
    if decided > today {
        return Err(AppError::field(
            "decided_on",
            Code::InFuture,
            "the decision's date cannot be in the future",
        ));
    }
    if decided < today - Duration::days(3650) {
        return Err(AppError::field(
            "decided_on",
            Code::TooOld,
            "more than ten years ago",
        ));
    }
    Ok(PenaltyInput {
        decision_no: short("decision_no", &input.decision_no)?,
        enterprise: short("enterprise", &input.enterprise)?,
        credit_code,
        provision: text("provision", &input.provision)?,
        fine_fen: input.fine_fen,
        decided_on: decided.format("%Y-%m-%d").to_string(),
    })
}

/// The timeline entry (办理记录).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub action: &'static str,
    pub from: Option<CaseState>,
    pub to: Option<CaseState>,
    pub note: Option<String>,
    /// Shown to the reporter (the public record reads only reviewers' texts).
    pub public: bool,
}

impl Event {
    /// An entry beside the state machine (a reward's step, a merge, a
    /// corroboration): no state change.
    pub fn aside(action: &'static str, note: Option<String>, public: bool) -> Self {
        Self {
            action,
            from: None,
            to: None,
            note,
            public,
        }
    }
}

/// How the audit log describes the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub action: String,
    pub detail: String,
}

/// What happens to the case's reward.
#[derive(Debug, Clone, PartialEq)]
pub enum RewardEffect {
    /// A staff step on the reward track (奖励审核, 奖金发放); its note and
    /// whether the reporter sees it come from the step.
    Step(CaseAction),
    /// The reporter claims (with the payout account) or declines.
    Reporter { claim: Option<String> },
    /// A contest reopens the case: a live reward waits for the review.
    Hold,
    /// The reply is approved again: a held reward goes on or is withdrawn.
    AfterReview,
}

/// Everything one action changes, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub fields: Vec<Field>,
    pub event: Event,
    pub audit: AuditEntry,
    /// The case merged into, and the corroborations it gains; it gets a
    /// `merged_from` entry.
    pub merge_into: Option<(i64, i64)>,
    /// The photos the public record shows (all others are hidden).
    pub public_photos: Option<Vec<i64>>,
    /// A department to notify (as `resolve` read it), and the event's name.
    pub notify: Option<(department::Model, &'static str)>,
    pub reward: Option<RewardEffect>,
    /// A penalty decision recorded or published.
    pub enforcement: Option<Enforcement>,
    /// A site inspection, checked, to write beside the case.
    pub inspection: Option<super::inspections::Checked>,
    /// A step of the reporter's loop.
    pub followup: Option<Followup>,
}

pub(crate) use super::texts::{optional_text, text, text_within};

pub fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::Forbidden(m) => AppError::Forbidden(m),
        Refusal::Conflict(m) => AppError::Conflict(m),
    }
}

/// Whether the reply may still be contested: within `contest_days` of its
/// approval.
pub fn contest_window_open(case: &Facts, deadlines: &Deadlines, now: DateTime<Utc>) -> bool {
    case.closed_at
        .is_some_and(|t| now < t + Duration::days(deadlines.contest_days))
}

/// Whether "the problem came back" may still be said: within
/// `followup::CAME_BACK_DAYS` of closing.
pub fn came_back_window_open(case: &Facts, now: DateTime<Utc>) -> bool {
    case.closed_at
        .is_some_and(|t| now < t + Duration::days(shared::followup::CAME_BACK_DAYS))
}

/// What `request` by `actor` does to the case, or why it may not: the
/// workflow's check first, then the request's own content.
pub fn effects(
    actor: &Actor,
    case: &Facts,
    request: Request,
    named: &Named,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<Change, AppError> {
    let action = request.action();
    let to = workflow::check(actor, case, action).map_err(refused)?;
    match (actor, request) {
        (Actor::Reporter(reporter), Request::Reporter(r)) => {
            reporter_effects(reporter, case, r, deadlines, now)
        }
        (Actor::Staff(_), Request::Staff(a))
            if crate::rewards::rules::is_reward_action(a.kind()) =>
        {
            Ok(reward_step(a))
        }
        (Actor::Staff(staff), Request::Staff(a)) => staff_effects(
            staff.user_id,
            case,
            a,
            named,
            deadlines,
            now,
            case.state,
            to,
        ),
        // `check` refuses a staff step by a reporter and the reverse.
        _ => Err(AppError::Forbidden(
            "this step is not for this actor".to_owned(),
        )),
    }
}

/// A step on the reward track alone: no case column changes; the timeline
/// says only that it happened, the audit log what the reward service
/// reports.
fn reward_only(event: &'static str, audit: AuditEntry, reward: RewardEffect) -> Change {
    Change {
        fields: Vec::new(),
        event: Event::aside(event, None, true),
        audit,
        merge_into: None,
        public_photos: None,
        notify: None,
        reward: Some(reward),
        enforcement: None,
        inspection: None,
        followup: None,
    }
}

/// A staff step on the reward track: the case's columns stay; the reward
/// service moves the reward and says what the timeline shows.
fn reward_step(action: CaseAction) -> Change {
    let kind = action.kind();
    let audit = AuditEntry {
        action: format!("case.{}", kind.as_str()),
        detail: String::new(),
    };
    reward_only(kind.as_str(), audit, RewardEffect::Step(action))
}

/// A step of the reporter's loop: the case's flags, its timeline entry and
/// audit entry, and what to write beside it.
fn followup_change(
    fields: Vec<Field>,
    event: Event,
    audit: &str,
    detail: String,
    followup: Followup,
) -> Change {
    Change {
        fields,
        event,
        audit: AuditEntry {
            action: audit.to_owned(),
            detail,
        },
        merge_into: None,
        public_photos: None,
        notify: None,
        reward: None,
        enforcement: None,
        inspection: None,
        followup: Some(followup),
    }
}

fn reporter_effects(
    reporter: &Reporter,
    case: &Facts,
    action: ReporterAction,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
) -> Result<Change, AppError> {
    let report_id = reporter.report_id;
    let (name, claim) = match action {
        ReporterAction::AnswerInfo { answer } => {
            let answer = text_within("answer", &answer, shared::followup::ANSWER_MAX_CHARS)?;
            return Ok(followup_change(
                vec![Field::QuestionOpen(false)],
                // The answer is evidence: in the staff's timeline, never
                // the public record's; the audit log says only that it came.
                Event::aside("answer_info", Some(answer.clone()), false),
                "case.answer_info",
                format!("report {report_id}"),
                Followup::Answer { answer, report_id },
            ));
        }
        ReporterAction::Rate { rating, comment } => {
            let comment = match comment {
                Some(c) if !c.trim().is_empty() => Some(text_within(
                    "comment",
                    &c,
                    shared::followup::COMMENT_MAX_CHARS,
                )?),
                _ => None,
            };
            return Ok(followup_change(
                vec![Field::Rated],
                Event::aside("rated", Some(rating.as_str().to_owned()), false),
                "case.rate",
                format!("report {report_id}: {}", rating.as_str()),
                Followup::Rate {
                    rating,
                    comment,
                    report_id,
                },
            ));
        }
        ReporterAction::CameBack { description, .. } => {
            let description = text_within(
                "description",
                &description,
                shared::report::MAX_DESCRIPTION_CHARS,
            )?;
            if description.chars().count() < shared::report::MIN_DESCRIPTION_CHARS {
                return Err(AppError::field(
                    "description",
                    Code::TooShort,
                    format!(
                        "say in at least {} characters what is happening again",
                        shared::report::MIN_DESCRIPTION_CHARS
                    ),
                ));
            }
            if !came_back_window_open(case, now) {
                return Err(AppError::Conflict(format!(
                    "a problem that comes back more than {} days after closing is a new report",
                    shared::followup::CAME_BACK_DAYS
                )));
            }
            return Ok(followup_change(
                vec![Field::CameBack],
                // Not in the public timeline: two cases of one kind at one
                // place marked at one instant would tell a neighbour that
                // the same person reported again.
                Event::aside("came_back", None, false),
                "case.came_back",
                format!("report {report_id}"),
                Followup::CameBack { description },
            ));
        }
        ReporterAction::ClaimReward { payout_account } => ("claim_reward", Some(payout_account)),
        ReporterAction::DeclineReward => ("decline_reward", None),
        ReporterAction::Contest { reason } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() || reason.chars().count() > MAX_CONTEST_REASON {
                let code = if reason.is_empty() {
                    Code::Required
                } else {
                    Code::TooLong
                };
                return Err(AppError::field(
                    "reason",
                    code,
                    format!("say in 1 to {MAX_CONTEST_REASON} characters why the reply is wrong"),
                ));
            }
            if !contest_window_open(case, deadlines, now) {
                return Err(AppError::Conflict(workflow::CONTEST_CLOSED.to_owned()));
            }
            // Back to review, with time for the reviewers to look again.
            let due = now + Duration::days(deadlines.contest_days);
            return Ok(Change {
                fields: vec![
                    Field::State(CaseState::ReplyReview),
                    Field::Contested(true),
                    Field::DueAt(Some(due)),
                    Field::ClosedAt(None),
                    Field::ReplyApprovedBy(None),
                ],
                event: Event {
                    action: "contested",
                    from: Some(CaseState::Closed),
                    to: Some(CaseState::ReplyReview),
                    note: Some(reason),
                    public: true,
                },
                audit: AuditEntry {
                    action: "case.contest".to_owned(),
                    detail: format!("report {report_id}"),
                },
                merge_into: None,
                public_photos: None,
                notify: None,
                reward: Some(RewardEffect::Hold),
                enforcement: None,
                inspection: None,
                followup: None,
            });
        }
    };
    // The reward's own step (the payout account is in neither the timeline
    // nor the audit log).
    let audit = AuditEntry {
        action: format!("reward.{}", name.trim_end_matches("_reward")),
        detail: format!("report {report_id}"),
    };
    Ok(reward_only(name, audit, RewardEffect::Reporter { claim }))
}

#[allow(clippy::too_many_arguments)]
fn staff_effects(
    user_id: i64,
    case: &Facts,
    action: CaseAction,
    named: &Named,
    deadlines: &Deadlines,
    now: DateTime<Utc>,
    from: CaseState,
    to: CaseState,
) -> Result<Change, AppError> {
    let kind = action.kind();
    let mut fields = vec![Field::State(to)];
    // What the timeline says, and whether the reporter sees it.
    let mut note: Option<String> = None;
    let mut public = true;
    // What only the audit log says (e.g. who was assigned).
    let mut audit_note: Option<String> = None;
    let mut merge_into = None;
    let mut public_photos = None;
    let mut notify = None;
    let mut reward = None;
    let mut enforcement = None;
    let mut inspection = None;
    let mut followup = None;
    let close_due = case
        .close_due_at
        .unwrap_or_else(|| deadlines.close_due(case.submitted_at));

    match action {
        CaseAction::Accept { note: n } => {
            note = optional_text("note", n)?;
            fields.extend([Field::AcceptedAt(now), Field::DueAt(Some(close_due))]);
        }
        CaseAction::Reject { reason } => {
            note = Some(text("reason", &reason)?);
            fields.extend([Field::ClosedAt(Some(now)), Field::DueAt(None)]);
        }
        CaseAction::Merge { .. } => {
            let target = named
                .merge_into
                .as_ref()
                .ok_or_else(|| AppError::field("into", Code::NotFound, "no such case"))?;
            if target.id == case.id {
                return Err(AppError::validation(
                    "into",
                    "a case cannot be merged into itself",
                ));
            }
            if !target.open {
                return Err(AppError::validation(
                    "into",
                    format!("case {} is no longer open", target.code),
                ));
            }
            note = Some(target.code.clone());
            fields.extend([
                Field::MergedInto(target.id),
                Field::ClosedAt(Some(now)),
                Field::DueAt(None),
            ]);
            merge_into = Some((target.id, 1 + case.corroborations));
        }
        CaseAction::Assign { .. } => {
            let handler = named
                .assignee
                .as_ref()
                .filter(|a| a.eligible)
                .ok_or_else(|| {
                    AppError::validation(
                        "assignee",
                        "not an active handler of the case's department",
                    )
                })?;
            // The reporter sees that a handler took the case, not who.
            fields.extend([
                Field::Assignee(Some(handler.id)),
                Field::DueAt(Some(close_due)),
            ]);
            audit_note = Some(format!("assigned to {}", handler.username));
        }
        CaseAction::Transfer { reason, .. } => {
            let reason = text("reason", &reason)?;
            let target = named.department.as_ref().ok_or_else(|| {
                AppError::field("department", Code::NotFound, "no such department")
            })?;
            if Some(target.id) == case.department_id {
                return Err(AppError::validation(
                    "department",
                    "the case is already with this department",
                ));
            }
            note = Some(format!("{} — {reason}", target.name_zh));
            fields.extend([Field::Department(target.id), Field::Assignee(None)]);
            if case.co_department_id == Some(target.id) {
                fields.push(Field::CoDepartment(None));
            }
            notify = Some((target.clone(), "case.transferred"));
        }
        CaseAction::DraftReply {
            finding,
            reply,
            actions_taken,
        } => {
            let reply = text("reply", &reply)?;
            let actions_taken = optional_text("actions_taken", actions_taken)?;
            public = false;
            fields.extend([
                Field::Finding(finding),
                Field::Reply(reply),
                Field::ActionsTaken(actions_taken),
                Field::ReplyDraftedBy(user_id),
            ]);
        }
        CaseAction::ApproveReply { note: n } => {
            note = optional_text("note", n)?;
            fields.extend([
                Field::ReplyApprovedBy(Some(user_id)),
                Field::ClosedAt(Some(now)),
                Field::DueAt(None),
            ]);
            // Closed again after a contest: a held reward goes on or is
            // withdrawn, by the rules as they now apply.
            reward = Some(RewardEffect::AfterReview);
        }
        CaseAction::ReturnReply { reason } => {
            note = Some(text("reason", &reason)?);
            public = false;
            fields.push(Field::DueAt(Some(close_due)));
        }
        CaseAction::Extend { days, reason } => {
            let max = deadlines.max_extension_days;
            if !(1..=max).contains(&days) {
                return Err(AppError::field(
                    "days",
                    Code::OutOfRange,
                    format!("from 1 to {max} days"),
                ));
            }
            let reason = text("reason", &reason)?;
            let new_due = close_due + Duration::days(days);
            note = Some(format!("+{days} d — {reason}"));
            fields.extend([
                Field::ExtendedDays(i32::try_from(days).unwrap_or(i32::MAX)),
                Field::CloseDueAt(new_due),
                Field::DueAt(Some(new_due)),
            ]);
        }
        CaseAction::Disclose(d) => {
            let summary = text("summary", &d.summary)?;
            let investigation = optional_text("investigation", d.investigation)?;
            let actions_taken = optional_text("actions_taken", d.actions_taken)?;
            public = false;
            note = Some(format!("precision {}", d.precision.as_str()));
            public_photos = Some(d.photos);
            fields.push(Field::Disclosed {
                at: now,
                by: user_id,
                summary,
                investigation,
                actions_taken,
                precision: d.precision,
            });
        }
        CaseAction::Undisclose { reason } => {
            note = Some(text("reason", &reason)?);
            public = false;
            public_photos = Some(Vec::new());
            fields.push(Field::Undisclosed);
        }
        CaseAction::Recategorize { reason, .. } => {
            let reason = text("reason", &reason)?;
            let Some((old, Some(new))) = &named.category else {
                return Err(AppError::field(
                    "category",
                    Code::NotFound,
                    "no such category; see GET /api/v1/categories",
                ));
            };
            if old.id == new.id {
                return Err(AppError::validation(
                    "category",
                    "the case already has this category",
                ));
            }
            // Both values stay in the timeline and the audit log; the
            // reason is the staff's, so the reporter's view does not show it.
            note = Some(format!(
                "{} ({}) → {} ({}) — {reason}",
                old.name_zh, old.code, new.name_zh, new.code
            ));
            public = false;
            // Judged from now on by the new category as it is defined now.
            fields.push(Field::Category {
                id: new.id,
                version: new.version,
                group: new.group_code.clone(),
            });
        }
        CaseAction::Relocate { lat, lon, reason } => {
            let reason = text("reason", &reason)?;
            let to = LatLon { lat, lon };
            if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(AppError::field("lat", Code::OutOfRange, "not a latitude"));
            }
            let Some((from, area)) = &named.place else {
                return Err(AppError::validation("lat", "the place could not be read"));
            };
            if area.is_none() && !geo::in_bbox(to, geo::BANAN_BBOX) {
                return Err(AppError::field(
                    "lat",
                    Code::OutOfArea,
                    "the place is outside Banan District",
                ));
            }
            if geo::distance_m(*from, to) < 1.0 {
                return Err(AppError::validation(
                    "lat",
                    "the case is already at this place",
                ));
            }
            // The reports keep the place they were filed with (evidence);
            // the case moves. Staff-only, like every exact place.
            note = Some(format!(
                "({:.6}, {:.6}) → ({lat:.6}, {lon:.6}), {} m — {reason}",
                from.lat,
                from.lon,
                geo::distance_m(*from, to).round()
            ));
            public = false;
            fields.push(Field::Place {
                at: to,
                area_id: area.as_ref().map(|a| a.id),
            });
        }
        CaseAction::RecordPenalty(input) => {
            let p = penalty(input, now)?;
            // Staff-only until a reviewer publishes it.
            note = Some(format!(
                "{}: {} ({}), {} — {}",
                p.decision_no,
                p.enterprise,
                p.credit_code,
                shared::reward::yuan(p.fine_fen),
                p.provision
            ));
            public = false;
            enforcement = Some(Enforcement::Record(p));
        }
        CaseAction::RecordInspection(input) => {
            let checked = super::inspections::check(input, now)?;
            let over = checked
                .measurements
                .iter()
                .filter(|m| m.over_by.is_some())
                .count();
            // Staff-only: the public reads the reviewer's own texts.
            note = Some(format!(
                "{}: {} officers, {} measurements, {over} over the limit",
                checked.place,
                checked.officers.len(),
                checked.measurements.len()
            ));
            public = false;
            inspection = Some(checked);
        }
        CaseAction::RequestInfo { question } => {
            let question =
                text_within("question", &question, shared::followup::QUESTION_MAX_CHARS)?;
            // The reporter reads the question on `/track`; the timeline is
            // staff-only, since a question may say something of the
            // reporter, and so is the audit log's count.
            audit_note = Some(format!(
                "question of {} characters",
                question.chars().count()
            ));
            note = Some(question.clone());
            public = false;
            fields.push(Field::QuestionOpen(true));
            followup = Some(Followup::Ask {
                question,
                by: user_id,
            });
        }
        CaseAction::ReferToPolice { reason } => {
            note = Some(text("reason", &reason)?);
            public = false;
            fields.push(Field::PoliceReferred(now));
        }
        CaseAction::PublishPenalty { decision_no } => {
            let decision_no = text("decision_no", &decision_no)?;
            note = Some(decision_no.clone());
            enforcement = Some(Enforcement::Publish(decision_no));
        }
        CaseAction::ProposeReward { .. }
        | CaseAction::ApproveReward { .. }
        | CaseAction::RejectReward { .. }
        | CaseAction::PayReward { .. } => return Ok(reward_step(action)),
    }
    let detail = format!(
        "{from} → {to}{}",
        audit_note
            .or_else(|| note.clone())
            .map(|n| format!(": {n}"))
            .unwrap_or_default()
    );
    Ok(Change {
        fields,
        event: Event {
            action: kind.as_str(),
            from: Some(from),
            to: Some(to),
            note,
            public,
        },
        audit: AuditEntry {
            action: format!("case.{}", kind.as_str()),
            detail,
        },
        merge_into,
        public_photos,
        notify,
        reward,
        enforcement,
        inspection,
        followup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::workflow::{Reporter, Staff};
    use chrono::TimeZone;
    use shared::Role;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
    }

    /// The workflow's sample case, reported ten days ago, with two
    /// corroborations.
    fn case(state: CaseState) -> Facts {
        Facts {
            submitted_at: now() - Duration::days(10),
            corroborations: 2,
            ..crate::cases::workflow::tests::case(state)
        }
    }

    fn dispatcher() -> Actor {
        Actor::Staff(Staff {
            user_id: 1,
            role: Role::Dispatcher,
            department_id: None,
        })
    }

    fn staff(action: CaseAction, c: &Facts, named: &Named) -> Result<Change, AppError> {
        let d = Deadlines::default();
        effects(&dispatcher(), c, Request::Staff(action), named, &d, now())
    }

    fn status(e: AppError) -> u16 {
        use axum::response::IntoResponse;
        e.into_response().status().as_u16()
    }

    #[test]
    fn accepting_starts_the_close_deadline_from_the_report() {
        let c = case(CaseState::Submitted);
        let change = staff(CaseAction::Accept { note: None }, &c, &Named::default()).unwrap();
        let due = c.submitted_at + Duration::days(Deadlines::default().close_days);
        assert_eq!(
            change.fields,
            [
                Field::State(CaseState::Accepted),
                Field::AcceptedAt(now()),
                Field::DueAt(Some(due)),
            ]
        );
        assert_eq!(change.event.from, Some(CaseState::Submitted));
        assert_eq!(change.event.to, Some(CaseState::Accepted));
        assert_eq!(change.audit.detail, "submitted → accepted");
    }

    #[test]
    fn a_refused_action_has_no_effects() {
        let c = case(CaseState::Closed);
        let e = staff(CaseAction::Accept { note: None }, &c, &Named::default()).unwrap_err();
        assert_eq!(status(e), 409);
    }

    #[test]
    fn merging_moves_the_corroborations_and_refuses_itself_and_closed_cases() {
        let c = case(CaseState::Submitted);
        let into = |id, open| Named {
            merge_into: Some(OtherCase {
                id,
                code: "BN-X".to_owned(),
                open,
            }),
            ..Named::default()
        };
        let merge = || CaseAction::Merge {
            into: "BN-X".to_owned(),
        };
        let change = staff(merge(), &c, &into(9, true)).unwrap();
        assert_eq!(change.merge_into, Some((9, 3)));
        assert!(change.fields.contains(&Field::DueAt(None)));
        assert_eq!(
            status(staff(merge(), &c, &into(c.id, true)).unwrap_err()),
            422
        );
        assert_eq!(
            status(staff(merge(), &c, &into(9, false)).unwrap_err()),
            422
        );
        assert_eq!(
            status(staff(merge(), &c, &Named::default()).unwrap_err()),
            422
        );
    }

    #[test]
    fn the_audit_log_names_the_assignee_and_the_timeline_does_not() {
        let c = case(CaseState::Accepted);
        let named = |eligible| Named {
            assignee: Some(Assignee {
                id: 4,
                username: "li".to_owned(),
                eligible,
            }),
            ..Named::default()
        };
        let assign = || CaseAction::Assign {
            assignee: "li".to_owned(),
        };
        let change = staff(assign(), &c, &named(true)).unwrap();
        assert_eq!(change.event.note, None);
        assert!(change.audit.detail.ends_with("assigned to li"));
        assert_eq!(status(staff(assign(), &c, &named(false)).unwrap_err()), 422);
    }

    #[test]
    fn a_transfer_to_the_co_department_makes_it_the_lead_and_notifies_it() {
        let c = case(CaseState::Investigating);
        let named = Named {
            department: Some(department::Model {
                id: 6,
                code: "water".to_owned(),
                name_zh: "水利局".to_owned(),
                name_en: "Water Bureau".to_owned(),
                kind: "bureau".to_owned(),
                area_id: None,
                webhook_url: None,
                created_at: now(),
            }),
            ..Named::default()
        };
        let change = staff(
            CaseAction::Transfer {
                department: "water".to_owned(),
                reason: "河道".to_owned(),
            },
            &c,
            &named,
        )
        .unwrap();
        assert!(change.fields.contains(&Field::Department(6)));
        assert!(change.fields.contains(&Field::CoDepartment(None)));
        assert_eq!(
            change.notify.map(|(d, event)| (d.id, event)),
            Some((6, "case.transferred"))
        );
        assert_eq!(change.event.note.as_deref(), Some("水利局 — 河道"));
    }

    #[test]
    fn an_extension_is_bounded_and_moves_both_deadlines() {
        let c = case(CaseState::Investigating);
        let extend = |days| CaseAction::Extend {
            days,
            reason: "取证".to_owned(),
        };
        let change = staff(extend(10), &c, &Named::default()).unwrap();
        let due = c.submitted_at + Duration::days(60 + 10);
        assert!(change.fields.contains(&Field::CloseDueAt(due)));
        assert!(change.fields.contains(&Field::DueAt(Some(due))));
        for days in [0, 31] {
            assert_eq!(
                status(staff(extend(days), &c, &Named::default()).unwrap_err()),
                422
            );
        }
    }

    #[test]
    fn a_drafted_reply_is_not_shown_to_the_reporter() {
        let c = Facts {
            assignee_id: Some(2),
            ..case(CaseState::Investigating)
        };
        let handler = Actor::Staff(Staff {
            user_id: 2,
            role: Role::Handler,
            department_id: Some(3),
        });
        let draft = CaseAction::DraftReply {
            finding: Finding::Substantiated,
            reply: "已责令整改".to_owned(),
            actions_taken: None,
        };
        let d = Deadlines::default();
        let change = effects(
            &handler,
            &c,
            Request::Staff(draft),
            &Named::default(),
            &d,
            now(),
        )
        .unwrap();
        assert!(!change.event.public);
        assert!(change.fields.contains(&Field::ReplyDraftedBy(2)));
    }

    fn contest(c: &Facts, at: DateTime<Utc>, reason: &str) -> Result<Change, AppError> {
        let original = Actor::Reporter(Reporter {
            report_id: 5,
            original: true,
        });
        let request = Request::Reporter(ReporterAction::Contest {
            reason: reason.to_owned(),
        });
        let d = Deadlines::default();
        effects(&original, c, request, &Named::default(), &d, at)
    }

    #[test]
    fn a_contest_within_the_window_reopens_the_review_and_holds_the_reward() {
        let c = Facts {
            has_reply: true,
            closed_at: Some(now()),
            ..case(CaseState::Closed)
        };
        let at = now() + Duration::days(14);
        let change = contest(&c, at, " 仍有噪声 ").unwrap();
        assert_eq!(
            change.fields,
            [
                Field::State(CaseState::ReplyReview),
                Field::Contested(true),
                Field::DueAt(Some(at + Duration::days(15))),
                Field::ClosedAt(None),
                Field::ReplyApprovedBy(None),
            ]
        );
        assert_eq!(change.event.note.as_deref(), Some("仍有噪声"));
        assert_eq!(change.reward, Some(RewardEffect::Hold));
        assert_eq!(change.audit.action, "case.contest");
        let late = now() + Duration::days(15);
        assert_eq!(status(contest(&c, late, "仍有噪声").unwrap_err()), 409);
        assert_eq!(status(contest(&c, at, "  ").unwrap_err()), 422);
    }
}
