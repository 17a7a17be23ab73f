//! A report as sent, and the checked report the service stores ("parse,
//! don't validate"): once a `NewReport` exists, every field is known good.

use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use shared::geo::{LatLon, gcj02_to_wgs84};
use std::collections::BTreeMap;

use shared::report::Phone;
pub use shared::report::{MAX_DESCRIPTION_CHARS, MAX_PHOTOS, MIN_DESCRIPTION_CHARS};
use shared::{FieldError, FieldErrorCode as Code};

/// The fields of `POST /api/v1/reports`, as text, before any checking.
#[derive(Debug, Default, Clone)]
pub struct RawReport {
    pub category: Option<String>,
    pub description: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub coord_system: Option<String>,
    pub accuracy: Option<String>,
    pub occurred_at: Option<String>,
    pub answers: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub corroborates: Option<String>,
    pub photos: Vec<bytes::Bytes>,
}

impl RawReport {
    /// The form's text fields, as `POST /api/v1/reports` names them.
    pub const FIELDS: [&'static str; 11] = [
        "category",
        "description",
        "lat",
        "lon",
        "coord_system",
        "accuracy",
        "occurred_at",
        "answers",
        "name",
        "phone",
        "corroborates",
    ];

    /// Whether `name` is one of [`Self::FIELDS`].
    pub fn knows(name: &str) -> bool {
        Self::FIELDS.contains(&name)
    }

    /// The fields as read (a repeated field keeps its last value) and the
    /// photos in order.
    pub fn from_form(texts: Vec<(String, String)>, photos: Vec<bytes::Bytes>) -> Self {
        let mut raw = RawReport {
            photos,
            ..Default::default()
        };
        for (name, value) in texts {
            let slot = match name.as_str() {
                "category" => &mut raw.category,
                "description" => &mut raw.description,
                "lat" => &mut raw.lat,
                "lon" => &mut raw.lon,
                "coord_system" => &mut raw.coord_system,
                "accuracy" => &mut raw.accuracy,
                "occurred_at" => &mut raw.occurred_at,
                "answers" => &mut raw.answers,
                "name" => &mut raw.name,
                "phone" => &mut raw.phone,
                "corroborates" => &mut raw.corroborates,
                _ => continue,
            };
            *slot = Some(value);
        }
        raw
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordSystem {
    Wgs84,
    Gcj02,
}

impl CoordSystem {
    pub fn as_str(self) -> &'static str {
        match self {
            CoordSystem::Wgs84 => "wgs84",
            CoordSystem::Gcj02 => "gcj02",
        }
    }
}

/// A real-name reporter: needed for a reward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    /// Eleven digits, mainland mobile, without +86.
    pub phone: String,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    pub category: String,
    pub description: String,
    /// WGS84 (converted from GCJ-02 if that was sent); None until a photo's
    /// EXIF supplies one.
    pub location: Option<LatLon>,
    pub coord_system: CoordSystem,
    pub accuracy_m: Option<f64>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// Checked against the category's questions by the service.
    pub answers: Map<String, Value>,
    pub identity: Option<Identity>,
    pub corroborates: Option<String>,
    pub photos: Vec<bytes::Bytes>,
}

impl RawReport {
    /// Checks everything that needs no database; all problems at once.
    pub fn parse(self, now: DateTime<Utc>) -> Result<NewReport, AppError> {
        let mut errors: BTreeMap<String, FieldError> = BTreeMap::new();
        let mut fail = |field: &str, code: Code, msg: &str| {
            errors
                .entry(field.to_owned())
                .or_insert_with(|| FieldError::new(code, msg));
        };
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());

        let category = text(self.category).unwrap_or_else(|| {
            fail("category", Code::Required, "choose a category");
            String::new()
        });

        let description = text(self.description).unwrap_or_default();
        let chars = description.chars().count();
        if chars < MIN_DESCRIPTION_CHARS {
            fail(
                "description",
                Code::TooShort,
                &format!("describe the problem in at least {MIN_DESCRIPTION_CHARS} characters"),
            );
        } else if chars > MAX_DESCRIPTION_CHARS {
            fail(
                "description",
                Code::TooLong,
                &format!("the description may have at most {MAX_DESCRIPTION_CHARS} characters"),
            );
        }

