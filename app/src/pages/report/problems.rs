//! What can be wrong with a report, said in the resident's language, and
//! where on the form it is shown. The server's `fields` keys (`description`,
//! `lat`, `answers.every_night`, `phone`, …) map onto the same places.

use crate::i18n::*;
use shared::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Category,
    DescriptionShort,
    DescriptionLong,
    Location,
    LocationOutside,
    Coordinates,
    OccurredFuture,
    OccurredOld,
    OccurredInvalid,
    AnswerRequired,
    AnswerInvalid,
    NameMissing,
    NameLong,
    PhoneMissing,
    Phone,
    Corroborates,
    CorroboratesClosed,
    PhotoTooMany,
    PhotoUnsupported,
    PhotoTooLarge,
    PhotoInvalid,
    PhotosBusy,
    RateLimited,
    /// Anything else, with the server's own words.
    Server(String),
}

impl Problem {
    pub fn text(&self, l: Locale) -> String {
        let s = match self {
            Problem::Category => td_string!(l, err_category),
            Problem::DescriptionShort => td_string!(l, err_description_short),
            Problem::DescriptionLong => td_string!(l, err_description_long),
            Problem::Location => td_string!(l, err_location),
            Problem::LocationOutside => td_string!(l, err_location_outside),
            Problem::Coordinates => td_string!(l, err_coordinates),
            Problem::OccurredFuture => td_string!(l, err_occurred_future),
            Problem::OccurredOld => td_string!(l, err_occurred_old),
            Problem::OccurredInvalid => td_string!(l, err_occurred_invalid),
            Problem::AnswerRequired => td_string!(l, err_answer_required),
            Problem::AnswerInvalid => td_string!(l, err_answer_invalid),
            Problem::NameMissing => td_string!(l, err_name_missing),
            Problem::NameLong => td_string!(l, err_name_long),
            Problem::PhoneMissing => td_string!(l, err_phone_missing),
            Problem::Phone => td_string!(l, err_phone),
            Problem::Corroborates => td_string!(l, err_corroborates),
            Problem::CorroboratesClosed => td_string!(l, err_corroborates_closed),
            Problem::PhotoTooMany => td_string!(l, err_photo_too_many),
            Problem::PhotoUnsupported => td_string!(l, err_photo_unsupported),
            Problem::PhotoTooLarge => td_string!(l, err_photo_too_large),
            Problem::PhotoInvalid => td_string!(l, err_photo_invalid),
            Problem::PhotosBusy => td_string!(l, err_photos_busy),
            Problem::RateLimited => td_string!(l, err_rate_limited),
            Problem::Server(m) => return format!("{} {m}", td_string!(l, err_server)),
        };
        s.to_owned()
    }
}

/// Where a server field's problem is shown: location problems all go to
/// the location step.
pub fn slot(field: &str) -> String {
    match field {
        "lat" | "lon" | "accuracy" | "coord_system" => "lat".to_owned(),
        other => other.to_owned(),
    }
}

/// The id of the element to scroll to for a problem's slot.
pub fn anchor(slot: &str) -> String {
    match slot {
        "category" => "step-category".to_owned(),
        "photo" => "step-photos".to_owned(),
        "lat" => "step-location".to_owned(),
        "description" => "description".to_owned(),
        "occurred_at" => "occurred_at".to_owned(),
        "answers" => "step-details".to_owned(),
        "name" => "name".to_owned(),
        "phone" => "phone".to_owned(),
        "corroborates" => "step-nearby".to_owned(),
        s => match s.strip_prefix("answers.") {
            Some(code) => format!("q-{code}"),
            None => "submit-area".to_owned(),
        },
    }
}

fn one(field: &str, message: &str) -> Problem {
    let m = message.to_ascii_lowercase();
    match slot(field).as_str() {
        "category" => Problem::Category,
        "description" if m.contains("at most") => Problem::DescriptionLong,
        "description" => Problem::DescriptionShort,
        "lat" if m.contains("outside") => Problem::LocationOutside,
        "lat" if m.contains("give the location") => Problem::Location,
        "lat" => Problem::Coordinates,
        "occurred_at" if m.contains("future") => Problem::OccurredFuture,
        "occurred_at" if m.contains("year") => Problem::OccurredOld,
        "occurred_at" => Problem::OccurredInvalid,
        "name" if m.contains("needs a name") => Problem::NameMissing,
        "name" => Problem::NameLong,
        "phone" if m.contains("needs a phone") => Problem::PhoneMissing,
        "phone" => Problem::Phone,
        "corroborates" if m.contains("no longer open") => Problem::CorroboratesClosed,
        "corroborates" => Problem::Corroborates,
        "photo" => Problem::PhotoTooMany,
        s if s == "answers" || s.starts_with("answers.") => {
            if m.contains("please answer") {
                Problem::AnswerRequired
            } else {
                Problem::AnswerInvalid
            }
        }
        _ => Problem::Server(message.to_owned()),
    }
}

/// A refused submission's problems, each in its slot.
pub fn from_api(status: u16, error: &ApiError) -> Vec<(String, Problem)> {
    if !error.fields.is_empty() {
        return error
            .fields
            .iter()
            .map(|(field, message)| {
                let s = slot(field);
                let known = matches!(
                    s.as_str(),
                    "category"
                        | "description"
                        | "lat"
                        | "occurred_at"
                        | "name"
                        | "phone"
                        | "corroborates"
                        | "photo"
                        | "answers"
                ) || s.starts_with("answers.");
                if known {
                    (s, one(field, message))
                } else {
                    (
                        "submit".to_owned(),
                        Problem::Server(format!("{field}: {message}")),
                    )
                }
            })
            .collect();
    }
    let problem = match (status, error.code.as_str()) {
        (409, _) => return vec![("corroborates".to_owned(), Problem::CorroboratesClosed)],
        (413, _) => Problem::PhotoTooLarge,
        (415, "unsupported_format") => Problem::PhotoUnsupported,
        (415, _) => Problem::PhotoUnsupported,
        (429, _) => Problem::RateLimited,
        (422, code)
            if code.contains("photo")
                || code.contains("image")
                || error.message.starts_with("photo") =>
        {
            Problem::PhotoInvalid
        }
        _ => Problem::Server(error.message.clone()),
    };
    let slot = match problem {
        Problem::PhotoTooLarge | Problem::PhotoUnsupported | Problem::PhotoInvalid => "photo",
        _ => "submit",
    };
    vec![(slot.to_owned(), problem)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn server_fields_land_next_to_their_inputs() {
        let error = ApiError {
            code: "validation_failed".into(),
            message: "some fields are invalid".into(),
            fields: BTreeMap::from([
                (
                    "description".to_owned(),
                    "describe the problem in at least 5 characters".to_owned(),
                ),
                (
                    "answers.every_night".to_owned(),
                    "please answer: 是否每晚都有".to_owned(),
                ),
                (
                    "lat".to_owned(),
                    "the location is outside Banan District".to_owned(),
                ),
                (
                    "phone".to_owned(),
                    "give a mainland mobile number".to_owned(),
                ),
            ]),
        };
        let got = from_api(422, &error);
        assert!(got.contains(&("description".to_owned(), Problem::DescriptionShort)));
        assert!(got.contains(&("answers.every_night".to_owned(), Problem::AnswerRequired)));
        assert!(got.contains(&("lat".to_owned(), Problem::LocationOutside)));
        assert!(got.contains(&("phone".to_owned(), Problem::Phone)));
        assert_eq!(anchor("answers.every_night"), "q-every_night");
    }
}
