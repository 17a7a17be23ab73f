//! Site inspections (现场检查, `record_inspection`): two officers or more,
//! measurements in their kind's unit and range, each judged by its
//! standard's own limit with the excess computed; staff-only; refusals
//! change nothing.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

fn inspection(officers: Value, measurements: Value, when: &str) -> Value {
    json!({
        "action": "record_inspection",
        "inspected_at": when,
        "place": "鱼洞滨江路某工地东侧围挡外",
        "officers": officers,
        "found": "23:40 工地仍在使用电锯切割钢筋，未见夜间施工证明。",
        "measurements": measurements,
    })
}

fn two() -> Value {
    json!([{ "name": "张伟", "badge": "渝环执 0231" }, { "name": "李娜", "badge": "渝环执 0457" }])
}

fn noise(value: f64) -> Value {
    json!({ "kind": "noise_leq", "value": value, "unit": "dB(A)",
        "standard": "GB 12523-2011", "period": "night" })
}

async fn an_inspection_by_two_officers_computes_how_far_over_the_limit_each_measurement_is(
    app: &TestApp,
) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, secret) = file_report(app, "noise_construction", 29.3752, 106.5101, &[]).await;
    ok(&handler, &code, json!({ "action": "accept" })).await;
    ok(
        &handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    let now = chrono::Utc::now();
    let earlier = (now - chrono::Duration::hours(1)).to_rfc3339();
    let before = handler.case(&code).await;

    let one = json!([{ "name": "张伟", "badge": "渝环执 0231" }]);
    let same_badge = json!([{ "name": "张伟", "badge": "渝环执 0231" }, { "name": "李娜", "badge": "渝环执 0231" }]);
    let wrong_unit = json!([{ "kind": "noise_leq", "value": 68.4, "unit": "mg/L", "standard": "GB 12523-2011", "period": "night" }]);
    let no_zone = json!([{ "kind": "noise_leq", "value": 58.0, "unit": "dB(A)", "standard": "GB 3096-2008", "period": "night" }]);
    let not_covered = json!([{ "kind": "cooking_fume", "value": 3.0, "unit": "mg/m3", "standard": "GB 12523-2011" }]);
    let tomorrow = (now + chrono::Duration::days(1)).to_rfc3339();
    for (body, field) in [
        (inspection(one, json!([]), &earlier), "officers"),
        (inspection(json!([]), json!([]), &earlier), "officers"),
        (
            inspection(same_badge, json!([]), &earlier),
            "officers.1.badge",
        ),
        (
            inspection(two(), wrong_unit, &earlier),
            "measurements.0.unit",
        ),
        (
            inspection(two(), json!([noise(-3.0)]), &earlier),
            "measurements.0.value",
        ),
        (
            inspection(two(), json!([noise(500.0)]), &earlier),
            "measurements.0.value",
        ),
        (
            inspection(two(), no_zone, &earlier),
            "measurements.0.standard",
        ),
        (
            inspection(two(), not_covered, &earlier),
            "measurements.0.standard",
        ),
        (inspection(two(), json!([]), &tomorrow), "inspected_at"),
        (inspection(two(), json!([]), "last night"), "inspected_at"),
    ] {
        let (status, err) = handler.act(&code, body.clone()).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
    }
    let (status, _) = reviewer
        .act(&code, inspection(two(), json!([]), &earlier))
        .await;
    assert_eq!(status, 403, "a reviewer does not inspect");
    let unchanged = handler.case(&code).await;
    assert_eq!(unchanged["version"], before["version"], "nothing changed");
    assert!(unchanged["inspections"].as_array().unwrap().is_empty());

    let fume = json!({ "kind": "cooking_fume", "value": 1.5, "unit": "mg/m3", "standard": "GB 18483-2001" });
    let zone2 = json!({ "kind": "noise_leq", "value": 52.5, "unit": "dB(A)", "standard": "GB 3096-2008", "zone": "2", "period": "night" });
    let case = ok(
        &handler,
        &code,
        inspection(two(), json!([noise(68.4), fume, zone2]), &earlier),
    )
    .await;
    assert_eq!(
        case["state"], "investigating",
        "an inspection is not a step"
    );
    let recorded = &case["inspections"][0];
    assert_eq!(recorded["officers"].as_array().unwrap().len(), 2);
    assert_eq!(recorded["recorded_by"], "cheng.ban");
    let m = recorded["measurements"].as_array().unwrap();
    assert_eq!(m[0]["limit"]["max"], 55.0);
    assert_eq!(m[0]["over_by"], 13.4, "68.4 dB(A) at night against 55");
    assert_eq!(m[1]["limit"]["max"], 2.0);
    assert!(m[1]["over_by"].is_null(), "1.5 mg/m³ is within 2.0");
    assert_eq!(m[2]["limit"]["max"], 50.0);
    assert_eq!(m[2]["over_by"], 2.5);
    let entry = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "record_inspection")
        .unwrap();
    assert_eq!(entry["public"], false);
    assert!(
        entry["note"].as_str().unwrap().contains("2 over the limit"),
        "{entry}"
    );

    // The reporter and the public read none of it.
    let (_, view) = app.track(&code, &secret).await;
    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    for text in [view.to_string(), public.to_string()] {
        for private in ["张伟", "渝环执", "电锯切割"] {
            assert!(!text.contains(private), "{private} in {text}");
        }
    }
}
shanshui_tests::demo_test!(
    an_inspection_by_two_officers_computes_how_far_over_the_limit_each_measurement_is
);
