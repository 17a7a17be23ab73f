//! Orphaned photo objects are collected later (issue 16): a submission puts
//! its photos before its row commits, so a failed one leaves objects no row
//! names; the sweep (`server::storage::sweep`) deletes those a day after
//! their last put, and never an object a row names. Object modification
//! times are real time, so the sweep is asked to look two days ahead
//! instead of the test waiting; the file store always, S3 when
//! `TEST_S3_ENDPOINT` is set.

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use server::storage::sweep::{self, GRACE};
use server::storage::{PhotoKind, PhotoStore};
use shanshui_tests::{Backend, TestApp, photos, s3};
use std::sync::Arc;
use std::time::Duration;

/// Every slice swept as of `ahead` from now: how many objects went.
async fn sweep_all(app: &TestApp, store: &dyn PhotoStore, ahead: TimeDelta) -> usize {
    let now = Utc::now() + ahead;
    let mut deleted = 0;
    for slice in sweep::all_slices() {
        deleted += sweep::collect(&app.db, store, slice, now, GRACE)
            .await
            .unwrap()
            .deleted;
    }
    deleted
}

/// The one slice `key` of `kind` is in, swept at `now` with `grace`.
async fn sweep_one(
    app: &TestApp,
    store: &dyn PhotoStore,
    (kind, key): (PhotoKind, &str),
    grace: TimeDelta,
) -> sweep::Collected {
    let slice = sweep::all_slices()
        .find(|s| s.kind == kind && key.starts_with(&s.fan_out()))
        .unwrap();
    sweep::collect(&app.db, store, slice, Utc::now(), grace)
        .await
        .unwrap()
}

/// A resident's report with one photo: its (original, display, thumbnail)
/// keys and display URL, as staff read them.
async fn report_with_photo(app: &TestApp) -> ([String; 3], String) {
    let res = shanshui_tests::submit_with_photo(app, photos::jpeg(640, 480), None).await;
    assert_eq!(res.status(), 201);
    let receipt: serde_json::Value = res.json().await.unwrap();
    let code = receipt["tracking_code"].as_str().unwrap();
    let staff = app.staff("qu.jian", shared::Role::Dispatcher, None).await;
    let case = staff.case(code).await;
    let display_url = case["reports"][0]["photos"][0]["display_url"]
        .as_str()
        .unwrap()
        .to_owned();
    use sea_orm::EntityTrait;
    let row = server::db::entities::photo::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    (
        [row.original_key, row.display_key, row.thumbnail_key],
        display_url,
    )
}

async fn only_orphans_past_the_grace_are_collected(app: &TestApp) {
    app.load_demo().await;
    let store = server::storage::open(&app.photo_store, &app.data_dir)
        .await
        .unwrap();
    let store: &dyn PhotoStore = store.as_ref();
    let (named, display_url) = report_with_photo(app).await;
    // What a failed submission leaves: objects no row names.
    let original = store
        .put(PhotoKind::Original, Bytes::from(photos::jpeg(32, 24)))
        .await
        .unwrap();
    let document = store
        .put(PhotoKind::Document, Bytes::from_static(b"%PDF-1.7 orphan"))
        .await
        .unwrap();

    // Within the grace nothing goes.
    assert_eq!(sweep_all(app, store, TimeDelta::zero()).await, 0);
    // Two days on: the orphans go, the report's photo stays and serves.
    assert_eq!(sweep_all(app, store, TimeDelta::days(2)).await, 2);
    assert_eq!(
        store.get(PhotoKind::Original, &original).await.unwrap(),
        None
    );
    assert_eq!(
        store.get(PhotoKind::Document, &document).await.unwrap(),
        None
    );
    for (kind, key) in [
        PhotoKind::Original,
        PhotoKind::Display,
        PhotoKind::Thumbnail,
    ]
    .into_iter()
    .zip(&named)
    {
        assert!(store.get(kind, key).await.unwrap().is_some(), "{kind:?}");
    }
    assert_eq!(app.get(&display_url).await.status(), 200);
    // A second pass (another replica's) finds nothing more to do.
    assert_eq!(sweep_all(app, store, TimeDelta::days(2)).await, 0);

    // An orphan younger than the grace is kept.
    let young = store
        .put(PhotoKind::Display, Bytes::from_static(b"a young orphan"))
        .await
        .unwrap();
    let done = sweep_one(app, store, (PhotoKind::Display, &young), GRACE).await;
    assert_eq!((done.old, done.deleted), (0, 0));
    assert!(
        store
            .get(PhotoKind::Display, &young)
            .await
            .unwrap()
            .is_some()
    );
}

/// Putting an object again restarts its grace: an old orphan a phone's
/// retry (or anyone) puts again is not collected. A grace of two seconds
/// stands for the day, so the first put is past it and the second is not
/// (S3 keeps Last-Modified to the second).
async fn a_put_again_restarts_the_grace(store: Arc<dyn PhotoStore>, app: &TestApp) {
    let store = store.as_ref();
    let bytes = Bytes::from_static(b"an orphan sent again");
    let key = store
        .put(PhotoKind::Thumbnail, bytes.clone())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    store.put(PhotoKind::Thumbnail, bytes).await.unwrap();
    let grace = TimeDelta::seconds(2);
    let done = sweep_one(app, store, (PhotoKind::Thumbnail, &key), grace).await;
    assert_eq!(done.deleted, 0, "{done:?}");
    assert!(
        store
            .get(PhotoKind::Thumbnail, &key)
            .await
            .unwrap()
            .is_some()
    );
    // Once past that grace too, it goes.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let done = sweep_one(app, store, (PhotoKind::Thumbnail, &key), grace).await;
    assert_eq!(done.deleted, 1, "{done:?}");
}

async fn on_the_file_store(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    only_orphans_past_the_grace_are_collected(&app).await;
    let store = server::storage::open(&app.photo_store, &app.data_dir)
        .await
        .unwrap();
    a_put_again_restarts_the_grace(store, &app).await;
    app.shutdown().await;
}

#[tokio::test]
async fn sweep_collects_orphans_on_the_file_store_and_sqlite() {
    on_the_file_store(Backend::Sqlite).await;
}

#[tokio::test]
async fn sweep_collects_orphans_on_the_file_store_and_postgres() {
    on_the_file_store(Backend::Postgres).await;
}

#[tokio::test]
async fn sweep_collects_orphans_in_an_s3_bucket() {
    let Some(bucket) = s3::fresh_bucket().await else {
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.photo_store = s3::location(bucket))
        .await
        .unwrap();
    only_orphans_past_the_grace_are_collected(&app).await;
    let store = server::storage::open(&app.photo_store, &app.data_dir)
        .await
        .unwrap();
    a_put_again_restarts_the_grace(store, &app).await;
    // Nothing went to the disk.
    assert!(!app.data_dir.join("photos").exists());
    app.shutdown().await;
}
