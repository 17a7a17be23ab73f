//! Correcting a report (更正): `recategorize` and `relocate`. The new value
//! is the case's; the old one stays in the timeline and the audit log (and
//! the reports keep the place they were filed with); reward eligibility
//! follows the category; where the rules would route the corrected case
//! elsewhere the case says so, and a transfer takes it there.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    staff.act_ok(code, body).await
}

/// Accepted, assigned, replied to as substantiated and approved.
async fn close(handler: &Staff, reviewer: &Staff, code: &str) -> Value {
    shanshui_tests::close_case(handler, reviewer, code, "substantiated").await
}

fn check<'a>(case: &'a Value, name: &str) -> &'a Value {
    shanshui_tests::eligibility_check(case, name)
}

async fn a_corrected_category_changes_eligibility_and_offers_the_transfer_the_rules_give(
    app: &TestApp,
) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    // Filed as traffic noise (not rewardable, the police's), it is really a
    // construction site's (rewardable, housing and construction's).
    let (wrong, _) = file_report(app, "noise_traffic", YUDONG.0, YUDONG.1, &NAMED).await;
    let (control, _) = file_report(app, "noise_traffic", 29.3902, 106.5301, &NAMED).await;
    let before = dispatcher.case(&wrong).await;
    assert_eq!(before["department"], "public_security");
    assert!(before["routing_suggestion"].is_null(), "{before}");

    let case = ok(
        &dispatcher,
        &wrong,
        json!({ "action": "recategorize", "category": "noise_construction",
            "reason": "现场核实为工地夜间施工", "version": before["version"] }),
    )
    .await;
    assert_eq!(case["category"]["code"], "noise_construction");
    assert_eq!(case["group"], "noise");
    assert_eq!(case["state"], "submitted", "a correction is not a step");
    assert_eq!(
        case["deadline"], before["deadline"],
        "the clock keeps running"
    );
    assert_eq!(case["department"], "public_security", "no silent move");
    assert_eq!(
        case["routing_suggestion"]["department"], "housing_construction",
        "{case}"
    );
    let entry = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "recategorize")
        .unwrap();
    let note = entry["note"].as_str().unwrap();
    assert!(
        note.contains("noise_traffic") && note.contains("noise_construction"),
        "{note}"
    );
    assert_eq!(entry["public"], false);
    let (_, audit) = auditor
        .get(&format!(
            "/api/v1/audit?action=case.recategorize&object_id={wrong}"
        ))
        .await;
    let detail = audit[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("noise_traffic") && detail.contains("noise_construction"),
        "{audit}"
    );

    // The transfer the rules give; then nothing more is suggested.
    let case = ok(
        &dispatcher,
        &wrong,
        json!({ "action": "transfer", "department": "housing_construction",
            "reason": "按更正后的类别转办" }),
    )
    .await;
    assert!(case["routing_suggestion"].is_null(), "{case}");

    // Closed alike: the corrected case's reporter may be rewarded, the
    // other's category still rules it out.
    let corrected = close(&handler, &reviewer, &wrong).await;
    assert_eq!(check(&corrected, "category")["ok"], true, "{corrected}");
    assert_eq!(corrected["eligibility"]["eligible"], true, "{corrected}");
    let police = app
        .staff("jing.cha", Role::Handler, Some("public_security"))
        .await;
    let kept = close(&police, &reviewer, &control).await;
    assert_eq!(check(&kept, "category")["ok"], false, "{kept}");
    assert_eq!(kept["eligibility"]["eligible"], false);
}
shanshui_tests::demo_test!(
    a_corrected_category_changes_eligibility_and_offers_the_transfer_the_rules_give
);

async fn a_corrected_place_moves_the_case_and_the_reports_keep_theirs(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let (code, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    ok(&handler, &code, json!({ "action": "accept" })).await;
    let case = ok(
        &handler,
        &code,
        json!({ "action": "relocate", "lat": 29.4012, "lon": 106.5402,
            "reason": "举报人所指工地在河对岸" }),
    )
    .await;
    assert_eq!(
        (case["lat"].as_f64(), case["lon"].as_f64()),
        (Some(29.4012), Some(106.5402))
    );
    assert_eq!(case["state"], "accepted");
    let report = &case["reports"][0];
    assert_eq!(
        (report["lat"].as_f64(), report["lon"].as_f64()),
        (Some(YUDONG.0), Some(YUDONG.1)),
        "the report keeps where it was filed"
    );
    let entry = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "relocate")
        .unwrap();
    assert!(
        entry["note"].as_str().unwrap().contains("29.375200"),
        "{entry}"
    );
    // The reporter's view shows no staff note of it.
    assert!(!case["description"].as_str().unwrap().contains("河对岸"));

    // Refused, and nothing changes.
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let version = case["version"].as_i64().unwrap();
    for (who, body, status, field) in [
        (
            &handler,
            json!({ "action": "relocate", "lat": 31.23, "lon": 121.47, "reason": "x" }),
            422,
            Some("lat"),
        ),
        (
            &handler,
            json!({ "action": "relocate", "lat": 91.0, "lon": 106.5, "reason": "x" }),
            422,
            Some("lat"),
        ),
        (
            &handler,
            json!({ "action": "relocate", "lat": 29.4012, "lon": 106.5402, "reason": "x" }),
            422,
            Some("lat"),
        ),
        (
            &handler,
            json!({ "action": "relocate", "lat": 29.39, "lon": 106.53, "reason": " " }),
            422,
            Some("reason"),
        ),
        (
            &handler,
            json!({ "action": "recategorize", "category": "no_such", "reason": "x" }),
            422,
            Some("category"),
        ),
        (
            &handler,
            json!({ "action": "recategorize", "category": "noise_construction", "reason": "x" }),
            422,
            Some("category"),
        ),
        (
            &reviewer,
            json!({ "action": "recategorize", "category": "dust_construction", "reason": "x" }),
            403,
            None,
        ),
        (
            &dispatcher,
            json!({ "action": "recategorize", "category": "dust_construction", "reason": "x", "version": version - 1 }),
            409,
            None,
        ),
    ] {
        let (got, err) = who.act(&code, body.clone()).await;
        assert_eq!(got, status, "{body}: {err}");
        if let Some(field) = field {
            assert!(err["error"]["fields"][field].is_object(), "{body}: {err}");
        }
    }
    let after = dispatcher.case(&code).await;
    assert_eq!(after["version"], version, "nothing changed");
    assert_eq!(after["category"]["code"], "noise_construction");

    // Not once a reply is drafted.
    ok(
        &handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &handler,
        &code,
        json!({ "action": "draft_reply", "finding": "unsubstantiated", "reply": "未发现施工。" }),
    )
    .await;
    let (got, err) = dispatcher
        .act(
            &code,
            json!({ "action": "recategorize", "category": "dust_construction", "reason": "x" }),
        )
        .await;
    assert_eq!(got, 409, "{err}");
}
shanshui_tests::demo_test!(a_corrected_place_moves_the_case_and_the_reports_keep_theirs);
