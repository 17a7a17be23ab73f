//! The reward rules in one place (奖励规则): who may take which reward step
//! from which state, whether a case's reporter is eligible and why, and what
//! a tier allows. Pure functions; the service applies them.

use shared::Role;
use shared::case::{ActionKind, CaseState, Finding};
use shared::reward::{Eligibility, EligibilityCheck, RewardState};

/// The reward state a staff action leads to, if the reward's state allows it.
pub fn next_state(current: Option<RewardState>, action: ActionKind) -> Option<RewardState> {
    use RewardState as R;
    match (current, action) {
        // A refused proposal may be made again (corrected).
        (None | Some(R::Rejected), ActionKind::ProposeReward) => Some(R::Proposed),
        (Some(R::Proposed), ActionKind::ApproveReward) => Some(R::Approved),
        (Some(R::Proposed), ActionKind::RejectReward) => Some(R::Rejected),
        // An approved or claimed reward that is no longer due (its reporter
        // excluded, its case found unsubstantiated on review) is withdrawn
        // before it is paid.
        (Some(R::Approved | R::Claimed), ActionKind::RejectReward) => Some(R::Rejected),
        (Some(R::Claimed), ActionKind::PayReward) => Some(R::Paid),
        _ => None,
    }
}

pub fn roles_for(action: ActionKind) -> &'static [Role] {
    match action {
        ActionKind::ProposeReward => &[Role::Handler],
        ActionKind::ApproveReward | ActionKind::RejectReward => &[Role::RewardReviewer],
        ActionKind::PayReward => &[Role::Finance],
        _ => &[],
    }
}

pub fn is_reward_action(action: ActionKind) -> bool {
    matches!(
        action,
        ActionKind::ProposeReward
            | ActionKind::ApproveReward
            | ActionKind::RejectReward
            | ActionKind::PayReward
    )
}

/// What eligibility depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub case_state: CaseState,
    pub finding: Option<Finding>,
    pub rewardable_category: bool,
    /// The case's first report (by server receipt) gave a name and phone.
    pub first_report_named: bool,
    /// That reporter's phone is on the exclusion list.
    pub excluded: bool,
}

fn check(code: &str, ok: bool, yes: &str, no: &str) -> EligibilityCheck {
    EligibilityCheck {
        code: code.to_owned(),
        ok,
        message: if ok { yes } else { no }.to_owned(),
    }
}

/// Whether the case's first reporter can be rewarded, each condition with its
/// reason. "Me too" reports never compete: the first report by the server's
/// receipt time is the one rewarded.
pub fn eligibility(f: &Facts) -> Eligibility {
    let substantiated = matches!(
        f.finding,
        Some(Finding::Substantiated | Finding::PartlySubstantiated)
    );
    let checks = vec![
        check(
            "closed",
            f.case_state == CaseState::Closed,
            "the case is closed with an approved reply",
            "the case is not closed yet",
        ),
        check(
            "substantiated",
            substantiated,
            "the report was found substantiated (属实/部分属实)",
            "only a substantiated or partly substantiated report is rewarded",
        ),
        check(
            "category",
            f.rewardable_category,
            "this kind of problem can earn a reward",
            "this kind of problem is not on the reward list",
        ),
        check(
            "real_name",
            f.first_report_named,
            "the first reporter gave a real name and a phone number",
            "the first report was anonymous; a reward needs a real name and phone",
        ),
        check(
            "not_excluded",
            !f.excluded,
            "the reporter is not excluded from rewards",
            "the reporter is excluded from rewards (e.g. staff of a handling department)",
        ),
    ];
    Eligibility {
        eligible: checks.iter().all(|c| c.ok),
        checks,
    }
}

/// A tier as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub amount_fen: Option<i64>,
    pub percent_of_fine: Option<i32>,
    pub cap_fen: Option<i64>,
    pub needs_penalty: bool,
}

