//! The public record (信息公开): what a reviewer discloses and what the
//! public then reads in the API, the exports and the feed; and a scan of
//! every public answer for the test reporters' personal data.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report, photos};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
/// The test reporter's personal data: none of it may appear in public.
const NAME: &str = "欧阳秘密";
const PHONE: &str = "13987654321";
const DESCRIPTION: &str = "我家住在鱼洞新街88号3单元,楼下工地每晚施工";

struct Team {
    handler: Staff,
    reviewer: Staff,
    dispatcher: Staff,
}

async fn team(app: &TestApp) -> Team {
    Team {
        handler: app
            .staff("cheng.ban", Role::Handler, Some("housing_construction"))
            .await,
        reviewer: app.staff("shen.he", Role::Reviewer, None).await,
        dispatcher: app.staff("diao.du", Role::Dispatcher, None).await,
    }
}

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

/// A named report with a photo, taken to closed (substantiated).
async fn closed_named_case(app: &TestApp, t: &Team) -> (String, Value) {
    let answers: Value = {
        let (code, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
        // Borrow the answers a valid report needs from the first case.
        let case = t.dispatcher.case(&code).await;
        serde_json::from_str(case["reports"][0]["answers"].as_str().unwrap()).unwrap()
    };
    let form = reqwest::multipart::Form::new()
        .text("category", "noise_construction_night")
        .text("description", DESCRIPTION)
        .text("lat", (YUDONG.0 + 0.0004).to_string())
        .text("lon", YUDONG.1.to_string())
        .text("answers", answers.to_string())
        .text("name", NAME)
        .text("phone", PHONE)
        .part(
            "photo",
            reqwest::multipart::Part::bytes(photos::jpeg_with_gps(640, 480, YUDONG.0, YUDONG.1))
                .file_name("p.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "draft_reply", "finding": "substantiated",
        "reply": format!("{NAME}您好,经核查属实。"), "actions_taken": "责令停止夜间施工" }),
    )
    .await;
    let case = ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    (code, case)
}

async fn a_case_is_public_in_outline_until_a_reviewer_discloses_it(app: &TestApp) {
    let t = team(app).await;
    let (code, case) = closed_named_case(app, &t).await;
    let (status, public) = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json::<Value>()
        .await
        .map(|v| (200, v))
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(public["disclosed"], false);
    assert_eq!(public["summary"], Value::Null);
    assert_eq!(public["finding"], Value::Null);
    assert_eq!(public["precision"], "area");
    assert_eq!(public["photos"], json!([]));
    assert_eq!(public["closed"], true);

    // Only a reviewer or dispatcher discloses; the handler cannot.
    let photo_id = case["reports"][0]["photos"][0]["id"].as_i64().unwrap();
    let disclosure = json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工噪声扰民",
        "investigation": "经现场核查,该工地夜间违规施工", "actions_taken": "责令停止夜间施工,立案处罚",
        "photos": [photo_id], "precision": "street" });
    assert_eq!(t.handler.act(&code, disclosure.clone()).await.0, 403);
    // A photo of another case is refused, and nothing changes.
    let (status, body) = t
        .reviewer
        .act(
            &code,
            json!({ "action": "disclose", "summary": "x", "photos": [photo_id + 1000] }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let after = ok(&t.reviewer, &code, disclosure).await;
    assert_eq!(after["disclosure"]["photos"], json!([photo_id]));
    assert!(after["disclosed_at"].is_string());

    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["disclosed"], true);
    assert_eq!(public["summary"], "鱼洞街道某工地夜间施工噪声扰民");
    assert_eq!(public["finding"], "substantiated");
    assert_eq!(public["precision"], "street");
    assert_eq!(public["photos"].as_array().map(Vec::len), Some(1));
    assert!(
        public["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "approve_reply")
    );
    // The public copy has no EXIF: no GPS in the served file.
    let photo = app
        .get(public["photos"][0]["display_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        !photo.windows(4).any(|w| w == b"Exif"),
        "the public copy carries no EXIF"
    );

    // Withdrawn: the outline stays, the texts and photos go.
    assert_eq!(
        t.reviewer
            .act(&code, json!({ "action": "undisclose" }))
            .await
            .0,
        422
    );
    ok(
        &t.dispatcher,
        &code,
        json!({ "action": "undisclose", "reason": "含有可识别信息,重新审核" }),
    )
    .await;
    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            public["disclosed"].as_bool(),
            public["summary"].is_null(),
            public["photos"].as_array().map(Vec::len)
        ),
        (Some(false), true, Some(0))
    );
    assert_eq!(
        t.dispatcher
            .act(&code, json!({ "action": "undisclose", "reason": "again" }))
            .await
            .0,
        409
    );
}
shanshui_tests::demo_test!(a_case_is_public_in_outline_until_a_reviewer_discloses_it);

