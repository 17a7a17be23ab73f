//! The case state machine (案件流程) in one place: which action moves a case
//! from which state to which, who may take it — staff or the reporter — and
//! the four-eyes rule (四眼原则). Pure functions of the case and the actor;
//! `effects` says what an allowed action changes, and the service applies
//! that to the database.

use crate::rewards::rules as reward_rules;
use chrono::{DateTime, Utc};
use shared::Role;
use shared::case::{ActionKind, CaseState};
use shared::reward::RewardState;

/// A signed-in staff member (工作人员).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff {
    pub user_id: i64,
    pub role: Role,
    pub department_id: Option<i64>,
}

/// The resident holding one of the case's tracking secrets: the reporter
/// the case was opened for, or one who said "me too" (附议).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporter {
    pub report_id: i64,
    pub original: bool,
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(Staff),
    Reporter(Reporter),
}

/// Every step a case can take: the staff's (`ActionKind`, the names the
/// console and `allowed_actions` use) and the reporter's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Staff(ActionKind),
    /// The original reporter disagrees with the approved reply (异议), once,
    /// within the contest window: the case goes back to reply review.
    Contest,
    /// The rewarded reporter claims an approved reward (领奖).
    ClaimReward,
    /// The rewarded reporter refuses it.
    DeclineReward,
    /// The reporter answers the question staff asked (补充材料).
    AnswerInfo,
    /// 回访: the original reporter rates the closed case, once.
    Rate,
    /// The original reporter says the problem came back, within
    /// `followup::CAME_BACK_DAYS` of closing, once: a linked case opens.
    CameBack,
}

/// Which cases a staff member sees: the rule of [`can_see`] as the queries
/// need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every case.
    All,
    /// The cases of this department, as lead or co-department.
    Department(i64),
    /// None (a handler without a department).
    Nothing,
}

/// The scope of a staff member's view. A handler sees their department's
/// cases (and those it is co-department of); a reviewer with a department
/// likewise; everyone else sees every case.
pub fn scope(actor: &Staff) -> Scope {
    let scoped = actor.role == Role::Handler
        || (actor.role == Role::Reviewer && actor.department_id.is_some());
    match (scoped, actor.department_id) {
        (false, _) => Scope::All,
        (true, Some(d)) => Scope::Department(d),
        (true, None) => Scope::Nothing,
    }
}

/// What the rules need to know about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub id: i64,
    pub state: CaseState,
    pub department_id: Option<i64>,
    pub co_department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reply_drafted_by: Option<i64>,
    pub extended: bool,
    /// The reward track, once a reward was proposed.
    pub reward: Option<RewardState>,
    pub reward_proposed_by: Option<i64>,
    /// The reward waits while the reporter's contest is reviewed.
    pub reward_held: bool,
    /// A reviewer has published the case's public record.
    pub disclosed: bool,
    /// The department's reply exists (drafted, maybe approved).
    pub has_reply: bool,
    /// The reporter contested the reply (once per case).
    pub contested: bool,
    pub submitted_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The deadline to close (办结), extended or not; `None` on an old row.
    pub close_due_at: Option<DateTime<Utc>>,
    pub corroborations: i64,
    /// 移送公安机关 already.
    pub police_referred: bool,
    /// 补充材料: a question waits for the reporter's answer.
    pub question_open: bool,
    /// 回访 given.
    pub rated: bool,
    /// "Came back" already said (a linked case exists).
    pub came_back: bool,
}

/// Why an action is refused. `Forbidden` is about who asks (403), `Conflict`
/// about the case as it stands (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(String),
    Conflict(String),
}

