//! Rewards in the database: eligibility, the staff steps (called from the
//! case workflow, inside its transaction), the reporter's claim, expiry,
//! the queue and the finance office's ledger.

use super::rules::{self, Tier};
use crate::cases::effects::Event;
use crate::db::entities::{
    app_user, case, department, report, reporter_identity, reward, reward_exclusion,
    reward_payment, reward_tier,
};
use crate::error::{AppError, OnUniqueViolation};
use crate::privacy::PiiCipher;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::case::{CaseAction, Finding};
use shared::reward::{
    Eligibility, PayoutAccount, ReporterReward, RewardQueueItem, RewardState, RewardTier,
    RewardView,
};
use std::collections::BTreeMap;

pub async fn tiers(conn: &impl ConnectionTrait) -> Result<Vec<RewardTier>, DbErr> {
    Ok(reward_tier::Entity::find()
        .filter(reward_tier::Column::Active.eq(true))
        .order_by_asc(reward_tier::Column::SortOrder)
        .all(conn)
        .await?
        .into_iter()
        .map(|t| RewardTier {
            code: t.code,
            name: t.name_zh,
            name_en: t.name_en,
            amount_fen: t.amount_fen,
            percent_of_fine: t.percent_of_fine,
            cap_fen: t.cap_fen,
            needs_penalty: t.needs_penalty,
        })
        .collect())
}

/// The case's first report by server receipt: the one a reward goes to.
pub async fn first_report(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::CaseId.eq(case_id))
        .filter(report::Column::Kind.eq("original"))
        .order_by_asc(report::Column::SubmittedAt)
        .order_by_asc(report::Column::Id)
        .one(conn)
        .await
}

async fn phone_index(
    conn: &impl ConnectionTrait,
    report: Option<&report::Model>,
) -> Result<Option<String>, DbErr> {
    let Some(id) = report.and_then(|r| r.identity_id) else {
        return Ok(None);
    };
    Ok(reporter_identity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|i| i.phone_index))
}

/// Whether the case's first reporter can be rewarded, and why (not).
pub async fn eligibility(
    conn: &impl ConnectionTrait,
    c: &case::Model,
) -> Result<Eligibility, DbErr> {
    let first = first_report(conn, c.id).await?;
    let phone = phone_index(conn, first.as_ref()).await?;
    let excluded = match &phone {
        Some(p) => reward_exclusion::Entity::find()
            .filter(reward_exclusion::Column::PhoneIndex.eq(p.as_str()))
            .one(conn)
            .await?
            .is_some(),
        None => false,
    };
    let rewardable = crate::categories::service::rewardable(conn, c).await?;
    Ok(rules::eligibility(&rules::Facts {
        case_state: c.state(),
        finding: c.finding.as_deref().and_then(Finding::parse),
        rewardable_category: rewardable,
        first_report_named: phone.is_some(),
        excluded,
    }))
}

