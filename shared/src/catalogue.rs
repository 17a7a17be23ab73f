//! The category catalogue (举报类别目录) as admins edit it: a category's
//! definition, its versions, and the checks a definition must pass. The
//! console runs the same checks before sending, so an admin sees each
//! problem by its field.
//!
//! Every change to a definition makes a new version; a report keeps the
//! version it was filed under (its questions, its reward rule). A category
//! that any case uses can be retired (退役: no longer offered, still read)
//! but not deleted.

use crate::report::{Category, Datatype, Question};
use crate::{FieldError, FieldErrorCode as Code};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The icons the front end draws (any other reads as "other").
pub const ICONS: [&str; 13] = [
    "noise",
    "water",
    "dust",
    "burning",
    "fumes",
    "odour",
    "air",
    "waste",
    "ecology",
    "soil",
    "radiation",
    "violation",
    "other",
];
pub const NAME_MAX_CHARS: usize = 60;
pub const QUESTION_MAX_CHARS: usize = 200;
pub const MAX_QUESTIONS: usize = 20;
pub const MAX_CHOICES: usize = 30;
/// The duplicate-search radius, in metres (1000 unless an admin changes
/// it). Below a few hundred metres it would miss a case across the street:
/// nearby cases are measured to their published places, which until
/// disclosure are the centres of cells about 1 km wide.
pub const RADIUS_MIN_M: u32 = 300;
pub const RADIUS_MAX_M: u32 = 2000;

/// What an admin writes for a category (new, or its next version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryDefinition {
    /// The group's code (see `PUT /api/v1/categories/groups/{code}`).
    pub group: String,
    pub name: String,
    pub name_en: String,
    /// One of [`ICONS`].
    pub icon: String,
    /// Whether a substantiated real-name report of this kind can earn a reward.
    pub rewardable: bool,
    /// How far to look for open cases of the same kind, 300–2000 m.
    pub duplicate_radius_m: u32,
    /// Place in the list (smaller first, within the group).
    #[serde(default)]
    pub sort_order: i32,
    /// The extra questions (Open311 attributes).
    #[serde(default)]
    pub questions: Vec<Question>,
}

/// `POST /api/v1/categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCategory {
    /// Lower-case letters, digits and `_`; also the Open311 `service_code`.
    /// Never changes.
    pub code: String,
    #[serde(flatten)]
    pub definition: CategoryDefinition,
}

/// `PUT /api/v1/categories/{code}`: the whole definition, whether it is
/// offered, and the version it was read at (a stale one is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryUpdate {
    pub version: u32,
    /// `false` retires the category: residents no longer see it, cases and
    /// reports keep it. `true` offers it again.
    pub active: bool,
    #[serde(flatten)]
    pub definition: CategoryDefinition,
}

/// `PUT /api/v1/categories/groups/{code}`: a group, new or renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDefinition {
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub sort_order: i32,
}

/// One category in the admins' catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueEntry {
    pub code: String,
    pub version: u32,
    pub active: bool,
    pub definition: CategoryDefinition,
    /// Cases filed under it (any version): a category in use can be retired,
    /// not deleted.
    pub cases: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueGroup {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub sort_order: i32,
}

/// `GET /api/v1/admin/categories`: every group and category, retired ones too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalogue {
    pub groups: Vec<CatalogueGroup>,
    pub categories: Vec<CatalogueEntry>,
}

/// One version of a category, as `GET /api/v1/categories/{code}/versions`
/// lists them (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryVersion {
    pub version: u32,
    pub definition: CategoryDefinition,
    pub created_at: String,
    pub created_by: String,
}

impl CatalogueEntry {
    /// The entry as the public list shows it (the group's names from `groups`).
    pub fn public(&self, groups: &[CatalogueGroup]) -> Category {
        let group = groups.iter().find(|g| g.code == self.definition.group);
        Category {
            code: self.code.clone(),
            group: crate::report::CategoryGroup {
                code: self.definition.group.clone(),
                name: group.map(|g| g.name.clone()).unwrap_or_default(),
                name_en: group.map(|g| g.name_en.clone()).unwrap_or_default(),
            },
            name: self.definition.name.clone(),
            name_en: self.definition.name_en.clone(),
            icon: self.definition.icon.clone(),
            rewardable: self.definition.rewardable,
            questions: self.definition.questions.clone(),
        }
    }
}

