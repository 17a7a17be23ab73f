//! Telling the reporter (issue 13): Web Push through a local push service
//! that decrypts every payload (RFC 8291) and checks every VAPID JWT (RFC
//! 8292) with its own code, SMS through the `log` provider, one durable
//! outbox with retries, claims, daily caps and removal of dead
//! subscriptions; 找回 by a one-time code; and nothing a reporter or staff
//! member wrote in any message.

use serde_json::{Value, json};
use server::db::entities::message_outbox;
use shanshui_tests::push::{PushService, PushSubscriber, Received};
use shanshui_tests::{Staff, TestApp, close_case, file_report};
use shared::Role;
use std::time::Duration;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const DESCRIPTION: &str = "鱼洞工地每晚十一点后还在打桩，噪声很大";
const QUESTION: &str = "请问您住在工地哪一侧？";
const ANSWER: &str = "住在东侧三号楼六层，正对打桩机";
const COMMENT: &str = "只停了两天";
const PHONE: &str = "13912345678";
const WAIT: Duration = Duration::from_secs(15);

async fn vapid_key(app: &TestApp) -> String {
    let key: Value = app.get("/api/v1/push/key").await.json().await.unwrap();
    key["public_key"].as_str().unwrap().to_owned()
}

async fn subscribe(app: &TestApp, code: &str, secret: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/track/{code}/push")))
        .header("x-report-secret", secret)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The newest one-time code the `log` provider texted after the one with
/// id `after`: (its id, the digits). Waits for it.
pub(super) async fn next_code(app: &TestApp, after: i64) -> (i64, String) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use server::db::entities::sms_log;
    let start = std::time::Instant::now();
    loop {
        let newest = sms_log::Entity::find()
            .filter(sms_log::Column::Template.eq("recovery_code"))
            .filter(sms_log::Column::Id.gt(after))
            .order_by_desc(sms_log::Column::Id)
            .one(&app.db)
            .await
            .unwrap();
        if let Some(row) = newest {
            return (row.id, six_digits(&row.body));
        }
        assert!(start.elapsed() < WAIT, "no code texted after {after}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The id of the newest text so far (0 without any).
pub(super) async fn last_text_id(app: &TestApp) -> i64 {
    use sea_orm::{EntityTrait, QueryOrder};
    server::db::entities::sms_log::Entity::find()
        .order_by_desc(server::db::entities::sms_log::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .map_or(0, |r| r.id)
}

/// How many codes were texted after the one with id `after`.
async fn codes_after(app: &TestApp, after: i64) -> usize {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use server::db::entities::sms_log;
    sms_log::Entity::find()
        .filter(sms_log::Column::Template.eq("recovery_code"))
        .filter(sms_log::Column::Id.gt(after))
        .count(&app.db)
        .await
        .unwrap() as usize
}

/// "Text me": the number, then the code texted to it. (status, body) of
/// the first refusal, or of the confirmation.
async fn set_phone(app: &TestApp, code: &str, secret: &str, phone: &str) -> (u16, Value) {
    let before = last_text_id(app).await;
    let res = app
        .client
        .put(app.url(&format!("/api/v1/track/{code}/phone")))
        .header("x-report-secret", secret)
        .json(&json!({ "phone": phone }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let sent: Value = res.json().await.unwrap_or(Value::Null);
    if status != 202 {
        return (status, sent);
    }
    let (_, digits) = next_code(app, before).await;
    confirm_phone(app, code, secret, &sent, &digits).await
}

async fn confirm_phone(
    app: &TestApp,
    code: &str,
    secret: &str,
    sent: &Value,
    digits: &str,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/track/{code}/phone/confirm")))
        .header("x-report-secret", secret)
        .json(&json!({ "request": sent["request"], "code": digits }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The pushes the service accepted for `name`, decrypted.
fn delivered(push: &PushService, name: &str, who: &PushSubscriber) -> Vec<Value> {
    push.received()
        .into_iter()
        .filter(|r| r.name == name && r.status == 201)
        .map(|r| {
            assert!(r.vapid_ok, "{r:?}");
            serde_json::from_slice(&who.decrypt(&r.body).expect("decrypts")).expect("JSON")
        })
        .collect()
}

/// Polls `fetch` until it has `n` items (or fails after [`WAIT`]).
async fn at_least<T: std::fmt::Debug>(
    what: &str,
    n: usize,
    fetch: impl AsyncFn() -> Vec<T>,
) -> Vec<T> {
    let start = std::time::Instant::now();
    loop {
        let got = fetch().await;
        if got.len() >= n || start.elapsed() > WAIT {
            assert!(got.len() >= n, "{} of {n} {what}: {got:?}", got.len());
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `name` has had `n` pushes accepted.
async fn wait_delivered(
    push: &PushService,
    name: &str,
    who: &PushSubscriber,
    n: usize,
) -> Vec<Value> {
    at_least("pushes", n, async || delivered(push, name, who)).await
}

async fn messages(admin: &Staff) -> Value {
    let res = admin
        .client
        .get(admin.url("/api/v1/admin/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The `log` provider's texts, oldest first, once `n` are there (the
/// case's texts: one-time codes are `next_code`'s).
async fn texts(admin: &Staff, n: usize) -> Vec<String> {
    at_least("texts", n, async || {
        let view = messages(admin).await;
        let mut bodies: Vec<String> = view["sms_log"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["template"] != "recovery_code")
            .map(|e| e["body"].as_str().unwrap().to_owned())
            .collect();
        bodies.reverse();
        bodies
    })
    .await
}

fn six_digits(text: &str) -> String {
    text.chars()
        .collect::<Vec<_>>()
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text}"))
}

fn assert_private(what: &str, text: &str) {
    for words in [DESCRIPTION, QUESTION, ANSWER, COMMENT, PHONE, "王小明"] {
        assert!(!text.contains(words), "{what} carries «{words}»: {text}");
    }
}

async fn the_whole_loop_reaches_an_anonymous_reporter_by_push_and_sms(app: &TestApp) {
    let push = PushService::start(Some(vapid_key(app).await)).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("description", DESCRIPTION)],
    )
    .await;

    // One tap: a browser subscribes; the anonymous reporter also leaves a
    // phone for messages only.
    let browser = PushSubscriber::new();
    let mut body = browser.subscription(&push.endpoint("phone"));
    body["lang"] = json!("zh-CN");
    let (status, answer) = subscribe(app, &code, &secret, &body).await;
    assert_eq!(status, 204, "{answer}");
    let (status, answer) = set_phone(app, &code, &secret, PHONE).await;
    assert_eq!(status, 204, "{answer}");
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["notify"]["push_subscriptions"], 1, "{view}");
    assert_eq!(view["notify"]["phone"], "139****5678");
    assert_eq!(
        view["anonymous"], true,
        "a phone for messages leaves it anonymous"
    );

    // 受理: a push and a text, by template, with the code only.
    handler.act_ok(&code, json!({ "action": "accept" })).await;
    let pushes = wait_delivered(&push, "phone", &browser, 1).await;
    assert_eq!(pushes[0]["url"], format!("/track#code={code}"));
    assert_eq!(pushes[0]["tag"], code);
    assert!(
        pushes[0]["body"].as_str().unwrap().contains(&code),
        "{}",
        pushes[0]
    );
    assert!(
        pushes[0]["body"].as_str().unwrap().contains("受理"),
        "{}",
        pushes[0]
    );
    let sms = texts(&admin, 1).await;
    assert!(sms[0].contains(&code) && sms[0].contains("受理"), "{sms:?}");
    let received = push.received();
    let first: &Received = &received[0];
    assert_eq!(first.urgency.as_deref(), Some("normal"));
    assert!(
        first
            .ttl
            .as_deref()
            .is_some_and(|t| t.parse::<u32>().unwrap() > 0)
    );
    assert!(first.sub.starts_with("mailto:"), "{first:?}");

    // 补充材料: the question is announced, its words are not.
    handler
        .act_ok(
            &code,
            json!({ "action": "request_info", "question": QUESTION }),
        )
        .await;
    let pushes = wait_delivered(&push, "phone", &browser, 2).await;
    assert!(
        pushes[1]["body"].as_str().unwrap().contains("补充"),
        "{}",
        pushes[1]
    );
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "answer_info", "answer": ANSWER }),
        )
        .await;
    assert_eq!(status, 200, "{view}");

    // 办结: the reply, with the contest window's end; a day later, 回访.
    handler
        .act_ok(
            &code,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        )
        .await;
    handler
        .act_ok(
            &code,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "经查属实，已责令整改。" }),
        )
        .await;
    reviewer
        .act_ok(&code, json!({ "action": "approve_reply" }))
        .await;
    let pushes = wait_delivered(&push, "phone", &browser, 3).await;
    assert!(
        pushes[2]["body"].as_str().unwrap().contains("答复"),
        "{}",
        pushes[2]
    );
    app.clock.advance(chrono::Duration::hours(25));
    let pushes = wait_delivered(&push, "phone", &browser, 4).await;
    assert!(
        pushes[3]["body"].as_str().unwrap().contains("满意"),
        "{}",
        pushes[3]
    );
    // Sessions end after 30 idle minutes: sign in again, a day later.
    let admin = app.sign_in("guan.li").await;
    let handler = app.sign_in("cheng.ban").await;
    let sms = texts(&admin, 4).await;

    // 不满意 → the supervision queue; then the problem came back.
    let reviewer = app.sign_in("shen.he").await;
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "rate", "rating": "dissatisfied", "comment": COMMENT }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    let queue = reviewer.get("/api/v1/supervision").await.1;
    assert!(
        queue.as_array().unwrap().iter().any(|i| i["case"] == code),
        "{queue}"
    );
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "came_back", "description": "又开始夜间打桩了，比上次还吵" }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    let new_code = view["new_case"]["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_secret = view["new_case"]["secret"].as_str().unwrap().to_owned();
    let (_, linked) = app.track(&new_code, &new_secret).await;
    assert_eq!(linked["came_back_from"], code, "{linked}");

    // Nothing anyone wrote, nor the phone, in any message or the console.
    for p in delivered(&push, "phone", &browser) {
        assert_private("a push", &p.to_string());
    }
    for t in &sms {
        assert_private("a text", t);
    }
    let console = messages(&admin).await;
    assert_private("the admin's messages", &console.to_string());
    // Reading the list is audited.
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let audit = auditor.get("/api/v1/audit?action=messages.read").await.1;
    assert!(audit.to_string().contains("guan.li"), "{audit}");
    assert!(
        !console.to_string().contains("139****"),
        "the admin sees a phone's last two digits at most"
    );
    assert!(
        console.to_string().contains("*********78"),
        "masked, for the admin"
    );
    // The case's page lists what the reporter was told, not where.
    let case = handler.get(&format!("/api/v1/cases/{code}")).await.1;
    let told: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["event"].as_str().unwrap())
        .collect();
    for event in [
        "accepted",
        "info_requested",
        "reply_approved",
        "rate_question",
    ] {
        assert!(told.contains(&event), "{event} missing: {told:?}");
    }
    assert!(
        case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["recipient"].is_null()),
        "{}",
        case["messages"]
    );
    assert!(
        !case["messages"].to_string().contains("****"),
        "{}",
        case["messages"]
    );
}
shanshui_tests::demo_test!(the_whole_loop_reaches_an_anonymous_reporter_by_push_and_sms);

async fn a_failing_push_service_is_retried_and_a_gone_subscription_removed(app: &TestApp) {
    let push = PushService::start(Some(vapid_key(app).await)).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    let flaky = PushSubscriber::new();
    let gone = PushSubscriber::new();
    for (who, name) in [(&flaky, "flaky"), (&gone, "gone")] {
        let (status, body) =
            subscribe(app, &code, &secret, &who.subscription(&push.endpoint(name))).await;
        assert_eq!(status, 204, "{body}");
    }
    push.fail_next("flaky", 3, 503);
    push.fail_next("gone", usize::MAX, 410);
    // The action is not held up by either.
    handler.act_ok(&code, json!({ "action": "accept" })).await;
    let got = wait_delivered(&push, "flaky", &flaky, 1).await;
    assert_eq!(got.len(), 1);
    let attempts = push.received().iter().filter(|r| r.name == "flaky").count();
    assert_eq!(attempts, 4, "three refusals, then once");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(delivered(&push, "flaky", &flaky).len(), 1, "exactly once");
    // 410 Gone: the subscription is removed, its message dropped.
    let start = std::time::Instant::now();
    loop {
        let (_, view) = app.track(&code, &secret).await;
        if view["notify"]["push_subscriptions"] == 1 {
            break;
        }
        assert!(start.elapsed() < WAIT, "{view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        push.received().iter().filter(|r| r.name == "gone").count(),
        1,
        "never tried again"
    );
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let dropped = message_outbox::Entity::find()
        .filter(message_outbox::Column::Status.eq("dropped"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
}
shanshui_tests::demo_test!(a_failing_push_service_is_retried_and_a_gone_subscription_removed);

async fn bad_subscriptions_and_phones_are_refused_and_change_nothing(app: &TestApp) {
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    let who = PushSubscriber::new();
    let good = who.subscription("https://push.example.com/send/abc");
    let mut cases = Vec::new();
    let mut bad_key = good.clone();
    bad_key["keys"]["p256dh"] = json!(
        "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    );
    cases.push(("a point not on the curve", bad_key));
    let mut short_auth = good.clone();
    short_auth["keys"]["auth"] = json!("AAAA");
    cases.push(("a short auth secret", short_auth));
    for (what, endpoint) in [
        ("plain http to a public host", "http://push.example.com/x"),
        ("the metadata address", "https://169.254.169.254/latest"),
        ("a loopback address not allowed", "https://[::1]:9/x"),
        ("not a URL", "push me"),
    ] {
        let mut b = good.clone();
        b["endpoint"] = json!(endpoint);
        cases.push((what, b));
    }
    for (what, body) in cases {
        let (status, answer) = subscribe(app, &code, &secret, &body).await;
        assert_eq!(status, 422, "{what}: {answer}");
    }
    let (status, _) = subscribe(app, &code, "wrong-secret", &good).await;
    assert_eq!(status, 404);
    let (status, answer) = set_phone(app, &code, &secret, "12345").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["fields"]["phone"]["code"], "invalid");
    // A number is kept only with the code texted to it: a stranger's
    // number cannot be made to receive this report's texts.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/track/{code}/phone")))
        .header("x-report-secret", &secret)
        .json(&json!({ "phone": "13600001234" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let sent: Value = res.json().await.unwrap();
    for wrong in ["000000", "12345", "abcdef"] {
        let (status, body) = confirm_phone(app, &code, &secret, &sent, wrong).await;
        assert_eq!(status, 422, "{body}");
    }
    let (status, _) = confirm_phone(app, &code, "wrong-secret", &sent, "000000").await;
    assert_eq!(status, 404);
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["notify"]["push_subscriptions"], 0, "{view}");
    assert!(view["notify"]["phone"].is_null(), "{view}");
    // A real-name report's texts go to the phone it gave.
    let (named, named_secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    let (status, _) = set_phone(app, &named, &named_secret, PHONE).await;
    assert_eq!(status, 409);
    let (_, view) = app.track(&named, &named_secret).await;
    assert_eq!(view["notify"]["phone"], "138****5678", "{view}");
    assert_eq!(view["notify"]["phone_is_identity"], true);
    // A good one from a real push service's address is taken.
    let (status, answer) = subscribe(app, &code, &secret, &good).await;
    assert_eq!(status, 204, "{answer}");
}
shanshui_tests::demo_test!(bad_subscriptions_and_phones_are_refused_and_change_nothing);

/// `POST /api/v1/recover/code`: (status, answer).
async fn ask_code(app: &TestApp, phone: &str) -> (u16, Value) {
    post(app, "/api/v1/recover/code", json!({ "phone": phone })).await
}

async fn try_code(app: &TestApp, phone: &str, request: &Value, code: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/recover",
        json!({ "phone": phone, "request": request["request"], "code": code }),
    )
    .await
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

async fn a_reporter_finds_their_reports_again_by_a_code(app: &TestApp) {
    app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let named = [("name", "王小明"), ("phone", "13812345678")];
    let (first, old_secret) =
        file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &named).await;
    let (second, _) = file_report(app, "dust_construction", YUDONG.0, YUDONG.1, &named).await;
    // An anonymous report that left the same phone for messages.
    let (third, third_secret) =
        file_report(app, "noise_construction", YUDONG.0 + 0.01, YUDONG.1, &[]).await;
    assert_eq!(
        set_phone(app, &third, &third_secret, "13812345678").await.0,
        204
    );
    // A case rejected long ago stays with the secret it had.
    let (old, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1 + 0.01, &named).await;
    handler
        .act_ok(
            &old,
            json!({ "action": "reject", "reason": "不属于环保部门职责" }),
        )
        .await;
    app.clock.advance(chrono::Duration::days(91));
    let admin = app.sign_in("guan.li").await;
    let start = last_text_id(app).await;

    // A known phone and an unknown one read alike, and the admins' list
    // shows neither code.
    let (status, known) = ask_code(app, "13812345678").await;
    assert_eq!(status, 202, "{known}");
    let (status, unknown) = ask_code(app, "13700001111").await;
    assert_eq!(status, 202);
    assert_eq!(known["message"], unknown["message"]);
    assert_ne!(known["request"], unknown["request"]);
    let (seen, code) = next_code(app, start).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        codes_after(app, start).await,
        1,
        "only the known phone gets a text"
    );
    let listed = messages(&admin).await;
    assert!(
        listed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["event"] != "recovery_code"),
        "{listed}"
    );

    // Wrong codes: one answer; an unknown phone's is as wrong; another
    // request's code is not this one's.
    let (status, body) = try_code(app, "13812345678", &known, other_than(&code)).await;
    assert_eq!(status, 422, "{body}");
    let (status, other) = try_code(app, "13700001111", &unknown, other_than(&code)).await;
    assert_eq!(status, 422);
    assert_eq!(body, other);
    let (status, _) = try_code(app, "13812345678", &unknown, &code).await;
    assert_eq!(status, 422, "the code belongs to its request");

    // Another request meanwhile (a stranger who knows the phone) does not
    // spend or cancel the reporter's code.
    let (_, stranger) = ask_code(app, "13812345678").await;
    let (seen, _) = next_code(app, seen).await;
    for _ in 0..5 {
        try_code(app, "13812345678", &stranger, "123456").await;
    }
    let (status, found) = try_code(app, "+86 138 1234 5678", &known, &code).await;
    assert_eq!(status, 200, "{found}");
    let reports = found["reports"].as_array().unwrap();
    let mut codes: Vec<&str> = reports
        .iter()
        .map(|r| r["tracking_code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    let mut expected = vec![first.as_str(), second.as_str(), third.as_str()];
    expected.sort_unstable();
    assert_eq!(codes, expected, "not the case closed 91 days ago");
    // The new secret works; the old one no longer does; a code is used once.
    let new_secret = reports
        .iter()
        .find(|r| r["tracking_code"] == first)
        .unwrap()["secret"]
        .as_str()
        .unwrap();
    assert_eq!(app.track(&first, new_secret).await.0, 200);
    assert_eq!(app.track(&first, &old_secret).await.0, 404);
    let (status, _) = try_code(app, "13812345678", &known, &code).await;
    assert_eq!(status, 422, "used once");
    // Audited by count: the cases are not named side by side.
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let audit = auditor
        .get("/api/v1/audit?action=recovery.completed")
        .await
        .1;
    let text = audit.to_string();
    assert!(text.contains("3 report(s)"), "{audit}");
    for c in [&first, &second, &third] {
        assert!(!text.contains(c.as_str()), "{audit}");
    }
    assert!(!text.contains("13812345678"), "{audit}");

    // Five wrong tries spend a code; an expired one is refused.
    let (_, asked) = ask_code(app, "13812345678").await;
    let (_, code) = next_code(app, seen).await;
    for _ in 0..5 {
        assert_eq!(
            try_code(app, "13812345678", &asked, other_than(&code))
                .await
                .0,
            422
        );
    }
    assert_eq!(
        try_code(app, "13812345678", &asked, &code).await.0,
        422,
        "spent by five wrong tries"
    );
    app.clock.advance(chrono::Duration::hours(2));
    let seen = last_text_id(app).await;
    let (_, asked) = ask_code(app, "13812345678").await;
    let (_, code) = next_code(app, seen).await;
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(
        try_code(app, "13812345678", &asked, &code).await.0,
        422,
        "expired"
    );
    // Past three codes an hour a phone gets nothing more, and the answer
    // does not say so.
    app.clock.advance(chrono::Duration::hours(2));
    let before = last_text_id(app).await;
    for _ in 0..4 {
        let (status, answer) = ask_code(app, "13812345678").await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["message"], known["message"]);
    }
    next_code(app, before).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(codes_after(app, before).await, 3, "three, not four");
    let (status, body) = ask_code(app, "123").await;
    assert_eq!(status, 422, "{body}");
}
shanshui_tests::demo_test!(a_reporter_finds_their_reports_again_by_a_code);

async fn a_caller_gets_the_code_by_text_and_a_messages_phone_is_forgotten(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    // 代录: the caller who gave a phone is texted the tracking code.
    let form = reqwest::multipart::Form::new()
        .text("category", "noise_construction")
        .text("description", DESCRIPTION)
        .text("lat", YUDONG.0.to_string())
        .text("lon", YUDONG.1.to_string())
        .text("channel", "phone_12369")
        .text("name", "王小明")
        .text("phone", "13812345678")
        .text(
            "answers",
            shanshui_tests::required_answers(app, "noise_construction")
                .await
                .to_string(),
        );
    let res = dispatcher
        .client
        .post(dispatcher.url("/api/v1/cases/intake"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let receipt: Value = res.json().await.unwrap();
    let called = receipt["tracking_code"].as_str().unwrap();
    let sms = texts(&admin, 1).await;
    assert!(
        sms[0].contains(called) && sms[0].contains("登记"),
        "{sms:?}"
    );
    assert_private("a receipt", &sms[0]);

    // A phone left for messages is deleted 90 days after the case closed;
    // an open case's, and a case closed since, keep theirs.
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(set_phone(app, &code, &secret, PHONE).await.0, 204);
    close_case(&handler, &reviewer, &code, "substantiated").await;
    let (open, open_secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(set_phone(app, &open, &open_secret, PHONE).await.0, 204);
    let (recent, recent_secret) =
        file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(set_phone(app, &recent, &recent_secret, PHONE).await.0, 204);
    app.clock.advance(chrono::Duration::days(89));
    let now = app.clock.now();
    assert_eq!(
        server::notify::contacts::forget_old_phones(&app.db, server::jobs::PHONE_KEPT_DAYS, now)
            .await
            .unwrap(),
        0
    );
    // Signed in afresh: the 89 days outlasted the first sessions.
    let handler = app
        .staff("cheng.ban2", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he2", Role::Reviewer, None).await;
    close_case(&handler, &reviewer, &recent, "substantiated").await;
    app.clock.advance(chrono::Duration::days(2));
    let now = app.clock.now();
    assert_eq!(
        server::notify::contacts::forget_old_phones(&app.db, server::jobs::PHONE_KEPT_DAYS, now)
            .await
            .unwrap(),
        1
    );
    let (_, view) = app.track(&code, &secret).await;
    assert!(view["notify"]["phone"].is_null(), "{view}");
    for (kept, kept_secret) in [(&open, &open_secret), (&recent, &recent_secret)] {
        let (_, view) = app.track(kept, kept_secret).await;
        assert!(view["notify"]["phone"].is_string(), "{kept}: {view}");
    }
}
shanshui_tests::demo_test!(a_caller_gets_the_code_by_text_and_a_messages_phone_is_forgotten);

#[tokio::test]
async fn recovery_is_limited_per_address_whatever_the_phone() {
    let Some(app) = TestApp::spawn_with(shanshui_tests::Backend::Sqlite, |s| {
        s.limits.recover_burst = 3;
        s.limits.recover_every = Duration::from_secs(3600);
    })
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    for phone in ["13800000001", "13800000002", "13800000003", "13800000004"] {
        statuses.push(
            post(&app, "/api/v1/recover/code", json!({ "phone": phone }))
                .await
                .0,
        );
    }
    assert_eq!(statuses, [202, 202, 202, 429]);
    let (status, _) = post(
        &app,
        "/api/v1/recover",
        json!({ "phone": "13800000001", "request": "x", "code": "123456" }),
    )
    .await;
    assert_eq!(status, 429, "guessing codes shares the limit");
    app.shutdown().await;
}

async fn a_reward_is_announced_and_recalled_a_week_before_it_expires(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let rewards = app.staff("jiang.li", Role::RewardReviewer, None).await;
    let (code, secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    close_case(&handler, &reviewer, &code, "substantiated").await;
    handler
        .act_ok(
            &code,
            json!({ "action": "propose_reward", "tier": "tier_500", "amount_fen": 50_000, "basis": "夜间施工，证据充分" }),
        )
        .await;
    rewards
        .act_ok(&code, json!({ "action": "approve_reward" }))
        .await;
    let (_, view) = app.track(&code, &secret).await;
    let deadline = view["reward"]["claim_deadline"]
        .as_str()
        .unwrap()
        .to_owned();
    let day = &deadline[..10];
    // 受理, the reply, and the reward with its claim deadline (Beijing date).
    let sms = texts(&admin, 3).await;
    let approved = sms
        .iter()
        .find(|t| t.contains("奖励") && t.contains("领取"))
        .unwrap();
    assert!(approved.contains(&code), "{sms:?}");
    let beijing = chrono::DateTime::parse_from_rfc3339(&deadline)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    assert!(approved.contains(&beijing), "{approved} vs {day}");
    // Eight days before the deadline: no reminder yet; six days before: one.
    let until = chrono::DateTime::parse_from_rfc3339(&deadline)
        .unwrap()
        .with_timezone(&chrono::Utc)
        - app.clock.now();
    app.clock.advance(until - chrono::Duration::days(8));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let admin = app.sign_in("guan.li").await;
    assert!(
        !texts(&admin, 3).await.iter().any(|t| t.contains("到期")),
        "too early"
    );
    app.clock.advance(chrono::Duration::days(2));
    let admin = app.sign_in("guan.li").await;
    let reminded = texts(&admin, 5).await;
    assert!(
        reminded
            .iter()
            .any(|t| t.contains("到期") && t.contains(&code)),
        "{reminded:?}"
    );
    // A claimed reward is not recalled again, and nothing more is sent.
    let (status, _) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": "6222020200112233445" }),
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = texts(&admin, 5).await;
    assert_eq!(
        after.iter().filter(|t| t.contains("到期")).count(),
        1,
        "{after:?}"
    );
}
shanshui_tests::demo_test!(a_reward_is_announced_and_recalled_a_week_before_it_expires);

/// A raw receiver on 127.0.0.1: the first `hang` connections are read and
/// never answered (a worker killed mid-send sees no answer); the others are
/// answered 201 and their `Topic` headers counted.
async fn raw_receiver(hang: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let topics = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = topics.clone();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Ok(read) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&buf).to_lowercase();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length: usize = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + length {
                        continue;
                    }
                    if n < hang {
                        // Hold the connection open, unanswered.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    let topic = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("topic:"))
                        .map(|t| t.trim().to_owned())
                        .unwrap_or_default();
                    seen.lock().unwrap().push(topic);
                    let _ = socket
                        .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    return;
                }
            });
        }
    });
    (format!("http://{addr}/push"), topics)
}

/// A second worker over the app's database, with its own clock an hour
/// ahead: messages queued half an hour from now are due for it and not yet
/// for the server's own worker.
struct Replica {
    client: server::egress::WebhookClient,
    channels: server::notify::Channels,
    policy: server::config::OutboxPolicy,
    clock: server::clock::Clock,
}

impl Replica {
    fn new(app: &TestApp) -> Replica {
        let pii =
            std::sync::Arc::new(server::privacy::PiiCipher::load_or_create(&app.data_dir).unwrap());
        let clock = server::clock::Clock::system();
        clock.advance(chrono::Duration::hours(1));
        let policy = server::config::OutboxPolicy {
            request_timeout: Duration::from_secs(2),
            ..server::config::OutboxPolicy::default()
        };
        Replica {
            client: server::egress::WebhookClient::new(
                server::egress::AllowList::parse(&["127.0.0.1/32"]).unwrap(),
                policy.request_timeout,
            )
            .unwrap(),
            channels: server::notify::Channels {
                vapid: std::sync::Arc::new(
                    server::notify::webpush::VapidKey::load_or_create(&app.data_dir).unwrap(),
                ),
                contact: "mailto:tests@shanshui.invalid".to_owned(),
                sms: std::sync::Arc::new(server::notify::log_sms::LogSms {
                    db: app.db.clone(),
                    clock: clock.clone(),
                }),
                pii,
            },
            policy,
            clock,
        }
    }

    async fn pass(&self, app: &TestApp) -> usize {
        server::notify::worker::deliver_due(
            &app.db,
            &self.client,
            &self.policy,
            &self.channels,
            &self.clock,
        )
        .await
        .unwrap()
    }
}

/// A report with one push subscription to `endpoint`: the subscription's id.
async fn subscribed_report(app: &TestApp, endpoint: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    let who = PushSubscriber::new();
    let (status, body) = subscribe(app, &code, &secret, &who.subscription(endpoint)).await;
    assert_eq!(status, 204, "{body}");
    server::db::entities::push_subscription::Entity::find()
        .filter(server::db::entities::push_subscription::Column::Endpoint.eq(endpoint))
        .order_by_desc(server::db::entities::push_subscription::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Queues `n` pushes to subscription `id`, due half an hour from now.
async fn queue_pushes(app: &TestApp, id: i64, n: usize) {
    use sea_orm::{ActiveModelTrait, Set};
    let now = app.clock.now();
    for _ in 0..n {
        message_outbox::ActiveModel {
            report_id: Set(None),
            case_id: Set(None),
            channel: Set("push".to_owned()),
            subscription_id: Set(Some(id)),
            recipient_enc: Set(None),
            recipient_mask: Set("push".to_owned()),
            recipient_key: Set(format!("push:{id}")),
            event: Set("accepted".to_owned()),
            params: Set(r#"["BN-TEST-0001"]"#.to_owned()),
            lang: Set("zh-CN".to_owned()),
            idempotency_key: Set(uuid::Uuid::new_v4().to_string()),
            status: Set("queued".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now + chrono::Duration::minutes(30)),
            locked_until: Set(None),
            last_error: Set(None),
            provider_id: Set(None),
            sent_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
}

async fn statuses(app: &TestApp) -> Vec<(String, i32)> {
    use sea_orm::{EntityTrait, QueryOrder};
    message_outbox::Entity::find()
        .order_by_asc(message_outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.status, m.attempts))
        .collect()
}

async fn a_worker_killed_mid_send_loses_nothing(app: &TestApp) {
    let (endpoint, topics) = raw_receiver(1).await;
    let id = subscribed_report(app, &endpoint).await;
    queue_pushes(app, id, 1).await;
    let a = Replica::new(app);
    // Killed while the push service has not answered.
    let killed = tokio::time::timeout(Duration::from_millis(700), a.pass(app)).await;
    assert!(killed.is_err(), "the send was still waiting");
    assert_eq!(statuses(app).await, [("queued".to_owned(), 0)]);
    // Another worker leaves it alone while the claim holds, then takes it.
    let b = Replica::new(app);
    assert_eq!(b.pass(app).await, 0, "still claimed");
    b.clock.advance(chrono::Duration::seconds(10));
    assert_eq!(b.pass(app).await, 1);
    assert_eq!(statuses(app).await, [("sent".to_owned(), 1)]);
    assert_eq!(topics.lock().unwrap().len(), 1);
}
shanshui_tests::demo_test!(a_worker_killed_mid_send_loses_nothing);

async fn two_workers_never_send_the_same_message(app: &TestApp) {
    let (endpoint, topics) = raw_receiver(0).await;
    for i in 0..8 {
        let id = subscribed_report(app, &format!("{endpoint}/{i}")).await;
        queue_pushes(app, id, 5).await;
    }
    let (a, b) = (Replica::new(app), Replica::new(app));
    let run = async |w: &Replica| {
        let mut sent = 0;
        loop {
            let n = w.pass(app).await;
            if n == 0 {
                return sent;
            }
            sent += n;
        }
    };
    let (sa, sb) = tokio::join!(run(&a), run(&b));
    assert_eq!(sa + sb, 40, "{sa} + {sb}");
    let mut seen = topics.lock().unwrap().clone();
    assert_eq!(seen.len(), 40);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 40, "each message once");
    assert!(
        statuses(app)
            .await
            .iter()
            .all(|(s, a)| s == "sent" && *a == 1)
    );
}
shanshui_tests::demo_test!(two_workers_never_send_the_same_message);

async fn a_recipient_gets_at_most_ten_pushes_a_day(app: &TestApp) {
    let (endpoint, topics) = raw_receiver(0).await;
    let id = subscribed_report(app, &endpoint).await;
    queue_pushes(app, id, 12).await;
    let w = Replica::new(app);
    // Passes until nothing is due: ten sent, two put off to tomorrow.
    while w.pass(app).await > 0 {}
    assert_eq!(topics.lock().unwrap().len(), 10);
    let waiting: Vec<_> = statuses(app)
        .await
        .into_iter()
        .filter(|(s, _)| s == "queued")
        .collect();
    assert_eq!(
        waiting,
        [("queued".to_owned(), 0), ("queued".to_owned(), 0)],
        "not attempts"
    );
    // The next Beijing day, the rest. They wait until its 08:00, which is
    // up to 32 hours away: 24 hours on ran the test into a failure whenever
    // its clock (an hour ahead of the machine's) fell between Beijing's
    // midnight and eight, that is from 15:00 to 23:00 UTC.
    w.clock.advance(chrono::Duration::hours(32));
    while w.pass(app).await > 0 {}
    assert_eq!(topics.lock().unwrap().len(), 12);
}
shanshui_tests::demo_test!(a_recipient_gets_at_most_ten_pushes_a_day);

/// A push endpoint is the anonymous reporter's choice, a webhook the
/// admin's: the webhooks' allow list does not open the network to push.
#[tokio::test]
async fn push_endpoints_do_not_reach_what_webhooks_may() {
    let Some(app) = TestApp::spawn_with(shanshui_tests::Backend::Sqlite, |s| {
        s.webhook_allow =
            server::egress::AllowList::parse(&["10.0.0.0/8", "127.0.0.1/32"]).unwrap();
        s.push_allow = server::egress::AllowList::default();
    })
    .await
    else {
        return;
    };
    app.load_demo().await;
    let (code, secret) = file_report(&app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    let who = PushSubscriber::new();
    let mut answers = Vec::new();
    for endpoint in [
        "http://10.20.1.5:8080/internal/api?op=x",
        "https://10.20.1.5/x",
        "http://127.0.0.1:9/x",
        "https://127.0.0.1/x",
        "http://203.0.113.5/x",
        "https://push.example.com:8443/x",
        "http://push.example.com/x",
    ] {
        let (status, answer) = subscribe(&app, &code, &secret, &who.subscription(endpoint)).await;
        assert_eq!(status, 422, "{endpoint}: {answer}");
        answers.push(answer["error"]["fields"]["endpoint"]["message"].clone());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "one answer maps nothing: {answers:?}");
    // A public push service, over HTTPS on its own port, is taken; the
    // parsed form is what is kept (and what VAPID's audience names).
    let (status, body) = subscribe(
        &app,
        &code,
        &secret,
        &who.subscription("https://evil.example\\@fcm.googleapis.com/fcm/send/x"),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    use sea_orm::EntityTrait;
    let kept = server::db::entities::push_subscription::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        kept[0].endpoint,
        "https://evil.example/@fcm.googleapis.com/fcm/send/x"
    );
    app.shutdown().await;
}

async fn a_removed_or_expired_phone_is_texted_nothing_more(app: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    // Closed: the satisfaction question waits a day for the phone…
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(set_phone(app, &code, &secret, PHONE).await.0, 204);
    close_case(&handler, &reviewer, &code, "substantiated").await;
    let queued = || async {
        message_outbox::Entity::find()
            .filter(message_outbox::Column::Status.eq("queued"))
            .filter(message_outbox::Column::Channel.eq("sms"))
            .all(&app.db)
            .await
            .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(queued().await.len(), 1, "the question waits");
    // …which the reporter then removes: the question is not texted.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/track/{code}/phone")))
        .header("x-report-secret", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(queued().await.is_empty());
    let dropped = message_outbox::Entity::find()
        .filter(message_outbox::Column::Event.eq("rate_question"))
        .filter(message_outbox::Column::Channel.eq("sms"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dropped.status, "dropped");
    assert!(dropped.recipient_enc.is_none());

    // A rejected case's phone is forgotten 90 days after too, with its
    // browsers.
    let (rejected, rejected_secret) =
        file_report(app, "noise_construction", YUDONG.0, YUDONG.1 + 0.01, &[]).await;
    assert_eq!(
        set_phone(app, &rejected, &rejected_secret, PHONE).await.0,
        204
    );
    let who = PushSubscriber::new();
    assert_eq!(
        subscribe(
            app,
            &rejected,
            &rejected_secret,
            &who.subscription("https://push.example.com/x")
        )
        .await
        .0,
        204
    );
    handler
        .act_ok(
            &rejected,
            json!({ "action": "reject", "reason": "不属于环保部门职责" }),
        )
        .await;
    app.clock.advance(chrono::Duration::days(91));
    let now = app.clock.now();
    server::notify::contacts::forget_old_phones(&app.db, server::jobs::PHONE_KEPT_DAYS, now)
        .await
        .unwrap();
    let (_, view) = app.track(&rejected, &rejected_secret).await;
    assert!(view["notify"]["phone"].is_null(), "{view}");
    assert_eq!(view["notify"]["push_subscriptions"], 0, "{view}");
}
shanshui_tests::demo_test!(a_removed_or_expired_phone_is_texted_nothing_more);
