//! The handlers' workbench (工作台): internal notes (内部备注), My day
//! (今日待办), reply templates (答复模板), bulk work (批量办理), repeat sites
//! (重复投诉) and the staff ledger (台账). Staff-only: nothing here ever
//! reaches a reporter or the public.

use crate::case::{CaseAction, CaseState, CaseSummary, Finding, NamedRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 4000;
/// The most cases one bulk request may name.
pub const BULK_MAX: usize = 200;
/// Repeat sites: cases this close to each other (metres)…
pub const HOTSPOT_RADIUS_M: u32 = 200;
/// …at least this many…
pub const HOTSPOT_MIN_CASES: u32 = 3;
/// …submitted within this many days.
pub const HOTSPOT_DAYS: i64 = 90;
/// The longest template body, in characters (a reply is at most 4,000).
pub const TEMPLATE_MAX_CHARS: usize = 4000;

/// An internal note on a case: staff only, never shown to the reporter or
/// the public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseNote {
    pub id: i64,
    pub at: String,
    pub author: String,
    pub body: String,
    /// The colleagues it mentions (`@username`).
    pub mentions: Vec<String>,
}

/// `POST /api/v1/cases/{code}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewNote {
    /// Up to 4,000 characters; `@username` mentions a colleague who can see
    /// the case.
    pub body: String,
}

/// The `@username` mentions in a note, in order, each once. A username is
/// letters, digits, `_`, `-` and `.`; an `@` inside a word (an e-mail
/// address) is not a mention.
pub fn mentions(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in body.char_indices() {
        let starts = c == '@' && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[i + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let name = name.trim_end_matches('.').to_owned();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

/// A note that mentions the signed-in user, in their day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mention {
    pub note_id: i64,
    pub case_code: String,
    pub at: String,
    pub author: String,
    /// The note's first 140 characters.
    pub excerpt: String,
}

/// An open case on the day's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapCase {
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    pub state: CaseState,
    pub overdue: bool,
}

/// `GET /api/v1/cases/day`: a handler's day (今日待办).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyDay {
    /// Whose day this is.
    pub handler: String,
    pub department: Option<NamedRef>,
    /// Open cases assigned to them, most urgent first.
    pub assigned: Vec<CaseSummary>,
    /// Open cases of the department due within 3 days (not yet overdue).
    pub due_soon: Vec<CaseSummary>,
    /// Open cases of the department past their deadline.
    pub overdue: Vec<CaseSummary>,
    /// Notes that mention them and that they have not opened yet.
    pub mentions: Vec<Mention>,
    /// Their open cases, for the map.
    pub map: Vec<MapCase>,
    pub counts: DayCounts,
}

/// The whole counts behind a day's lists (each list shows at most 50).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCounts {
    pub assigned: u64,
    pub due_soon: u64,
    pub overdue: u64,
    pub mentions: u64,
}

/// One handler's load, as a supervisor sees it (`GET /api/v1/cases/team`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandlerLoad {
    pub username: String,
    pub department: Option<NamedRef>,
    /// Open cases assigned to them.
    pub open: u64,
    /// Of those, due within 3 days.
    pub due_soon: u64,
    /// Of those, overdue.
    pub overdue: u64,
}

/// A placeholder a reply template may use: `{{name}}`. The list is part of
/// the contract: the server checks templates against it, the console fills
/// them from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    pub name: &'static str,
    /// Filled from the case itself (the handler may still edit it); the
    /// others are typed in when drafting.
    pub from_case: bool,
    pub label: &'static str,
    pub label_en: &'static str,
}

