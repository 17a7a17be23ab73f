//! Replicas on one PostgreSQL database behave as one system (issue 16): a
//! change on one replica empties the public micro-cache of the other
//! within a second (`LISTEN/NOTIFY`), not when its entries expire (10 s);
//! a member of staff signed in on one replica acts on the other.

use shanshui_tests::{Backend, TestApp, file_report};
use std::time::{Duration, Instant};

/// The public list as `app` answers it: (X-Cache, body).
async fn public_list(app: &TestApp) -> (String, String) {
    let res = app.get("/api/v1/public/cases").await;
    assert_eq!(res.status(), 200);
    let cache = res
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (cache, res.text().await.unwrap())
}

/// Waits (at most a second) until `app`'s public list names `code`.
async fn shows_within_a_second(app: &TestApp, code: &str) {
    let start = Instant::now();
    loop {
        if public_list(app).await.1.contains(code) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{code} not on the other replica's public list after a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_on_one_replica_empties_the_public_cache_of_the_other() {
    let Some(a) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    a.load_demo().await;
    let b = a.replica().await;
    // Give the replicas a moment to start listening.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (writer, reader) in [(&a, &b), (&b, &a)] {
        // The reader has the list cached…
        public_list(reader).await;
        assert_eq!(public_list(reader).await.0, "hit");
        // …the writer files a report…
        let (code, _) = file_report(writer, "noise_construction", 29.3752, 106.5101, &[]).await;
        // …and the reader shows it within a second.
        shows_within_a_second(reader, &code).await;
    }
    // Signed in on A, acting on B; disclosed on B, read on A at once.
    let handler = a
        .staff(
            "cheng.ban",
            shared::Role::Handler,
            Some("housing_construction"),
        )
        .await;
    let reviewer = a.staff("shen.he", shared::Role::Reviewer, None).await;
    let (code, _) = file_report(&a, "noise_construction", 29.3752, 106.5101, &[]).await;
    let case = handler
        .at(&b)
        .act_ok(&code, serde_json::json!({ "action": "accept" }))
        .await;
    assert_eq!(case["state"], "accepted");
    let page = format!("/api/v1/public/cases/{code}");
    a.get(&page).await;
    let summary = "鱼洞街道某工地夜间施工噪声扰民";
    reviewer
        .at(&b)
        .act_ok(
            &code,
            serde_json::json!({ "action": "disclose", "summary": summary, "precision": "street" }),
        )
        .await;
    let start = Instant::now();
    while !a.get(&page).await.text().await.unwrap().contains(summary) {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "not disclosed on A after a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.shutdown().await;
    a.shutdown().await;
}