/// Checks a proposed amount against its tier: a fixed tier pays its amount,
/// a share of the fine pays that share (capped), a special tier anything up
/// to its cap. Answers the refusal's field and message.
pub fn check_amount(
    tier: &Tier,
    amount_fen: i64,
    fine_fen: Option<i64>,
) -> Result<(), (&'static str, String)> {
    if amount_fen <= 0 {
        return Err((
            "amount_fen",
            "the amount must be positive, in fen".to_owned(),
        ));
    }
    if let Some(fixed) = tier.amount_fen
        && amount_fen != fixed
    {
        return Err(("amount_fen", format!("this tier pays exactly {fixed} fen")));
    }
    if let Some(percent) = tier.percent_of_fine {
        let Some(fine) = fine_fen.filter(|f| *f > 0) else {
            return Err(("fine_fen", "give the fine imposed, in fen".to_owned()));
        };
        let mut due = fine * i64::from(percent) / 100;
        if let Some(cap) = tier.cap_fen {
            due = due.min(cap);
        }
        if amount_fen != due {
            return Err(("amount_fen", format!("{percent}% of the fine is {due} fen")));
        }
    }
    if let Some(cap) = tier.cap_fen
        && amount_fen > cap
    {
        return Err(("amount_fen", format!("at most {cap} fen")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            case_state: CaseState::Closed,
            finding: Some(Finding::Substantiated),
            rewardable_category: true,
            first_report_named: true,
            excluded: false,
        }
    }

    #[test]
    fn a_closed_substantiated_named_report_is_eligible() {
        assert!(eligibility(&facts()).eligible);
        let mut partly = facts();
        partly.finding = Some(Finding::PartlySubstantiated);
        assert!(eligibility(&partly).eligible);
    }

    #[test]
    fn each_missing_condition_is_named() {
        type Breaks = fn(&mut Facts);
        let cases: [(&str, Breaks); 5] = [
            ("closed", |f| f.case_state = CaseState::ReplyReview),
            ("substantiated", |f| {
                f.finding = Some(Finding::Unsubstantiated)
            }),
            ("category", |f| f.rewardable_category = false),
            ("real_name", |f| f.first_report_named = false),
            ("not_excluded", |f| f.excluded = true),
        ];
        for (code, spoil) in cases {
            let mut f = facts();
            spoil(&mut f);
            let e = eligibility(&f);
            assert!(!e.eligible, "{code}");
            let failed: Vec<&str> = e
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| c.code.as_str())
                .collect();
            assert_eq!(failed, [code]);
        }
    }

    #[test]
    fn reward_steps_follow_their_order() {
        use ActionKind as A;
        use RewardState as R;
        assert_eq!(next_state(None, A::ProposeReward), Some(R::Proposed));
        assert_eq!(
            next_state(Some(R::Rejected), A::ProposeReward),
            Some(R::Proposed)
        );
        assert_eq!(next_state(Some(R::Proposed), A::ProposeReward), None);
        assert_eq!(
            next_state(Some(R::Proposed), A::ApproveReward),
            Some(R::Approved)
        );
        assert_eq!(
            next_state(Some(R::Approved), A::PayReward),
            None,
            "paid only once claimed"
        );
        assert_eq!(next_state(Some(R::Claimed), A::PayReward), Some(R::Paid));
        assert_eq!(next_state(Some(R::Paid), A::PayReward), None);
        // An unpaid reward that is no longer due can be withdrawn; a paid one cannot.
        assert_eq!(
            next_state(Some(R::Approved), A::RejectReward),
            Some(R::Rejected)
        );
        assert_eq!(
            next_state(Some(R::Claimed), A::RejectReward),
            Some(R::Rejected)
        );
        for s in [R::Expired, R::Declined, R::Paid] {
            for a in [
                A::ProposeReward,
                A::ApproveReward,
                A::RejectReward,
                A::PayReward,
            ] {
                assert_eq!(next_state(Some(s), a), None, "{s:?} {a:?}");
            }
        }
    }

    #[test]
    fn amounts_follow_the_tier() {
        let fixed = Tier {
            amount_fen: Some(50_000),
            percent_of_fine: None,
            cap_fen: None,
            needs_penalty: false,
        };
        assert!(check_amount(&fixed, 50_000, None).is_ok());
        assert!(check_amount(&fixed, 60_000, None).is_err());
        assert!(check_amount(&fixed, 0, None).is_err());
        let share = Tier {
            amount_fen: None,
            percent_of_fine: Some(5),
            cap_fen: Some(1_000_000),
            needs_penalty: true,
        };
        assert!(check_amount(&share, 100_000, Some(2_000_000)).is_ok());
        assert_eq!(
            check_amount(&share, 100_000, None).map_err(|e| e.0),
            Err("fine_fen")
        );
        assert!(
            check_amount(&share, 1_000_000, Some(100_000_000)).is_ok(),
            "capped"
        );
        let special = Tier {
            amount_fen: None,
            percent_of_fine: None,
            cap_fen: Some(10_000_000),
            needs_penalty: false,
        };
        assert!(check_amount(&special, 3_000_000, None).is_ok());
        assert!(check_amount(&special, 10_000_001, None).is_err());
    }
}