/// Whether `code` may name a category, a group, a question or a choice:
/// 1–40 characters, a lower-case letter first, then lower-case letters,
/// digits and `_`.
pub fn is_code(code: &str) -> bool {
    let mut bytes = code.bytes();
    code.len() <= 40
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What [`is_code`] asks, as a refusal says it.
pub const CODE_RULE: &str = "lower-case letters, digits and _, starting with a letter (at most 40)";

fn name_problem(name: &str, max: usize) -> Option<FieldError> {
    let n = name.trim().chars().count();
    if n == 0 {
        Some(FieldError::new(Code::Required, "a name is needed"))
    } else if n > max {
        Some(FieldError::new(
            Code::TooLong,
            format!("at most {max} characters"),
        ))
    } else {
        None
    }
}

/// What is wrong with a group, by field (empty: nothing).
pub fn check_group(g: &GroupDefinition) -> BTreeMap<String, FieldError> {
    let mut out = BTreeMap::new();
    for (field, value) in [("name", &g.name), ("name_en", &g.name_en)] {
        if let Some(e) = name_problem(value, NAME_MAX_CHARS) {
            out.insert(field.to_owned(), e);
        }
    }
    out
}

/// What is wrong with a definition, by field (`questions.2.values.0.key`);
/// empty when nothing is. Whether the group exists is the server's to say.
pub fn check_definition(d: &CategoryDefinition) -> BTreeMap<String, FieldError> {
    let mut out = BTreeMap::new();
    let mut put = |field: String, e: FieldError| {
        out.entry(field).or_insert(e);
    };
    for (field, value) in [("name", &d.name), ("name_en", &d.name_en)] {
        if let Some(e) = name_problem(value, NAME_MAX_CHARS) {
            put(field.to_owned(), e);
        }
    }
    if !is_code(&d.group) {
        put(
            "group".to_owned(),
            FieldError::new(Code::Invalid, CODE_RULE),
        );
    }
    if !ICONS.contains(&d.icon.as_str()) {
        put(
            "icon".to_owned(),
            FieldError::new(Code::Invalid, format!("one of: {}", ICONS.join(", "))),
        );
    }
    if !(RADIUS_MIN_M..=RADIUS_MAX_M).contains(&d.duplicate_radius_m) {
        put(
            "duplicate_radius_m".to_owned(),
            FieldError::new(
                Code::OutOfRange,
                format!("from {RADIUS_MIN_M} to {RADIUS_MAX_M} metres"),
            ),
        );
    }
    if d.questions.len() > MAX_QUESTIONS {
        put(
            "questions".to_owned(),
            FieldError::new(Code::TooMany, format!("at most {MAX_QUESTIONS} questions")),
        );
    }
    let mut codes = BTreeSet::new();
    for (i, q) in d.questions.iter().enumerate() {
        let at = |field: &str| format!("questions.{i}.{field}");
        if !is_code(&q.code) {
            put(at("code"), FieldError::new(Code::Invalid, CODE_RULE));
        } else if !codes.insert(q.code.as_str()) {
            put(
                at("code"),
                FieldError::new(Code::Invalid, "two questions have this code"),
            );
        }
        for (field, value) in [("name", &q.name), ("name_en", &q.name_en)] {
            if let Some(e) = name_problem(value, QUESTION_MAX_CHARS) {
                put(at(field), e);
            }
        }
        let is_list = matches!(
            q.datatype,
            Datatype::Singlevaluelist | Datatype::Multivaluelist
        );
        if is_list && q.values.is_empty() {
            put(
                at("values"),
                FieldError::new(Code::Required, "a list question needs its choices"),
            );
        } else if !is_list && !q.values.is_empty() {
            put(
                at("values"),
                FieldError::new(Code::Invalid, "only list questions have choices"),
            );
        } else if q.values.len() > MAX_CHOICES {
            put(
                at("values"),
                FieldError::new(Code::TooMany, format!("at most {MAX_CHOICES} choices")),
            );
        }
        let mut keys = BTreeSet::new();
        for (j, c) in q.values.iter().enumerate() {
            let at = |field: &str| format!("questions.{i}.values.{j}.{field}");
            if !is_code(&c.key) {
                put(at("key"), FieldError::new(Code::Invalid, CODE_RULE));
            } else if !keys.insert(c.key.as_str()) {
                put(
                    at("key"),
                    FieldError::new(Code::Invalid, "two choices have this key"),
                );
            }
            for (field, value) in [("name", &c.name), ("name_en", &c.name_en)] {
                if let Some(e) = name_problem(value, NAME_MAX_CHARS) {
                    put(at(field), e);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Choice;

    fn definition() -> CategoryDefinition {
        CategoryDefinition {
            group: "noise".to_owned(),
            name: "设备噪声".to_owned(),
            name_en: "Equipment noise".to_owned(),
            icon: "noise".to_owned(),
            rewardable: false,
            duplicate_radius_m: 500,
            sort_order: 0,
            questions: vec![Question {
                code: "equipment".to_owned(),
                datatype: Datatype::Singlevaluelist,
                required: true,
                name: "什么设备".to_owned(),
                name_en: "Which equipment".to_owned(),
                order: 1,
                values: vec![Choice {
                    key: "pump".to_owned(),
                    name: "水泵".to_owned(),
                    name_en: "Pump".to_owned(),
                }],
            }],
        }
    }

    #[test]
    fn a_good_definition_has_no_problems() {
        assert!(check_definition(&definition()).is_empty());
    }

    #[test]
    fn each_problem_is_named_by_its_field() {
        let mut d = definition();
        d.name = "  ".to_owned();
        d.icon = "rocket".to_owned();
        d.duplicate_radius_m = 20;
        d.questions.push(d.questions[0].clone());
        d.questions[0].values.clear();
        let choice = d.questions[1].values[0].clone();
        d.questions[1].values.push(choice);
        let problems = check_definition(&d);
        let fields: Vec<&str> = problems.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "duplicate_radius_m",
                "icon",
                "name",
                "questions.0.values",
                "questions.1.code",
                "questions.1.values.1.key",
            ]
        );
        assert_eq!(problems["name"].code, Code::Required);
    }

    #[test]
    fn a_text_question_takes_no_choices_and_codes_are_plain() {
        let mut d = definition();
        d.questions[0].datatype = Datatype::Text;
        d.group = "Noise!".to_owned();
        let problems = check_definition(&d);
        assert!(problems.contains_key("questions.0.values"));
        assert!(problems.contains_key("group"));
        assert!(is_code("water_hidden_pipe"));
        assert!(!is_code("9lives") && !is_code("") && !is_code("a-b") && !is_code("Ab"));
    }
}
