//! Routing (分派): the plan's cases out of the box, quiet periods, and
//! admins' edits of the rules.

use serde_json::json;
use shanshui_tests::{TestApp, file_report};
use shared::Role;

/// 鱼洞街道 (a 街道: straw burning goes to the agriculture commission).
const YUDONG: (f64, f64) = (29.3752, 106.5101);
/// 界石镇 (a 镇: straw burning goes to the town government).
const JIESHI: (f64, f64) = (29.4065, 106.6074);

/// Chongqing local time (UTC+8) on a fixed day, as RFC 3339.
fn at(hour: u32) -> String {
    format!("2026-11-20T{hour:02}:30:00+08:00")
}

async fn the_plan_s_reports_reach_the_right_department(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let (_, preview) = dispatcher
        .get(&format!(
            "/api/v1/routing-rules/preview?category=burning_straw&lat={}&lon={}",
            JIESHI.0, JIESHI.1
        ))
        .await;
    assert_eq!(
        preview["area"], "jieshi",
        "the test point lies in 界石镇: {preview}"
    );

    // (category, where, local hour, department, co-department, priority)
    let expectations = [
        (
            "noise_construction",
            YUDONG,
            23,
            "housing_construction",
            None,
            "high",
        ),
        (
            "noise_construction",
            YUDONG,
            3,
            "housing_construction",
            None,
            "high",
        ),
        (
            "noise_construction",
            YUDONG,
            10,
            "housing_construction",
            None,
            "normal",
        ),
        (
            "noise_construction_night",
            YUDONG,
            23,
            "housing_construction",
            None,
            "high",
        ),
        (
            "noise_traffic",
            YUDONG,
            10,
            "public_security",
            None,
            "normal",
        ),
        (
            "noise_social",
            YUDONG,
            21,
            "public_security",
            None,
            "normal",
        ),
        (
            "noise_ship",
            YUDONG,
            10,
            "transport_maritime",
            None,
            "normal",
        ),
        (
            "noise_industrial",
            YUDONG,
            10,
            "environment",
            None,
            "normal",
        ),
        ("burning_straw", YUDONG, 10, "agriculture", None, "normal"),
        ("burning_straw", JIESHI, 10, "office_jieshi", None, "normal"),
        (
            "burning_rubbish",
            YUDONG,
            10,
            "urban_management",
            None,
            "normal",
        ),
        (
            "burning_bbq",
            YUDONG,
            20,
            "urban_management",
            None,
            "normal",
        ),
        ("dust_road", YUDONG, 10, "urban_management", None, "normal"),
        (
            "dust_construction",
            YUDONG,
            10,
            "housing_construction",
            None,
            "normal",
        ),
        (
            "cooking_fumes",
            YUDONG,
            12,
            "urban_management",
            None,
            "normal",
        ),
        (
            "water_black_odorous",
            YUDONG,
            10,
            "environment",
            Some("water"),
            "normal",
        ),
        (
            "water_outfall",
            YUDONG,
            10,
            "environment",
            Some("water"),
            "normal",
        ),
        ("odour", YUDONG, 10, "environment", None, "normal"),
        // No rule: the district environment bureau.
        ("other", YUDONG, 10, "environment", None, "normal"),
    ];
    for (category, (lat, lon), hour, department, co, priority) in expectations {
        let occurred = at(hour);
        let (code, _) = file_report(
            app,
            category,
            lat,
            lon,
            &[("occurred_at", occurred.as_str())],
        )
        .await;
        let case = dispatcher.case(&code).await;
        let what = format!("{category} at {hour}:30 in {lat},{lon}: {case}");
        assert_eq!(case["department"], department, "{what}");
        assert_eq!(case["co_department"], json!(co), "{what}");
        assert_eq!(case["priority"], priority, "{what}");
        assert_eq!(case["state"], "submitted");
    }
}
shanshui_tests::demo_test!(the_plan_s_reports_reach_the_right_department);

