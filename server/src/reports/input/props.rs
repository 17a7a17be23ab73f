//! Property tests of the report form's parser: whatever a client sends,
//! `parse` answers a checked report or names every bad field, and never
//! panics; a well-formed report always parses to what was sent.

use super::*;
use proptest::prelude::*;

/// Text a client might send in a field: anything at all, numbers of every
/// shape, dates, phone-like digits, or nothing.
fn field() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        any::<String>(),
        any::<f64>().prop_map(|f| f.to_string()),
        (-200.0..200.0f64).prop_map(|f| format!("{f:.5}")),
        "[-+0-9.eE ]{0,14}",
        "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})",
        "[+0-9 -]{0,20}",
        "(wgs84|gcj02|bd09| )",
        "\\{(\"[a-z]{1,4}\":\"[a-z]{0,4}\",?){0,3}\\}",
        Just(String::new()),
    ])
}

const FIELDS: [&str; 11] = [
    "category",
    "description",
    "lat",
    "coord_system",
    "accuracy",
    "occurred_at",
    "answers",
    "name",
    "phone",
    "corroborates",
    "photo",
];

proptest! {
    #![proptest_config(crate::testing::proptest_config())]

    #[test]
    fn any_form_parses_or_names_its_bad_fields(
        category in field(), description in field(), lat in field(), lon in field(),
        coord_system in field(), accuracy in field(), occurred_at in field(), answers in field(),
        name in field(), phone in field(), corroborates in field(), photos in 0usize..9,
    ) {
        let raw = RawReport {
            category, description, lat, lon, coord_system, accuracy, occurred_at, answers, name, phone, corroborates,
            photos: vec![bytes::Bytes::new(); photos],
        };
        let now = Utc::now();
        match raw.parse(now) {
            Ok(r) => {
                let chars = r.description.chars().count();
                prop_assert!((MIN_DESCRIPTION_CHARS..=MAX_DESCRIPTION_CHARS).contains(&chars));
                prop_assert!(!r.category.is_empty());
                if let Some(p) = r.location {
                    prop_assert!(p.lat.is_finite() && p.lon.is_finite());
                    prop_assert!((-91.0..=91.0).contains(&p.lat) && (-181.0..=181.0).contains(&p.lon));
                }
                if let Some(a) = r.accuracy_m {
                    prop_assert!((0.0..=100_000.0).contains(&a));
                }
                if let Some(t) = r.occurred_at {
                    prop_assert!(t <= now + Duration::minutes(10) && t >= now - Duration::days(366));
                }
                if let Some(id) = &r.identity {
                    prop_assert_eq!(id.phone.len(), 11);
                    prop_assert!(id.name.chars().count() <= 50);
                }
                prop_assert!(r.photos.len() <= MAX_PHOTOS);
            }
            Err(AppError::Validation(fields)) => {
                prop_assert!(!fields.is_empty());
                for (field, error) in &fields {
                    prop_assert!(FIELDS.contains(&field.as_str()), "unknown field {}", field);
                    prop_assert!(!error.message.is_empty());
                }
            }
            Err(other) => prop_assert!(false, "not a validation error: {:?}", other),
        }
    }

    #[test]
    fn a_well_formed_report_parses_to_what_was_sent(
        description in "[^\\s]{5,200}",
        lat in 28.5..30.0f64, lon in 106.0..107.5f64,
        phone in "1[3-9][0-9]{9}", name in "[\\p{Han}]{2,4}",
        minutes_ago in 0i64..500_000,
    ) {
        let now = Utc::now();
        let at = now - Duration::minutes(minutes_ago);
        let raw = RawReport {
            category: Some(" noise_construction ".into()),
            description: Some(description.clone()),
            lat: Some(lat.to_string()),
            lon: Some(lon.to_string()),
            occurred_at: Some(at.to_rfc3339()),
            name: Some(name.clone()),
            phone: Some(format!("+86 {phone}")),
            ..Default::default()
        };
        let r = raw.parse(now).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(r.category, "noise_construction");
        prop_assert_eq!(r.description, description);
        prop_assert_eq!(r.location, Some(LatLon { lat, lon }));
        prop_assert_eq!(r.occurred_at, Some(at));
        prop_assert_eq!(r.identity, Some(Identity { name, phone }));
    }

    #[test]
    fn a_phone_is_eleven_digits_or_nothing(input in "[+0-9 ()-]{0,24}|.{0,24}") {
        if let Some(p) = Phone::parse(&input).map(String::from) {
            prop_assert_eq!(p.len(), 11);
            prop_assert!(p.starts_with('1') && p.chars().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(Phone::parse(&p).map(String::from), Some(p.clone()), "normalising twice changes nothing");
        }
    }
}