pub async fn for_case(
    conn: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<reward::Model>, DbErr> {
    reward::Entity::find()
        .filter(reward::Column::CaseId.eq(case_id))
        .one(conn)
        .await
}

pub async fn view(conn: &impl ConnectionTrait, r: &reward::Model) -> Result<RewardView, DbErr> {
    let payment = reward_payment::Entity::find()
        .filter(reward_payment::Column::RewardId.eq(r.id))
        .one(conn)
        .await?;
    let ids: Vec<i64> = [Some(r.proposed_by), r.reviewed_by]
        .into_iter()
        .flatten()
        .collect();
    let names: BTreeMap<i64, String> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(RewardView {
        state: RewardState::parse(&r.state).unwrap_or(RewardState::Proposed),
        tier: r.tier_code.clone(),
        amount_fen: r.amount_fen,
        basis: r.basis.clone(),
        penalty_decision: r.penalty_decision.clone(),
        fine_fen: r.fine_fen,
        target: r.target.clone(),
        proposed_by: names.get(&r.proposed_by).cloned(),
        proposed_at: r.proposed_at.to_rfc3339(),
        reviewed_by: r.reviewed_by.and_then(|id| names.get(&id).cloned()),
        review_note: r.review_note.clone(),
        claim_deadline: r.claim_deadline.map(|d| d.to_rfc3339()),
        claimed_at: r.claimed_at.map(|d| d.to_rfc3339()),
        paid_at: payment.as_ref().map(|p| p.paid_at.to_rfc3339()),
        payment_reference: payment.as_ref().map(|p| p.payment_reference.clone()),
        paid_amount_fen: payment.map(|p| p.amount_fen),
        on_hold: r.held_at.is_some(),
    })
}

/// Whether the reporter has been told of the reward: it was approved at
/// some point (only an approval sets a claim deadline).
pub fn told_to_reporter(r: &reward::Model) -> bool {
    r.claim_deadline.is_some()
}

pub fn reporter_view(
    r: &reward::Model,
    paid_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ReporterReward {
    let state = RewardState::parse(&r.state).unwrap_or(RewardState::Proposed);
    ReporterReward {
        state,
        amount_fen: r.amount_fen,
        claim_deadline: r.claim_deadline.map(|d| d.to_rfc3339()),
        can_claim: state == RewardState::Approved
            && r.claim_deadline.is_some_and(|d| now < d)
            && r.held_at.is_none(),
        paid_at: paid_at.map(|d| d.to_rfc3339()),
        on_hold: r.held_at.is_some(),
    }
}

/// What a reward step did, for the case's timeline and audit entry.
pub struct Step {
    pub from: Option<RewardState>,
    pub to: RewardState,
    /// For the timeline (the reporter sees approval, payment, expiry).
    pub note: Option<String>,
    pub public: bool,
}

fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("1 to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

/// Applies one staff reward step inside the case action's transaction. The
/// workflow has already checked the role, department and reward state.
pub async fn apply(
    txn: &impl ConnectionTrait,
    actor_id: i64,
    c: &case::Model,
    action: CaseAction,
    claim_days: i64,
    now: DateTime<Utc>,
) -> Result<Step, AppError> {
    let existing = for_case(txn, c.id).await?;
    let from = existing.as_ref().and_then(|r| RewardState::parse(&r.state));
    match action {
        CaseAction::ProposeReward {
            tier,
            amount_fen,
            basis,
            penalty_decision,
            fine_fen,
            target,
        } => {
            ensure_eligible(txn, c).await?;
            let tier_row = reward_tier::Entity::find_by_id(tier.trim().to_owned())
                .one(txn)
                .await?
                .filter(|t| t.active)
                .ok_or_else(|| {
                    AppError::validation(
                        "tier",
                        "no such reward tier; see GET /api/v1/reward-tiers",
                    )
                })?;
            let basis = text("basis", &basis, 2000)?;
            let penalty_decision = penalty_decision
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty());
            // The penalties recorded on the case (查处结果) are the fine's
            // source: a share of the fine needs one, and a typed fine must
            // be their total.
            let recorded = crate::cases::enforcement::recorded(txn, c.id).await?;
            let (penalty_decision, fine_fen) = if recorded.is_empty() {
                if tier_row.percent_of_fine.is_some() {
                    return Err(AppError::validation(
                        "fine_fen",
                        "record the penalty decision first (record_penalty): this tier is a share of the recorded fine",
                    ));
                }
                (penalty_decision, fine_fen)
            } else {
                let total: i64 = recorded.iter().map(|p| p.fine_fen).sum();
                if let Some(typed) = fine_fen
                    && typed != total
                {
                    return Err(AppError::validation(
                        "fine_fen",
                        format!("the recorded fine is {total} fen"),
                    ));
                }
                let decisions: Vec<&str> =
                    recorded.iter().map(|p| p.decision_no.as_str()).collect();
                (
                    penalty_decision.or_else(|| Some(decisions.join("；"))),
                    Some(total),
                )
            };
            if tier_row.needs_penalty && penalty_decision.is_none() {
                return Err(AppError::validation(
                    "penalty_decision",
                    "this tier needs the penalty decision's number",
                ));
            }
            let t = Tier {
                amount_fen: tier_row.amount_fen,
                percent_of_fine: tier_row.percent_of_fine,
                cap_fen: tier_row.cap_fen,
                needs_penalty: tier_row.needs_penalty,
            };
            rules::check_amount(&t, amount_fen, fine_fen)
                .map_err(|(f, m)| AppError::validation(f, m))?;
            let target = target
                .map(|t| normalize_target(&t))
                .filter(|t| !t.is_empty());
            let first = first_report(txn, c.id).await?.ok_or(AppError::NotFound)?;
            let note = match &target {
                Some(t) => highest_item(txn, c, &first, t, amount_fen, actor_id, now).await?,
                None => None,
            };
            let row = match existing {
                None => reward::ActiveModel {
                    case_id: Set(c.id),
                    version: Set(0),
                    ..Default::default()
                },
                Some(r) => r.into(),
            };
            let mut row = row;
            row.report_id = Set(first.id);
            row.state = Set(RewardState::Proposed.as_str().to_owned());
            row.tier_code = Set(tier_row.code.clone());
            row.amount_fen = Set(amount_fen);
            row.basis = Set(basis);
            row.penalty_decision = Set(penalty_decision);
            row.fine_fen = Set(fine_fen);
            row.target = Set(target);
            row.proposed_by = Set(actor_id);
            row.proposed_at = Set(now);
            row.reviewed_by = Set(None);
            row.reviewed_at = Set(None);
            row.review_note = Set(None);
            row.claim_deadline = Set(None);
            row.closed_at = Set(None);
            row.save(txn).await?;
            Ok(Step {
                from,
                to: RewardState::Proposed,
                note: note.or(Some(format!("{} fen", amount_fen))),
                public: false,
            })
        }
        CaseAction::ApproveReward { note } => {
            let r = existing.ok_or(AppError::NotFound)?;
            ensure_eligible(txn, c).await?;
            let deadline = now + Duration::days(claim_days);
            let changed = guarded(txn, &r)
                .col_expr(
                    reward::Column::State,
                    Expr::value(RewardState::Approved.as_str()),
                )
                .col_expr(reward::Column::ReviewedBy, Expr::value(Some(actor_id)))
                .col_expr(reward::Column::ReviewedAt, Expr::value(Some(now)))
                .col_expr(
                    reward::Column::ReviewNote,
                    Expr::value(note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())),
                )
                .col_expr(reward::Column::ClaimDeadline, Expr::value(Some(deadline)))
                .exec(txn)
                .await?;
            raced(changed.rows_affected)?;
            Ok(Step {
                from,
                to: RewardState::Approved,
                note: Some(shared::reward::yuan(r.amount_fen)),
                public: true,
            })
        }
        CaseAction::RejectReward { reason } => {
            let r = existing.ok_or(AppError::NotFound)?;
            let reason = text("reason", &reason, 2000)?;
            withdraw(txn, &r, Some(actor_id), &reason, now).await?;
            // A reporter who was told of the reward is told it was withdrawn.
            let told = matches!(from, Some(RewardState::Approved | RewardState::Claimed));
            Ok(Step {
                from,
                to: RewardState::Rejected,
                note: Some(reason),
                public: told,
            })
        }
        CaseAction::PayReward {
            payment_reference,
            amount_fen,
        } => {
            let r = existing.ok_or(AppError::NotFound)?;
            // The rules hold at every step, not only at the proposal: the
            // reporter may have been excluded since, or the case found
            // unsubstantiated on review.
            ensure_eligible(txn, c).await?;
            let reference = text("payment_reference", &payment_reference, 100)?;
            if amount_fen != r.amount_fen {
                return Err(AppError::validation(
                    "amount_fen",
                    format!(
                        "the approved amount is {} fen; pay exactly that",
                        r.amount_fen
                    ),
                ));
            }
            // The unique index on reward_id makes a second payment impossible,
            // whatever the code above decided.
            let paid = reward_payment::ActiveModel {
                reward_id: Set(r.id),
                paid_by: Set(actor_id),
                paid_at: Set(now),
                amount_fen: Set(amount_fen),
                payment_reference: Set(reference.clone()),
                ..Default::default()
            }
            .insert(txn)
            .await;
            paid.on_unique_violation(|| {
                AppError::Conflict("this reward has already been paid".to_owned())
            })?;
            let changed = guarded(txn, &r)
                .col_expr(
                    reward::Column::State,
                    Expr::value(RewardState::Paid.as_str()),
                )
                .col_expr(reward::Column::ClosedAt, Expr::value(Some(now)))
                .exec(txn)
                .await?;
            raced(changed.rows_affected)?;
            Ok(Step {
                from,
                to: RewardState::Paid,
                note: Some(shared::reward::yuan(amount_fen)),
                public: true,
            })
        }
        _ => Err(AppError::BadRequest("not a reward action".to_owned())),
    }
}

/// Refuses (409, with the reasons) unless the case's first reporter may be
/// rewarded now.
async fn ensure_eligible(txn: &impl ConnectionTrait, c: &case::Model) -> Result<(), AppError> {
    let eligible = eligibility(txn, c).await?;
    if eligible.eligible {
        return Ok(());
    }
    let why: Vec<String> = eligible
        .checks
        .iter()
        .filter(|x| !x.ok)
        .map(|x| x.message.clone())
        .collect();
    Err(AppError::Conflict(format!(
        "not eligible for a reward: {}",
        why.join("; ")
    )))
}

/// Ends an unpaid reward as rejected (a reviewer's refusal or withdrawal, or
/// the system's when the case no longer qualifies); a payout account given
/// for it is personal data no longer needed, and is erased.
async fn withdraw(
    txn: &impl ConnectionTrait,
    r: &reward::Model,
    reviewer: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let changed = guarded(txn, r)
        .col_expr(
            reward::Column::State,
            Expr::value(RewardState::Rejected.as_str()),
        )
        .col_expr(reward::Column::ReviewedBy, Expr::value(reviewer))
        .col_expr(reward::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(
            reward::Column::ReviewNote,
            Expr::value(Some(reason.to_owned())),
        )
        .col_expr(reward::Column::ClosedAt, Expr::value(Some(now)))
        .col_expr(reward::Column::HeldAt, Expr::value(None::<DateTime<Utc>>))
        .col_expr(
            reward::Column::PayoutAccountEnc,
            Expr::value(None::<String>),
        )
        .exec(txn)
        .await?;
    raced(changed.rows_affected)
}

/// A contest reopened the case: its live, unpaid reward waits for the
/// review (暂缓), and the timeline tells the reporter why. Nothing happens
/// to a reward that is paid, refused, expired or declined.
pub async fn hold(
    txn: &impl ConnectionTrait,
    c: &case::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(r) = for_case(txn, c.id).await? else {
        return Ok(());
    };
    let state = RewardState::parse(&r.state);
    if !matches!(
        state,
        Some(RewardState::Proposed | RewardState::Approved | RewardState::Claimed)
    ) || r.held_at.is_some()
    {
        return Ok(());
    }
    let changed = guarded(txn, &r)
        .col_expr(reward::Column::HeldAt, Expr::value(Some(now)))
        .exec(txn)
        .await?;
    raced(changed.rows_affected)?;
    let note =
        "the reply is contested: the reward waits until the case is reviewed again".to_owned();
    crate::cases::timeline::record_event(
        txn,
        c.id,
        now,
        "system",
        &Event::aside("hold_reward", Some(note.clone()), true),
    )
    .await?;
    crate::audit::record(
        txn,
        crate::audit::Entry {
            actor: "system",
            action: "reward.hold",
            object_type: "case",
            object_id: &c.code,
            detail: Some(note),
        },
    )
    .await?;
    Ok(())
}

/// The case is closed again after a contest: a held reward goes on if the
/// case still qualifies (its claim window extended by the time it waited)
/// and is withdrawn if not (the review found the report unsubstantiated,
/// say), each with a timeline entry the reporter reads.
pub async fn after_review(
    txn: &impl ConnectionTrait,
    c: &case::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(r) = for_case(txn, c.id).await? else {
        return Ok(());
    };
    let Some(held_at) = r.held_at else {
        return Ok(());
    };
    let eligible = eligibility(txn, c).await?;
    let (action, note) = if eligible.eligible {
        let waited = now - held_at;
        let changed = guarded(txn, &r)
            .col_expr(reward::Column::HeldAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(
                reward::Column::ClaimDeadline,
                Expr::value(r.claim_deadline.map(|d| d + waited)),
            )
            .exec(txn)
            .await?;
        raced(changed.rows_affected)?;
        (
            "release_reward",
            "the case was reviewed again and still qualifies: the reward goes on".to_owned(),
        )
    } else {
        let why: Vec<String> = eligible
            .checks
            .iter()
            .filter(|x| !x.ok)
            .map(|x| x.message.clone())
            .collect();
        let note = format!("withdrawn after the review: {}", why.join("; "));
        withdraw(txn, &r, None, &note, now).await?;
        ("reject_reward", note)
    };
    crate::cases::timeline::record_event(
        txn,
        c.id,
        now,
        "system",
        &Event::aside(action, Some(note.clone()), true),
    )
    .await?;
    crate::audit::record(
        txn,
        crate::audit::Entry {
            actor: "system",
            action: &format!("reward.{}", action.trim_end_matches("_reward")),
            object_type: "case",
            object_id: &c.code,
            detail: Some(note),
        },
    )
    .await?;
    Ok(())
}

/// An update of this reward row only if nobody changed it since it was read.
fn guarded(_txn: &impl ConnectionTrait, r: &reward::Model) -> sea_orm::UpdateMany<reward::Entity> {
    reward::Entity::update_many()
        .col_expr(
            reward::Column::Version,
            Expr::col(reward::Column::Version).add(1),
        )
        .filter(reward::Column::Id.eq(r.id))
        .filter(reward::Column::Version.eq(r.version))
}

fn raced(rows: u64) -> Result<(), AppError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "someone else changed this reward at the same moment; reload it".to_owned(),
        ))
    }
}

