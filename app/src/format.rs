//! Labels and times as residents read them: case states and timeline
//! actions in Chinese or English, times in Chongqing time (UTC+8).

use crate::i18n::*;
/// Chongqing (China Standard Time, UTC+8, no daylight saving), whatever the
/// phone's time zone.
const CST_MINUTES: i64 = 8 * 60;

/// `2026-11-28T13:30:00Z` → `2026-11-28 21:30`; the input when it is not a time.
pub fn local_time(rfc3339: &str) -> String {
    match in_chongqing(rfc3339) {
        Some(t) => format!("{} {:02}:{:02}", t.date(), t.hour, t.minute),
        None => rfc3339.to_owned(),
    }
}

/// `2026-11-28`.
pub fn local_date(rfc3339: &str) -> String {
    match in_chongqing(rfc3339) {
        Some(t) => t.date(),
        None => rfc3339.to_owned(),
    }
}

/// A `datetime-local` value (`2026-11-28T21:30`) read as Chongqing time →
/// `2026-11-28T21:30:00+08:00`. None when empty or not a time.
pub fn datetime_local_to_rfc3339(value: &str) -> Option<String> {
    let (t, rest) = Civil::parse(value.trim())?;
    rest.is_empty().then(|| {
        format!(
            "{}T{:02}:{:02}:{:02}+08:00",
            t.date(),
            t.hour,
            t.minute,
            t.second
        )
    })
}

// Times are read and written by hand rather than with chrono: its format
// strings are parsed when they run, and that machinery was a tenth of the
// console's WebAssembly for the three shapes above (issue 15).