/// The state an action leads to from `state`, if the state allows it at all.
pub fn next_state(state: CaseState, action: ActionKind) -> Option<CaseState> {
    use ActionKind as A;
    use CaseState as S;
    match (state, action) {
        (S::Submitted, A::Accept) => Some(S::Accepted),
        (S::Submitted, A::Reject) => Some(S::Rejected),
        (S::Submitted | S::Accepted, A::Merge) => Some(S::Merged),
        // Assigning (or re-assigning) starts or continues the investigation.
        (S::Accepted | S::Investigating, A::Assign) => Some(S::Investigating),
        // A transfer before acceptance leaves the new department to accept;
        // after it, the new department only has to assign a handler.
        (S::Submitted, A::Transfer) => Some(S::Submitted),
        (S::Accepted | S::Investigating, A::Transfer) => Some(S::Accepted),
        (S::Investigating, A::DraftReply) => Some(S::ReplyReview),
        (S::ReplyReview, A::ApproveReply) => Some(S::Closed),
        (S::ReplyReview, A::ReturnReply) => Some(S::Investigating),
        (S::Accepted | S::Investigating | S::ReplyReview, A::Extend) => Some(state),
        // Corrections while the case is worked on; once a reply is drafted
        // it answers the case as it was, so it is returned first.
        (S::Submitted | S::Accepted | S::Investigating, A::Recategorize | A::Relocate) => {
            Some(state)
        }
        // 查处结果 come from the investigation, and often after the reply:
        // a penalty decision may be issued weeks after the case is closed.
        (
            S::Investigating | S::ReplyReview | S::Closed,
            A::RecordPenalty | A::ReferToPolice | A::PublishPenalty,
        ) => Some(state),
        // A site visit once the case is taken up, and a follow-up visit (复查)
        // after it is closed.
        (S::Accepted | S::Investigating | S::ReplyReview | S::Closed, A::RecordInspection) => {
            Some(state)
        }
        // A question for the reporter while the case is investigated.
        (S::Accepted | S::Investigating, A::RequestInfo) => Some(state),
        // The public record: once a case is accepted (or refused, which the
        // public may also see), never while it is unread or merged away.
        (
            S::Accepted | S::Investigating | S::ReplyReview | S::Closed | S::Rejected,
            A::Disclose | A::Undisclose,
        ) => Some(state),
        _ => None,
    }
}

/// The roles that may take an action at all.
pub fn roles_for(action: ActionKind) -> &'static [Role] {
    use ActionKind as A;
    match action {
        A::Accept
        | A::Reject
        | A::Merge
        | A::Assign
        | A::Transfer
        | A::Extend
        | A::Recategorize
        | A::Relocate
        | A::RecordPenalty
        | A::ReferToPolice
        | A::RecordInspection
        | A::RequestInfo => &[Role::Dispatcher, Role::Handler],
        A::DraftReply => &[Role::Handler],
        A::ApproveReply | A::ReturnReply => &[Role::Reviewer],
        // What the public reads is reviewed by someone who did not write the
        // reply: a reviewer, or the dispatcher who triages.
        A::Disclose | A::Undisclose | A::PublishPenalty => &[Role::Reviewer, Role::Dispatcher],
        A::ProposeReward | A::ApproveReward | A::RejectReward | A::PayReward => {
            reward_rules::roles_for(action)
        }
    }
}

/// Whether the staff member may see the case (their [`scope`]). Outside
/// it, a case is a 404.
pub fn can_see(actor: &Staff, case: &Facts) -> bool {
    match scope(actor) {
        Scope::All => true,
        Scope::Department(d) => case.department_id == Some(d) || case.co_department_id == Some(d),
        Scope::Nothing => false,
    }
}

/// Whether the actor acts for the case's lead department (a co-department
/// reads, it does not act).
fn acts_for_department(actor: &Staff, case: &Facts) -> bool {
    match actor.role {
        Role::Handler => actor.department_id.is_some() && actor.department_id == case.department_id,
        Role::Reviewer => {
            actor.department_id.is_none() || actor.department_id == case.department_id
        }
        _ => true,
    }
}

/// Checks one action by one actor, and answers the state it leads to. The
/// contest window, which needs the time, is checked by `effects`.
pub fn check(actor: &Actor, case: &Facts, action: Action) -> Result<CaseState, Refusal> {
    match (actor, action) {
        (Actor::Staff(staff), Action::Staff(kind)) => check_staff(staff, case, kind),
        (Actor::Reporter(reporter), Action::Contest) => check_contest(reporter, case),
        // The reward's own rules (who it is for, its state, its claim
        // window) are the reward track's: `rewards::service::reporter_step`.
        (Actor::Reporter(_), Action::ClaimReward | Action::DeclineReward) => Ok(case.state),
        (Actor::Reporter(reporter), Action::AnswerInfo | Action::Rate | Action::CameBack) => {
            check_followup(reporter, case, action)
        }
        (Actor::Reporter(_), Action::Staff(kind)) => Err(Refusal::Forbidden(format!(
            "only staff can {} a case",
            kind.as_str()
        ))),
        (Actor::Staff(_), _) => Err(Refusal::Forbidden(
            "only the reporter takes this step".to_owned(),
        )),
    }
}

