//! The category catalogue as admins edit it: versioned definitions (a
//! report keeps the questions and the reward rule it was filed under),
//! retiring instead of deleting what is in use, Open311's service list
//! following each edit, and the plan's kinds with their routing rules.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];

async fn entry(admin: &Staff, code: &str) -> Value {
    let (status, catalogue) = admin.get("/api/v1/admin/categories").await;
    assert_eq!(status, 200, "{catalogue}");
    catalogue["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code} in {catalogue}"))
}

/// The entry's definition with `version` and `active` beside it, ready to PUT.
fn update_of(entry: &Value) -> Value {
    let mut body = entry["definition"].clone();
    body["version"] = entry["version"].clone();
    body["active"] = entry["active"].clone();
    body
}

async fn put(admin: &Staff, code: &str, body: Value) -> (u16, Value) {
    admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/categories/{code}"),
            body,
        )
        .await
}

async fn public_codes(app: &TestApp) -> Vec<String> {
    let list: Value = app.get("/api/v1/categories").await.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn open311_codes(app: &TestApp) -> Vec<String> {
    let list: Value = app
        .get("/open311/v2/services.json")
        .await
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["service_code"].as_str().unwrap().to_owned())
        .collect()
}

fn answered(case: &Value, report: usize) -> Vec<(String, String)> {
    case["reports"][report]["answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["question"].as_str().unwrap().to_owned(),
                a["answer"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_catalogue_edit_leaves_old_reports_questions_intact(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let answers = json!({ "site_name": "滨江工地", "happening_now": "yes" }).to_string();
    let (old, _) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("answers", &answers)],
    )
    .await;
    let before = dispatcher.case(&old).await;
    let was = answered(&before, 0);
    assert_eq!(
        was,
        [
            ("工地或单位名称".to_owned(), "滨江工地".to_owned()),
            ("现在是否仍在施工".to_owned(), "是".to_owned()),
        ]
    );

    // Version 2 drops the site's name, renames a choice and asks a new,
    // required question.
    let current = entry(&admin, "noise_construction").await;
    assert_eq!(current["version"], 1);
    let mut next = update_of(&current);
    next["questions"] = json!([
        { "code": "happening_now", "datatype": "singlevaluelist", "required": false,
          "name": "此刻还在施工吗", "name_en": "Still working now?", "order": 1,
          "values": [ { "key": "yes", "name": "还在", "name_en": "Yes" },
                      { "key": "no", "name": "停了", "name_en": "No" } ] },
        { "code": "machine", "datatype": "string", "required": true,
          "name": "什么机械", "name_en": "Which machine", "order": 2 }
    ]);
    let (status, edited) = put(&admin, "noise_construction", next.clone()).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["version"], 2);

    // The old report reads as it was asked.
    let after = dispatcher.case(&old).await;
    assert_eq!(answered(&after, 0), was, "{after}");

    // A new report answers version 2.
    let form = reqwest::multipart::Form::new()
        .text("category", "noise_construction")
        .text("description", "工地夜里打桩，很吵")
        .text("lat", YUDONG.0.to_string())
        .text("lon", YUDONG.1.to_string())
        .text("answers", json!({ "site_name": "滨江工地" }).to_string());
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "the old question is gone, the new one required"
    );
    let problems: Value = res.json().await.unwrap();
    let fields = &problems["error"]["fields"];
    assert!(
        fields.get("answers.machine").is_some() && fields.get("answers.site_name").is_some(),
        "{problems}"
    );
    let answers = json!({ "machine": "打桩机", "happening_now": "no" }).to_string();
    let (new, _) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("answers", &answers)],
    )
    .await;
    assert_eq!(
        answered(&dispatcher.case(&new).await, 0),
        [
            ("此刻还在施工吗".to_owned(), "停了".to_owned()),
            ("什么机械".to_owned(), "打桩机".to_owned()),
        ]
    );

    // Both versions are kept; the edit is audited with what changed.
    let (_, versions) = auditor
        .get("/api/v1/categories/noise_construction/versions")
        .await;
    let numbers: Vec<u64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(versions[0]["created_by"], "guan.li");
    assert_eq!(
        versions[1]["definition"]["questions"][0]["code"], "site_name",
        "{versions}"
    );
    let (_, audit) = auditor
        .get("/api/v1/audit?action=category.update&object_id=noise_construction")
        .await;
    assert_eq!(audit[0]["actor"], "guan.li", "{audit}");
    assert_eq!(audit[0]["detail"], "v1 → v2: questions", "{audit}");

    // Editing from the version read before is refused and changes nothing.
    next["name"] = json!("施工噪声（旧版本）");
    let (status, refused) = put(&admin, "noise_construction", next).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "conflict");
    let now = entry(&admin, "noise_construction").await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["definition"]["name"], "建筑施工噪声");
}
shanshui_tests::demo_test!(a_catalogue_edit_leaves_old_reports_questions_intact);

