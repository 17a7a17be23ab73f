//! What can be wrong with a report, said in the resident's language, and
//! where on the form it is shown. The server's `fields` keys (`description`,
//! `lat`, `answers.every_night`, `phone`, …) map onto the same places.

use crate::i18n::*;
use shared::{ApiError, FieldError, FieldErrorCode as Code};

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Staff filing for a caller chose no road (受理渠道).
    Channel,
    /// Staff filing for a caller got no answer: nothing was filed.
    NotSent,
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
            Problem::Channel => td_string!(l, err_channel),
            Problem::NotSent => td_string!(l, err_not_sent),
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
        "channel" => "step-channel".to_owned(),
        "category" => "step-category".to_owned(),
        "photo" => "step-photos".to_owned(),
        "document" => "step-documents".to_owned(),
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

/// A field's problem, by the server's code for it (`FieldErrorCode`), never
/// by its English message.
fn one(field: &str, error: &FieldError) -> Problem {
    let s = slot(field);
    let answer = s == "answers" || s.starts_with("answers.");
    match (s.as_str(), error.code) {
        ("channel", _) => Problem::Channel,
        ("category", _) => Problem::Category,
        ("description", Code::TooLong) => Problem::DescriptionLong,
        ("description", _) => Problem::DescriptionShort,
        ("lat", Code::OutOfArea) => Problem::LocationOutside,
        ("lat", Code::Required) => Problem::Location,
        ("lat", _) => Problem::Coordinates,
        ("occurred_at", Code::InFuture) => Problem::OccurredFuture,
        ("occurred_at", Code::TooOld) => Problem::OccurredOld,
        ("occurred_at", _) => Problem::OccurredInvalid,
        ("name", Code::Required) => Problem::NameMissing,
        ("name", _) => Problem::NameLong,
        ("phone", Code::Required) => Problem::PhoneMissing,
        ("phone", _) => Problem::Phone,
        ("corroborates", _) => Problem::Corroborates,
        ("photo", Code::TooMany) => Problem::PhotoTooMany,
        ("photo", _) => Problem::PhotoInvalid,
        (_, Code::Required) if answer => Problem::AnswerRequired,
        _ if answer => Problem::AnswerInvalid,
        _ => Problem::Server(error.message.clone()),
    }
}