/// The reply was written to the original reporter; a "me too" reporter
/// cannot reopen the case, nor spend the reporter's one contest.
fn check_contest(reporter: &Reporter, case: &Facts) -> Result<CaseState, Refusal> {
    if !reporter.original {
        return Err(Refusal::Forbidden(
            "only the resident who filed the case can contest its reply".to_owned(),
        ));
    }
    if case.contested {
        return Err(Refusal::Conflict(
            "the reply was already contested once".to_owned(),
        ));
    }
    if case.state != CaseState::Closed || !case.has_reply {
        return Err(Refusal::Conflict(CONTEST_CLOSED.to_owned()));
    }
    Ok(CaseState::ReplyReview)
}

/// The reporter's loop (回访): each step is the original reporter's (a
/// "me too" reporter neither answers for them nor rates their case), and
/// none changes the case's state. The 30-day window of `came_back` needs
/// the time and is checked by `effects`.
fn check_followup(reporter: &Reporter, case: &Facts, action: Action) -> Result<CaseState, Refusal> {
    if !reporter.original {
        return Err(Refusal::Forbidden(
            "only the resident who filed the case can take this step".to_owned(),
        ));
    }
    let refused = |why: &str| Err(Refusal::Conflict(why.to_owned()));
    match action {
        Action::AnswerInfo if !case.question_open => {
            refused("no question is waiting for an answer")
        }
        Action::AnswerInfo if !case.state.is_open() => {
            refused("the case is closed; the question no longer waits")
        }
        Action::Rate | Action::CameBack if case.state != CaseState::Closed || !case.has_reply => {
            refused("only a closed case with a reply can be rated or said to have come back")
        }
        Action::Rate if case.rated => refused("the case was already rated"),
        Action::CameBack if case.came_back => {
            refused("a new case was already opened for this problem coming back")
        }
        _ => Ok(case.state),
    }
}

pub(crate) const CONTEST_CLOSED: &str =
    "only a closed case's reply can be contested, within the contest window";

/// Checks one staff action.
fn check_staff(actor: &Staff, case: &Facts, action: ActionKind) -> Result<CaseState, Refusal> {
    let name = action.as_str();
    if !roles_for(action).contains(&actor.role) {
        return Err(Refusal::Forbidden(format!(
            "a {} cannot {name} a case",
            actor.role
        )));
    }
    if !acts_for_department(actor, case) {
        return Err(Refusal::Forbidden(
            "this case belongs to another department".to_owned(),
        ));
    }
    if reward_rules::is_reward_action(action) {
        return check_reward(actor, case, action);
    }
    let Some(next) = next_state(case.state, action) else {
        return Err(Refusal::Conflict(format!(
            "a case that is {} cannot be given `{name}`",
            case.state
        )));
    };
    match action {
        ActionKind::DraftReply
            if case.assignee_id.is_some() && case.assignee_id != Some(actor.user_id) =>
        {
            Err(Refusal::Forbidden(
                "only the handler the case is assigned to can draft its reply".to_owned(),
            ))
        }
        ActionKind::ApproveReply if case.reply_drafted_by == Some(actor.user_id) => {
            Err(Refusal::Forbidden(
                "the reviewer of a reply cannot be the person who drafted it (四眼原则)".to_owned(),
            ))
        }
        ActionKind::Undisclose if !case.disclosed => Err(Refusal::Conflict(
            "the case has no public record to take down".to_owned(),
        )),
        ActionKind::ReferToPolice if case.police_referred => Err(Refusal::Conflict(
            "the case was already referred to the police".to_owned(),
        )),
        ActionKind::RequestInfo if case.question_open => Err(Refusal::Conflict(
            "a question already waits for the reporter's answer".to_owned(),
        )),
        ActionKind::Extend if case.extended => Err(Refusal::Conflict(
            "the deadline was already extended once; it cannot be extended again".to_owned(),
        )),
        _ => Ok(next),
    }
}