async fn open311_follows_a_new_category_and_one_in_use_is_retired_not_deleted(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (status, group) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/categories/groups/light",
            json!({ "name": "光污染", "name_en": "Light", "sort_order": 65 }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let new = json!({
        "code": "light_billboard", "group": "light", "name": "广告屏强光",
        "name_en": "Glaring billboard", "icon": "other", "rewardable": false,
        "duplicate_radius_m": 500,
        "questions": [ { "code": "at_night", "datatype": "singlevaluelist", "required": true,
            "name": "夜间是否开启", "name_en": "On at night?", "order": 1,
            "values": [ { "key": "yes", "name": "是", "name_en": "Yes" } ] } ]
    });
    let (status, created) = admin.post("/api/v1/categories", new.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1);
    let (status, again) = admin.post("/api/v1/categories", new).await;
    assert_eq!(status, 409, "one code, one category: {again}");

    assert!(
        public_codes(app)
            .await
            .contains(&"light_billboard".to_owned())
    );
    assert!(
        open311_codes(app)
            .await
            .contains(&"light_billboard".to_owned())
    );
    let service: Value = app
        .get("/open311/v2/services/light_billboard.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(service["attributes"][0]["code"], "at_night", "{service}");

    // In use: it can be retired, not deleted.
    let (code, _) = file_report(app, "light_billboard", YUDONG.0, YUDONG.1, &[]).await;
    let (status, refused) = admin
        .send(
            reqwest::Method::DELETE,
            "/api/v1/categories/light_billboard",
            Value::Null,
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("retire"),
        "{refused}"
    );
    let mut retire = update_of(&entry(&admin, "light_billboard").await);
    retire["active"] = json!(false);
    let (status, retired) = put(&admin, "light_billboard", retire).await;
    assert_eq!(status, 200, "{retired}");
    assert_eq!(retired["active"], false);
    assert_eq!(retired["version"], 2, "retiring is a version of its own");
    // An edit from before the retirement cannot offer it again unseen.
    let mut stale = retired["definition"].clone();
    stale["version"] = json!(1);
    stale["active"] = json!(true);
    stale["name"] = json!("广告屏强光（改）");
    let (status, refused) = put(&admin, "light_billboard", stale).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(retired["cases"], 1);
    assert!(
        !public_codes(app)
            .await
            .contains(&"light_billboard".to_owned())
    );
    assert!(
        !open311_codes(app)
            .await
            .contains(&"light_billboard".to_owned())
    );
    let form = reqwest::multipart::Form::new()
        .text("category", "light_billboard")
        .text("description", "广告屏整夜强光")
        .text("lat", YUDONG.0.to_string())
        .text("lon", YUDONG.1.to_string());
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a retired category takes no reports");
    // Its case is still read with its category.
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher.case(&code).await["category"]["code"],
        "light_billboard"
    );

    // One that nobody used is deleted.
    let unused = json!({
        "code": "light_unused", "group": "light", "name": "测试类别",
        "name_en": "Unused", "icon": "other", "rewardable": false,
        "duplicate_radius_m": 1000
    });
    assert_eq!(admin.post("/api/v1/categories", unused).await.0, 201);
    let (status, _) = admin
        .send(
            reqwest::Method::DELETE,
            "/api/v1/categories/light_unused",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        admin
            .get("/api/v1/categories/light_unused/versions")
            .await
            .0,
        404
    );
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    for action in ["category.create", "category.retire", "category.delete"] {
        let (_, audit) = auditor.get(&format!("/api/v1/audit?action={action}")).await;
        assert!(!audit.as_array().unwrap().is_empty(), "{action}");
    }
}
shanshui_tests::demo_test!(open311_follows_a_new_category_and_one_in_use_is_retired_not_deleted);

fn check<'a>(case: &'a Value, name: &str) -> &'a Value {
    shanshui_tests::eligibility_check(case, name)
}

/// Accepted, assigned, replied to as substantiated and approved.
async fn close(handler: &Staff, reviewer: &Staff, code: &str) -> Value {
    shanshui_tests::close_case(handler, reviewer, code, "substantiated").await
}

