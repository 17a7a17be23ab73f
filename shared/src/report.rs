//! Reports (举报), categories and tracking, as the JSON API shows them.

use serde::{Deserialize, Serialize};

/// The limits of a report's description and photos: the form checks them
/// as the resident types, the server again when the report arrives.
pub const MIN_DESCRIPTION_CHARS: usize = 5;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_PHOTOS: usize = 6;

/// A mainland China mobile number (手机号), as its 11 digits: what a
/// reporter who gives their name may leave, and what the reward exclusion
/// list holds. The form and the server accept the same numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// `+86 138-0013-8000` → `13800138000`; None unless a mainland mobile
    /// (11 digits, `1` then `3`–`9`), with or without `86` before it.
    pub fn parse(input: &str) -> Option<Phone> {
        let digits: String = input.chars().filter(|c| c.is_ascii_digit()).collect();
        let digits = match digits.strip_prefix("86") {
            Some(rest) if digits.len() == 13 => rest.to_owned(),
            _ => digits,
        };
        let valid = digits.len() == 11
            && digits.starts_with('1')
            && digits
                .as_bytes()
                .get(1)
                .is_some_and(|d| (b'3'..=b'9').contains(d));
        valid.then_some(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

/// A category's group, e.g. 噪声 (noise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryGroup {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// `GET /api/v1/categories`: one entry per category; `code` is also the
/// Open311 `service_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub code: String,
    pub group: CategoryGroup,
    pub name: String,
    pub name_en: String,
    pub icon: String,
    /// Whether a substantiated real-name report of this kind can earn a reward.
    pub rewardable: bool,
    pub questions: Vec<Question>,
}

/// An extra question of a category (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    pub name: String,
    pub name_en: String,
    pub order: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    pub key: String,
    pub name: String,
    pub name_en: String,
}

/// Open311's attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    /// Its name in Open311 and in the JSON (`string`, `singlevaluelist`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
}

/// `201` from `POST /api/v1/reports`. The secret is shown once: only its
/// hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitReceipt {
    pub tracking_code: String,
    pub secret: String,
    /// `/track#code=…&secret=…`: the fragment never reaches a server log.
    pub track_url: String,
    pub state: String,
    /// True when this report corroborates ("me too") an open case.
    pub corroborated: bool,
    pub photos: u32,
    /// `device` or `exif` (taken from a photo because none was sent).
    pub location_source: String,
}

/// `GET /api/v1/reports/nearby`: open cases of the same group close by, so
/// a resident can say "me too" instead of filing again. Nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbyCase {
    pub tracking_code: String,
    pub category: String,
    pub category_name: String,
    pub category_name_en: String,
    pub state: String,
    pub distance_m: u32,
    pub submitted_at: String,
    pub corroborations: u32,
}

