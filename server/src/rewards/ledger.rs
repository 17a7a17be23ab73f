//! The reward ledger (奖励台账) for the finance office: every reward with its
//! case and payment, read in two queries however many there are, and summed
//! by month (of the proposal, Chongqing time) and department.

use super::service::department_codes;
use crate::db::entities::{case, reward, reward_payment};
use crate::directory::calendar;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use shared::reward::RewardState;
use std::collections::BTreeMap;

/// One reward as the ledger lists it.
pub struct Row {
    pub reward: reward::Model,
    /// The case's tracking code (empty only if the case row were missing).
    pub case_code: String,
    /// The responsible department's code, if any.
    pub department: String,
    pub payment: Option<reward_payment::Model>,
}

impl Row {
    /// The month the reward was proposed in: `2026-11`.
    pub fn month(&self) -> String {
        calendar::month(self.reward.proposed_at)
    }

    /// Approved once: an approval sets the claim deadline, which stays.
    pub fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.reward
            .reviewed_at
            .filter(|_| self.reward.claim_deadline.is_some())
    }
}

/// Every reward, oldest proposal first.
pub async fn rows(conn: &impl ConnectionTrait) -> Result<Vec<Row>, DbErr> {
    let rewards = reward::Entity::find()
        .find_also_related(case::Entity)
        .order_by_asc(reward::Column::ProposedAt)
        .all(conn)
        .await?;
    let mut payments: BTreeMap<i64, reward_payment::Model> = reward_payment::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.reward_id, p))
        .collect();
    let departments = department_codes(conn).await?;
    Ok(rewards
        .into_iter()
        .map(|(r, c)| Row {
            case_code: c.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
            department: c
                .and_then(|c| c.department_id)
                .and_then(|id| departments.get(&id).cloned())
                .unwrap_or_default(),
            payment: payments.remove(&r.id),
            reward: r,
        })
        .collect())
}

/// How many rewards reached a step, and their amount in fen.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub fen: i64,
}

impl Tally {
    fn add(&mut self, fen: i64) {
        self.count += 1;
        self.fen += fen;
    }
}

/// One month and department of the summary. Each step counts the rewards
/// that reached it, whatever happened after; `paid` sums what was paid,
/// the others the amounts approved or proposed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MonthTotals {
    pub proposed: Tally,
    pub approved: Tally,
    pub claimed: Tally,
    pub paid: Tally,
    pub expired: Tally,
}

/// The summary, by (month, department), in that order.
pub fn summarise(rows: &[Row]) -> BTreeMap<(String, String), MonthTotals> {
    let mut totals: BTreeMap<(String, String), MonthTotals> = BTreeMap::new();
    for row in rows {
        let r = &row.reward;
        let t = totals
            .entry((row.month(), row.department.clone()))
            .or_default();
        let state = RewardState::parse(&r.state).unwrap_or(RewardState::Proposed);
        t.proposed.add(r.amount_fen);
        if r.claim_deadline.is_some() {
            t.approved.add(r.amount_fen);
        }
        if r.claimed_at.is_some() && state != RewardState::Declined {
            t.claimed.add(r.amount_fen);
        }
        if state == RewardState::Paid {
            t.paid
                .add(row.payment.as_ref().map(|p| p.amount_fen).unwrap_or(0));
        }
        if state == RewardState::Expired {
            t.expired.add(r.amount_fen);
        }
    }
    totals
}

