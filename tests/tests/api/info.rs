//! Statistics, the plan's targets, notices in sanitised Markdown and
//! enterprise disclosures: what `/stats` and `/info` read.

use serde_json::{Value, json};
use shanshui_tests::{TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);

async fn statistics_count_cases_and_show_the_targets(app: &TestApp) {
    let (a, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
    file_report(
        app,
        "noise_construction_night",
        YUDONG.0,
        YUDONG.1 + 0.01,
        &[],
    )
    .await;
    file_report(app, "water_black_odorous", 29.4065, 106.6074, &[]).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher
            .act(&a, json!({ "action": "reject", "reason": "重复" }))
            .await
            .0,
        200
    );

    let stats: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    assert_eq!(
        (
            stats["total"].as_u64(),
            stats["open"].as_u64(),
            stats["closed"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{stats}"
    );
    let noise = stats["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "noise_construction_night")
        .unwrap();
    assert_eq!(noise["value"], 2);
    assert_eq!(
        stats["by_category"][0]["key"], "noise_construction_night",
        "the biggest first"
    );
    let months = stats["by_month"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[11]["value"], 3, "this month: {months:?}");
    assert_eq!(
        stats["by_area"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["value"].as_u64().unwrap())
            .sum::<u64>(),
        3
    );
    assert_eq!(
        stats["by_channel"],
        json!([{ "key": "web", "label": "网上举报", "label_en": "Web form", "value": 3 }]),
        "every case came through the form"
    );
    assert!(
        stats["median_days_to_close"]
            .as_f64()
            .is_some_and(|d| d < 1.0)
    );
    let targets = stats["indicators"].as_array().unwrap();
    let air = targets
        .iter()
        .find(|t| t["code"] == "good_air_days")
        .unwrap();
    assert_eq!(
        (
            air["target"].as_f64(),
            air["comparison"].as_str(),
            air["met"].clone()
        ),
        (Some(334.0), Some("at_least"), Value::Null)
    );

    // An admin enters measured values; a target is met or not.
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (status, air) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/indicators/good_air_days",
            json!({ "value": 338, "note": "2025 年全年" }),
        )
        .await;
    assert_eq!(status, 200, "{air}");
    assert_eq!(air["met"], true);
    let (_, pm) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/indicators/pm25_annual",
            json!({ "value": 31.5 }),
        )
        .await;
    assert_eq!(pm["met"], false, "at most 30 µg/m³");
    assert_eq!(
        admin
            .send(
                reqwest::Method::PUT,
                "/api/v1/indicators/pm25_annual",
                json!({ "value": -1 })
            )
            .await
            .0,
        422
    );
    assert_eq!(
        admin
            .send(
                reqwest::Method::PUT,
                "/api/v1/indicators/nothing",
                json!({ "value": 1 })
            )
            .await
            .0,
        404
    );
    assert_eq!(
        dispatcher
            .send(
                reqwest::Method::PUT,
                "/api/v1/indicators/pm25_annual",
                json!({ "value": 20 })
            )
            .await
            .0,
        403
    );
    let stats: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    let pm = stats["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "pm25_annual")
        .unwrap()
        .clone();
    assert_eq!(pm["value"], 31.5);
}
shanshui_tests::demo_test!(statistics_count_cases_and_show_the_targets);

async fn notices_are_sanitised_searchable_and_drafts_stay_inside(app: &TestApp) {
    let editor = app.staff("shen.he", Role::Reviewer, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let body = json!({ "kind": "enforcement", "title": "某建材公司夜间施工噪声处罚决定", "published": true,
        "body": "## 处罚结果\n\n罚款 **2 万元**。<script>alert('x')</script> [原文](javascript:alert(1))" });
    assert_eq!(handler.post("/api/v1/notices", body.clone()).await.0, 403);
    let (status, n) = editor.post("/api/v1/notices", body).await;
    assert_eq!(status, 201, "{n}");
    let html = n["body_html"].as_str().unwrap();
    assert!(
        html.contains("<h2>处罚结果</h2>") && html.contains("<strong>2 万元</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(
        n["summary"].as_str().unwrap().starts_with("处罚结果"),
        "a summary from the text: {n}"
    );
    let (_, draft) = editor.post("/api/v1/notices", json!({ "kind": "notice", "title": "草稿:高考期间噪声管控", "body": "内容", "published": false })).await;

    let page: Value = app.get("/api/v1/info").await.json().await.unwrap();
    let titles: Vec<&str> = page["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["某建材公司夜间施工噪声处罚决定"],
        "drafts are not public"
    );
    assert!(page["notices"][0].get("body_md").is_none());
    assert_eq!(
        app.get(&format!("/api/v1/notices/{}", draft["id"]))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/notices/{}", n["id"]))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/notices/abc").await.status(), 404);
    let search: Value = app
        .get("/api/v1/info?q=噪声 处罚")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(search["notices"].as_array().map(Vec::len), Some(1));
    let none: Value = app.get("/api/v1/info?q=扬尘").await.json().await.unwrap();
    assert_eq!(none["notices"].as_array().map(Vec::len), Some(0));
    assert_eq!(app.get("/api/v1/info?kind=rumour").await.status(), 422);

    // Publishing a draft, then deleting it.
    let id = draft["id"].as_i64().unwrap();
    let (status, published) = editor
        .send(reqwest::Method::PUT, &format!("/api/v1/notices/{id}"), json!({ "kind": "notice", "title": "高考期间噪声管控", "body": "6 月 7 日至 9 日", "published": true }))
        .await;
    assert_eq!(status, 200, "{published}");
    assert!(published["published_at"].is_string());
    let page: Value = app
        .get("/api/v1/info?kind=notice")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["notices"][0]["title"], "高考期间噪声管控");
    assert_eq!(
        editor
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/notices/{id}"),
                Value::Null
            )
            .await
            .0,
        204
    );
    assert_eq!(
        app.get(&format!("/api/v1/notices/{id}")).await.status(),
        404
    );
    assert_eq!(
        editor
            .post(
                "/api/v1/notices",
                json!({ "kind": "notice", "title": " ", "body": "x" })
            )
            .await
            .0,
        422
    );
}
shanshui_tests::demo_test!(notices_are_sanitised_searchable_and_drafts_stay_inside);

async fn enterprise_disclosures_are_checked_and_searchable(app: &TestApp) {
    let editor = app.staff("guan.li", Role::Admin, None).await;
    let good = json!({ "enterprise": "重庆某化工有限公司", "credit_code": "91500113MA5U12345P", "permit_no": "91500113MA5U12345P001V",
        "industry": "化学原料", "year": 2025, "disclosed": "废气排放口 3 个,年排放 VOCs 12.3 吨,自行监测达标。", "penalties": "2025 年 3 月 罚款 5 万元" });
    let (status, e) = editor
        .post("/api/v1/enterprise-disclosures", good.clone())
        .await;
    assert_eq!(status, 201, "{e}");
    for (field, value, code) in [
        ("credit_code", json!("123"), "invalid"),
        // One character mistyped: the GB 32100 check character catches it.
        ("credit_code", json!("91500113MA5U12354P"), "invalid"),
        ("year", json!(1999), "out_of_range"),
        ("url", json!("javascript:alert(1)"), "invalid"),
        ("disclosed", json!(""), "required"),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let (status, body) = editor.post("/api/v1/enterprise-disclosures", bad).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(
            body["error"]["fields"][field]["code"], code,
            "{field}: {body}"
        );
        assert!(
            body["error"]["fields"][field]["message"].is_string(),
            "{field}: {body}"
        );
    }
    let found: Value = app.get("/api/v1/info?q=化工").await.json().await.unwrap();
    assert_eq!(found["enterprises"][0]["credit_code"], "91500113MA5U12345P");
    let by_code: Value = app
        .get("/api/v1/info?q=91500113MA5U")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_code["enterprises"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        editor
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/enterprise-disclosures/{}", e["id"]),
                Value::Null
            )
            .await
            .0,
        204
    );
    let gone: Value = app.get("/api/v1/info?q=化工").await.json().await.unwrap();
    assert_eq!(gone["enterprises"].as_array().map(Vec::len), Some(0));
}
shanshui_tests::demo_test!(enterprise_disclosures_are_checked_and_searchable);