        let coord_system = match text(self.coord_system).as_deref() {
            None | Some("wgs84") => CoordSystem::Wgs84,
            Some("gcj02") => CoordSystem::Gcj02,
            Some(_) => {
                fail("coord_system", Code::Invalid, "use wgs84 or gcj02");
                CoordSystem::Wgs84
            }
        };
        let number =
            |v: Option<String>| text(v).map(|s| s.parse::<f64>().ok().filter(|f| f.is_finite()));
        let location = match (number(self.lat), number(self.lon)) {
            (None, None) => None,
            (Some(Some(lat)), Some(Some(lon)))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                let p = LatLon { lat, lon };
                Some(if coord_system == CoordSystem::Gcj02 {
                    gcj02_to_wgs84(p)
                } else {
                    p
                })
            }
            (Some(_), None) | (None, Some(_)) => {
                fail("lat", Code::Invalid, "send both lat and lon, or neither");
                None
            }
            _ => {
                fail("lat", Code::Invalid, "lat and lon must be decimal degrees");
                None
            }
        };
        let accuracy_m = match number(self.accuracy) {
            None => None,
            Some(Some(a)) if (0.0..=100_000.0).contains(&a) => Some(a),
            Some(_) => {
                fail(
                    "accuracy",
                    Code::OutOfRange,
                    "the accuracy is metres, from 0 to 100000",
                );
                None
            }
        };

        let occurred_at = match text(self.occurred_at) {
            None => None,
            Some(s) => match DateTime::parse_from_rfc3339(&s) {
                Ok(t) => {
                    let t = t.with_timezone(&Utc);
                    if t > now + Duration::minutes(10) {
                        fail(
                            "occurred_at",
                            Code::InFuture,
                            "the time it happened cannot be in the future",
                        );
                    } else if t < now - Duration::days(366) {
                        fail(
                            "occurred_at",
                            Code::TooOld,
                            "report problems of the last year",
                        );
                    }
                    Some(t)
                }
                Err(_) => {
                    fail(
                        "occurred_at",
                        Code::Invalid,
                        "use RFC 3339, e.g. 2026-11-28T21:30:00+08:00",
                    );
                    None
                }
            },
        };

        let answers = match text(self.answers) {
            None => Map::new(),
            Some(s) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(m)) => m,
                _ => {
                    fail(
                        "answers",
                        Code::Invalid,
                        "answers must be a JSON object: question code → value",
                    );
                    Map::new()
                }
            },
        };

        let identity = match (text(self.name), text(self.phone)) {
            (None, None) => None,
            (Some(name), Some(phone)) => {
                let phone = Phone::parse(&phone).map(String::from);
                if name.chars().count() > 50 {
                    fail(
                        "name",
                        Code::TooLong,
                        "the name may have at most 50 characters",
                    );
                }
                match phone {
                    Some(phone) => Some(Identity { name, phone }),
                    None => {
                        fail(
                            "phone",
                            Code::Invalid,
                            "give a mainland mobile number of 11 digits, like 13800138000",
                        );
                        None
                    }
                }
            }
            (Some(_), None) => {
                fail(
                    "phone",
                    Code::Required,
                    "a real-name report needs a phone number too (or leave both empty)",
                );
                None
            }
            (None, Some(_)) => {
                fail(
                    "name",
                    Code::Required,
                    "a real-name report needs a name too (or leave both empty)",
                );
                None
            }
        };

        let corroborates = match text(self.corroborates) {
            None => None,
            Some(code) => match shared::report::tracking_code::normalize(&code) {
                Some(c) => Some(c),
                None => {
                    fail("corroborates", Code::Invalid, "not a case number");
                    None
                }
            },
        };

        if self.photos.len() > MAX_PHOTOS {
            fail(
                "photo",
                Code::TooMany,
                &format!("at most {MAX_PHOTOS} photos per report"),
            );
        }

        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(NewReport {
            category,
            description,
            location,
            coord_system,
            accuracy_m,
            occurred_at,
            answers,
            identity,
            corroborates,
            photos: self.photos,
        })
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawReport {
        RawReport {
            category: Some("odour".into()),
            description: Some("河边一直有刺鼻的气味".into()),
            lat: Some("29.375".into()),
            lon: Some("106.51".into()),
            ..Default::default()
        }
    }

    fn fields(err: AppError) -> BTreeMap<String, FieldError> {
        match err {
            AppError::Validation(f) => f,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_anonymous_report_parses() {
        let r = raw().parse(Utc::now()).unwrap();
        assert_eq!(r.category, "odour");
        assert!(r.identity.is_none());
        assert_eq!(
            r.location,
            Some(LatLon {
                lat: 29.375,
                lon: 106.51
            })
        );
    }

    #[test]
    fn gcj02_coordinates_are_converted_to_wgs84() {
        let mut r = raw();
        r.coord_system = Some("gcj02".into());
        let parsed = r.parse(Utc::now()).unwrap();
        let p = parsed.location.unwrap();
        let sent = LatLon {
            lat: 29.375,
            lon: 106.51,
        };
        assert_eq!(p, gcj02_to_wgs84(sent));
        let shift = shared::geo::distance_m(p, sent);
        assert!((200.0..800.0).contains(&shift), "moved {shift} m");
        assert_eq!(parsed.coord_system, CoordSystem::Gcj02);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let r = RawReport {
            description: Some("x".repeat(4001)),
            lat: Some("29.3".into()),
            occurred_at: Some("yesterday".into()),
            answers: Some("[1,2]".into()),
            name: Some("王".into()),
            phone: Some("12345".into()),
            coord_system: Some("bd09".into()),
            ..Default::default()
        };
        let f = fields(r.parse(Utc::now()).unwrap_err());
        for (key, code) in [
            ("category", Code::Required),
            ("description", Code::TooLong),
            ("lat", Code::Invalid),
            ("occurred_at", Code::Invalid),
            ("answers", Code::Invalid),
            ("phone", Code::Invalid),
            ("coord_system", Code::Invalid),
        ] {
            assert_eq!(f.get(key).map(|e| e.code), Some(code), "{key} in {f:?}");
        }
    }

    #[test]
    fn a_name_without_a_phone_is_refused() {
        let mut r = raw();
        r.name = Some("王小明".into());
        let f = fields(r.parse(Utc::now()).unwrap_err());
        assert_eq!(f["phone"].code, Code::Required);
    }

    #[test]
    fn a_future_time_is_refused() {
        let mut r = raw();
        r.occurred_at = Some((Utc::now() + Duration::hours(2)).to_rfc3339());
        let f = fields(r.parse(Utc::now()).unwrap_err());
        assert_eq!(f["occurred_at"].code, Code::InFuture);
    }

    #[test]
    fn each_limit_has_its_own_code() {
        let now = Utc::now();
        let code = |r: RawReport, field: &str| fields(r.parse(now).unwrap_err())[field].code;

        let mut short = raw();
        short.description = Some("短".into());
        assert_eq!(code(short, "description"), Code::TooShort);

        let mut old = raw();
        old.occurred_at = Some((now - Duration::days(400)).to_rfc3339());
        assert_eq!(code(old, "occurred_at"), Code::TooOld);

        let mut long_name = raw();
        long_name.name = Some("名".repeat(51));
        long_name.phone = Some("13800138000".into());
        assert_eq!(code(long_name, "name"), Code::TooLong);

        let mut phone_only = raw();
        phone_only.phone = Some("13800138000".into());
        assert_eq!(code(phone_only, "name"), Code::Required);

        let mut far = raw();
        far.accuracy = Some("200000".into());
        assert_eq!(code(far, "accuracy"), Code::OutOfRange);

        let mut photos = raw();
        photos.photos = vec![bytes::Bytes::new(); MAX_PHOTOS + 1];
        assert_eq!(code(photos, "photo"), Code::TooMany);
    }
}
