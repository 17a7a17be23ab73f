//! The district's calendar: a day as residents and staff name it, in
//! Chongqing time (UTC+8, no daylight saving), as the instant it starts.

use crate::error::AppError;
use chrono::{DateTime, Duration, NaiveDate, Utc};

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
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(bad)?;
    // Chongqing midnight is 16:00 UTC the day before.
    midnight
        .checked_sub_signed(Duration::hours(8))
        .ok_or_else(bad)
}