/// Every placeholder a template may use. A template naming another is
/// refused when saved.
pub const PLACEHOLDERS: &[Placeholder] = &[
    Placeholder {
        name: "code",
        from_case: true,
        label: "受理编号",
        label_en: "Case number",
    },
    Placeholder {
        name: "category",
        from_case: true,
        label: "问题类别",
        label_en: "Category",
    },
    Placeholder {
        name: "area",
        from_case: true,
        label: "街道/镇",
        label_en: "Area",
    },
    Placeholder {
        name: "department",
        from_case: true,
        label: "承办部门",
        label_en: "Department",
    },
    Placeholder {
        name: "submitted_date",
        from_case: true,
        label: "举报日期",
        label_en: "Date reported",
    },
    Placeholder {
        name: "inspection_date",
        from_case: false,
        label: "现场核查日期",
        label_en: "Inspection date",
    },
    Placeholder {
        name: "site",
        from_case: false,
        label: "核查地点/单位",
        label_en: "Site or business inspected",
    },
    Placeholder {
        name: "measurement",
        from_case: false,
        label: "监测结果",
        label_en: "Measurement",
    },
    Placeholder {
        name: "measures",
        from_case: false,
        label: "处理措施",
        label_en: "Measures taken",
    },
    Placeholder {
        name: "deadline",
        from_case: false,
        label: "整改期限",
        label_en: "Deadline for remedy",
    },
];

pub fn placeholder(name: &str) -> Option<&'static Placeholder> {
    PLACEHOLDERS.iter().find(|p| p.name == name)
}

/// What is wrong with a template's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{name}}` with a name not in [`PLACEHOLDERS`].
    Unknown(String),
    /// `{{` without its `}}`.
    Unclosed,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unknown(name) => write!(
                f,
                "unknown placeholder {{{{{name}}}}}; use one of {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TemplateError::Unclosed => f.write_str("a `{{` has no closing `}}`"),
        }
    }
}

/// One piece of a template: text, or a placeholder to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Slot(&'static Placeholder),
}

/// A template's text split into text and placeholders, every placeholder
/// known (`{{ name }}`, spaces allowed inside the braces).
pub fn parse_template(body: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..close].trim();
        let slot = placeholder(name).ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
        pieces.push(Piece::Slot(slot));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The placeholders a template uses, in order, each once.
pub fn template_slots(body: &str) -> Result<Vec<&'static Placeholder>, TemplateError> {
    let mut slots: Vec<&'static Placeholder> = Vec::new();
    for piece in parse_template(body)? {
        if let Piece::Slot(p) = piece
            && !slots.iter().any(|s| s.name == p.name)
        {
            slots.push(p);
        }
    }
    Ok(slots)
}

/// The template with its placeholders filled; one left empty stays as
/// `{{name}}`, so the handler sees what is missing.
pub fn fill_template(
    body: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(body.len());
    for piece in parse_template(body)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(p) => match values.get(p.name).map(|v| v.trim()) {
                Some(v) if !v.is_empty() => out.push_str(v),
                _ => {
                    out.push_str("{{");
                    out.push_str(p.name);
                    out.push_str("}}");
                }
            },
        }
    }
    Ok(out)
}

/// A reply template (答复模板), for a category, a category group (`noise`
/// covers every `noise_*` category) or every category, and for a finding or
/// every finding. A case's templates are those whose category is none, its
/// category or its group, and whose finding is none or the one drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyTemplate {
    pub id: i64,
    /// A category's or a category group's code; none: every category.
    pub category: Option<String>,
    /// None: every finding.
    pub finding: Option<Finding>,
    pub title: String,
    pub body: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// `POST /api/v1/reply-templates`, `PUT /api/v1/reply-templates/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyTemplateInput {
    pub category: Option<String>,
    pub finding: Option<Finding>,
    /// 1 to 80 characters.
    pub title: String,
    /// 1 to 4,000 characters; `{{placeholder}}`s from the known list only.
    pub body: String,
}

/// What a bulk request does to each case: one of the actions a queue
/// offers for many cases at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    Assign { assignee: String },
    Transfer { department: String, reason: String },
    Extend { days: i64, reason: String },
}

impl BulkAction {
    /// The same action as taken on one case.
    pub fn to_case_action(&self) -> CaseAction {
        match self.clone() {
            BulkAction::Assign { assignee } => CaseAction::Assign { assignee },
            BulkAction::Transfer { department, reason } => {
                CaseAction::Transfer { department, reason }
            }
            BulkAction::Extend { days, reason } => CaseAction::Extend { days, reason },
        }
    }
}

