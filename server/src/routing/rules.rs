//! Choosing a department for a report (分派): pure matching of routing rules,
//! most specific first. The district environment bureau is the fallback,
//! applied by the service when no rule matches.

use crate::directory::calendar;
use chrono::{DateTime, Timelike, Utc};

/// A case's priority. Ordered, so a rule or a quiet period can only raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Normal,
    High,
    /// 紧急: e.g. noise during 高考/中考.
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        [Priority::Normal, Priority::High, Priority::Urgent]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A time of day in Chongqing (UTC+8, no daylight saving), in minutes.
pub fn local_minute(at: DateTime<Utc>) -> i32 {
    let t = calendar::local(at);
    (t.hour() * 60 + t.minute()) as i32
}

/// A window of the day, `[start, end)` in minutes; it wraps midnight when
/// `end <= start` (22:00–06:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i32,
    pub end: i32,
}

impl Window {
    pub fn contains(self, minute: i32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    /// `"22:00"` → 1320.
    pub fn parse_time(s: &str) -> Option<i32> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
    }

    pub fn format_time(minute: i32) -> String {
        format!("{:02}:{:02}", minute / 60, minute % 60)
    }
}

/// What a rule matches on; `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub category: Option<String>,
    pub group: Option<String>,
    pub area_id: Option<i64>,
    pub window: Option<Window>,
    pub department_id: i64,
    pub co_department_id: Option<i64>,
    pub priority: Option<Priority>,
}

/// The report being routed.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub category: &'a str,
    pub group: &'a str,
    pub area_id: Option<i64>,
    /// When the problem happened (or was reported), local minutes.
    pub minute: i32,
}

impl Rule {
    pub fn matches(&self, s: &Subject) -> bool {
        self.category.as_deref().is_none_or(|c| c == s.category)
            && self.group.as_deref().is_none_or(|g| g == s.group)
            && self.area_id.is_none_or(|a| Some(a) == s.area_id)
            && self.window.is_none_or(|w| w.contains(s.minute))
    }

    /// How narrowly the rule applies: a category outweighs a group, an area
    /// outweighs a kind of problem (a town's own office beats a bureau for
    /// the same category), a time window breaks the remaining ties.
    pub fn specificity(&self) -> u32 {
        let kind = if self.category.is_some() {
            4
        } else if self.group.is_some() {
            2
        } else {
            0
        };
        kind + if self.area_id.is_some() { 5 } else { 0 } + u32::from(self.window.is_some())
    }
}

/// The most specific matching rule; among equals, the oldest (lowest id), so
/// adding a rule never silently takes over another's cases.
pub fn choose<'r>(rules: &'r [Rule], subject: &Subject) -> Option<&'r Rule> {
    rules
        .iter()
        .filter(|r| r.matches(subject))
        .max_by_key(|r| (r.specificity(), std::cmp::Reverse(r.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, department_id: i64) -> Rule {
        Rule {
            id,
            category: None,
            group: None,
            area_id: None,
            window: None,
            department_id,
            co_department_id: None,
            priority: None,
        }
    }

    fn subject(
        category: &'static str,
        group: &'static str,
        area_id: Option<i64>,
        minute: i32,
    ) -> Subject<'static> {
        Subject {
            category,
            group,
            area_id,
            minute,
        }
    }

    #[test]
    fn a_window_may_wrap_midnight() {
        let night = Window {
            start: 22 * 60,
            end: 6 * 60,
        };
        assert!(night.contains(23 * 60) && night.contains(0) && night.contains(5 * 60 + 59));
        assert!(
            !night.contains(6 * 60) && !night.contains(12 * 60) && !night.contains(21 * 60 + 59)
        );
        let day = Window {
            start: 8 * 60,
            end: 18 * 60,
        };
        assert!(day.contains(8 * 60) && !day.contains(18 * 60));
    }

    #[test]
    fn times_parse_and_format() {
        assert_eq!(Window::parse_time("22:00"), Some(1320));
        assert_eq!(Window::parse_time("6:05"), Some(365));
        assert_eq!(Window::parse_time("24:00"), None);
        assert_eq!(Window::parse_time("noon"), None);
        assert_eq!(Window::format_time(365), "06:05");
    }

    #[test]
    fn chongqing_time_is_utc_plus_eight() {
        let at =
            DateTime::parse_from_rfc3339("2026-06-01T15:30:00Z").map(|d| d.with_timezone(&Utc));
        assert_eq!(at.map(local_minute), Ok(23 * 60 + 30));
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let mut by_group = rule(1, 10);
        by_group.group = Some("noise".into());
        let mut by_category = rule(2, 20);
        by_category.category = Some("noise_construction".into());
        let mut at_night = rule(3, 30);
        at_night.category = Some("noise_construction".into());
        at_night.window = Some(Window {
            start: 1320,
            end: 360,
        });
        let mut in_town = rule(4, 40);
        in_town.group = Some("noise".into());
        in_town.area_id = Some(7);
        let rules = [by_group, by_category, at_night, in_town];

        let day = subject("noise_construction", "noise", Some(1), 600);
        assert_eq!(choose(&rules, &day).map(|r| r.department_id), Some(20));
        let night = subject("noise_construction", "noise", Some(1), 1400);
        assert_eq!(choose(&rules, &night).map(|r| r.department_id), Some(30));
        let town = subject("noise_construction", "noise", Some(7), 1400);
        assert_eq!(choose(&rules, &town).map(|r| r.department_id), Some(40));
        let social = subject("noise_social", "noise", None, 600);
        assert_eq!(choose(&rules, &social).map(|r| r.department_id), Some(10));
        let water = subject("water_outfall", "water", None, 600);
        assert_eq!(choose(&rules, &water), None);
    }

    #[test]
    fn among_equals_the_oldest_rule_wins() {
        let mut a = rule(5, 50);
        a.group = Some("dust".into());
        let mut b = rule(9, 90);
        b.group = Some("dust".into());
        let rules = [b, a];
        assert_eq!(
            choose(&rules, &subject("dust_road", "dust", None, 0)).map(|r| r.id),
            Some(5)
        );
    }

    #[test]
    fn priorities_are_ordered() {
        assert!(Priority::Urgent > Priority::High && Priority::High > Priority::Normal);
        assert_eq!(Priority::parse("high"), Some(Priority::High));
        assert_eq!(Priority::parse("HIGH"), None);
    }
}
