use shanshui_tests::{TestApp, db_test};

async fn a_cross_site_unsafe_request_is_refused_and_a_plain_client_passes(app: &TestApp) {
    let url = app.url("/api/v1/departments");
    let cross = app
        .client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let body: serde_json::Value = cross.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");

    let foreign = app
        .client
        .post(&url)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);

    let same = app
        .client
        .post(&url)
        .header("origin", app.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        same.status(),
        405,
        "same origin passes the check and meets the router"
    );
    let plain = app.client.post(&url).send().await.unwrap();
    assert_eq!(plain.status(), 405, "a client without either header passes");
}
db_test!(a_cross_site_unsafe_request_is_refused_and_a_plain_client_passes);

async fn every_answer_carries_the_security_headers(app: &TestApp) {
    for path in ["/", "/api/v1/departments", "/healthz", "/nope"] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
}
db_test!(every_answer_carries_the_security_headers);