/// The summary as CSV: a header row, then a row per month and department.
pub fn summary_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "month,department,proposed,proposed_fen,approved,approved_fen,claimed,claimed_fen,paid,paid_fen,expired,expired_fen\r\n",
    );
    for ((m, d), t) in summarise(rows) {
        let mut fields = vec![crate::csv::field(&m), crate::csv::field(&d)];
        for tally in [t.proposed, t.approved, t.claimed, t.paid, t.expired] {
            fields.push(tally.count.to_string());
            fields.push(tally.fen.to_string());
        }
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One row per reward as CSV. The payout account is never in it: finance
/// reveals it one reward at a time, audited.
pub fn detail_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "case,department,month,tier,state,amount_fen,proposed_at,approved_at,claimed_at,paid_at,paid_amount_fen,payment_reference\r\n",
    );
    for row in rows {
        let r = &row.reward;
        let p = row.payment.as_ref();
        let fields = [
            row.case_code.clone(),
            row.department.clone(),
            row.month(),
            r.tier_code.clone(),
            r.state.clone(),
            r.amount_fen.to_string(),
            r.proposed_at.to_rfc3339(),
            row.approved_at()
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
            r.claimed_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            p.map(|p| p.paid_at.to_rfc3339()).unwrap_or_default(),
            p.map(|p| p.amount_fen.to_string()).unwrap_or_default(),
            p.map(|p| p.payment_reference.clone()).unwrap_or_default(),
        ];
        out.push_str(&crate::csv::row(fields.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(state: RewardState, department: &str, proposed: (u32, u32)) -> Row {
        let at = |d: u32| Utc.with_ymd_and_hms(2026, proposed.0, d, 3, 0, 0).unwrap();
        let approved = !matches!(state, RewardState::Proposed | RewardState::Rejected);
        let claimed = matches!(state, RewardState::Claimed | RewardState::Paid);
        Row {
            reward: reward::Model {
                id: 1,
                case_id: 1,
                report_id: 1,
                state: state.as_str().to_owned(),
                tier_code: "fixed".to_owned(),
                amount_fen: 50_000,
                basis: String::new(),
                penalty_decision: None,
                fine_fen: None,
                target: None,
                proposed_by: 1,
                proposed_at: at(proposed.1),
                reviewed_by: approved.then_some(2),
                reviewed_at: approved.then(|| at(proposed.1 + 1)),
                review_note: None,
                claim_deadline: approved.then(|| at(28)),
                claimed_at: claimed.then(|| at(proposed.1 + 2)),
                payout_account_enc: None,
                closed_at: None,
                version: 1,
                held_at: None,
            },
            case_code: "BN-0000-0000".to_owned(),
            department: department.to_owned(),
            payment: (state == RewardState::Paid).then(|| reward_payment::Model {
                id: 1,
                reward_id: 1,
                paid_by: 3,
                paid_at: at(proposed.1 + 3),
                amount_fen: 48_000,
                payment_reference: "TX-1".to_owned(),
            }),
        }
    }

    #[test]
    fn each_step_counts_the_rewards_that_reached_it_and_paid_sums_what_was_paid() {
        let rows = [
            row(RewardState::Paid, "BN-EPB", (11, 2)),
            row(RewardState::Proposed, "BN-EPB", (11, 5)),
            row(RewardState::Expired, "BN-EPB", (11, 6)),
            row(RewardState::Claimed, "BN-WATER", (11, 7)),
        ];
        let totals = summarise(&rows);
        let epb = &totals[&("2026-11".to_owned(), "BN-EPB".to_owned())];
        let t = |count, fen| Tally { count, fen };
        assert_eq!(epb.proposed, t(3, 150_000));
        assert_eq!(epb.approved, t(2, 100_000));
        assert_eq!(epb.claimed, t(1, 50_000));
        assert_eq!(
            epb.paid,
            t(1, 48_000),
            "the amount paid, not the amount approved"
        );
        assert_eq!(epb.expired, t(1, 50_000));
        let water = &totals[&("2026-11".to_owned(), "BN-WATER".to_owned())];
        assert_eq!(water.claimed, t(1, 50_000));
        assert_eq!(water.paid, Tally::default());
    }

    #[test]
    fn the_csv_has_a_header_and_a_row_per_month_and_department() {
        let rows = [
            row(RewardState::Paid, "BN-EPB", (10, 2)),
            row(RewardState::Paid, "BN-EPB", (11, 2)),
        ];
        let csv = summary_csv(&rows);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert_eq!(
            lines[1],
            "\"2026-10\",\"BN-EPB\",1,50000,1,50000,1,50000,1,48000,0,0"
        );
        let detail = detail_csv(&rows);
        assert!(
            detail
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("\"BN-0000-0000\",\"BN-EPB\",\"2026-10\""),
            "{detail}"
        );
    }
}
