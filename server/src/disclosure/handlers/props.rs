//! Property tests of the public list's query parser (also used by
//! `/cases`, the exports and Open311): any query string is a filter or a
//! 4xx naming the parameter, never a panic; dates and pages round-trip.

use super::*;
use proptest::prelude::*;

fn param() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        any::<String>(),
        "[0-9]{1,7}",
        "-?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}",
        "(open|closed|all|accepted|closed,open|true|false|on|1|0| )",
        any::<i64>().prop_map(|n| n.to_string()),
        Just(String::new()),
    ])
}

proptest! {
    #![proptest_config(crate::testing::proptest_config())]

    #[test]
    fn any_query_is_a_filter_or_names_its_bad_parameter(
        category in param(), area in param(), state in param(), from in param(), to in param(),
        disclosed in param(), page in param(), page_size in param(),
    ) {
        let q = PublicQuery { category, area, state, from, to, disclosed, page, page_size, after: None, before: None };
        match q.filter(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) {
            Ok(f) => {
                prop_assert!((1..=100_000).contains(&f.page));
                prop_assert!((1..=MAX_PAGE_SIZE).contains(&f.page_size));
            }
            Err(AppError::Validation(fields)) => {
                prop_assert_eq!(fields.len(), 1);
                let field = fields.keys().next().cloned().unwrap_or_default();
                prop_assert!(["state", "disclosed", "from", "to", "page", "page_size"].contains(&field.as_str()), "{}", field);
            }
            Err(other) => prop_assert!(false, "not a validation error: {:?}", other),
        }
    }

    #[test]
    fn a_day_is_chongqing_midnight(year in 1900i32..2200, month in 1u32..=12, day in 1u32..=28) {
        let text = format!("{year:04}-{month:02}-{day:02}");
        let start = parse_day("from", &text, false).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let end = parse_day("to", &text, true).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(end - start, chrono::Duration::days(1));
        let local = start + chrono::Duration::hours(8);
        prop_assert_eq!(local.format("%Y-%m-%d %H:%M:%S").to_string(), format!("{text} 00:00:00"));
    }

    #[test]
    fn any_day_text_parses_or_is_refused(text in any::<String>(), year in any::<i32>(), month in any::<u8>(), day in any::<u8>()) {
        for t in [text, format!("{year}-{month}-{day}"), format!("{year:+}-01-01")] {
            if let Err(e) = parse_day("from", &t, false) {
                prop_assert!(matches!(e, AppError::Validation(_)));
            }
            let _ = parse_day("to", &t, true);
        }
    }
}

/// The year chrono can still parse but the Chongqing offset overflows (a
/// panic before), and years PostgreSQL cannot hold (a 500 before): a 422.
#[test]
fn a_day_outside_the_years_a_database_holds_is_refused() {
    for day in [
        "-262143-01-01",
        "+262142-12-31",
        "0001-01-01",
        "1899-12-31",
        "10000-01-01",
    ] {
        for end in [false, true] {
            assert!(
                matches!(parse_day("from", day, end), Err(AppError::Validation(_))),
                "{day}"
            );
        }
    }
    assert!(parse_day("from", "1900-01-01", false).is_ok());
    assert!(parse_day("to", "9999-12-31", true).is_ok());
}