/// Trims and folds spaces, so "某某 建筑公司" and "某某建筑公司 " are one target.
pub fn normalize_target(t: &str) -> String {
    t.split_whitespace().collect::<String>()
}

/// Several problems of one target, reported by one person before the first
/// case about it closed, pay the highest item only. A repeat violation after
/// a closed case is a new case and is not affected. A lower live reward for
/// the same target is superseded; a higher or equal one refuses this one.
#[allow(clippy::too_many_arguments)]
async fn highest_item(
    txn: &impl ConnectionTrait,
    c: &case::Model,
    first: &report::Model,
    target: &str,
    amount_fen: i64,
    actor_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    let Some(phone) = phone_index(txn, Some(first)).await? else {
        return Ok(None);
    };
    let others = reward::Entity::find()
        .filter(reward::Column::Target.eq(target))
        .filter(reward::Column::CaseId.ne(c.id))
        .all(txn)
        .await?;
    let mut superseded = Vec::new();
    for other in others {
        let Some(state) = RewardState::parse(&other.state).filter(|s| s.is_live()) else {
            continue;
        };
        let other_first = report::Entity::find_by_id(other.report_id).one(txn).await?;
        if phone_index(txn, other_first.as_ref()).await?.as_deref() != Some(phone.as_str()) {
            continue;
        }
        let Some(other_case) = case::Entity::find_by_id(other.case_id).one(txn).await? else {
            continue;
        };
        // Reported together, not a repeat after the other case was closed.
        let (earlier, later) = if other_case.submitted_at <= c.submitted_at {
            (&other_case, c)
        } else {
            (c, &other_case)
        };
        let together = earlier
            .closed_at
            .is_none_or(|closed| later.submitted_at < closed);
        if !together {
            continue;
        }
        let paid_or_claimed = matches!(state, RewardState::Paid | RewardState::Claimed);
        if paid_or_claimed || other.amount_fen >= amount_fen {
            return Err(AppError::Conflict(format!(
                "the same target's problem in case {} already carries a reward of {} fen ({}); only the highest item is paid",
                other_case.code,
                other.amount_fen,
                state.as_str()
            )));
        }
        let changed = guarded(txn, &other)
            .col_expr(
                reward::Column::State,
                Expr::value(RewardState::Rejected.as_str()),
            )
            .col_expr(reward::Column::ReviewedBy, Expr::value(Some(actor_id)))
            .col_expr(reward::Column::ReviewedAt, Expr::value(Some(now)))
            .col_expr(
                reward::Column::ReviewNote,
                Expr::value(Some(format!(
                    "superseded by the higher item in case {}",
                    c.code
                ))),
            )
            .col_expr(reward::Column::ClosedAt, Expr::value(Some(now)))
            .exec(txn)
            .await?;
        raced(changed.rows_affected)?;
        crate::cases::timeline::record_event(
            txn,
            other_case.id,
            now,
            "system",
            &Event::aside(
                "reject_reward",
                Some(format!("superseded by the higher item in case {}", c.code)),
                false,
            ),
        )
        .await?;
        superseded.push(other_case.code);
    }
    Ok((!superseded.is_empty()).then(|| {
        format!(
            "{amount_fen} fen; supersedes the lower item in {}",
            superseded.join(", ")
        )
    }))
}

