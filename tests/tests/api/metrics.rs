//! Prometheus metrics on their own address (`--metrics-bind`): requests by
//! route template (never a tracking code), the outboxes, the cases, the
//! pool — and nothing of it on the public address.

use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use server::Settings;
use server::db::entities::message_outbox;
use shanshui_tests::{TestApp, demo_test_with, file_report};
use shared::Role;
use std::net::SocketAddr;
use std::time::Duration;

fn metrics_on(settings: &mut Settings) {
    settings.metrics_bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
}

/// `/metrics`, as Prometheus scrapes it.
async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("metrics are on");
    let res = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

/// The value of the series written exactly `series` (name and labels).
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `series` reads `want` (the workers may still be at work).
async fn eventually(app: &TestApp, series: &str, want: f64) -> String {
    let mut body = String::new();
    for _ in 0..100 {
        body = scrape(app).await;
        if sample(&body, series) == Some(want) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{series} never read {want}:\n{body}");
}

async fn metrics_count_routes_outboxes_and_cases_and_never_a_tracking_code(app: &TestApp) {
    // Webhooks to a department whose receiver is down stay waiting.
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/shanshui", dead.local_addr().unwrap());
    drop(dead);
    let (status, body) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/departments/housing_construction",
            json!({ "webhook_url": hook }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (code, secret) = file_report(app, "noise_construction", 29.3752, 106.5101, &[]).await;
    for _ in 0..2 {
        assert_eq!(app.track(&code, &secret).await.0, 200);
    }
    assert_eq!(app.get(&format!("/nowhere/{code}")).await.status(), 404);
    assert_eq!(
        app.get(&format!("/api/v1/nowhere/{code}")).await.status(),
        404
    );
    // A text to a reporter, queued until tomorrow, queued an hour ago.
    let now = app.clock.now();
    message_outbox::ActiveModel {
        channel: Set("sms".to_owned()),
        recipient_mask: Set(String::new()),
        recipient_key: Set("sms:-".to_owned()),
        event: Set("receipt".to_owned()),
        params: Set("[]".to_owned()),
        lang: Set("zh".to_owned()),
        idempotency_key: Set(uuid::Uuid::new_v4().to_string()),
        status: Set("queued".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now + chrono::Duration::days(1)),
        created_at: Set(now - chrono::Duration::hours(1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let body = eventually(app, r#"shanshui_outbox_waiting{outbox="sms"}"#, 1.0).await;

    // Requests, by template.
    assert_eq!(
        sample(
            &body,
            r#"shanshui_http_requests_total{method="GET",route="/api/v1/track/{code}",status="200"}"#
        ),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            r#"shanshui_http_request_duration_seconds_count{method="GET",route="/api/v1/track/{code}",status="2xx"}"#
        ),
        Some(2.0),
        "{body}"
    );
    assert!(
        body.contains(r#"route="/api/v1/reports",status="201"}"#),
        "{body}"
    );
    assert!(
        body.contains(r#"route="unmatched",status="404"}"#),
        "{body}"
    );
    assert!(!body.contains("__private__"), "{body}");
    // Nothing that names a report.
    assert!(!body.contains(&code), "the tracking code leaked: {body}");
    assert!(!body.contains(&code.to_lowercase()), "{body}");
    assert!(!body.contains(&secret), "{body}");

    // The outboxes: the webhook, retrying; the text, an hour old.
    assert_eq!(
        sample(&body, r#"shanshui_outbox_waiting{outbox="webhook"}"#),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, r#"shanshui_outbox_waiting{outbox="push"}"#),
        Some(0.0)
    );
    let sms_age = sample(
        &body,
        r#"shanshui_outbox_oldest_waiting_age_seconds{outbox="sms"}"#,
    )
    .unwrap();
    assert!((3600.0..3700.0).contains(&sms_age), "{sms_age}");

    // The cases: one open, none late.
    let open: f64 = body
        .lines()
        .filter(|l| l.starts_with("shanshui_cases_open{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(open, 1.0, "{body}");
    assert_eq!(sample(&body, "shanshui_cases_overdue"), Some(0.0));
    assert_eq!(sample(&body, "shanshui_metrics_query_errors"), Some(0.0));

    // The pool.
    assert!(sample(&body, "shanshui_db_connections_max").unwrap() >= 1.0);
    assert!(
        sample(&body, r#"shanshui_db_connections{state="idle"}"#).is_some(),
        "{body}"
    );

    // Past the deadline to accept it, the case is late.
    app.clock.advance(chrono::Duration::days(16));
    let body = scrape(app).await;
    assert_eq!(sample(&body, "shanshui_cases_overdue"), Some(1.0), "{body}");

    // Not on the public address.
    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404);
    let page = public.text().await.unwrap();
    assert!(!page.contains("shanshui_http_requests_total"), "{page}");
}
demo_test_with!(
    metrics_count_routes_outboxes_and_cases_and_never_a_tracking_code,
    metrics_on
);

async fn metrics_time_the_photo_pipeline(app: &TestApp) {
    let res =
        shanshui_tests::submit_with_photo(app, shanshui_tests::photos::jpeg(1200, 900), None).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body = scrape(app).await;
    for stage in ["inspect", "wait", "process"] {
        assert_eq!(
            sample(
                &body,
                &format!(r#"shanshui_photo_stage_duration_seconds_count{{stage="{stage}"}}"#)
            ),
            Some(1.0),
            "{body}"
        );
    }
}
demo_test_with!(metrics_time_the_photo_pipeline, metrics_on);

/// No `--metrics-bind`, no metrics listener.
async fn metrics_are_off_by_default(app: &TestApp) {
    assert_eq!(app.metrics_addr, None);
    assert_eq!(app.get("/metrics").await.status(), 404);
}
shanshui_tests::db_test!(metrics_are_off_by_default);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_a_taken_address_stop_the_start_with_a_clear_message() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let url = format!("sqlite://{}/shanshui.db?mode=rwc", data_dir.display());
    let mut settings = shanshui_tests::test_settings(data_dir, url);
    settings.metrics_bind = Some(addr);
    let Err(e) = server::Application::build(settings).await else {
        panic!("the server started on a taken metrics address");
    };
    assert!(
        e.0.contains(&addr.to_string()) && e.0.contains("--metrics-bind"),
        "{e}"
    );
}
