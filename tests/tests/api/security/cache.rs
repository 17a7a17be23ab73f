//! Class 2: staff-only answers are never cached for the public, and the
//! public cache cannot be emptied at will.
//!
//! Every GET the server has — each operation of the OpenAPI document, the
//! pages, Open311, the exports — is first read by signed-in staff in every
//! encoding; then an anonymous reader asks for the same, and must never be
//! served a cached copy but one of their own reading (several encodings
//! asked for may share one copy: brotli's, kept for every browser). The
//! other way round, a signed-in reader is never served what the cache kept
//! for the public.

use super::{closed_case, team};
use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, demo_test};
use shared::Role;

const ENCODINGS: [&str; 4] = ["gzip", "br", "gzip, deflate, br, zstd", "identity"];

/// Every GET path, with its parameters filled in with things that exist.
async fn every_get_path(app: &TestApp, case: &str, notice: i64, user: &str) -> Vec<String> {
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    let mut paths: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, ops)| ops.get("get").is_some())
        .map(|(path, _)| {
            path.replace("{code}", case)
                .replace("{id}", &notice.to_string())
                .replace("{username}", user)
                .replace("{kind}", "thumb")
                .replace("{file}", "x.jpg")
        })
        .collect();
    for page in [
        "/",
        "/cases",
        &format!("/cases/{case}"),
        "/stats",
        "/info",
        &format!("/info/notices/{notice}"),
        "/admin",
        "/track",
        "/report",
        "/open311/discovery.json",
        "/open311/v2/services.json",
        "/open311/v2/requests.json",
        &format!("/open311/v2/requests/{case}.json"),
        "/open-data/cases.csv",
        "/open-data/cases.geojson",
        "/feeds/cases.atom",
    ] {
        paths.push(page.to_owned());
    }
    paths
}

async fn fetch(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    encoding: &str,
) -> (u16, Option<String>, Option<String>) {
    let res = client
        .get(app.url(path))
        .header("accept-encoding", encoding)
        .send()
        .await
        .expect("answered");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (cache, sent_as) = (header("x-cache"), header("content-encoding"));
    (res.status().as_u16(), cache, sent_as)
}

