//! Reports filed by staff on a caller's behalf (代录, `POST
//! /api/v1/cases/intake`): the road each came by, who may file by which
//! road, the caller's receipt, the audit entry, and the channel as a filter
//! of the queue and a dimension of the statistics.

use reqwest::multipart::Form;
use serde_json::{Value, json};
use shanshui_tests::photos::jpeg;
use shanshui_tests::{Staff, TestApp, required_answers};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const CALLER: (&str, &str) = ("李秀英", "13987654321");

/// The form of a noise report at Yudong by `channel`, with `more` fields.
async fn form(app: &TestApp, channel: Option<&str>, more: &[(&str, &str)]) -> Form {
    let mut form = Form::new()
        .text("category", "noise_construction")
        .text("description", "工地夜间施工，电锯声一直到凌晨两点")
        .text("lat", YUDONG.0.to_string())
        .text("lon", YUDONG.1.to_string())
        .text(
            "answers",
            required_answers(app, "noise_construction")
                .await
                .to_string(),
        );
    if let Some(c) = channel {
        form = form.text("channel", c.to_owned());
    }
    for (k, v) in more {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

/// A photo the caller brought in.
fn site_photo() -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(jpeg(640, 480))
        .file_name("site.jpg")
        .mime_str("image/jpeg")
        .unwrap()
}

/// `POST /api/v1/cases/intake` as `staff` (or as nobody) → (status, body).
async fn intake(
    app: &TestApp,
    staff: Option<&Staff>,
    form: Form,
    key: Option<&str>,
) -> (u16, Value) {
    let client = staff.map_or(&app.client, |s| &s.client);
    let mut request = client.post(app.url("/api/v1/cases/intake")).multipart(form);
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    let res = request.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// A refused filing: by whom, by which road, with which extra fields, and
/// the status and the field named.
type Refused<'a> = (
    Option<&'a Staff>,
    Option<&'a str>,
    Vec<(&'a str, &'a str)>,
    u16,
    &'a str,
);

/// Every case the dispatcher can see, by code.
async fn all_codes(dispatcher: &Staff, query: &str) -> Vec<String> {
    let (status, queue) = dispatcher
        .get(&format!("/api/v1/cases?state=all&page_size=200{query}"))
        .await;
    assert_eq!(status, 200, "{queue}");
    let mut codes: Vec<String> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

async fn a_dispatcher_files_a_hotline_call_and_the_caller_follows_it(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (web, _) =
        shanshui_tests::file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;

    let called = form(
        app,
        Some("phone_12369"),
        &[("name", CALLER.0), ("phone", CALLER.1)],
    )
    .await
    .part("photo", site_photo());
    let (status, receipt) = intake(app, Some(&dispatcher), called, Some("call-0001")).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["photos"], 1);
    let code = receipt["tracking_code"].as_str().unwrap().to_owned();
    let secret = receipt["secret"].as_str().unwrap().to_owned();

    // The caller follows it with what was read out to them.
    let (status, track) = app.track(&code, &secret).await;
    assert_eq!(status, 200, "{track}");

    // A retry by the same desk (the answer was lost) files nothing new.
    let again = form(
        app,
        Some("phone_12369"),
        &[("name", CALLER.0), ("phone", CALLER.1)],
    )
    .await
    .part("photo", site_photo());
    let (status, replayed) = intake(app, Some(&dispatcher), again, Some("call-0001")).await;
    assert_eq!(status, 201, "{replayed}");
    assert_eq!(replayed["tracking_code"], code.as_str());

    // The case carries its road; the queue filters by it.
    let case = dispatcher.case(&code).await;
    assert_eq!(case["channel"], "phone_12369");
    assert_eq!(dispatcher.case(&web).await["channel"], "web");
    assert_eq!(
        all_codes(&dispatcher, "&channel=phone_12369").await,
        vec![code.clone()]
    );
    assert_eq!(
        all_codes(&dispatcher, "&channel=web").await,
        vec![web.clone()]
    );
    let mut both = vec![code.clone(), web.clone()];
    both.sort();
    assert_eq!(
        all_codes(&dispatcher, "&channel=web,%20phone_12369").await,
        both
    );
    let (status, err) = dispatcher.get("/api/v1/cases?channel=fax").await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        err["error"]["fields"]["channel"]["code"], "invalid",
        "{err}"
    );

    // A dimension of the public statistics, with its name in both languages.
    let stats: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    let by_channel = stats["by_channel"].as_array().unwrap();
    assert!(
        by_channel.contains(&json!({
            "key": "phone_12369", "label": "12369 热线", "label_en": "12369 hotline", "value": 1
        })),
        "{stats}"
    );

    // Audited: who keyed it in and by which road, never the caller.
    let (status, audit) = auditor
        .get(&format!(
            "/api/v1/audit?action=report.filed_for_caller&object_id={code}"
        ))
        .await;
    assert_eq!(status, 200, "{audit}");
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "one filing, not two: {audit}");
    assert_eq!(entries[0]["actor"], "diao.du");
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("channel phone_12369") && detail.contains("named"),
        "{detail}"
    );
    for private in [CALLER.0, CALLER.1, "电锯", secret.as_str()] {
        assert!(!audit.to_string().contains(private), "{private} in {audit}");
    }
    // A resident's own report is not "filed for a caller".
    let (_, none) = auditor
        .get(&format!(
            "/api/v1/audit?action=report.filed_for_caller&object_id={web}"
        ))
        .await;
    assert_eq!(none, json!([]));

    // The caller's name is kept as a resident's is: not in the case, only
    // revealed on purpose.
    assert!(!case.to_string().contains(CALLER.1), "{case}");
}
shanshui_tests::demo_test!(a_dispatcher_files_a_hotline_call_and_the_caller_follows_it);