/// Approved rewards whose claim window has passed become `expired`, each with
/// a timeline and an audit entry. Run before anything reads rewards, and by
/// the background worker.
pub async fn expire_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let due = reward::Entity::find()
        .filter(reward::Column::State.eq(RewardState::Approved.as_str()))
        .filter(reward::Column::ClaimDeadline.lt(now))
        // A held reward's window waits with it.
        .filter(reward::Column::HeldAt.is_null())
        .all(db)
        .await?;
    let mut expired = 0;
    for r in due {
        let txn = crate::db::begin_write(db).await?;
        let changed = guarded(&txn, &r)
            .col_expr(
                reward::Column::State,
                Expr::value(RewardState::Expired.as_str()),
            )
            .col_expr(reward::Column::ClosedAt, Expr::value(Some(now)))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 1 {
            crate::cases::timeline::record_event(
                &txn,
                r.case_id,
                now,
                "system",
                &Event::aside("expire_reward", None, true),
            )
            .await?;
            let code = case::Entity::find_by_id(r.case_id)
                .one(&txn)
                .await?
                .map(|c| c.code)
                .unwrap_or_default();
            let entry = crate::audit::Entry {
                actor: "system",
                action: "reward.expire",
                object_type: "case",
                object_id: &code,
                detail: Some(format!("{} fen", r.amount_fen)),
            };
            crate::audit::record(&txn, entry).await?;
            expired += 1;
        }
        txn.commit().await?;
    }
    Ok(expired)
}