/// Reward steps (奖励审核 → 奖金发放) run on a closed case; the case stays
/// closed and the reward moves along its own track.
fn check_reward(actor: &Staff, case: &Facts, action: ActionKind) -> Result<CaseState, Refusal> {
    let name = action.as_str();
    if case.state != CaseState::Closed {
        return Err(Refusal::Conflict(format!(
            "`{name}` comes after the case is closed; it is {}",
            case.state
        )));
    }
    if reward_rules::next_state(case.reward, action).is_none() {
        let now = case.reward.map(|r| r.as_str()).unwrap_or("not proposed");
        return Err(Refusal::Conflict(format!(
            "a reward that is {now} cannot be given `{name}`"
        )));
    }
    if action == ActionKind::ApproveReward && case.reward_proposed_by == Some(actor.user_id) {
        return Err(Refusal::Forbidden(
            "the approver of a reward cannot be the person who proposed it (四眼原则)".to_owned(),
        ));
    }
    if case.reward_held && matches!(action, ActionKind::ApproveReward | ActionKind::PayReward) {
        return Err(Refusal::Conflict(
            "the reward is on hold while the reporter's contest is reviewed".to_owned(),
        ));
    }
    Ok(CaseState::Closed)
}

/// The actions the staff member may take now, in the order a screen shows
/// them.
pub fn allowed(actor: &Staff, case: &Facts) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|a| check_staff(actor, case, *a).is_ok())
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const HOUSING: Option<i64> = Some(3);
    const WATER: Option<i64> = Some(6);

    /// A lead-department case of housing (3), co-department water (6).
    pub(in crate::cases) fn case(state: CaseState) -> Facts {
        Facts {
            id: 1,
            state,
            department_id: HOUSING,
            co_department_id: WATER,
            assignee_id: None,
            reply_drafted_by: None,
            extended: false,
            reward: None,
            reward_proposed_by: None,
            reward_held: false,
            disclosed: false,
            has_reply: false,
            contested: false,
            submitted_at: DateTime::UNIX_EPOCH,
            closed_at: None,
            close_due_at: None,
            corroborations: 0,
            police_referred: false,
            question_open: false,
            rated: false,
            came_back: false,
        }
    }

    fn actor(user_id: i64, role: Role, department_id: Option<i64>) -> Staff {
        Staff {
            user_id,
            role,
            department_id,
        }
    }

    #[test]
    fn every_state_action_pair_is_either_a_transition_or_refused_as_a_conflict() {
        let dispatcher = actor(1, Role::Dispatcher, None);
        let handler = actor(2, Role::Handler, HOUSING);
        let reviewer = actor(3, Role::Reviewer, None);
        let reward_reviewer = actor(4, Role::RewardReviewer, None);
        let finance = actor(5, Role::Finance, None);
        for state in CaseState::ALL {
            for action in ActionKind::ALL {
                let who = match action {
                    ActionKind::DraftReply | ActionKind::ProposeReward => handler,
                    ActionKind::ApproveReply | ActionKind::ReturnReply => reviewer,
                    ActionKind::ApproveReward | ActionKind::RejectReward => reward_reviewer,
                    ActionKind::PayReward => finance,
                    _ => dispatcher,
                };
                let got = check_staff(&who, &case(state), action);
                // Reward steps leave the case closed and follow the reward's own track.
                let expected = if reward_rules::is_reward_action(action) {
                    (state == CaseState::Closed && action == ActionKind::ProposeReward)
                        .then_some(CaseState::Closed)
                } else if action == ActionKind::Undisclose {
                    None // nothing disclosed yet
                } else {
                    next_state(state, action)
                };
                match expected {
                    Some(next) => assert_eq!(got, Ok(next), "{state} {action:?}"),
                    None => assert!(
                        matches!(got, Err(Refusal::Conflict(_))),
                        "{state} {action:?}: {got:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn final_states_allow_nothing_but_the_public_record_and_enforcement() {
        let dispatcher = actor(1, Role::Dispatcher, None);
        assert!(allowed(&dispatcher, &case(CaseState::Merged)).is_empty());
        // A penalty decision often comes after the reply, and a follow-up
        // visit (复查) after closing: a closed case still takes its 查处结果;
        // a rejected one has none.
        let enforcement = [
            ActionKind::RecordPenalty,
            ActionKind::ReferToPolice,
            ActionKind::PublishPenalty,
            ActionKind::RecordInspection,
        ];
        for state in [CaseState::Rejected, CaseState::Closed] {
            let then: &[ActionKind] = if state == CaseState::Closed {
                &enforcement
            } else {
                &[]
            };
            assert_eq!(
                allowed(&dispatcher, &case(state)),
                [&[ActionKind::Disclose][..], then].concat(),
                "{state}"
            );
            let disclosed = Facts {
                disclosed: true,
                ..case(state)
            };
            assert_eq!(
                allowed(&dispatcher, &disclosed),
                [&[ActionKind::Disclose, ActionKind::Undisclose][..], then].concat(),
                "{state}"
            );
            let referred = Facts {
                police_referred: true,
                ..case(state)
            };
            assert!(!allowed(&dispatcher, &referred).contains(&ActionKind::ReferToPolice));
        }
        // Nothing is disclosed before a person has read the report.
        assert!(!allowed(&dispatcher, &case(CaseState::Submitted)).contains(&ActionKind::Disclose));
    }

    #[test]
    fn a_handler_acts_only_for_the_lead_department_and_sees_co_department_cases() {
        let own = actor(2, Role::Handler, HOUSING);
        let co = actor(4, Role::Handler, WATER);
        let other = actor(5, Role::Handler, Some(99));
        let c = case(CaseState::Submitted);
        assert!(can_see(&own, &c) && can_see(&co, &c) && !can_see(&other, &c));
        assert_eq!(
            allowed(&own, &c),
            vec![
                ActionKind::Accept,
                ActionKind::Reject,
                ActionKind::Merge,
                ActionKind::Transfer,
                ActionKind::Recategorize,
                ActionKind::Relocate
            ]
        );
        assert!(allowed(&co, &c).is_empty());
        assert!(matches!(
            check_staff(&co, &c, ActionKind::Accept),
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn a_handler_without_a_department_sees_nothing() {
        let lost = actor(2, Role::Handler, None);
        assert!(!can_see(&lost, &case(CaseState::Submitted)));
    }

    #[test]
    fn auditors_admins_and_finance_read_but_never_act() {
        for role in [
            Role::Auditor,
            Role::Admin,
            Role::Finance,
            Role::RewardReviewer,
        ] {
            let a = actor(9, role, None);
            for state in CaseState::ALL {
                assert!(can_see(&a, &case(state)));
                assert!(allowed(&a, &case(state)).is_empty(), "{role} in {state}");
            }
        }
    }

    #[test]
    fn the_drafter_can_never_approve_the_reply() {
        let mut c = case(CaseState::ReplyReview);
        c.reply_drafted_by = Some(3);
        let drafter_as_reviewer = actor(3, Role::Reviewer, None);
        let other_reviewer = actor(7, Role::Reviewer, None);
        assert!(matches!(
            check_staff(&drafter_as_reviewer, &c, ActionKind::ApproveReply),
            Err(Refusal::Forbidden(_))
        ));
        // Sending it back is not approving it: allowed.
        assert_eq!(
            check_staff(&drafter_as_reviewer, &c, ActionKind::ReturnReply),
            Ok(CaseState::Investigating)
        );
        assert_eq!(
            check_staff(&other_reviewer, &c, ActionKind::ApproveReply),
            Ok(CaseState::Closed)
        );
    }

    #[test]
    fn only_the_assigned_handler_drafts_the_reply() {
        let mut c = case(CaseState::Investigating);
        c.assignee_id = Some(2);
        assert!(
            check_staff(
                &actor(2, Role::Handler, HOUSING),
                &c,
                ActionKind::DraftReply
            )
            .is_ok()
        );
        assert!(matches!(
            check_staff(
                &actor(8, Role::Handler, HOUSING),
                &c,
                ActionKind::DraftReply
            ),
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn a_deadline_is_extended_once() {
        let mut c = case(CaseState::Investigating);
        let dispatcher = actor(1, Role::Dispatcher, None);
        assert!(check_staff(&dispatcher, &c, ActionKind::Extend).is_ok());
        c.extended = true;
        assert!(matches!(
            check_staff(&dispatcher, &c, ActionKind::Extend),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn a_held_reward_is_neither_approved_nor_paid() {
        let reward_reviewer = actor(4, Role::RewardReviewer, None);
        let finance = actor(5, Role::Finance, None);
        for (state, action, who) in [
            (
                RewardState::Proposed,
                ActionKind::ApproveReward,
                reward_reviewer,
            ),
            (RewardState::Claimed, ActionKind::PayReward, finance),
        ] {
            let mut c = case(CaseState::Closed);
            c.reward = Some(state);
            c.reward_proposed_by = Some(9);
            assert!(check_staff(&who, &c, action).is_ok(), "{action:?}");
            c.reward_held = true;
            assert!(
                matches!(check_staff(&who, &c, action), Err(Refusal::Conflict(_))),
                "{action:?}"
            );
        }
    }

    #[test]
    fn the_proposer_never_approves_a_reward() {
        let mut c = case(CaseState::Closed);
        c.reward = Some(RewardState::Proposed);
        c.reward_proposed_by = Some(4);
        assert!(matches!(
            check_staff(
                &actor(4, Role::RewardReviewer, None),
                &c,
                ActionKind::ApproveReward
            ),
            Err(Refusal::Forbidden(_))
        ));
        assert_eq!(
            check_staff(
                &actor(6, Role::RewardReviewer, None),
                &c,
                ActionKind::ApproveReward
            ),
            Ok(CaseState::Closed)
        );
        assert!(
            matches!(
                check_staff(&actor(6, Role::Finance, None), &c, ActionKind::PayReward),
                Err(Refusal::Conflict(_))
            ),
            "paid only once claimed"
        );
    }

    #[test]
    fn a_departmental_reviewer_reviews_only_their_department() {
        let c = case(CaseState::ReplyReview);
        assert!(
            check_staff(
                &actor(3, Role::Reviewer, HOUSING),
                &c,
                ActionKind::ApproveReply
            )
            .is_ok()
        );
        assert!(
            check_staff(
                &actor(3, Role::Reviewer, Some(42)),
                &c,
                ActionKind::ApproveReply
            )
            .is_err()
        );
        assert!(!can_see(&actor(3, Role::Reviewer, Some(42)), &c));
    }

    fn reporter(original: bool) -> Actor {
        Actor::Reporter(Reporter {
            report_id: 1,
            original,
        })
    }

    #[test]
    fn only_the_original_reporter_contests_a_closed_reply_once() {
        let mut c = case(CaseState::Closed);
        c.has_reply = true;
        assert_eq!(
            check(&reporter(true), &c, Action::Contest),
            Ok(CaseState::ReplyReview)
        );
        assert!(matches!(
            check(&reporter(false), &c, Action::Contest),
            Err(Refusal::Forbidden(_))
        ));
        let staff = Actor::Staff(actor(1, Role::Dispatcher, None));
        assert!(matches!(
            check(&staff, &c, Action::Contest),
            Err(Refusal::Forbidden(_))
        ));
        c.contested = true;
        assert!(matches!(
            check(&reporter(true), &c, Action::Contest),
            Err(Refusal::Conflict(_))
        ));
        for state in CaseState::ALL
            .into_iter()
            .filter(|s| *s != CaseState::Closed)
        {
            let mut open = case(state);
            open.has_reply = true;
            assert!(
                matches!(
                    check(&reporter(true), &open, Action::Contest),
                    Err(Refusal::Conflict(_))
                ),
                "{state}"
            );
        }
    }

    #[test]
    fn a_reporter_never_takes_a_staff_step() {
        for kind in ActionKind::ALL {
            assert!(matches!(
                check(
                    &reporter(true),
                    &case(CaseState::Submitted),
                    Action::Staff(kind)
                ),
                Err(Refusal::Forbidden(_))
            ));
        }
    }

    #[test]
    fn the_scope_is_the_rule_of_can_see() {
        assert_eq!(scope(&actor(1, Role::Dispatcher, HOUSING)), Scope::All);
        assert_eq!(scope(&actor(1, Role::Reviewer, None)), Scope::All);
        assert_eq!(
            scope(&actor(1, Role::Reviewer, WATER)),
            Scope::Department(6)
        );
        assert_eq!(
            scope(&actor(1, Role::Handler, HOUSING)),
            Scope::Department(3)
        );
        assert_eq!(scope(&actor(1, Role::Handler, None)), Scope::Nothing);
    }
}