async fn a_case_keeps_the_reward_rule_it_was_filed_under(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (before, _) = file_report(app, "odour", YUDONG.0, YUDONG.1, &NAMED).await;
    let mut next = update_of(&entry(&admin, "odour").await);
    next["rewardable"] = json!(false);
    let (status, edited) = put(&admin, "odour", next).await;
    assert_eq!(status, 200, "{edited}");
    let (after, _) = file_report(app, "odour", 29.3902, 106.5301, &NAMED).await;
    let handler = app
        .staff("huan.bao", Role::Handler, Some("environment"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let old = close(&handler, &reviewer, &before).await;
    let new = close(&handler, &reviewer, &after).await;
    assert_eq!(check(&old, "category")["ok"], true, "{old}");
    assert_eq!(check(&new, "category")["ok"], false, "{new}");
}
shanshui_tests::demo_test!(a_case_keeps_the_reward_rule_it_was_filed_under);

async fn bad_catalogue_edits_are_refused_and_change_nothing(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let good = update_of(&entry(&admin, "dust_road").await);

    // Not an admin.
    let (status, _) = put(&dispatcher, "dust_road", good.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = dispatcher
        .post(
            "/api/v1/categories",
            json!({ "code": "x", "group": "dust", "name": "x", "name_en": "x",
                "icon": "dust", "rewardable": false, "duplicate_radius_m": 500 }),
        )
        .await;
    assert_eq!(status, 403);

    // Each problem named by its field.
    let cases: [(&str, Value, &str); 6] = [
        ("group", json!("no_such_group"), "group"),
        ("icon", json!("<script>"), "icon"),
        ("duplicate_radius_m", json!(5), "duplicate_radius_m"),
        ("name", json!("   "), "name"),
        (
            "questions",
            json!([{ "code": "kind", "datatype": "singlevaluelist", "required": true,
                "name": "种类", "name_en": "Kind", "order": 1 }]),
            "questions.0.values",
        ),
        (
            "questions",
            json!([{ "code": "Bad Code", "datatype": "string", "required": false,
                "name": "x", "name_en": "x", "order": 1 }]),
            "questions.0.code",
        ),
    ];
    for (field, value, named) in cases {
        let mut body = good.clone();
        body[field] = value;
        let (status, refused) = put(&admin, "dust_road", body).await;
        assert_eq!(status, 422, "{field}: {refused}");
        assert!(
            refused["error"]["fields"].get(named).is_some(),
            "{named}: {refused}"
        );
    }
    let (status, refused) = admin
        .post(
            "/api/v1/categories",
            json!({ "code": "9-lives", "group": "dust", "name": "x", "name_en": "x",
                "icon": "dust", "rewardable": false, "duplicate_radius_m": 500 }),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, _) = put(&admin, "no_such_category", good).await;
    assert_eq!(status, 404);
    let (status, _) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/categories/groups/dust",
            json!({ "name": "", "name_en": "Dust" }),
        )
        .await;
    assert_eq!(status, 422);

    let unchanged = entry(&admin, "dust_road").await;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["definition"]["icon"], "dust");
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (_, audit) = auditor.get("/api/v1/audit?action=category.update").await;
    assert!(audit.as_array().unwrap().is_empty(), "{audit}");
}
shanshui_tests::demo_test!(bad_catalogue_edits_are_refused_and_change_nothing);

/// The kinds of pollution the plan names are in the catalogue, each routed
/// by the demo's rules.
async fn the_plan_s_kinds_are_offered_and_routed(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let offered = public_codes(app).await;
    let expected = [
        ("waste_hazardous", "environment", Some("health")),
        ("waste_dumping", "urban_management", Some("environment")),
        (
            "ecology_reserve",
            "forestry",
            Some("planning_natural_resources"),
        ),
        (
            "ecology_fishing_ban",
            "agriculture",
            Some("public_security"),
        ),
        ("water_source_protection", "environment", Some("water")),
        ("water_farming_effluent", "agriculture", Some("environment")),
        ("air_vocs_boiler", "environment", None),
        ("air_smoky_vehicle", "environment", Some("public_security")),
        ("radiation", "environment", None),
        (
            "soil_pollution",
            "environment",
            Some("planning_natural_resources"),
        ),
        ("water_hidden_pipe", "environment", None),
        (
            "violation_monitoring_data",
            "environment",
            Some("public_security"),
        ),
        (
            "violation_no_eia",
            "environment",
            Some("housing_construction"),
        ),
        ("noise_equipment", "environment", None),
    ];
    for (code, department, co) in expected {
        assert!(offered.contains(&code.to_owned()), "{code} offered");
        let (status, preview) = dispatcher
            .get(&format!(
                "/api/v1/routing-rules/preview?category={code}&lat={}&lon={}",
                YUDONG.0, YUDONG.1
            ))
            .await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["department"], department, "{code}: {preview}");
        assert_eq!(preview["co_department"].as_str(), co, "{code}: {preview}");
        assert!(
            !preview["rule"].is_null(),
            "{code} has its own rule: {preview}"
        );
    }
    assert_eq!(offered.last().map(String::as_str), Some("other"));
}
shanshui_tests::demo_test!(the_plan_s_kinds_are_offered_and_routed);
