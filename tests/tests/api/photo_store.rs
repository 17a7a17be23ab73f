//! Photos in S3-compatible object storage (issue 16), against a real S3
//! server (moto, started by `cargo xtask test`): the store itself; a store
//! that cannot be used stops the start with the store's own words; two
//! replicas on one database and one bucket serve each other's photos; and
//! a store that goes away while running makes submissions answer 503 with
//! `Retry-After` and `/readyz` 503, storing nothing, until it is back.

use server::storage::{PhotoKind, PhotoStore, S3PhotoStore, S3Settings};
use shanshui_tests::{Backend, TestApp, photos, s3};
use std::time::Duration;

#[tokio::test]
async fn the_s3_store_keeps_photos_by_their_digest_and_finds_nothing_else() {
    let Some(settings) = s3::fresh_bucket().await else {
        return;
    };
    let store = S3PhotoStore::new(&settings).unwrap();
    store.probe(Duration::from_secs(10)).await.unwrap();
    let jpeg = bytes::Bytes::from(photos::jpeg(64, 48));
    let key = store.put(PhotoKind::Display, jpeg.clone()).await.unwrap();
    assert_eq!(key, server::storage::key_for(&jpeg));
    // Again: the same key, nothing new.
    assert_eq!(
        store.put(PhotoKind::Display, jpeg.clone()).await.unwrap(),
        key
    );
    assert_eq!(
        store
            .get(PhotoKind::Display, &key)
            .await
            .unwrap()
            .as_deref(),
        Some(jpeg.as_ref())
    );
    // Kinds are kept apart: a display copy is not an original.
    assert_eq!(store.get(PhotoKind::Original, &key).await.unwrap(), None);
    let missing = "0".repeat(64);
    assert_eq!(store.get(PhotoKind::Display, &missing).await.unwrap(), None);
    for bad in ["../../shanshui-probe", "ABC", &key.to_uppercase(), ""] {
        assert_eq!(
            store.get(PhotoKind::Display, bad).await.unwrap(),
            None,
            "{bad:?}"
        );
    }
    store.ready().await.unwrap();
}

/// The start-up error for `settings`, as `shanshui serve` would print it.
async fn start_error(settings: S3Settings) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut config = shanshui_tests::test_settings(
        data.clone(),
        format!("sqlite://{}/shanshui.db?mode=rwc", data.display()),
    );
    config.photo_store = s3::location(settings);
    match server::Application::build(config).await {
        Ok(_) => panic!("the server started with a photo store it cannot use"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_photo_store_that_cannot_be_used_stops_the_start_with_its_reason() {
    let unreachable = start_error(s3::unreachable()).await;
    assert!(
        unreachable.contains("the photo store s3://shanshui-photos/banan/photos does not work"),
        "{unreachable}"
    );
    let Some(missing) = s3::missing_bucket() else {
        return;
    };
    let missing = start_error(missing).await;
    assert!(missing.contains("NoSuchBucket"), "{missing}");
    let Some(wrong) = s3::wrong_credentials() else {
        return;
    };
    let wrong = start_error(wrong).await;
    assert!(wrong.contains("InvalidAccessKeyId"), "{wrong}");
}

/// A resident's report with one photo, filed on `app`.
async fn report_with_photo(app: &TestApp, key: &str) -> reqwest::Response {
    shanshui_tests::submit_with_photo(app, photos::jpeg(1200, 900), Some(key)).await
}

/// Submit on one replica, read the photo on the other: the display and
/// thumbnail copies by their public URLs, the original as staff.
async fn replicas_serve_each_other_s_photos(backend: Backend) {
    let Some(bucket) = s3::fresh_bucket().await else {
        return;
    };
    let Some(a) = TestApp::spawn_with(backend, |s| s.photo_store = s3::location(bucket)).await
    else {
        return;
    };
    a.load_demo().await;
    // On SQLite one server stands for both: replicas need PostgreSQL.
    let b = match backend {
        Backend::Postgres => Some(a.replica().await),
        Backend::Sqlite => None,
    };
    let reader = b.as_ref().unwrap_or(&a);
    let res = report_with_photo(&a, "s3-replicas-0001").await;
    assert_eq!(res.status(), 201);
    let receipt: serde_json::Value = res.json().await.unwrap();
    let code = receipt["tracking_code"].as_str().unwrap();
    let staff = a
        .staff("qu.jian", shared::Role::Dispatcher, None)
        .await
        .at(reader);
    let (status, case) = staff.get(&format!("/api/v1/cases/{code}")).await;
    assert_eq!(status, 200, "{case}");
    let photo = &case["reports"][0]["photos"][0];
    assert!(photo.is_object(), "{case}");
    for (url, long_edge) in [
        (photo["display_url"].as_str().unwrap(), 1200),
        (photo["thumbnail_url"].as_str().unwrap(), 320),
    ] {
        let res = reader.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=31536000")
        );
        let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!(img.width().max(img.height()), long_edge, "{url}");
    }
    let original = staff
        .client
        .get(staff.url(photo["original_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(original.status(), 200);
    let original = original.bytes().await.unwrap();
    assert_eq!(
        server::storage::key_for(&original),
        photo["original_sha256"].as_str().unwrap()
    );
    // Nothing went to a replica's disk.
    assert!(!a.data_dir.join("photos").exists());
    assert_eq!(reader.get("/readyz").await.status(), 200);
    if let Some(b) = b {
        b.shutdown().await;
    }
    a.shutdown().await;
}

#[tokio::test]
async fn a_photo_filed_on_one_replica_is_served_by_the_other_from_one_bucket_on_postgres() {
    replicas_serve_each_other_s_photos(Backend::Postgres).await;
}

#[tokio::test]
async fn a_photo_is_filed_and_served_from_the_bucket_on_sqlite() {
    replicas_serve_each_other_s_photos(Backend::Sqlite).await;
}

/// A TCP relay from a loopback port to `to`, which the test can cut: the
/// photo store "going away" while the server runs.
struct Relay {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(port: u16, to: String) -> Relay {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            // Held by the accepting task: cutting it drops the set, which
            // ends every open connection too.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = to.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, task }
    }

    fn cut(self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn while_the_photo_store_is_away_submissions_wait_with_retry_after_and_readiness_fails() {
    let Some(mut bucket) = s3::fresh_bucket().await else {
        return;
    };
    let (_, endpoint) = bucket
        .options
        .iter_mut()
        .find(|(k, _)| k == "aws_endpoint_url")
        .unwrap();
    let upstream = endpoint.trim_start_matches("http://").to_owned();
    let relay = Relay::start(0, upstream.clone()).await;
    let port = relay.port;
    *endpoint = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.photo_store = s3::location(bucket))
        .await
        .unwrap();
    app.load_demo().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    relay.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(app.get("/readyz").await.status(), 503);
    let res = report_with_photo(&app, "s3-away-0001").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "30");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        server::db::entities::report::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0,
        "nothing is filed without its photo"
    );

    // Back: the phone's outbox sends the same report again, and it is filed once.
    let relay = Relay::start(port, upstream).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let res = report_with_photo(&app, "s3-away-0001").await;
    assert_eq!(res.status(), 201);
    let again = report_with_photo(&app, "s3-away-0001").await;
    assert!(again.status().is_success());
    assert_eq!(
        server::db::entities::report::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    relay.cut();
    app.shutdown().await;
}