/// The road a case came in by (受理渠道). A resident's own report is `web`
/// or `open311`; the others are filed by staff on a caller's behalf or
/// handed over by another platform (issue 14's intake channels).
// The JSON names are DESIGN.md's: `phone_12345`, where serde's snake_case
// would write `phone12345`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 网上举报: the report form.
    #[default]
    Web,
    /// Open311 GeoReport v2, through an API key.
    Open311,
    /// 12345 热线来电.
    #[serde(rename = "phone_12345")]
    Phone12345,
    /// 12369 环保热线来电.
    #[serde(rename = "phone_12369")]
    Phone12369,
    /// 来信.
    Letter,
    /// 来访.
    WalkIn,
    /// 12345 平台转办.
    #[serde(rename = "platform_12345")]
    Platform12345,
    /// 巡查发现: found by an inspector.
    Inspection,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Web,
        Channel::Open311,
        Channel::Phone12345,
        Channel::Phone12369,
        Channel::Letter,
        Channel::WalkIn,
        Channel::Platform12345,
        Channel::Inspection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Open311 => "open311",
            Channel::Phone12345 => "phone_12345",
            Channel::Phone12369 => "phone_12369",
            Channel::Letter => "letter",
            Channel::WalkIn => "walk_in",
            Channel::Platform12345 => "platform_12345",
            Channel::Inspection => "inspection",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The roads staff file by on someone's behalf (代录): every one but the
    /// resident's own two, the web form and Open311.
    pub const FOR_CALLER: [Channel; 6] = [
        Channel::Phone12345,
        Channel::Phone12369,
        Channel::Letter,
        Channel::WalkIn,
        Channel::Platform12345,
        Channel::Inspection,
    ];

    /// Whether staff file reports by this road (see [`Channel::FOR_CALLER`]).
    pub fn is_for_caller(self) -> bool {
        !matches!(self, Channel::Web | Channel::Open311)
    }

    /// Its name in a ledger or a list (Chinese).
    pub fn name_zh(self) -> &'static str {
        match self {
            Channel::Web => "网上举报",
            Channel::Open311 => "Open311 接口",
            Channel::Phone12345 => "12345 热线",
            Channel::Phone12369 => "12369 热线",
            Channel::Letter => "来信",
            Channel::WalkIn => "来访",
            Channel::Platform12345 => "12345 平台转办",
            Channel::Inspection => "巡查发现",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Channel::Web => "Web form",
            Channel::Open311 => "Open311",
            Channel::Phone12345 => "12345 hotline",
            Channel::Phone12369 => "12369 hotline",
            Channel::Letter => "Letter",
            Channel::WalkIn => "Walk-in",
            Channel::Platform12345 => "12345 platform",
            Channel::Inspection => "Inspection",
        }
    }
}

/// `GET /api/v1/track/{code}` with `X-Report-Secret`: the reporter's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackView {
    pub tracking_code: String,
    pub state: String,
    pub category: String,
    pub category_name: String,
    pub category_name_en: String,
    pub submitted_at: String,
    pub updated_at: String,
    pub department: Option<DepartmentRef>,
    /// The 街道/镇, in Chinese and in English.
    pub area: Option<String>,
    #[serde(default)]
    pub area_en: Option<String>,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub corroborations: u32,
    /// `original` or `corroboration`: which report this secret belongs to.
    pub your_report: String,
    pub anonymous: bool,
    pub photos: Vec<PhotoRef>,
    pub timeline: Vec<TimelineEntry>,
    /// The reviewed reply, once the case is closed.
    pub reply: Option<String>,
    /// 属实 / 部分属实 / 不属实, with the reply.
    #[serde(default)]
    pub finding: Option<String>,
    /// What the department did (处理和整改情况), with the reply.
    #[serde(default)]
    pub actions_taken: Option<String>,
    /// The date by which the current step is due.
    #[serde(default)]
    pub deadline: Option<String>,
    /// The reporter may contest the reply (once, while the window is open).
    #[serde(default)]
    pub can_contest: bool,
    #[serde(default)]
    pub contested: bool,
    /// When merged: the case this one joined.
    #[serde(default)]
    pub merged_into: Option<String>,
    /// 补充材料: what staff asked and what was answered.
    #[serde(default)]
    pub info_requests: Vec<crate::followup::InfoRequest>,
    /// A question waits for this reporter's answer.
    #[serde(default)]
    pub can_answer: bool,
    /// 回访: the rating given, and whether it may be given now.
    #[serde(default)]
    pub rating: Option<crate::followup::RatingView>,
    #[serde(default)]
    pub can_rate: bool,
    /// "The problem came back" may be said now (within 30 days of closing).
    #[serde(default)]
    pub can_come_back: bool,
    /// The cases this one came back as, and the one it came back from.
    #[serde(default)]
    pub came_back_as: Vec<String>,
    #[serde(default)]
    pub came_back_from: Option<String>,
    /// Only in the answer to `came_back`: the new case's code and secret
    /// (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_case: Option<SubmitReceipt>,
    /// The reward, for the reporter it is meant for, once approved.
    #[serde(default)]
    pub reward: Option<crate::reward::ReporterReward>,
    /// How this reporter is told of changes (push, SMS).
    #[serde(default)]
    pub notify: crate::notify::NotifyStatus,
}

