//! The reporter's loop after filing (回访): staff ask the reporter for more
//! (补充材料) and the reporter answers on `/track`; when the case is closed
//! the reporter says once whether the problem was solved (满意度回访), and a
//! dissatisfied answer goes to the reviewers' supervision queue (督办); a
//! problem that came back within 30 days of closing opens a new case linked
//! to the old one.
//!
//! Nothing here is public: a question may say something of the reporter, an
//! answer and a comment are the reporter's words.

use serde::{Deserialize, Serialize};

pub const QUESTION_MAX_CHARS: usize = 1000;
pub const ANSWER_MAX_CHARS: usize = 2000;
pub const COMMENT_MAX_CHARS: usize = 500;
/// Photos an answer may bring (through the residents' photo pipeline).
pub const MAX_ANSWER_PHOTOS: usize = 3;
/// Below this many ratings a department's satisfaction is not published:
/// with one or two, the figures would tell each reporter's answer.
pub const MIN_RATINGS_SHOWN: u64 = 5;
/// How long after closing "the problem came back" opens a linked case.
pub const CAME_BACK_DAYS: i64 = 30;

/// 满意 / 基本满意 / 不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [
        Rating::Satisfied,
        Rating::BasicallySatisfied,
        Rating::Dissatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Satisfied or basically satisfied: what the satisfaction rate counts.
    pub fn is_satisfied(self) -> bool {
        self != Rating::Dissatisfied
    }
}

/// A question staff asked the reporter (补充材料), and the answer once given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfoRequest {
    pub question: String,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

/// The reporter's rating of a closed case. The comment is shown to the
/// reporter who wrote it and to staff, never publicly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingView {
    pub rating: Rating,
    pub comment: Option<String>,
    pub rated_at: String,
}

/// One dissatisfied rating in the supervision queue (督办).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionItem {
    pub id: i64,
    pub case: String,
    pub category: String,
    pub category_name: String,
    pub category_name_en: String,
    /// The department that closed it, and the handler it was assigned to.
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub handler: Option<String>,
    pub closed_at: Option<String>,
    pub rated_at: String,
    pub comment: Option<String>,
    /// Once a reviewer has dealt with it: when, who and what was done.
    pub handled_at: Option<String>,
    pub handled_by: Option<String>,
    pub handled_note: Option<String>,
}

/// `POST /api/v1/supervision/{id}/handle`: what the reviewer did about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionHandle {
    pub note: String,
}

/// Satisfaction per department, as NYC 311 publishes its survey: of the
/// cases it closed, how many reporters answered, and how many of those
/// were satisfied or basically satisfied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    pub department: String,
    pub department_name: String,
    pub department_name_en: String,
    pub closed: u64,
    pub rated: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub dissatisfied: u64,
    /// rated / closed, 0 to 1; none before any case is closed.
    pub response_rate: Option<f64>,
    /// (satisfied + basically satisfied) / rated; none before any rating.
    pub satisfaction_rate: Option<f64>,
    /// Fewer than [`MIN_RATINGS_SHOWN`] ratings: the rating counts and
    /// rates are withheld (zero and none), only `closed` is shown.
    #[serde(default)]
    pub withheld: bool,
}

impl Satisfaction {
    /// The rates from the counts, or nothing but `closed` when there are
    /// too few ratings to publish.
    pub fn with_rates(mut self) -> Self {
        if self.rated < MIN_RATINGS_SHOWN {
            return Satisfaction {
                rated: 0,
                satisfied: 0,
                basically_satisfied: 0,
                dissatisfied: 0,
                response_rate: None,
                satisfaction_rate: None,
                withheld: true,
                ..self
            };
        }
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        self.response_rate = ratio(self.rated, self.closed);
        self.satisfaction_rate = ratio(self.satisfied + self.basically_satisfied, self.rated);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_read_back_and_rates_come_from_the_counts() {
        for r in Rating::ALL {
            assert_eq!(Rating::parse(r.as_str()), Some(r));
        }
        assert_eq!(Rating::parse("meh"), None);
        let s = Satisfaction {
            department: "environment".to_owned(),
            department_name: String::new(),
            department_name_en: String::new(),
            closed: 10,
            rated: 4,
            satisfied: 2,
            basically_satisfied: 1,
            dissatisfied: 1,
            response_rate: None,
            satisfaction_rate: None,
            withheld: false,
        };
        let shown = Satisfaction {
            closed: 20,
            rated: 8,
            satisfied: 4,
            basically_satisfied: 2,
            dissatisfied: 2,
            ..s.clone()
        }
        .with_rates();
        assert_eq!(shown.response_rate, Some(0.4));
        assert_eq!(shown.satisfaction_rate, Some(0.75));
        assert!(!shown.withheld);
        // Four ratings would tell each reporter's answer.
        let few = s.with_rates();
        assert!(few.withheld);
        assert_eq!(
            (
                few.closed,
                few.rated,
                few.dissatisfied,
                few.satisfaction_rate
            ),
            (10, 0, 0, None)
        );
    }
}
