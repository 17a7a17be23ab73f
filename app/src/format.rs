//! Labels and times as residents read them: case states and timeline
//! actions in Chinese or English, times in Chongqing time (UTC+8).

use crate::i18n::*;
use chrono::{DateTime, FixedOffset, NaiveDateTime};

/// Chongqing (China Standard Time), whatever the phone's time zone.
fn cst() -> Option<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
}

/// `2026-11-28T13:30:00Z` → `2026-11-28 21:30`; the input when it is not a time.
pub fn local_time(rfc3339: &str) -> String {
    match (DateTime::parse_from_rfc3339(rfc3339), cst()) {
        (Ok(t), Some(tz)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        _ => rfc3339.to_owned(),
    }
}

/// `2026-11-28`.
pub fn local_date(rfc3339: &str) -> String {
    match (DateTime::parse_from_rfc3339(rfc3339), cst()) {
        (Ok(t), Some(tz)) => t.with_timezone(&tz).format("%Y-%m-%d").to_string(),
        _ => rfc3339.to_owned(),
    }
}

/// A `datetime-local` value (`2026-11-28T21:30`) read as Chongqing time →
/// `2026-11-28T21:30:00+08:00`. None when empty or not a time.
pub fn datetime_local_to_rfc3339(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(format!("{}+08:00", naive.format("%Y-%m-%dT%H:%M:%S")))
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
    }

    #[test]
    fn a_datetime_local_value_becomes_rfc3339_in_utc_plus_8() {
        assert_eq!(
            datetime_local_to_rfc3339("2026-11-28T21:30").as_deref(),
            Some("2026-11-28T21:30:00+08:00")
        );
        assert_eq!(datetime_local_to_rfc3339(""), None);
        assert_eq!(datetime_local_to_rfc3339("yesterday"), None);
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
