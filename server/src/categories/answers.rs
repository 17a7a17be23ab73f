//! Checking the answers to a category's extra questions: every required one
//! answered, every answer of the question's type, nothing unknown.

use serde_json::{Map, Value};
use shared::case::Answered;
use shared::report::{Datatype, Question};
use shared::{FieldError, FieldErrorCode as Code};
use std::collections::BTreeMap;

const MAX_ANSWER_CHARS: usize = 500;

/// The answers as they will be stored, or what is wrong with each offending
/// question (keyed `answers.<code>`).
pub fn check(
    questions: &[Question],
    answers: &Map<String, Value>,
) -> Result<Map<String, Value>, BTreeMap<String, FieldError>> {
    let mut errors = BTreeMap::new();
    let mut clean = Map::new();
    for code in answers.keys() {
        if !questions.iter().any(|q| &q.code == code) {
            errors.insert(
                format!("answers.{code}"),
                FieldError::new(Code::UnknownField, "this category has no such question"),
            );
        }
    }
    for q in questions {
        let field = format!("answers.{}", q.code);
        let value = answers.get(&q.code).filter(|v| !is_blank(v));
        let Some(value) = value else {
            if q.required {
                errors.insert(
                    field,
                    FieldError::new(Code::Required, format!("please answer: {}", q.name)),
                );
            }
            continue;
        };
        match normalise(q, value) {
            Ok(v) => {
                clean.insert(q.code.clone(), v);
            }
            Err(error) => {
                errors.insert(field, error);
            }
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(errors)
    }
}

/// Stored answers as a person reads them: each question and its answer by
/// name, in the category's order; an answer to a question the category no
/// longer asks keeps its code.
pub fn labelled(questions: &[Question], stored: &str) -> Vec<Answered> {
    let Ok(Value::Object(answers)) = serde_json::from_str::<Value>(stored) else {
        return Vec::new();
    };
    let mut ordered: Vec<&Question> = questions.iter().collect();
    ordered.sort_by_key(|q| q.order);
    let choice = |q: &Question, key: &str| -> (String, String) {
        q.values
            .iter()
            .find(|c| c.key == key)
            .map(|c| (c.name.clone(), c.name_en.clone()))
            .unwrap_or_else(|| (key.to_owned(), key.to_owned()))
    };
    let plain = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out: Vec<Answered> = ordered
        .iter()
        .filter_map(|q| {
            let value = answers.get(&q.code)?;
            let (answer, answer_en) = match (q.datatype, value) {
                (Datatype::Singlevaluelist, Value::String(k)) => choice(q, k),
                (Datatype::Multivaluelist, Value::Array(keys)) => {
                    let names: Vec<(String, String)> =
                        keys.iter().map(|k| choice(q, &plain(k))).collect();
                    (
                        names
                            .iter()
                            .map(|n| n.0.as_str())
                            .collect::<Vec<_>>()
                            .join("、"),
                        names
                            .iter()
                            .map(|n| n.1.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                }
                (_, v) => (plain(v), plain(v)),
            };
            Some(Answered {
                question: q.name.clone(),
                question_en: q.name_en.clone(),
                answer,
                answer_en,
            })
        })
        .collect();
    for (code, value) in &answers {
        if !questions.iter().any(|q| &q.code == code) {
            out.push(Answered {
                question: code.clone(),
                question_en: code.clone(),
                answer: plain(value),
                answer_en: plain(value),
            });
        }
    }
    out
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn normalise(q: &Question, value: &Value) -> Result<Value, FieldError> {
    let invalid = |message: String| FieldError::new(Code::Invalid, message);
    let is_choice = |k: &str| q.values.iter().any(|c| c.key == k);
    let keys = || {
        q.values
            .iter()
            .map(|c| c.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match q.datatype {
        Datatype::String | Datatype::Text => match value {
            Value::String(s) if s.trim().chars().count() <= MAX_ANSWER_CHARS => {
                Ok(Value::String(s.trim().to_owned()))
            }
            Value::String(_) => Err(FieldError::new(
                Code::TooLong,
                format!("at most {MAX_ANSWER_CHARS} characters"),
            )),
            _ => Err(invalid("expected text".to_owned())),
        },
        Datatype::Number => match value {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| invalid("expected a number".to_owned())),
            _ => Err(invalid("expected a number".to_owned())),
        },
        Datatype::Datetime => match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s.trim()).is_ok() => {
                Ok(Value::String(s.trim().to_owned()))
            }
            _ => Err(invalid(
                "expected a date and time like 2026-11-28T21:30:00+08:00".to_owned(),
            )),
        },
        Datatype::Singlevaluelist => match value {
            Value::String(s) if is_choice(s) => Ok(value.clone()),
            _ => Err(invalid(format!("expected one of: {}", keys()))),
        },
        Datatype::Multivaluelist => {
            let items: Vec<&str> = match value {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            };
            let expected = match value {
                Value::Array(a) => a.len(),
                _ => 1,
            };
            if !items.is_empty() && items.len() == expected && items.iter().all(|k| is_choice(k)) {
                let mut items: Vec<&str> = items;
                items.sort_unstable();
                items.dedup();
                Ok(Value::Array(
                    items
                        .into_iter()
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                ))
            } else {
                Err(invalid(format!("expected a list of: {}", keys())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::report::Choice;

    fn q(code: &str, datatype: Datatype, required: bool, values: &[&str]) -> Question {
        Question {
            code: code.to_owned(),
            datatype,
            required,
            name: code.to_owned(),
            name_en: code.to_owned(),
            order: 0,
            values: values
                .iter()
                .map(|k| Choice {
                    key: (*k).to_owned(),
                    name: (*k).to_owned(),
                    name_en: (*k).to_owned(),
                })
                .collect(),
        }
    }

    fn answers(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn complete_answers_are_normalised() {
        let qs = [
            q("site_name", Datatype::String, false, &[]),
            q(
                "every_night",
                Datatype::Singlevaluelist,
                true,
                &["yes", "no"],
            ),
            q("problems", Datatype::Multivaluelist, false, &["a", "b"]),
            q("count", Datatype::Number, false, &[]),
        ];
        let ok = check(&qs, &answers(json!({"site_name": "  工地 ", "every_night": "yes", "problems": ["b", "a", "b"], "count": "3"}))).unwrap();
        assert_eq!(ok["site_name"], "工地");
        assert_eq!(ok["problems"], json!(["a", "b"]));
        assert_eq!(ok["count"], json!(3.0));
    }

    #[test]
    fn a_missing_required_answer_an_unknown_question_and_a_bad_choice_are_each_named() {
        let qs = [
            q(
                "every_night",
                Datatype::Singlevaluelist,
                true,
                &["yes", "no"],
            ),
            q("problems", Datatype::Multivaluelist, false, &["a", "b"]),
        ];
        let err = check(
            &qs,
            &answers(json!({"colour": "red", "problems": ["a", "z"]})),
        )
        .unwrap_err();
        assert_eq!(err["answers.every_night"].code, Code::Required);
        assert_eq!(err["answers.colour"].code, Code::UnknownField);
        assert_eq!(err["answers.problems"].code, Code::Invalid);
        assert!(err["answers.problems"].message.contains("a, b"));
    }

    #[test]
    fn stored_answers_read_by_name_in_the_category_s_order() {
        let mut size = q("size", Datatype::Singlevaluelist, true, &["big", "small"]);
        size.order = 2;
        let mut when = q("when", Datatype::Multivaluelist, false, &["night", "day"]);
        when.order = 1;
        let read = labelled(
            &[size, when],
            r#"{"size":"big","when":["night","day"],"gone":"x"}"#,
        );
        let pairs: Vec<(&str, &str)> = read
            .iter()
            .map(|a| (a.question_en.as_str(), a.answer_en.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("when", "night, day"), ("size", "big"), ("gone", "x")]
        );
        assert_eq!(read[0].answer, "night、day");
        assert!(labelled(&[], "not json").is_empty());
    }

    #[test]
    fn blank_optional_answers_are_dropped() {
        let qs = [q("site_name", Datatype::String, false, &[])];
        assert!(
            check(&qs, &answers(json!({"site_name": "   "})))
                .unwrap()
                .is_empty()
        );
    }
}
