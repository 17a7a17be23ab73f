//! Reward for reporting (举报奖励): tiers, a case's reward and why it is or
//! is not eligible, as the API shows them. Amounts are integers in fen (分).

use serde::{Deserialize, Serialize};

/// A reward's state. The names are part of the interface contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RewardState {
    /// 奖励审核: proposed by the handler, waiting for a reward reviewer.
    Proposed,
    /// Approved; the reporter is told and may claim it until the deadline.
    Approved,
    Rejected,
    /// Claimed with a payout account; waiting for finance.
    Claimed,
    /// 奖金发放: paid, with the payment's reference.
    Paid,
    /// The claim window passed.
    Expired,
    /// The reporter refused it (the national rules allow this).
    Declined,
}

impl RewardState {
    pub const ALL: [RewardState; 7] = [
        RewardState::Proposed,
        RewardState::Approved,
        RewardState::Rejected,
        RewardState::Claimed,
        RewardState::Paid,
        RewardState::Expired,
        RewardState::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RewardState::Proposed => "proposed",
            RewardState::Approved => "approved",
            RewardState::Rejected => "rejected",
            RewardState::Claimed => "claimed",
            RewardState::Paid => "paid",
            RewardState::Expired => "expired",
            RewardState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<RewardState> {
        RewardState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Still counts as the target's reward (not refused, lapsed or declined).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            RewardState::Proposed
                | RewardState::Approved
                | RewardState::Claimed
                | RewardState::Paid
        )
    }
}

/// `GET /api/v1/reward-tiers`: `amount_fen` for a fixed tier,
/// `percent_of_fine` for one paid as a share of the fine, neither for a
/// special tier whose amount the proposer sets up to `cap_fen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardTier {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub amount_fen: Option<i64>,
    pub percent_of_fine: Option<i32>,
    pub cap_fen: Option<i64>,
    /// The penalty decision's number and the fine must be given.
    pub needs_penalty: bool,
}

/// One condition of eligibility, met or not, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityCheck {
    pub code: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Eligibility {
    pub eligible: bool,
    pub checks: Vec<EligibilityCheck>,
}

/// A case's reward as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardView {
    pub state: RewardState,
    pub tier: String,
    pub amount_fen: i64,
    pub basis: String,
    pub penalty_decision: Option<String>,
    pub fine_fen: Option<i64>,
    pub target: Option<String>,
    pub proposed_by: Option<String>,
    pub proposed_at: String,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub claim_deadline: Option<String>,
    pub claimed_at: Option<String>,
    pub paid_at: Option<String>,
    pub payment_reference: Option<String>,
    pub paid_amount_fen: Option<i64>,
    /// On hold (暂缓) while the reporter's contest of the reply is reviewed:
    /// it can be neither approved, claimed nor paid until then.
    #[serde(default)]
    pub on_hold: bool,
}

/// The reporter's view of the reward on the tracking page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterReward {
    pub state: RewardState,
    pub amount_fen: i64,
    pub claim_deadline: Option<String>,
    pub can_claim: bool,
    pub paid_at: Option<String>,
    /// On hold while the contest of the reply is reviewed.
    #[serde(default)]
    pub on_hold: bool,
}

/// A row of the reward queue (`GET /api/v1/rewards`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardQueueItem {
    pub case: String,
    pub department: Option<String>,
    pub reward: RewardView,
    pub eligibility: Eligibility,
}

/// 123456 fen → "1234.56".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_are_shown_as_yuan() {
        assert_eq!(yuan(50_000), "500.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-120), "-1.20");
    }
}

/// A claimed reward's payout account (领奖账户), revealed to the finance
/// office to pay it (`POST /api/v1/rewards/{code}/payout-account`); every
/// reveal is in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutAccount {
    /// The case's tracking code.
    pub case: String,
    pub payout_account: String,
}
