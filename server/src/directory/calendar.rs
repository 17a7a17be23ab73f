//! The district's calendar: days and months as residents and staff name
//! them, in Chongqing time (UTC+8 all year, no daylight saving), and the
//! instants they start at.

use crate::error::AppError;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// Chongqing's (Beijing) time, UTC+8 all year: the zone every date and time
/// the district's residents and staff read is in.
pub const CHONGQING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The wall-clock time in Chongqing at `at`.
pub fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&CHONGQING).naive_local()
}

/// The instant a Chongqing wall-clock time happens.
pub fn from_local(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc() - Duration::seconds(CHONGQING.local_minus_utc().into())
}

/// The month `at` falls in, Chongqing time: `2026-11`.
pub fn month(at: DateTime<Utc>) -> String {
    local(at).format("%Y-%m").to_string()
}

/// `YYYY-MM-DD` → the start of that day in Chongqing (or of the next day
/// when `end`, for an inclusive "to" date); a 422 naming `field` otherwise.
pub fn parse_day(field: &str, s: &str, end: bool) -> Result<DateTime<Utc>, AppError> {
    use chrono::Datelike;
    let bad = || AppError::validation(field, "a date as YYYY-MM-DD, from the year 1900 to 9999");
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad())?;
    // Years every database and clock can hold (PostgreSQL refuses dates
    // chrono accepts, which would be a 500).
    if !(1900..=9999).contains(&day.year()) {
        return Err(bad());
    }
    let day = if end {
        day.succ_opt().ok_or_else(bad)?
    } else {
        day
    };
    // Chongqing midnight is 16:00 UTC the day before.
    day.and_hms_opt(0, 0, 0).map(from_local).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_month_is_chongqing_time() {
        // 2026-11-30 20:00 UTC is 1 December, 04:00 in Chongqing.
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).unwrap();
        assert_eq!(month(at), "2026-12");
        assert_eq!(local(at).to_string(), "2026-12-01 04:00:00");
        assert_eq!(from_local(local(at)), at);
    }
}
