//! The 12345 platform's hand-off (平台转办, `POST /api/v1/handoffs/12345`):
//! a signed work order becomes one case however often it comes, every
//! change of the case goes back to the platform's callback signed with the
//! key's secret, and a request with a wrong, stale or missing signature, a
//! key of another scope or a malformed order is refused and files nothing.

use crate::outbox::{Hit, receive, verifies};
use hmac::Mac;
use serde_json::{Value, json};
use server::api_keys::{NewKey, Scope};
use shanshui_tests::{Staff, TestApp, required_answers};
use shared::Role;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// A refused hand-off: what it is, the key and signature sent, the body,
/// and the status and error code expected.
type Refused<'a> = (
    &'a str,
    Option<&'a str>,
    Option<String>,
    Vec<u8>,
    u16,
    &'a str,
);

/// A key as the test holds it: the key and its signing secret.
struct PlatformKey {
    key: String,
    prefix: String,
    secret: String,
}

async fn make_key(app: &TestApp, scope: Scope, callback: Option<&str>) -> PlatformKey {
    let pii = server::privacy::cipher::PiiCipher::load_or_create(&app.data_dir).unwrap();
    let signer =
        server::outbox::WebhookSigner::new(pii.derive_key(server::outbox::SIGNING_KEY_LABEL));
    let allow = server::egress::AllowList::parse(&["127.0.0.1/32"]).unwrap();
    let created = server::api_keys::create_with(
        &app.db,
        NewKey {
            name: "重庆市12345平台",
            scope,
            callback_url: callback,
        },
        &allow,
        Some(&signer),
        "test",
        app.clock.now(),
    )
    .await
    .unwrap();
    PlatformKey {
        key: created.key,
        prefix: created.prefix,
        secret: created.signing_secret,
    }
}

/// The header the platform sends: HMAC-SHA-256 of "t.body" under the
/// secret's text, computed here without the server's code.
fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn order(order_no: &str, answers: &Value) -> Value {
    json!({
        "order_no": order_no,
        "category": "noise_construction",
        "description": "市民来电：鱼洞滨江路工地夜间施工噪声扰民",
        "lat": 29.3752,
        "lon": 106.5101,
        "answers": answers,
        "caller": { "name": "赵先生", "phone": "13700001111" }
    })
}

/// POST the exact `body` with the given key and signature headers.
async fn post(
    app: &TestApp,
    key: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/handoffs/12345"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(k) = key {
        request = request.header("X-Api-Key", k);
    }
    if let Some(s) = signature {
        request = request.header("X-Shanshui-Signature", s);
    }
    let res = request.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// Signed now with `key`'s secret.
async fn send(app: &TestApp, key: &PlatformKey, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let sig = signature(&key.secret, chrono::Utc::now().timestamp(), &bytes);
    post(app, Some(&key.key), Some(&sig), &bytes).await
}