/// The reporter's claim (with a payout account) or refusal, by code and
/// secret, already checked by the caller.
pub async fn reporter_step(
    txn: &impl ConnectionTrait,
    pii: &PiiCipher,
    c: &case::Model,
    reporter: &report::Model,
    claim: Option<String>,
    now: DateTime<Utc>,
) -> Result<(RewardState, RewardState), AppError> {
    let r = for_case(txn, c.id)
        .await?
        .ok_or_else(|| AppError::Conflict("this case has no reward".to_owned()))?;
    // Only the rewarded (first) reporter; a "me too" reporter gets the same
    // answer as a case without a reward, so nothing is revealed.
    if r.report_id != reporter.id {
        return Err(AppError::Conflict("this case has no reward".to_owned()));
    }
    let state = RewardState::parse(&r.state).unwrap_or(RewardState::Proposed);
    let open = r.claim_deadline.is_some_and(|d| now < d);
    if r.held_at.is_some() {
        return Err(AppError::Conflict(
            "the reward is on hold while your contest is reviewed".to_owned(),
        ));
    }
    match claim {
        Some(account) => {
            let account = account.trim().to_owned();
            if !(4..=200).contains(&account.chars().count()) {
                return Err(AppError::validation(
                    "payout_account",
                    "the account to pay into: 4 to 200 characters (bank card or Alipay/WeChat account)",
                ));
            }
            if state != RewardState::Approved {
                return Err(AppError::Conflict(format!(
                    "a reward that is {} cannot be claimed",
                    state.as_str()
                )));
            }
            if !open {
                return Err(AppError::Conflict("the claim window has closed".to_owned()));
            }
            let changed = guarded(txn, &r)
                .col_expr(
                    reward::Column::State,
                    Expr::value(RewardState::Claimed.as_str()),
                )
                .col_expr(reward::Column::ClaimedAt, Expr::value(Some(now)))
                .col_expr(
                    reward::Column::PayoutAccountEnc,
                    Expr::value(Some(pii.encrypt(&account))),
                )
                .exec(txn)
                .await?;
            raced(changed.rows_affected)?;
            Ok((state, RewardState::Claimed))
        }
        None => {
            if !matches!(state, RewardState::Approved | RewardState::Claimed)
                || (state == RewardState::Approved && !open)
            {
                return Err(AppError::Conflict(format!(
                    "a reward that is {} cannot be declined",
                    state.as_str()
                )));
            }
            let changed = guarded(txn, &r)
                .col_expr(
                    reward::Column::State,
                    Expr::value(RewardState::Declined.as_str()),
                )
                .col_expr(reward::Column::ClosedAt, Expr::value(Some(now)))
                .col_expr(
                    reward::Column::PayoutAccountEnc,
                    Expr::value(None::<String>),
                )
                .exec(txn)
                .await?;
            raced(changed.rows_affected)?;
            Ok((state, RewardState::Declined))
        }
    }
}