async fn a_quiet_period_makes_noise_urgent_and_nothing_else(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let now = chrono::Utc::now();
    let period = json!({
        "name": "高考 (test)",
        "group": "noise",
        "starts_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
    });
    let (status, created) = admin.post("/api/v1/quiet-periods", period).await;
    assert_eq!(status, 201, "{created}");
    let (noise, _) = file_report(app, "noise_social", YUDONG.0, YUDONG.1, &[]).await;
    let (dust, _) = file_report(app, "dust_road", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(admin.case(&noise).await["priority"], "urgent");
    assert_eq!(admin.case(&dust).await["priority"], "normal");

    let (status, body) = admin
        .post(
            "/api/v1/quiet-periods",
            json!({ "name": "", "group": "noise", "starts_at": "tomorrow", "ends_at": "x" }),
        )
        .await;
    assert_eq!(status, 422);
    for field in ["name", "starts_at", "ends_at"] {
        assert_eq!(
            body["error"]["fields"][field]["code"], "invalid",
            "{field}: {body}"
        );
    }
}
shanshui_tests::demo_test!(a_quiet_period_makes_noise_urgent_and_nothing_else);

async fn admins_edit_the_rules_for_new_reports_and_every_edit_is_audited(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let (before, _) = file_report(app, "dust_road", YUDONG.0, YUDONG.1, &[]).await;

    let rule = json!({ "group": "dust", "area": "yudong", "department": "office_yudong", "priority": "high", "note": "鱼洞 handles its own dust" });
    let (status, _) = dispatcher.post("/api/v1/routing-rules", rule.clone()).await;
    assert_eq!(
        status, 403,
        "a dispatcher reads the rules but does not edit them"
    );
    let (status, created) = admin.post("/api/v1/routing-rules", rule).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    // An area rule outweighs the bureau's category rule.
    let (after, _) = file_report(app, "dust_road", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(dispatcher.case(&after).await["department"], "office_yudong");
    assert_eq!(dispatcher.case(&after).await["priority"], "high");
    // Rules apply to new reports; the earlier case stays where it went.
    assert_eq!(
        dispatcher.case(&before).await["department"],
        "urban_management"
    );

    let bad = json!({ "category": "dust_road", "group": "dust", "area": "atlantis", "start": "22:00", "department": "nobody", "priority": "asap" });
    let (status, body) = admin.post("/api/v1/routing-rules", bad).await;
    assert_eq!(status, 422);
    for (field, code) in [
        ("group", "invalid"),
        ("area", "not_found"),
        ("end", "required"),
        ("department", "not_found"),
        ("priority", "invalid"),
    ] {
        assert_eq!(
            body["error"]["fields"][field]["code"], code,
            "{field}: {body}"
        );
    }

    let night = json!({ "group": "dust", "area": "yudong", "department": "office_yudong", "start": "22:00", "end": "06:00", "active": false });
    let (status, updated) = admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/routing-rules/{id}"),
            night,
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            updated["start"].as_str(),
            updated["end"].as_str(),
            updated["active"].as_bool()
        ),
        (Some("22:00"), Some("06:00"), Some(false))
    );
    let (third, _) = file_report(app, "dust_road", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(
        dispatcher.case(&third).await["department"],
        "urban_management",
        "an inactive rule routes nothing"
    );

    let (status, _) = admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/routing-rules/{id}"),
            json!(null),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/routing-rules/{id}"),
            json!(null),
        )
        .await;
    assert_eq!(status, 404);

    let (_, log) = admin.get("/api/v1/audit?object_type=routing_rule").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "routing_rule.delete",
            "routing_rule.update",
            "routing_rule.create"
        ]
    );
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "guan.li")
    );
    let (status, _) = dispatcher.get("/api/v1/audit").await;
    assert_eq!(status, 403, "the audit log is for admins and auditors");
}
shanshui_tests::demo_test!(admins_edit_the_rules_for_new_reports_and_every_edit_is_audited);

async fn the_rule_list_shows_the_most_specific_first(app: &TestApp) {
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (status, rules) = auditor.get("/api/v1/routing-rules").await;
    assert_eq!(status, 200);
    let rules = rules.as_array().unwrap();
    assert!(
        rules.len() >= 19 + 14,
        "the plan's rules and one per 镇: {}",
        rules.len()
    );
    // Town rules (category + area) come before the bureau's category rules.
    assert!(rules[0]["area"].is_string(), "{}", rules[0]);
    let (status, _) = auditor
        .post(
            "/api/v1/routing-rules",
            json!({ "department": "environment" }),
        )
        .await;
    assert_eq!(status, 403, "auditors change nothing");
}
shanshui_tests::demo_test!(the_rule_list_shows_the_most_specific_first);
