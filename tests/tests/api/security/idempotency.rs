//! Class 8: idempotency keys belong to one client.
//!
//! A receipt carries the reporter's secret. Another client sending the
//! same `Idempotency-Key` — by accident, or because it saw the key — must
//! get its own answer, never the first client's receipt; and a key is
//! forgotten after a day.

use serde_json::Value;
use shanshui_tests::{TestApp, demo_test};
use std::net::IpAddr;

/// A client whose connections come from `source` (any 127.x.y.z is this
/// machine).
fn client_from(source: &str) -> reqwest::Client {
    let ip: IpAddr = source.parse().expect("an address");
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .expect("a client")
}

async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    key: &str,
    description: &str,
) -> (u16, Value) {
    let answers = shanshui_tests::required_answers(app, "noise_construction").await;
    let form = reqwest::multipart::Form::new()
        .text("category", "noise_construction")
        .text("description", description.to_owned())
        .text("lat", super::YUDONG.0.to_string())
        .text("lon", super::YUDONG.1.to_string())
        .text("answers", answers.to_string());
    let res = client
        .post(app.url("/api/v1/reports"))
        .header("idempotency-key", key)
        .multipart(form)
        .send()
        .await
        .expect("answered");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn one_key_from_two_clients_never_shares_a_receipt(app: &TestApp) {
    let a = client_from("127.0.0.2");
    let b = client_from("127.0.0.3");
    let (status, first) = submit(app, &a, "retry-1", "工地夜间施工，噪声很大").await;
    assert_eq!(status, 201, "{first}");
    // The same client's retry answers the first receipt.
    let (status, again) = submit(app, &a, "retry-1", "工地夜间施工，噪声很大").await;
    assert_eq!((status, &again["secret"]), (201, &first["secret"]));
    // Another client, same key, same report: a report of its own.
    let (status, other) = submit(app, &b, "retry-1", "工地夜间施工，噪声很大").await;
    assert_eq!(status, 201, "{other}");
    assert_ne!(
        other["tracking_code"], first["tracking_code"],
        "client B was handed client A's case"
    );
    assert_ne!(
        other["secret"], first["secret"],
        "client B was handed client A's secret"
    );
    // Another client, same key, another report: not "reused", its own.
    let (status, third) = submit(
        app,
        &client_from("127.0.0.4"),
        "retry-1",
        "另一处工地也在施工",
    )
    .await;
    assert_eq!(status, 201, "{third}");
    assert_ne!(third["secret"], first["secret"]);
}
demo_test!(one_key_from_two_clients_never_shares_a_receipt);

async fn a_key_is_forgotten_after_a_day(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let a = client_from("127.0.0.2");
    let (_, first) = submit(app, &a, "k-day", "工地夜间施工，噪声很大").await;
    let old = chrono::Utc::now() - chrono::Duration::hours(25);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE idempotency SET created_at = $1",
        _ => "UPDATE idempotency SET created_at = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [old.into()]))
        .await
        .expect("aged");
    let (status, later) = submit(app, &a, "k-day", "工地夜间施工，噪声很大").await;
    assert_eq!(status, 201, "{later}");
    assert_ne!(
        later["tracking_code"], first["tracking_code"],
        "a day-old key is a new request"
    );
}
demo_test!(a_key_is_forgotten_after_a_day);
