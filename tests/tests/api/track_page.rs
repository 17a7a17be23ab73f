//! `/track` as a page (查询进度, issue 15): rendered on the server, its forms
//! posted to it with the code and secret in the body, done through the
//! JSON API, and the page answered with the case or why not (see
//! `app::pages::track` and `server::track_page`).

use serde_json::{Value, json};
use shanshui_tests::{TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);

/// The page's answer to a posted form: status, cache policy and HTML.
async fn post(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String, String) {
    let res = app
        .client
        .post(app.url("/track"))
        .form(fields)
        .send()
        .await
        .expect("answered");
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, cache, res.text().await.unwrap())
}

async fn the_tracking_page_shows_a_case_for_a_posted_code_and_secret(app: &TestApp) {
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;

    // Opened: the form, with no WebAssembly, its own script inline.
    let html = app.get("/track").await.text().await.unwrap();
    assert!(!html.contains("/pkg/"), "no WebAssembly on /track");
    assert!(html.contains("id=\"track-form\"") && html.contains("shanshui.reports.v1"));
    assert!(!html.contains("id=\"case\""));

    // The code as a resident might type it: lower case, spaces for dashes.
    let typed = code.to_lowercase().replace('-', " ");
    let (status, cache, html) = post(app, &[("code", &typed), ("secret", &secret)]).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(cache, "no-store", "the answer holds the secret");
    assert!(
        html.contains(&format!("id=\"case\" data-code=\"{code}\"")),
        "{html}"
    );
    assert!(html.contains("data-state=\"submitted\""));
    assert!(html.contains("noise_construction near here, every night"));
    // Every form on the case carries the code and secret, never in a URL.
    assert!(html.contains("id=\"notify\""));
    assert!(!html.contains(&format!("secret={secret}")));

    // A wrong secret is answered like an unknown code.
    for (code, secret) in [
        (code.as_str(), "not-the-secret"),
        ("BN-2222-2222", secret.as_str()),
    ] {
        let (status, cache, html) = post(app, &[("code", code), ("secret", secret)]).await;
        assert_eq!(status, 404, "{code}");
        assert_eq!(cache, "no-store");
        assert!(html.contains("lookup-error") && !html.contains("id=\"case\""));
    }
    let (status, _, html) = post(app, &[("code", "BN-12"), ("secret", &secret)]).await;
    assert_eq!(status, 422);
    assert!(html.contains("lookup-error"));

    // Not the page's form: the API's error, changing nothing.
    let res = app
        .client
        .post(app.url("/track"))
        .json(&json!({ "code": code, "secret": secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    let (status, _, html) = post(
        app,
        &[
            ("code", &code),
            ("secret", &secret),
            ("intent", "delete_everything"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("delete_everything") && html.contains("id=\"track-refused\""));
    // Another site's page cannot post it (a resident's browser would send
    // the fields it was given).
    let res = app
        .client
        .post(app.url("/track"))
        .header("origin", "https://elsewhere.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("code", code.as_str()), ("secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
shanshui_tests::demo_test!(the_tracking_page_shows_a_case_for_a_posted_code_and_secret);

async fn the_tracking_pages_forms_act_through_the_api_and_a_refusal_keeps_what_was_typed(
    app: &TestApp,
) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    for body in [
        json!({ "action": "accept" }),
        json!({ "action": "request_info", "question": "施工一般持续到几点？" }),
    ] {
        assert_eq!(handler.act(&code, body).await.0, 200);
    }
    let case = [("code", code.as_str()), ("secret", secret.as_str())];
    let with = |more: &[(&'static str, &'static str)]| {
        let mut fields = case.to_vec();
        fields.extend_from_slice(more);
        fields
    };

    // Refused (too long): the reason beside the form, what was typed still
    // in it, as text.
    let long: &'static str = Box::leak(
        format!(
            "<script>alert(1)</script>{}",
            "长".repeat(shared::followup::ANSWER_MAX_CHARS)
        )
        .into_boxed_str(),
    );
    let (status, _, html) = post(app, &with(&[("intent", "answer_info"), ("answer", long)])).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"answer-form\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;长长"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("role=\"alert\" class=\"field-error\">answer: at most"));
    assert_eq!(
        app.track(&code, &secret).await.1["info_requests"][0]["answer"],
        Value::Null
    );

    // Refused, its form not shown (the case is not closed: nothing to rate
    // yet): said at the top of the case.
    let (status, _, html) = post(app, &with(&[("intent", "rate"), ("rating", "satisfied")])).await;
    assert!(matches!(status, 409 | 422), "{status}: {html}");
    assert!(html.contains("id=\"track-refused\"") && html.contains("id=\"case\""));

    // Done: the page is the case as it is after it.
    let (status, _, html) = post(
        app,
        &with(&[
            ("intent", "answer_info"),
            ("answer", "每晚十二点以后还在打桩"),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("每晚十二点以后还在打桩") && !html.contains("id=\"answer-form\""));
    assert_eq!(
        handler.case(&code).await["info_requests"][0]["answer"],
        "每晚十二点以后还在打桩"
    );

    // Text me: a phone for messages only, then the code it was sent.
    let (status, _, html) = post(app, &with(&[("intent", "phone"), ("phone", "12345")])).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"phone-form\"") && html.contains("value=\"12345\""));
    let (status, _, html) = post(
        app,
        &with(&[("intent", "phone"), ("phone", "139 1234 5678")]),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"phone-confirm-form\"") && html.contains("name=\"request\""));

    // 找回 with a phone that is not one: the form open, saying why.
    let (status, _, html) = post(app, &[("intent", "recover_code"), ("phone", "abc")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"recover\" open") && html.contains("id=\"recover-phone-form\""));
    assert!(!html.contains("id=\"case\""));
    // From a page showing a case, the case stays shown.
    let (status, _, html) = post(app, &with(&[("intent", "recover_code"), ("phone", "abc")])).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"recover-phone-form\"") && html.contains("id=\"case\""));
}
shanshui_tests::demo_test!(
    the_tracking_pages_forms_act_through_the_api_and_a_refusal_keeps_what_was_typed
);

/// The value of the first `<input name="{name}">` after `from` in `html`.
fn field_after(html: &str, from: &str, name: &str) -> String {
    let rest = &html[html.find(from).expect(from)..];
    let rest = &rest[rest.find(&format!("name=\"{name}\" value=\"")).expect(name)..];
    let value = &rest[rest.find("value=\"").unwrap() + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

async fn found_again_by_phone_the_case_shown_stays_shown_with_its_new_secret(app: &TestApp) {
    let phone = "13812345678";
    let (code, secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("name", "王小明"), ("phone", phone)],
    )
    .await;
    let case = [("code", code.as_str()), ("secret", secret.as_str())];
    // A real-name reporter's case shows no form of "text me" (the phone is
    // their own): the push section carries the secret itself.
    let (_, _, html) = post(app, &case).await;
    let push = &html[html.find("id=\"notify-push\"").unwrap()..];
    assert!(
        push[..push.find("</div>").unwrap()]
            .contains(&format!("name=\"secret\" value=\"{secret}\"")),
        "{push}"
    );

    let before = super::notify::last_text_id(app).await;
    let mut asked = case.to_vec();
    asked.extend([("intent", "recover_code"), ("phone", phone)]);
    let (status, _, html) = post(app, &asked).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"recover-code-form\"") && html.contains("id=\"case\""));
    let request = field_after(&html, "id=\"recover-code-form\"", "request");
    let (_, digits) = super::notify::next_code(app, before).await;
    let mut found = case.to_vec();
    found.extend([
        ("intent", "recover"),
        ("phone", phone),
        ("request", request.as_str()),
        ("recover_code", digits.as_str()),
    ]);
    let (status, _, html) = post(app, &found).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"recovered\"") && html.contains(&code));
    // 找回 gave the report a new secret: the old one opens nothing, and the
    // page shows the case with the new one.
    assert_eq!(app.track(&code, &secret).await.0, 404);
    assert!(html.contains("id=\"case\""), "{html}");
    let renewed = field_after(&html, "id=\"notify-push\"", "secret");
    assert_ne!(renewed, secret);
    assert_eq!(app.track(&code, &renewed).await.0, 200);
}
shanshui_tests::demo_test!(found_again_by_phone_the_case_shown_stays_shown_with_its_new_secret);

/// Too many tries from one client: the page says so, with a 429 and the
/// API's `Retry-After`, so a browser or a proxy knows when to come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_tries_is_a_429_page_that_says_when_to_come_back() {
    let app = TestApp::spawn_with(shanshui_tests::Backend::Sqlite, |s| {
        s.limits.track_burst = 2;
        s.limits.track_every = std::time::Duration::from_secs(3600);
    })
    .await
    .unwrap();
    let fields = [("code", "BN-2345-6789"), ("secret", "not-the-secret")];
    for _ in 0..2 {
        assert_eq!(post(&app, &fields).await.0, 404);
    }
    let res = app
        .client
        .post(app.url("/track"))
        .form(&fields)
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 3600, "{retry}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html"), "a page, not JSON");
}