async fn each_road_is_filed_by_whom_it_belongs_to_and_a_refusal_files_nothing(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;

    // Every staff road, by a dispatcher; the case says which.
    let roads = [
        "phone_12345",
        "phone_12369",
        "letter",
        "walk_in",
        "platform_12345",
        "inspection",
    ];
    for road in roads {
        let (status, receipt) = intake(
            app,
            Some(&dispatcher),
            form(app, Some(road), &[]).await,
            None,
        )
        .await;
        assert_eq!(status, 201, "{road}: {receipt}");
        let code = receipt["tracking_code"].as_str().unwrap();
        assert_eq!(dispatcher.case(code).await["channel"], road);
    }
    let (status, receipt) = intake(
        app,
        Some(&admin),
        form(app, Some("letter"), &[]).await,
        None,
    )
    .await;
    assert_eq!(status, 201, "an admin files too: {receipt}");
    // A handler files what they found on an inspection.
    let (status, found) = intake(
        app,
        Some(&handler),
        form(app, Some("inspection"), &[]).await,
        None,
    )
    .await;
    assert_eq!(status, 201, "{found}");
    let before = all_codes(&dispatcher, "").await;
    assert_eq!(before.len(), roads.len() + 2);

    let refused: Vec<Refused> = vec![
        (None, Some("phone_12345"), vec![], 401, ""),
        (Some(&reviewer), Some("phone_12345"), vec![], 403, ""),
        (Some(&handler), Some("phone_12345"), vec![], 403, ""),
        (Some(&dispatcher), Some("web"), vec![], 422, "channel"),
        (Some(&dispatcher), Some("open311"), vec![], 422, "channel"),
        (Some(&dispatcher), Some("fax"), vec![], 422, "channel"),
        (Some(&dispatcher), None, vec![], 422, "channel"),
        (
            Some(&dispatcher),
            Some("letter"),
            vec![("name", CALLER.0)],
            422,
            "phone",
        ),
        (
            Some(&dispatcher),
            Some("letter"),
            vec![("lat", "31.2"), ("lon", "121.5")],
            422,
            "lat",
        ),
        (
            Some(&dispatcher),
            Some("letter"),
            vec![("secret_field", "x")],
            422,
            "secret_field",
        ),
    ];
    for (who, channel, more, expected, field) in refused {
        let (status, err) = intake(app, who, form(app, channel, &more).await, None).await;
        assert_eq!(status, expected, "{channel:?} {more:?}: {err}");
        assert!(err["error"]["code"].is_string(), "{err}");
        if !field.is_empty() {
            assert!(
                err["error"]["fields"][field].is_object(),
                "{channel:?} {more:?}: {err}"
            );
        }
    }
    assert_eq!(
        all_codes(&dispatcher, "").await,
        before,
        "nothing was filed"
    );
}
shanshui_tests::demo_test!(each_road_is_filed_by_whom_it_belongs_to_and_a_refusal_files_nothing);