async fn case_count(dispatcher: &Staff) -> u64 {
    let (status, counts) = dispatcher.get("/api/v1/cases/counts").await;
    assert_eq!(status, 200, "{counts}");
    counts["by_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[1].as_u64().unwrap())
        .sum()
}

async fn all_cases(dispatcher: &Staff) -> Vec<String> {
    let (status, queue) = dispatcher
        .get("/api/v1/cases?state=all&page_size=200")
        .await;
    assert_eq!(status, 200, "{queue}");
    queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_signed_work_order_becomes_one_case_whose_changes_go_back_to_the_platform(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let answers = required_answers(app, "noise_construction").await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/12345/callback", listener.local_addr().unwrap());
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::new(Mutex::new(Vec::new()));
    let receiver = receive(listener, hits.clone());
    let platform = make_key(app, Scope::Platform12345, Some(&callback)).await;
    assert_eq!(platform.secret.len(), 64);

    let body = serde_json::to_vec(&order("CQ12345-20261204-0001", &answers)).unwrap();
    let sig = signature(&platform.secret, chrono::Utc::now().timestamp(), &body);
    let (status, first) = post(app, Some(&platform.key), Some(&sig), &body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["duplicate"], false);
    assert_eq!(first["order_no"], "CQ12345-20261204-0001");
    let code = first["tracking_code"].as_str().unwrap().to_owned();
    let secret = first["secret"].as_str().unwrap().to_owned();
    let (status, _) = app.track(&code, &secret).await;
    assert_eq!(status, 200, "the caller can follow it too");
    let case = dispatcher.case(&code).await;
    assert_eq!(case["channel"], "platform_12345");
    assert_eq!(case["department"], "housing_construction", "{case}");

    // The same request replayed inside the window, and the same order
    // signed afresh (the platform's retry): its case, nothing new.
    let before = all_cases(&dispatcher).await;
    let (status, replayed) = post(app, Some(&platform.key), Some(&sig), &body).await;
    assert_eq!(status, 200, "{replayed}");
    let (status, retried) = send(app, &platform, &order("CQ12345-20261204-0001", &answers)).await;
    assert_eq!(status, 200, "{retried}");
    for again in [&replayed, &retried] {
        assert_eq!(again["tracking_code"], code.as_str());
        assert_eq!(again["duplicate"], true);
        assert!(again["secret"].is_null(), "the secret only once: {again}");
    }
    assert_eq!(
        all_cases(&dispatcher).await,
        before,
        "nothing new was filed"
    );
    // Another order is another case.
    let (status, second) = send(app, &platform, &order("CQ12345-20261204-0002", &answers)).await;
    assert_eq!(status, 201, "{second}");
    assert_ne!(second["tracking_code"], code.as_str());

    // The case is accepted and taken up: the platform hears both, signed
    // with its key's secret.
    for step in [
        json!({ "action": "accept" }),
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    ] {
        let (status, body) = handler.act(&code, step).await;
        assert_eq!(status, 200, "{body}");
    }
    for _ in 0..200 {
        if hits.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.abort();
    let hits = hits.lock().unwrap().clone();
    let mut states: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            let b: Value = serde_json::from_str(&h.body).unwrap();
            (
                b["previous_state"].as_str().unwrap().to_owned(),
                b["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        vec![
            ("accepted".to_owned(), "investigating".to_owned()),
            ("submitted".to_owned(), "accepted".to_owned()),
        ],
        "{hits:?}"
    );
    for hit in &hits {
        assert_eq!(hit.event, "case.updated");
        assert!(hit.body.contains(&code) && hit.body.contains("platform_12345"));
        assert!(
            verifies(&hit.signature, &hit.body, &platform.secret),
            "{hit:?}"
        );
        for private in ["赵先生", "13700001111", "鱼洞滨江路工地"] {
            assert!(!hit.body.contains(private), "{private} in {}", hit.body);
        }
    }

    // Audited under the key, with the order number and nothing personal.
    let (_, audit) = auditor
        .get(&format!(
            "/api/v1/audit?action=report.handed_off&object_id={code}"
        ))
        .await;
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], format!("api-key:{}", platform.prefix));
    assert!(
        entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("order CQ12345-20261204-0001")
    );
    assert!(!audit.to_string().contains("13700001111"));
}
shanshui_tests::demo_test!(
    a_signed_work_order_becomes_one_case_whose_changes_go_back_to_the_platform
);

async fn a_hand_off_with_a_bad_key_signature_or_order_is_refused_and_files_nothing(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let answers = required_answers(app, "noise_construction").await;
    let platform = make_key(app, Scope::Platform12345, None).await;
    let other = make_key(app, Scope::Platform12345, None).await;
    let open311 = make_key(app, Scope::Open311, None).await;
    let now = chrono::Utc::now().timestamp();
    let body = serde_json::to_vec(&order("CQ12345-BAD-1", &answers)).unwrap();
    let good = signature(&platform.secret, now, &body);
    let before = case_count(&dispatcher).await;

    let mut tampered = order("CQ12345-BAD-1", &answers);
    tampered["lat"] = json!(29.40);
    let tampered = serde_json::to_vec(&tampered).unwrap();
    let cases: Vec<Refused> = vec![
        (
            "no key",
            None,
            Some(good.clone()),
            body.clone(),
            401,
            "invalid_api_key",
        ),
        (
            "an unknown key",
            Some("ss_00000000_00000000000000000000000000000000"),
            Some(good.clone()),
            body.clone(),
            401,
            "invalid_api_key",
        ),
        (
            "an Open311 key",
            Some(&open311.key),
            Some(signature(&open311.secret, now, &body)),
            body.clone(),
            403,
            "forbidden",
        ),
        (
            "no signature",
            Some(&platform.key),
            None,
            body.clone(),
            401,
            "bad_signature",
        ),
        (
            "a malformed signature",
            Some(&platform.key),
            Some("sha256=abc".to_owned()),
            body.clone(),
            401,
            "bad_signature",
        ),
        (
            "another key's secret",
            Some(&platform.key),
            Some(signature(&other.secret, now, &body)),
            body.clone(),
            401,
            "bad_signature",
        ),
        (
            "a body changed after signing",
            Some(&platform.key),
            Some(good.clone()),
            tampered,
            401,
            "bad_signature",
        ),
        (
            "a request replayed ten minutes later",
            Some(&platform.key),
            Some(signature(&platform.secret, now - 600, &body)),
            body.clone(),
            401,
            "signature_expired",
        ),
    ];
    for (what, key, sig, bytes, status, code) in cases {
        let (got, err) = post(app, key, sig.as_deref(), &bytes).await;
        assert_eq!(got, status, "{what}: {err}");
        assert_eq!(err["error"]["code"], code, "{what}: {err}");
    }

    // Well signed, badly formed.
    let mut unknown_field = order("CQ12345-BAD-2", &answers);
    unknown_field["priority"] = json!("urgent");
    let mut bad_no = order("CQ 12345/3", &answers);
    bad_no["description"] = json!("市民来电：工地夜间施工噪声");
    let mut outside = order("CQ12345-BAD-4", &answers);
    outside["lat"] = json!(31.23);
    outside["lon"] = json!(121.47);
    let mut bad_phone = order("CQ12345-BAD-5", &answers);
    bad_phone["caller"]["phone"] = json!("12345");
    let mut no_such = order("CQ12345-BAD-6", &answers);
    no_such["category"] = json!("no_such_category");
    for (what, body, status, field) in [
        ("an unknown field", unknown_field, 400, None),
        ("a bad order number", bad_no, 422, Some("order_no")),
        ("a place outside Banan", outside, 422, Some("lat")),
        ("a caller's bad phone", bad_phone, 422, Some("phone")),
        ("an unknown category", no_such, 422, Some("category")),
    ] {
        let (got, err) = send(app, &platform, &body).await;
        assert_eq!(got, status, "{what}: {err}");
        if let Some(field) = field {
            assert!(err["error"]["fields"][field].is_object(), "{what}: {err}");
        }
    }
    let not_json = b"order_no=1".to_vec();
    let sig = signature(&platform.secret, now, &not_json);
    let (got, err) = post(app, Some(&platform.key), Some(&sig), &not_json).await;
    assert_eq!(got, 400, "{err}");

    assert_eq!(case_count(&dispatcher).await, before, "nothing was filed");
}
shanshui_tests::demo_test!(
    a_hand_off_with_a_bad_key_signature_or_order_is_refused_and_files_nothing
);

/// The platform's retries of one order arriving together make one case:
/// one answer 201, the others 200 with the same case.
async fn one_order_sent_ten_times_at_once_makes_one_case(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let answers = required_answers(app, "noise_construction").await;
    let platform = make_key(app, Scope::Platform12345, None).await;
    let before = case_count(&dispatcher).await;
    let body = order("CQ12345-20261204-0100", &answers);
    let answers: Vec<(u16, Value)> =
        futures::future::join_all((0..10).map(|_| send(app, &platform, &body))).await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 201 || *s == 200),
        "{answers:?}"
    );
    let mut codes: Vec<&str> = answers
        .iter()
        .map(|(_, b)| b["tracking_code"].as_str().unwrap())
        .collect();
    codes.dedup();
    assert_eq!(codes.len(), 1, "{answers:?}");
    assert_eq!(case_count(&dispatcher).await, before + 1);
}
shanshui_tests::demo_test!(one_order_sent_ten_times_at_once_makes_one_case);
