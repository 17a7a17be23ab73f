//! Property tests of Open311's `attribute[…]` fields: any form gives the
//! answers of the category's questions only, in the shape the field names
//! say, and the category's rules then accept or refuse them by field —
//! never a panic.

use super::*;
use crate::categories::answers;
use proptest::prelude::*;
use shared::report::{Choice, Datatype, Question};

fn questions() -> Vec<Question> {
    let q = |code: &str, datatype: Datatype, values: &[&str]| Question {
        code: code.to_owned(),
        datatype,
        required: code.starts_with('r'),
        name: code.to_owned(),
        name_en: code.to_owned(),
        order: 0,
        values: values
            .iter()
            .map(|v| Choice {
                key: (*v).to_owned(),
                name: (*v).to_owned(),
                name_en: (*v).to_owned(),
            })
            .collect(),
    };
    vec![
        q("site", Datatype::String, &[]),
        q("rcount", Datatype::Number, &[]),
        q("when", Datatype::Datetime, &[]),
        q("note", Datatype::Text, &[]),
        q("rkind", Datatype::Singlevaluelist, &["a", "b"]),
        q("smells", Datatype::Multivaluelist, &["x", "y", "z"]),
    ]
}

/// A field name as a client might write one.
fn name() -> impl Strategy<Value = String> {
    let code = prop_oneof![
        Just("site".to_owned()),
        Just("rcount".to_owned()),
        Just("when".to_owned()),
        Just("note".to_owned()),
        Just("rkind".to_owned()),
        Just("smells".to_owned()),
        "[a-z\\[\\]]{0,8}",
        any::<String>(),
    ];
    (code, 0u8..5).prop_map(|(code, shape)| match shape {
        0 => format!("attribute[{code}]"),
        1 => format!("attribute[{code}][]"),
        2 => format!("attribute[{code}"),
        3 => code,
        _ => format!("{code}[]"),
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("x".to_owned()),
        "[0-9.-]{0,8}",
        any::<String>(),
        Just("2026-11-28T21:30:00+08:00".to_owned())
    ]
}

proptest! {
    #![proptest_config(crate::testing::proptest_config())]

    #[test]
    fn attributes_are_the_questions_answers_and_nothing_else(fields in proptest::collection::vec((name(), value()), 0..12)) {
        let qs = questions();
        let got = attributes(&fields, &qs);
        for (code, answer) in &got {
            prop_assert!(qs.iter().any(|q| &q.code == code), "{} is not a question", code);
            let listed = fields.iter().any(|(n, _)| n == &format!("attribute[{code}][]"));
            prop_assert!(answer.is_string() || (listed && answer.is_array()), "{}: {}", code, answer);
        }
        // Every value of `attribute[smells][]` is kept, in order, unless a
        // single-valued field came first.
        let many: Vec<&String> = fields.iter().filter(|(n, _)| n == "attribute[smells][]").map(|(_, v)| v).collect();
        if let Some(Value::Array(list)) = got.get("smells") {
            prop_assert_eq!(list.len(), many.len());
        }
        // The category's rules take any of it without panicking.
        match answers::check(&qs, &got) {
            Ok(clean) => prop_assert!(clean.keys().all(|k| qs.iter().any(|q| &q.code == k))),
            Err(errors) => prop_assert!(
                errors.keys().all(|k| k.strip_prefix("answers.").is_some_and(|c| qs.iter().any(|q| q.code == c))),
                "{:?}", errors
            ),
        }
    }
}