/// What a reporter can do with the tracking code and the secret
/// (`POST /api/v1/track/{code}/actions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReporterAction {
    /// Disagree with the reply (once): it goes back to review.
    Contest { reason: String },
    /// Claim an approved reward before its deadline, giving the account to
    /// pay it into (kept encrypted).
    ClaimReward { payout_account: String },
    /// Refuse the reward.
    DeclineReward,
    /// Answer the question staff asked (补充材料).
    AnswerInfo { answer: String },
    /// 回访: was the problem solved? Once, after the case is closed.
    Rate {
        rating: crate::followup::Rating,
        comment: Option<String>,
    },
    /// The problem came back within 30 days of closing: a new case, linked
    /// to this one and routed the same way, with its own code and secret.
    /// Anonymous unless `keep_name` carries the first report's name and
    /// phone over (needed for a reward of the new case).
    CameBack {
        description: String,
        #[serde(default)]
        keep_name: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRef {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRef {
    pub display_url: String,
    pub thumbnail_url: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub at: String,
    pub action: String,
    pub state: Option<String>,
    pub note: Option<String>,
}

/// Tracking codes: `BN-` and eight characters from an alphabet without the
/// look-alikes 0/O, 1/I/L, so a code read over the phone survives.
pub mod tracking_code {
    pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    pub const PREFIX: &str = "BN";

    /// `BN-7K3M-Q9TX` from eight alphabet indices.
    pub fn format(indices: [u8; 8]) -> String {
        let c: String = indices
            .iter()
            .map(|i| ALPHABET[*i as usize % ALPHABET.len()] as char)
            .collect();
        format!("{PREFIX}-{}-{}", &c[..4], &c[4..])
    }

    /// Accepts what people type: lower case, spaces or no dashes, and the
    /// look-alikes (o→0 is not in the alphabet, so O and 0 are refused).
    pub fn normalize(input: &str) -> Option<String> {
        let chars: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let body = chars.strip_prefix(PREFIX)?;
        if body.len() != 8 || !body.bytes().all(|b| ALPHABET.contains(&b)) {
            return None;
        }
        Some(format!("{PREFIX}-{}-{}", &body[..4], &body[4..]))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_code_is_formatted_and_normalised_back() {
            let code = format([0, 1, 2, 3, 4, 5, 6, 30]);
            assert_eq!(code, "BN-2345-678Z");
            assert_eq!(normalize("bn 2345 678z").as_deref(), Some("BN-2345-678Z"));
            assert_eq!(normalize("BN2345678Z").as_deref(), Some("BN-2345-678Z"));
        }

        #[test]
        fn look_alikes_and_wrong_lengths_are_refused() {
            assert_eq!(normalize("BN-0000-0000"), None);
            assert_eq!(normalize("BN-IIII-LLLL"), None);
            assert_eq!(normalize("BN-2345-678"), None);
            assert_eq!(normalize("XX-2345-678Z"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Channel, Phone};

    #[test]
    fn a_channel_is_written_in_json_by_its_design_name() {
        for c in Channel::ALL {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json, c.as_str(), "{c:?}");
            assert_eq!(serde_json::from_value::<Channel>(json).unwrap(), c);
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn phone_numbers_are_normalised_to_eleven_digits() {
        let parse = |s| Phone::parse(s).map(String::from);
        assert_eq!(parse("+86 138-0013-8000").as_deref(), Some("13800138000"));
        assert_eq!(parse("13800138000").as_deref(), Some("13800138000"));
        assert_eq!(parse("8613800138000").as_deref(), Some("13800138000"));
        assert_eq!(parse("12800138000"), None);
        assert_eq!(parse("023-66666666"), None);
        assert_eq!(parse(""), None);
    }
}
