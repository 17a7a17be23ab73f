//! Deadlines (办理时限): when a case must be accepted (受理) and closed
//! (办结), the one extension, and the reporter's contest and claim windows.

use chrono::{DateTime, Duration, Utc};

/// Deadlines (办理时限), configurable; the clock keeps running through a
/// transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// From the report to acceptance or refusal (受理).
    pub accept_days: i64,
    /// From the report to the approved reply (办结).
    pub close_days: i64,
    /// The one extension's longest length.
    pub max_extension_days: i64,
    /// A case due within this many days is flagged "due soon".
    pub warn_days: i64,
    /// How long after the reply the reporter may contest it, and how long
    /// the reviewers then have.
    pub contest_days: i64,
    /// How long a reporter has to claim an approved reward (领奖期限).
    pub claim_days: i64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            accept_days: 15,
            close_days: 60,
            max_extension_days: 30,
            warn_days: 3,
            contest_days: 15,
            claim_days: 60,
        }
    }
}

impl Deadlines {
    pub fn accept_due(&self, submitted: DateTime<Utc>) -> DateTime<Utc> {
        submitted + Duration::days(self.accept_days)
    }

    pub fn close_due(&self, submitted: DateTime<Utc>) -> DateTime<Utc> {
        submitted + Duration::days(self.close_days)
    }

    /// (overdue, due soon) for a deadline.
    pub fn status(&self, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> (bool, bool) {
        match due {
            None => (false, false),
            Some(d) if d < now => (true, false),
            Some(d) => (false, d < now + Duration::days(self.warn_days)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_overdue_after_and_due_soon_within_the_warning_window() {
        let d = Deadlines::default();
        let now = Utc::now();
        assert_eq!(d.status(None, now), (false, false));
        assert_eq!(
            d.status(Some(now - Duration::minutes(1)), now),
            (true, false)
        );
        assert_eq!(d.status(Some(now + Duration::days(2)), now), (false, true));
        assert_eq!(
            d.status(Some(now + Duration::days(10)), now),
            (false, false)
        );
    }
}