/// `POST /api/v1/cases/bulk`: one action on up to 200 cases, each checked
/// and versioned as if it were taken alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRequest {
    #[serde(flatten)]
    pub action: BulkAction,
    /// 1 to 200 case numbers, each once.
    pub codes: Vec<String>,
    /// The version the client saw of each case, by case number: a case that
    /// changed since is refused (409) and left alone.
    #[serde(default)]
    pub versions: BTreeMap<String, i32>,
}

/// A case the bulk action was applied to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkDone {
    pub code: String,
    pub state: CaseState,
    pub version: i32,
}

/// A case the bulk action was refused for, and why; it is unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRefused {
    pub code: String,
    /// The HTTP status it would have had alone (403, 404, 409, 422).
    pub status: u16,
    /// The error's code, as in `{"error":{"code"}}`.
    pub error: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    pub done: Vec<BulkDone>,
    pub refused: Vec<BulkRefused>,
}

/// A case at a repeat site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteCase {
    pub code: String,
    pub state: CaseState,
    pub category: NamedRef,
    pub submitted_at: String,
    pub distance_m: u32,
}

/// A repeat site (重复投诉点): at least 3 cases within 200 m of its centre
/// case over the last 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hotspot {
    /// The case at the centre: the one with the most neighbours.
    pub centre: String,
    pub lat: f64,
    pub lon: f64,
    pub area: Option<NamedRef>,
    pub count: u32,
    pub open: u32,
    pub first_at: String,
    pub last_at: String,
    /// The cases, newest first.
    pub cases: Vec<SiteCase>,
}

/// `GET /api/v1/cases/hotspots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hotspots {
    pub radius_m: u32,
    pub min_cases: u32,
    pub days: i64,
    /// Largest first.
    pub items: Vec<Hotspot>,
}

/// On a case's page: earlier cases within 200 m (any age), so the handler
/// knows the place (“this place has N earlier cases”).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlierHere {
    /// How many earlier cases, all of them; `cases` lists the 10 latest.
    pub count: u32,
    pub cases: Vec<SiteCase>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_once_and_not_in_email_addresses() {
        assert_eq!(
            mentions("@handler2 请看, cc @li.wei. and @handler2 again; a@b.cn"),
            vec!["handler2".to_owned(), "li.wei".to_owned()]
        );
        assert_eq!(mentions("请@王五处理"), Vec::<String>::new());
        assert_eq!(mentions("（@zhang_san）"), vec!["zhang_san".to_owned()]);
        assert!(mentions("@ alone").is_empty());
    }

    #[test]
    fn templates_fill_known_placeholders_and_refuse_unknown_ones() {
        let body = "经{{inspection_date}}现场核查，{{ site }}噪声{{measurement}}。{{code}}";
        let slots: Vec<&str> = template_slots(body)
            .unwrap()
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(slots, ["inspection_date", "site", "measurement", "code"]);
        let values = BTreeMap::from([
            ("inspection_date".to_owned(), "12月3日".to_owned()),
            ("measurement".to_owned(), "62 dB(A)".to_owned()),
            ("code".to_owned(), "BN-1".to_owned()),
        ]);
        assert_eq!(
            fill_template(body, &values).unwrap(),
            "经12月3日现场核查，{{site}}噪声62 dB(A)。BN-1"
        );
        assert_eq!(
            parse_template("{{fine}}"),
            Err(TemplateError::Unknown("fine".into()))
        );
        assert_eq!(parse_template("a {{code"), Err(TemplateError::Unclosed));
        assert_eq!(
            parse_template("no slots").unwrap(),
            vec![Piece::Text("no slots")]
        );
    }

    #[test]
    fn a_bulk_request_reads_like_a_single_action() {
        let r: BulkRequest = serde_json::from_str(
            r#"{"action":"extend","days":10,"reason":"雨天","codes":["BN-1"]}"#,
        )
        .unwrap();
        assert_eq!(
            r.action.to_case_action(),
            CaseAction::Extend {
                days: 10,
                reason: "雨天".into()
            }
        );
        assert!(r.versions.is_empty());
    }
}
