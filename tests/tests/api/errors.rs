use shanshui_tests::{TestApp, db_test};

async fn an_unknown_api_path_is_a_json_404(app: &TestApp) {
    for path in ["/api/v1/no-such-thing", "/api/v2/departments", "/api/"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(body["error"]["message"].is_string());
    }
}
db_test!(an_unknown_api_path_is_a_json_404);

async fn a_wrong_method_on_the_api_is_a_json_405(app: &TestApp) {
    let res = app
        .client
        .delete(app.url("/api/v1/departments"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}
db_test!(a_wrong_method_on_the_api_is_a_json_405);

async fn an_unknown_page_is_an_html_404_in_the_site_frame(app: &TestApp) {
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("页面不存在"), "{html}");
    assert!(
        html.contains("href=\"/report\""),
        "the 404 page keeps the navigation"
    );
}
db_test!(an_unknown_page_is_an_html_404_in_the_site_frame);

async fn an_extractor_rejection_is_a_json_error_too(app: &TestApp) {
    let admin = app.staff("guan.li", shared::Role::Admin, None).await;
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/routing-rules/abc"),
        (reqwest::Method::DELETE, "/api/v1/quiet-periods/1.5"),
        (reqwest::Method::POST, "/api/v1/outbox/x/retry"),
        (reqwest::Method::DELETE, "/api/v1/reward-exclusions/-"),
    ] {
        let res = admin
            .client
            .request(method, admin.url(path))
            .send()
            .await
            .unwrap();
        let message = json_bad_request(res, path).await;
        assert!(!message.is_empty(), "{path}");
    }
}
shanshui_tests::demo_test!(an_extractor_rejection_is_a_json_error_too);

/// The message of a JSON 400 `bad_request`, after checking that it is one.
async fn json_bad_request(res: reqwest::Response, path: &str) -> String {
    assert_eq!(res.status(), 400, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{path}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A query string that does not parse (`AppQuery`) is a JSON 400
/// `bad_request` with axum's message, on a public route and a staff one.
async fn a_query_that_does_not_parse_is_a_json_400(app: &TestApp) {
    let admin = app.staff("guan.li", shared::Role::Admin, None).await;
    for path in [
        "/api/v1/reports/nearby?category=odour&lat=north&lon=1",
        "/api/v1/cases?page=first",
        "/api/v1/cases?overdue=perhaps",
    ] {
        let res = admin.client.get(admin.url(path)).send().await.unwrap();
        let message = json_bad_request(res, path).await;
        assert!(
            message.starts_with("Failed to deserialize query string"),
            "{path}: {message}"
        );
    }
}
shanshui_tests::demo_test!(a_query_that_does_not_parse_is_a_json_400);