/// The codes of a page of the public list, in its order.
fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_public_list_filters_and_pages(app: &TestApp) {
    let (a, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
    let (b, _) = file_report(app, "water_black_odorous", 29.4065, 106.6074, &[]).await;
    let page: Value = app.get("/api/v1/public/cases").await.json().await.unwrap();
    assert_eq!(codes(&page), [b.clone(), a.clone()]);
    let only = app
        .get("/api/v1/public/cases?category=water_black_odorous")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(codes(&only), [b.as_str()]);
    let paged = app
        .get("/api/v1/public/cases?page_size=1&page=2")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        (codes(&paged), paged["has_more"].as_bool()),
        (vec![a.clone()], Some(false))
    );
    assert_eq!(
        codes(
            &app.get("/api/v1/public/cases?state=closed")
                .await
                .json::<Value>()
                .await
                .unwrap()
        )
        .len(),
        0
    );
    assert_eq!(
        codes(
            &app.get("/api/v1/public/cases?disclosed=true")
                .await
                .json::<Value>()
                .await
                .unwrap()
        )
        .len(),
        0
    );
    for bad in [
        "category=nope",
        "area=nowhere",
        "state=done",
        "from=yesterday",
        "page_size=1000",
        "disclosed=maybe",
    ] {
        let res = app.get(&format!("/api/v1/public/cases?{bad}")).await;
        assert!(res.status().is_client_error(), "{bad}: {}", res.status());
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
    assert_eq!(
        app.get("/api/v1/public/cases/BN-ZZZZ-ZZZZ").await.status(),
        404
    );
}
shanshui_tests::demo_test!(the_public_list_filters_and_pages);

async fn exports_and_the_feed_carry_the_disclosure_columns_with_etags(app: &TestApp) {
    let t = team(app).await;
    let (code, case) = closed_named_case(app, &t).await;
    let photo_id = case["reports"][0]["photos"][0]["id"].as_i64().unwrap();
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "disclose", "summary": "=HYPERLINK(\"x\") 工地夜间施工",
        "investigation": "属实", "actions_taken": "已整改", "photos": [photo_id] }),
    )
    .await;

    // GeoJSON.
    let res = app.get("/open-data/cases.geojson").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    let etag = res.headers()["etag"].clone();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let geo: Value = res.json().await.unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let f = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(f["geometry"]["type"], "Point");
    assert_eq!(f["properties"]["finding"], "substantiated");
    let again = app
        .client
        .get(app.url("/open-data/cases.geojson"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // Paged with a Link to the next page.
    let res = app.get("/open-data/cases.geojson?page_size=1").await;
    assert!(
        res.headers()["link"].to_str().unwrap().contains("page=2"),
        "{:?}",
        res.headers().get("link")
    );

    // CSV: the 公示表 columns, formulas neutralised.
    let res = app.get("/open-data/cases.csv").await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let header = csv.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert!(header.starts_with("\"受理编号\",\"问题基本情况\",\"行政区域\",\"问题类型\",\"调查核实情况\",\"是否属实\",\"处理和整改情况\",\"是否办结\""), "{header}");
    let row = csv.lines().find(|l| l.contains(&code)).unwrap();
    assert!(
        row.contains("\"'=HYPERLINK(\"\"x\"\") 工地夜间施工\""),
        "{row}"
    );
    assert!(row.contains("\"属实\"") && row.contains("\"是\""), "{row}");

    // Atom: a "new" and a "closed" entry; per area and category.
    let res = app.get("/feeds/cases.atom").await;
    assert_eq!(
        res.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let feed = res.text().await.unwrap();
    let doc = roxmltree::Document::parse(&feed).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "feed");
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|e| {
            e.children()
                .find(|c| c.has_tag_name("id"))
                .and_then(|i| i.text())
        })
        .collect();
    assert!(
        ids.iter()
            .any(|i| i.ends_with(&format!("/cases/{code}#new"))),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .any(|i| i.ends_with(&format!("/cases/{code}#closed"))),
        "{ids:?}"
    );
    let area: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    let area = area["area"]["code"].as_str().unwrap().to_owned();
    let filtered = app
        .get(&format!(
            "/feeds/cases.atom?area={area}&category=noise_construction_night"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(filtered.contains(&code));
    let elsewhere = app
        .get("/feeds/cases.atom?category=water_outfall")
        .await
        .text()
        .await
        .unwrap();
    assert!(!elsewhere.contains(&code));
    assert_eq!(
        app.get("/feeds/cases.atom?area=nowhere").await.status(),
        422
    );
}
shanshui_tests::demo_test!(exports_and_the_feed_carry_the_disclosure_columns_with_etags);

/// Every public page, feed, export and API answer, scanned for the
/// reporters' names, phone numbers, their own words and exact positions.
async fn no_public_answer_carries_a_reporters_personal_data(app: &TestApp) {
    let t = team(app).await;
    let (code, case) = closed_named_case(app, &t).await;
    let photo_id = case["reports"][0]["photos"][0]["id"].as_i64().unwrap();
    ok(&t.reviewer, &code, json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工", "photos": [photo_id], "precision": "street" })).await;
    let key = server::api_keys::create(&app.db, "scan", "test", app.clock.now())
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "odour"),
            ("lat", "29.3801"),
            ("long", "106.5203"),
            ("description", "隔壁化工厂气味,我是李四秘密 13700001111"),
            ("first_name", "四秘密"),
            ("last_name", "李"),
            ("phone", "13700001111"),
            ("attribute[smell]", "chemical"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    let secrets = [
        NAME,
        PHONE,
        DESCRIPTION,
        "鱼洞新街88号",
        "李四秘密",
        "13700001111",
        "29.3756",
        "29.3801",
        "106.5203",
        "wang@example",
    ];
    let mut paths: Vec<String> = [
        "/",
        "/cases",
        "/stats",
        "/info",
        "/report",
        "/track",
        "/api/v1/public/cases",
        "/api/v1/categories",
        "/api/v1/departments",
        "/api/v1/areas",
        "/api/v1/reward-tiers",
        "/open311/discovery.json",
        "/open311/discovery.xml",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open-data/cases.geojson",
        "/open-data/cases.csv",
        "/feeds/cases.atom",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let list: Value = app.get("/api/v1/public/cases").await.json().await.unwrap();
    for c in list["items"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        paths.push(format!("/api/v1/public/cases/{code}"));
        paths.push(format!("/cases/{code}"));
        paths.push(format!("/open311/v2/requests/{code}.json"));
        paths.push(format!("/open311/v2/requests/{code}.xml"));
    }
    for path in &paths {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(status < 500, "{path}: {status}");
        for s in secrets {
            assert!(!body.contains(s), "{path} shows `{s}`");
        }
    }
}
shanshui_tests::demo_test!(no_public_answer_carries_a_reporters_personal_data);

async fn public_reading_is_cached_until_something_changes(app: &TestApp) {
    let t = team(app).await;
    let (code, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
    let cache = |res: &reqwest::Response| {
        res.headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let first = app.get("/open311/v2/requests.json").await;
    assert_eq!(cache(&first).as_deref(), Some("miss"));
    let second = app.get("/open311/v2/requests.json").await;
    assert_eq!(cache(&second).as_deref(), Some("hit"));
    assert_eq!(first.text().await.unwrap(), second.text().await.unwrap());
    // A write empties it: the next reader sees the change at once.
    ok(&t.dispatcher, &code, json!({ "action": "accept" })).await;
    let after = app.get(&format!("/open311/v2/requests/{code}.json")).await;
    assert_eq!(cache(&after).as_deref(), Some("miss"));
    let list: Value = app.get("/api/v1/public/cases").await.json().await.unwrap();
    assert_eq!(list["items"][0]["state"], "accepted");
    // Staff and reporters' answers are never cached.
    assert_eq!(
        cache(&app.get(&format!("/api/v1/track/{code}")).await),
        None
    );
}
shanshui_tests::demo_test!(public_reading_is_cached_until_something_changes);

/// Deep pages (issue 16): the list says which case the next page follows,
/// and that page, found from the index (keyset), is the one the page
/// number gives; the exports' `Link` carries it too. A case that is not
/// there is a 422 naming `after`.
async fn a_next_page_follows_the_last_case_and_matches_the_page_number(app: &TestApp) {
    let mut filed = Vec::new();
    for i in 0..5 {
        let lat = YUDONG.0 + f64::from(i) * 0.004;
        filed.push(
            file_report(app, "noise_construction_night", lat, YUDONG.1, &[])
                .await
                .0,
        );
    }
    let get = |path: String| async move {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json::<Value>().await.unwrap()
    };
    // By page number, and by following `next`, the same pages.
    let mut by_after = Vec::new();
    let mut after: Option<String> = None;
    for page in 1..=3 {
        let numbered = get(format!("/api/v1/public/cases?page_size=2&page={page}")).await;
        let followed = get(format!(
            "/api/v1/public/cases?page_size=2&page={page}{}",
            after
                .as_deref()
                .map(|a| format!("&after={a}"))
                .unwrap_or_default()
        ))
        .await;
        assert_eq!(codes(&followed), codes(&numbered), "page {page}");
        assert_eq!(followed["page"], page);
        assert_eq!(followed["has_more"], numbered["has_more"]);
        by_after.extend(codes(&followed));
        after = followed["next"].as_str().map(str::to_owned);
        assert_eq!(after.is_some(), page < 3, "page {page}: {followed}");
        if let Some(a) = &after {
            assert_eq!(Some(a), codes(&followed).last());
        }
    }
    filed.reverse();
    assert_eq!(by_after, filed, "newest first, each case once");

    // The exports' next link follows the last case sent.
    let res = app.get("/open-data/cases.csv?page_size=2").await;
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("page=2") && link.contains(&format!("after={}", filed[1])),
        "{link}"
    );
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .split_once("/open-data")
        .map(|(_, p)| format!("/open-data{p}"))
        .unwrap();
    let csv = app.get(&next).await.text().await.unwrap();
    assert!(csv.contains(&filed[2]) && csv.contains(&filed[3]), "{csv}");
    assert!(!csv.contains(&filed[1]), "{csv}");

    // What a stranger puts in `after` is refused before any query, and
    // never reaches the page unescaped nor is echoed at any length.
    let hostile = format!(
        "%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E{}",
        "A".repeat(4000)
    );
    for param in ["after", "before"] {
        let res = app.get(&format!("/cases?{param}={hostile}")).await;
        assert_eq!(res.status(), 422, "{param}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("<script>alert(1)"), "{param}: unescaped");
        assert!(!html.contains(&"A".repeat(4000)), "{param}: echoed whole");
    }
    for bad in ["BN-ZZZZ-ZZZZ", "nonsense", "%27%20OR%201%3D1"] {
        let res = app.get(&format!("/api/v1/public/cases?after={bad}")).await;
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains("after"),
            "{body}"
        );
    }
}
shanshui_tests::demo_test!(a_next_page_follows_the_last_case_and_matches_the_page_number);

/// Back up the list (issue 16): a page says which case it starts with, and
/// the page before that case, found from the index like `after`'s, is the
/// one the page number gives, filtered or not. Read back to the top it is
/// page 1, whole, with nothing before it. `before` and `after` together, or
/// an unknown case, are a 422 naming `before`.
async fn a_previous_page_comes_before_the_first_case_and_matches_the_page_number(app: &TestApp) {
    for i in 0..5 {
        let lat = YUDONG.0 + f64::from(i) * 0.004;
        file_report(app, "noise_construction_night", lat, YUDONG.1, &[]).await;
    }
    file_report(app, "burning_straw", YUDONG.0, YUDONG.1 + 0.01, &[]).await;
    let get = |path: String| async move {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        res.json::<Value>().await.unwrap()
    };
    for filter in ["", "&category=noise_construction_night"] {
        let list = format!("/api/v1/public/cases?page_size=2{filter}");
        let first = get(list.clone()).await;
        assert!(first.get("prev").is_none(), "{first}");
        // From the last page back to the first, by `prev`.
        // Six cases without the filter, five with it: three pages of two.
        let last = 3;
        let mut page = get(format!("{list}&page={last}")).await;
        for number in (1..last).rev() {
            let before = page["prev"].as_str().expect("a prev").to_owned();
            assert_eq!(Some(&before), codes(&page).first());
            let numbered = get(format!("{list}&page={number}")).await;
            page = get(format!("{list}&page={number}&before={before}")).await;
            assert_eq!(codes(&page), codes(&numbered), "{filter} page {number}");
            assert_eq!(page["page"], number);
            assert_eq!(page["has_more"], true);
            assert_eq!(
                page["next"].as_str(),
                codes(&page).last().map(String::as_str)
            );
        }
        assert!(page.get("prev").is_none(), "the first page: {page}");
        // Links numbered wrongly, or from the top, read back to the first
        // page, whole.
        let newest = codes(&first)[0].clone();
        let second_first = codes(&get(format!("{list}&page=2")).await)[0].clone();
        for before in [second_first, newest] {
            let top = get(format!("{list}&page=7&before={before}")).await;
            assert_eq!(codes(&top), codes(&first), "before {before}");
            assert_eq!(top["page"], 1);
            assert!(top.get("prev").is_none(), "{top}");
            assert_eq!(top["next"], first["next"]);
        }
    }

    let some = codes(&get("/api/v1/public/cases".to_owned()).await)[0].clone();
    for query in [
        format!("after={some}&before={some}"),
        "before=BN-ZZZZ-ZZZZ".to_owned(),
        "before=nonsense".to_owned(),
    ] {
        let res = app.get(&format!("/api/v1/public/cases?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["fields"]["before"].is_object(), "{body}");
        assert!(body["error"]["fields"].get("after").is_none(), "{body}");
    }
}
shanshui_tests::demo_test!(a_previous_page_comes_before_the_first_case_and_matches_the_page_number);

/// The directory is held in memory for the public reads (issue 16), and a
/// change to it shows on the next read, not when a copy expires.
async fn a_renamed_department_shows_on_the_next_public_read(app: &TestApp) {
    let (code, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
    let department = |c: &Value| {
        c["department"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let before: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    let dept_code = before["department"]["code"].as_str().unwrap().to_owned();
    assert!(!department(&before).is_empty(), "{before}");
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (status, body) = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/departments/{dept_code}"),
            json!({ "name": "巴南区新命名的部门" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for path in [
        format!("/api/v1/public/cases/{code}"),
        "/api/v1/public/cases".to_owned(),
    ] {
        let page: Value = app.get(&path).await.json().await.unwrap();
        let case = if page["items"].is_array() {
            page["items"][0].clone()
        } else {
            page
        };
        assert_eq!(department(&case), "巴南区新命名的部门", "{path}: {case}");
    }
}
shanshui_tests::demo_test!(a_renamed_department_shows_on_the_next_public_read);