/// A refused submission's problems, each in its slot.
pub fn from_api(status: u16, error: &ApiError) -> Vec<(String, Problem)> {
    if !error.fields.is_empty() {
        return error
            .fields
            .iter()
            .map(|(field, error)| {
                let s = slot(field);
                let known = matches!(
                    s.as_str(),
                    "channel"
                        | "category"
                        | "description"
                        | "lat"
                        | "occurred_at"
                        | "name"
                        | "phone"
                        | "corroborates"
                        | "photo"
                        | "document"
                        | "answers"
                ) || s.starts_with("answers.");
                if known {
                    (s, one(field, error))
                } else {
                    (
                        "submit".to_owned(),
                        Problem::Server(format!("{field}: {}", error.message)),
                    )
                }
            })
            .collect();
    }
    // A document brought in by staff (not a PDF, too large, no pages…):
    // the server's words, under the document picker.
    if error.message.starts_with("document ") {
        return vec![(
            "document".to_owned(),
            Problem::Server(error.message.clone()),
        )];
    }
    let problem = match (status, error.code.as_str()) {
        (409, _) => return vec![("corroborates".to_owned(), Problem::CorroboratesClosed)],
        (413, _) => Problem::PhotoTooLarge,
        (415, "unsupported_format") => Problem::PhotoUnsupported,
        (415, _) => Problem::PhotoUnsupported,
        (429, _) => Problem::RateLimited,
        // The photo pipeline's refusals that are not about size or format
        // (`PhotoError::code` on the server).
        (422, "empty_file" | "too_many_pixels" | "decode_too_large" | "corrupt_image") => {
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

    fn refused(fields: &[(&str, Code)]) -> ApiError {
        ApiError {
            fields: fields
                .iter()
                .map(|(field, code)| {
                    // The message is not what the mapping reads: make it
                    // say nothing the old English matching would have found.
                    ((*field).to_owned(), FieldError::new(*code, "—"))
                })
                .collect(),
            ..ApiError::new("validation_failed", "some fields are invalid")
        }
    }

    fn problem(field: &str, code: Code) -> Problem {
        let got = from_api(422, &refused(&[(field, code)]));
        assert_eq!(got.len(), 1, "{got:?}");
        got[0].1.clone()
    }

    #[test]
    fn server_fields_land_next_to_their_inputs() {
        let got = from_api(
            422,
            &refused(&[
                ("description", Code::TooShort),
                ("answers.every_night", Code::Required),
                ("lat", Code::OutOfArea),
                ("accuracy", Code::OutOfRange),
                ("phone", Code::Invalid),
            ]),
        );
        assert!(got.contains(&("description".to_owned(), Problem::DescriptionShort)));
        assert!(got.contains(&("answers.every_night".to_owned(), Problem::AnswerRequired)));
        assert!(got.contains(&("lat".to_owned(), Problem::LocationOutside)));
        assert!(got.contains(&("lat".to_owned(), Problem::Coordinates)));
        assert!(got.contains(&("phone".to_owned(), Problem::Phone)));
        assert_eq!(anchor("answers.every_night"), "q-every_night");
    }

    #[test]
    fn each_code_the_server_sends_for_a_field_has_its_own_words() {
        for (field, code, expected) in [
            ("category", Code::Required, Problem::Category),
            ("category", Code::NotFound, Problem::Category),
            ("description", Code::TooShort, Problem::DescriptionShort),
            ("description", Code::TooLong, Problem::DescriptionLong),
            ("lat", Code::Required, Problem::Location),
            ("lat", Code::OutOfArea, Problem::LocationOutside),
            ("lat", Code::Invalid, Problem::Coordinates),
            ("coord_system", Code::Invalid, Problem::Coordinates),
            ("occurred_at", Code::InFuture, Problem::OccurredFuture),
            ("occurred_at", Code::TooOld, Problem::OccurredOld),
            ("occurred_at", Code::Invalid, Problem::OccurredInvalid),
            ("answers", Code::Invalid, Problem::AnswerInvalid),
            ("answers.smells", Code::Required, Problem::AnswerRequired),
            ("answers.smells", Code::TooLong, Problem::AnswerInvalid),
            ("answers.colour", Code::UnknownField, Problem::AnswerInvalid),
            ("name", Code::Required, Problem::NameMissing),
            ("name", Code::TooLong, Problem::NameLong),
            ("phone", Code::Required, Problem::PhoneMissing),
            ("phone", Code::Invalid, Problem::Phone),
            ("corroborates", Code::NotFound, Problem::Corroborates),
            ("corroborates", Code::Invalid, Problem::Corroborates),
            ("photo", Code::TooMany, Problem::PhotoTooMany),
        ] {
            assert_eq!(problem(field, code), expected, "{field} {code:?}");
        }
    }

    #[test]
    fn every_problem_has_words_in_both_languages() {
        let problems = [
            Problem::Category,
            Problem::DescriptionShort,
            Problem::DescriptionLong,
            Problem::Location,
            Problem::LocationOutside,
            Problem::Coordinates,
            Problem::OccurredFuture,
            Problem::OccurredOld,
            Problem::OccurredInvalid,
            Problem::AnswerRequired,
            Problem::AnswerInvalid,
            Problem::NameMissing,
            Problem::NameLong,
            Problem::PhoneMissing,
            Problem::Phone,
            Problem::Corroborates,
            Problem::PhotoTooMany,
        ];
        for locale in [Locale::zh_CN, Locale::en] {
            let texts: std::collections::BTreeSet<String> =
                problems.iter().map(|p| p.text(locale)).collect();
            assert_eq!(
                texts.len(),
                problems.len(),
                "{locale:?}: two problems, one text"
            );
            assert!(texts.iter().all(|t| !t.is_empty()));
        }
    }

    #[test]
    fn a_photo_the_server_could_not_use_is_shown_at_the_photos_by_its_code() {
        for code in [
            "empty_file",
            "too_many_pixels",
            "decode_too_large",
            "corrupt_image",
        ] {
            let error = ApiError::new(code, "photo 2: —");
            assert_eq!(
                from_api(422, &error),
                vec![("photo".to_owned(), Problem::PhotoInvalid)],
                "{code}"
            );
        }
        let other = ApiError::new("invalid_body", "photo: expected a string");
        assert_eq!(
            from_api(422, &other),
            vec![(
                "submit".to_owned(),
                Problem::Server("photo: expected a string".to_owned())
            )]
        );
    }

    #[test]
    fn a_field_the_form_does_not_have_is_said_in_the_servers_words() {
        let error = ApiError {
            fields: BTreeMap::from([(
                "webhook_url".to_owned(),
                FieldError::new(Code::Invalid, "an https address"),
            )]),
            ..ApiError::new("validation_failed", "webhook_url: an https address")
        };
        assert_eq!(
            from_api(422, &error),
            vec![(
                "submit".to_owned(),
                Problem::Server("webhook_url: an https address".to_owned())
            )]
        );
    }
}