/// A calendar date and a time of day, checked.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Civil {
    /// `YYYY-MM-DDTHH:MM[:SS[.fraction]]` (a space or `t` for the `T`, as
    /// RFC 3339 allows), and what follows it.
    fn parse(s: &str) -> Option<(Civil, &str)> {
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Option<u32> {
            let digits = b.get(from..from + len)?;
            digits.iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(at(4, b'-')
            && at(7, b'-')
            && matches!(b.get(10), Some(b'T' | b't' | b' '))
            && at(13, b':'))
        {
            return None;
        }
        let mut t = Civil {
            year: i64::from(num(0, 4)?),
            month: num(5, 2)?,
            day: num(8, 2)?,
            hour: num(11, 2)?,
            minute: num(14, 2)?,
            second: 0,
        };
        let mut end = 16;
        if at(16, b':') {
            t.second = num(17, 2)?;
            end = 19;
            if at(19, b'.') {
                end = 20 + b[20..].iter().take_while(|d| d.is_ascii_digit()).count();
                if end == 20 {
                    return None;
                }
            }
        }
        let valid = (1..=12).contains(&t.month)
            && t.day >= 1
            && t.day <= days_in_month(t.year, t.month)
            && t.hour < 24
            && t.minute < 60
            // A leap second, as RFC 3339 allows.
            && t.second <= 60;
        valid.then(|| (t, &s[end..]))
    }

    fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An RFC 3339 time (`Z` or `±HH:MM`) as a Chongqing clock shows it.
fn in_chongqing(rfc3339: &str) -> Option<Civil> {
    let (t, zone) = Civil::parse(rfc3339)?;
    let offset = match zone.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let [h1, h2, m1, m2] = digits.map(|d| i64::from(d - b'0'));
            let (hours, minutes) = (h1 * 10 + h2, m1 * 10 + m2);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    let minutes = days_from_civil(t.year, t.month, t.day) * 1440
        + i64::from(t.hour) * 60
        + i64::from(t.minute)
        - offset
        + CST_MINUTES;
    let (year, month, day) = civil_from_days(minutes.div_euclid(1440));
    let of_day = minutes.rem_euclid(1440);
    Some(Civil {
        year,
        month,
        day,
        hour: (of_day / 60) as u32,
        minute: (of_day % 60) as u32,
        second: t.second,
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn state_label(locale: Locale, state: &str) -> String {
    let s = match state {
        "submitted" => td_string!(locale, state_submitted),
        "accepted" => td_string!(locale, state_accepted),
        "rejected" => td_string!(locale, state_rejected),
        "merged" => td_string!(locale, state_merged),
        "investigating" => td_string!(locale, state_investigating),
        "reply_review" => td_string!(locale, state_reply_review),
        "closed" => td_string!(locale, state_closed),
        other => return other.replace('_', " "),
    };
    s.to_owned()
}

/// A timeline entry's label: the action (both the verb the API takes and the
/// past form), else the state it led to, else the raw name.
pub fn action_label(locale: Locale, action: &str, state: Option<&str>) -> String {
    let s = match action {
        "submitted" | "submit" => td_string!(locale, action_submitted),
        "corroborated" | "corroborate" => td_string!(locale, action_corroborated),
        "accepted" | "accept" => td_string!(locale, state_accepted),
        "rejected" | "reject" => td_string!(locale, state_rejected),
        "merged" | "merge" => td_string!(locale, state_merged),
        "assigned" | "assign" => td_string!(locale, action_assigned),
        "transferred" | "transfer" => td_string!(locale, action_transferred),
        "investigating" => td_string!(locale, state_investigating),
        "reply_drafted" | "draft_reply" => td_string!(locale, action_reply_drafted),
        "reply_approved" | "approve_reply" => td_string!(locale, action_reply_approved),
        "reply_returned" | "return_reply" => td_string!(locale, action_reply_returned),
        "extended" | "extend" => td_string!(locale, action_extended),
        "closed" | "close" => td_string!(locale, state_closed),
        "contested" | "contest" => td_string!(locale, action_contested),
        "reward_proposed" | "propose_reward" => td_string!(locale, action_reward_proposed),
        "reward_approved" | "approve_reward" => td_string!(locale, action_reward_approved),
        "reward_rejected" | "reject_reward" => td_string!(locale, action_reward_rejected),
        "reward_claimed" | "claim_reward" => td_string!(locale, action_reward_claimed),
        "reward_paid" | "pay_reward" => td_string!(locale, action_reward_paid),
        "reward_declined" | "decline_reward" => td_string!(locale, action_reward_declined),
        "reward_expired" | "expire_reward" => td_string!(locale, action_reward_expired),
        "reward_held" | "hold_reward" => td_string!(locale, action_reward_held),
        "reward_released" | "release_reward" => td_string!(locale, action_reward_released),
        "request_info" => td_string!(locale, action_request_info),
        "answer_info" => td_string!(locale, action_answer_info),
        "rated" => td_string!(locale, action_rated),
        "came_back" => td_string!(locale, action_came_back),
        "came_back_from" => td_string!(locale, action_came_back_from),
        _ => {
            return match state {
                Some(st) => state_label(locale, st),
                None => action.replace('_', " "),
            };
        }
    };
    s.to_owned()
}

/// A case's priority (优先级) as people read it: 一般 / 较高 / 紧急; an
/// unknown code as it is.
pub fn priority_label(locale: Locale, priority: &str) -> String {
    let s = match priority {
        "normal" => td_string!(locale, priority_normal),
        "high" => td_string!(locale, priority_high),
        "urgent" => td_string!(locale, priority_urgent),
        other => return other.replace('_', " "),
    };
    s.to_owned()
}

/// 属实 / 部分属实 / 不属实.
pub fn finding_label(locale: Locale, finding: shared::case::Finding) -> &'static str {
    use shared::case::Finding;
    match finding {
        Finding::Substantiated => td_string!(locale, finding_substantiated),
        Finding::PartlySubstantiated => td_string!(locale, finding_partly_substantiated),
        Finding::Unsubstantiated => td_string!(locale, finding_unsubstantiated),
    }
}

/// A name in the reader's language: (Chinese, English).
/// 回访's answer, as the reporter chose it.
pub fn rating_label(l: Locale, r: shared::followup::Rating) -> &'static str {
    use shared::followup::Rating;
    match r {
        Rating::Satisfied => td_string!(l, rating_satisfied),
        Rating::BasicallySatisfied => td_string!(l, rating_basically_satisfied),
        Rating::Dissatisfied => td_string!(l, rating_dissatisfied),
    }
}

pub fn named(locale: Locale, zh: &str, en: &str) -> String {
    if locale == Locale::zh_CN || en.is_empty() {
        zh.to_owned()
    } else {
        en.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_chongqing_time() {
        assert_eq!(local_time("2026-11-28T13:30:00Z"), "2026-11-28 21:30");
        assert_eq!(local_time("2026-11-28T20:30:00+00:00"), "2026-11-29 04:30");
        assert_eq!(local_time("not a time"), "not a time");
        // Across a year's end and a leap day, with offsets and fractions.
        assert_eq!(local_time("2026-12-31T16:00:00Z"), "2027-01-01 00:00");
        assert_eq!(
            local_time("2028-02-28T20:15:30.123456Z"),
            "2028-02-29 04:15"
        );
        assert_eq!(local_time("2026-11-28T21:30:00+08:00"), "2026-11-28 21:30");
        assert_eq!(local_time("2026-11-28T00:10:00-05:30"), "2026-11-28 13:40");
        assert_eq!(local_time("2026-11-28 13:30:00z"), "2026-11-28 21:30");
        assert_eq!(local_date("2026-11-28T16:30:00Z"), "2026-11-29");
        for bad in [
            "2026-11-28T13:30:00",
            "2026-02-30T13:30:00Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T13:30:00+8:00",
            "2026-11-28T13:30:00.Z",
            "2026-11-28T13:30:00Z junk",
            "２０２６-11-28T13:30:00Z",
        ] {
            assert_eq!(local_time(bad), bad);
        }
    }

    #[test]
    fn days_count_as_the_calendar_does() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (20_795, (2026, 12, 8)),
        ] {
            assert_eq!(civil_from_days(days), date);
            assert_eq!(days_from_civil(date.0, date.1, date.2), days);
        }
    }

    #[test]
    fn a_datetime_local_value_becomes_rfc3339_in_utc_plus_8() {
        assert_eq!(
            datetime_local_to_rfc3339("2026-11-28T21:30").as_deref(),
            Some("2026-11-28T21:30:00+08:00")
        );
        assert_eq!(datetime_local_to_rfc3339(""), None);
        assert_eq!(datetime_local_to_rfc3339("yesterday"), None);
        assert_eq!(
            datetime_local_to_rfc3339(" 2026-11-28T21:30:15.250 ").as_deref(),
            Some("2026-11-28T21:30:15+08:00")
        );
        assert_eq!(datetime_local_to_rfc3339("2026-13-28T21:30"), None);
        assert_eq!(datetime_local_to_rfc3339("2026-11-28T21:30Z"), None);
    }

    #[test]
    fn states_and_actions_have_chinese_labels() {
        assert_eq!(state_label(Locale::zh_CN, "investigating"), "调查处理中");
        assert_eq!(
            action_label(Locale::zh_CN, "corroborated", None),
            "其他居民反映了同一问题"
        );
        assert_eq!(
            action_label(Locale::en, "accept", Some("accepted")),
            "Accepted"
        );
        assert_eq!(
            action_label(Locale::zh_CN, "something_new", Some("closed")),
            "已办结"
        );
        assert_eq!(priority_label(Locale::zh_CN, "high"), "较高");
        assert_eq!(priority_label(Locale::en, "urgent"), "Urgent");
    }
}