async fn nothing_read_by_staff_is_served_to_the_public(app: &TestApp) {
    let t = team(app).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let code = closed_case(app, &t).await;
    let (_, draft) = t
        .reviewer
        .post("/api/v1/notices", json!({ "kind": "notice", "title": "草稿：尚未公开的执法安排", "body": "内部", "published": false }))
        .await;
    let draft_id = draft["id"].as_i64().expect("a notice id");
    let paths = every_get_path(app, &code, draft_id, "guan.li").await;
    assert!(
        paths.len() > 40,
        "the OpenAPI document lists the API: {}",
        paths.len()
    );

    // Staff read everything, in every encoding, twice (so a cache that kept
    // their answers would have them).
    for staff in [&admin, &t.reviewer] {
        for path in &paths {
            for encoding in ENCODINGS {
                fetch(&staff.client, app, path, encoding).await;
                fetch(&staff.client, app, path, encoding).await;
            }
        }
    }
    // The public, after them, is never handed a copy, but one an anonymous
    // reading of the same page made in the same encoding.
    for path in &paths {
        let mut read = std::collections::HashSet::new();
        for encoding in ENCODINGS {
            let (status, cache, sent_as) = fetch(&app.client, app, path, encoding).await;
            assert!(
                !matches!(cache.as_deref(), Some("hit" | "stale")) || read.contains(&sent_as),
                "{path} ({encoding}) was served to the public from what staff read: {status} {cache:?}"
            );
            read.insert(sent_as);
        }
    }
    // The draft in particular.
    let res = app
        .client
        .get(app.url("/api/v1/notices"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body = app
        .get("/api/v1/notices")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(!body.contains("尚未公开"), "{body}");
}
demo_test!(nothing_read_by_staff_is_served_to_the_public);

async fn a_signed_in_reader_never_gets_the_publics_copy(app: &TestApp) {
    let reviewer: Staff = app.staff("shen.he", Role::Reviewer, None).await;
    for path in [
        "/cases",
        "/stats",
        "/info",
        "/api/v1/public/cases",
        "/api/v1/stats",
        "/open311/v2/requests.json",
    ] {
        for _ in 0..2 {
            fetch(&app.client, app, path, "gzip").await;
        }
        let (_, cache, _) = fetch(&app.client, app, path, "gzip").await;
        assert_eq!(
            cache.as_deref(),
            Some("hit"),
            "{path}: the public's copy is kept"
        );
        let (_, cache, _) = fetch(&reviewer.client, app, path, "gzip").await;
        assert_eq!(
            cache, None,
            "{path}: a signed-in reader is answered afresh, and nothing is kept"
        );
        // Any credentials, valid or not, bypass the cache too.
        let res = app
            .client
            .get(app.url(path))
            .header("authorization", "Bearer x")
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("x-cache").is_none(), "{path}");
    }
}
demo_test!(a_signed_in_reader_never_gets_the_publics_copy);

async fn only_a_write_that_changed_something_empties_the_cache(app: &TestApp) {
    let t = team(app).await;
    let code = closed_case(app, &t).await;
    let warm = || async {
        fetch(&app.client, app, "/cases", "gzip").await;
        let (_, cache, _) = fetch(&app.client, app, "/cases", "gzip").await;
        assert_eq!(cache.as_deref(), Some("hit"), "/cases is cached");
    };
    warm().await;
    // Anonymous requests that change nothing, succeeding or refused, leave it.
    let mut anonymous = Vec::new();
    for request in [
        app.client.delete(app.url("/api/v1/session")),
        app.client
            .delete(app.url("/api/v1/session"))
            .header("cookie", "shanshui_session=forged"),
        app.client
            .post(app.url("/api/v1/session"))
            .json(&json!({ "username": "x", "password": "y" })),
        app.client
            .post(app.url("/api/v1/track/BN-2345-6789/actions"))
            .json(&json!({ "action": "decline_reward" })),
        app.client
            .post(app.url("/api/v1/reports"))
            .multipart(reqwest::multipart::Form::new().text("category", "nope")),
        app.client
            .post(app.url("/api/v1/departments"))
            .header("cookie", "shanshui_session=forged"),
        app.client
            .put(app.url("/api/v1/notices/1"))
            .header("cookie", "shanshui_session=forged")
            .json(&json!({})),
    ] {
        anonymous.push(request.send().await.unwrap().status().as_u16());
    }
    let (_, cache, _) = fetch(&app.client, app, "/cases", "gzip").await;
    assert_eq!(
        cache.as_deref(),
        Some("hit"),
        "requests that changed nothing ({anonymous:?}) must not empty the cache"
    );

    // A new report does: the resident finds it on /cases.
    let (filed, _) = shanshui_tests::file_report(
        app,
        "noise_construction",
        super::YUDONG.0,
        super::YUDONG.1,
        &[],
    )
    .await;
    let res = app
        .client
        .get(app.url("/cases"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("x-cache").and_then(|v| v.to_str().ok()),
        Some("miss")
    );
    assert!(
        res.text().await.unwrap_or_default().contains(&filed),
        "the new report is listed at once"
    );

    // And so does a reviewer's write, at once.
    warm().await;
    super::ok(
        &t.reviewer,
        &code,
        json!({ "action": "disclose", "summary": "已公开", "precision": "street" }),
    )
    .await;
    let (_, cache, _) = fetch(&app.client, app, "/cases", "gzip").await;
    assert_eq!(
        cache.as_deref(),
        Some("miss"),
        "the reviewer sees their change"
    );
}
demo_test!(only_a_write_that_changed_something_empties_the_cache);