/// A claimed (or paid) reward's payout account, decrypted for the finance
/// office, with an audit entry in the same transaction. The account is
/// personal data: nobody else reads it, and it is never in a list.
pub async fn reveal_payout_account(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    actor: &str,
    code: &str,
) -> Result<PayoutAccount, AppError> {
    let code = shared::report::tracking_code::normalize(code).ok_or(AppError::NotFound)?;
    let txn = crate::db::begin_write(db).await?;
    let c = case::Entity::find()
        .filter(case::Column::Code.eq(code.as_str()))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = for_case(&txn, c.id).await?.ok_or(AppError::NotFound)?;
    let state = RewardState::parse(&r.state);
    let Some(enc) = r
        .payout_account_enc
        .as_deref()
        .filter(|_| matches!(state, Some(RewardState::Claimed | RewardState::Paid)))
    else {
        return Err(AppError::Conflict(
            "the reward has no payout account: it has not been claimed".to_owned(),
        ));
    };
    let account = pii.decrypt(enc).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("payout account of reward {}: {e}", r.id))
    })?;
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor,
            action: "reward.reveal_payout_account",
            object_type: "case",
            object_id: &c.code,
            detail: Some(format!("reward {} ({})", r.id, r.state)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(PayoutAccount {
        case: c.code,
        payout_account: account,
    })
}

/// The department codes, for queues and the ledger.
/// The reward queue (奖励队列): the rewards in `states`, oldest proposal
/// first, each with its case (read in the same query) and eligibility.
pub async fn queue(
    conn: &impl ConnectionTrait,
    states: &[&str],
) -> Result<Vec<RewardQueueItem>, DbErr> {
    let rows = reward::Entity::find()
        .filter(reward::Column::State.is_in(states.iter().copied()))
        .find_also_related(case::Entity)
        .order_by_asc(reward::Column::ProposedAt)
        .all(conn)
        .await?;
    let departments = department_codes(conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for (r, c) in rows {
        let Some(c) = c else {
            continue;
        };
        items.push(RewardQueueItem {
            case: c.code.clone(),
            department: c.department_id.and_then(|id| departments.get(&id).cloned()),
            reward: view(conn, &r).await?,
            eligibility: eligibility(conn, &c).await?,
        });
    }
    Ok(items)
}

pub async fn department_codes(conn: &impl ConnectionTrait) -> Result<BTreeMap<i64, String>, DbErr> {
    Ok(department::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect())
}
