//! `shanshui backup` and `shanshui restore`: a backup made while the server
//! runs, restored into a fresh data directory (and database), serves every
//! case, photo and identity the same; a changed byte, a wrong key, a full or
//! busy target are refused before anything is replaced.

use reqwest::multipart::{Form, Part};
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};
use server::backup::{BackupError, Counts};
use server::db::entities::{case, photo, report};
use server::storage::{FsPhotoStore, PhotoKind, PhotoStore};
use sha2::{Digest, Sha256};
use shanshui_tests::target::EmptyTarget;
use shanshui_tests::{Backend, Staff, TestApp, photos, required_answers, test_settings};
use shared::Role;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

// Yudong (鱼洞), inside Banan.
const LAT: &str = "29.3752";
const LON: &str = "106.5101";

/// A construction-noise report (it goes to the housing and construction
/// commission) with `fields` and `photos` photos: (code, secret).
async fn file(app: &TestApp, fields: &[(&str, &str)], photos: u32) -> (String, String) {
    let mut form = Form::new()
        .text("category", "noise_construction")
        .text("description", "工地夜间施工，电锯声很大")
        .text("lat", LAT)
        .text("lon", LON)
        .text(
            "answers",
            required_answers(app, "noise_construction")
                .await
                .to_string(),
        );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for i in 0..photos {
        // A photo of its own size each: the store keeps equal bytes once.
        const WIDTHS: [u32; 9] = [640, 648, 656, 664, 672, 680, 688, 696, 704];
        static TAKEN: AtomicUsize = AtomicUsize::new(0);
        let width = WIDTHS[TAKEN.fetch_add(1, Ordering::Relaxed) % WIDTHS.len()];
        let jpeg = photos::jpeg_with_gps(width, 480, 29.3752, 106.5101);
        let part = Part::bytes(jpeg)
            .file_name(format!("IMG_{i}.JPG"))
            .mime_str("image/jpeg")
            .unwrap();
        form = form.part("photo", part);
    }
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{receipt}");
    (
        receipt["tracking_code"].as_str().unwrap().to_owned(),
        receipt["secret"].as_str().unwrap().to_owned(),
    )
}

struct Filed {
    dispatcher: Staff,
    /// (code, secret), the first one named.
    cases: Vec<(String, String)>,
}

/// Four cases in four states: a named reporter's, closed with an evidence
/// PDF; one accepted with two photos; one rejected; one just filed.
async fn four_cases(app: &TestApp) -> Filed {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let named = file(app, &[("name", "王小明"), ("phone", "13812345678")], 1).await;
    let accepted = file(app, &[], 2).await;
    let rejected = file(app, &[], 0).await;
    let submitted = file(app, &[], 1).await;

    let code = &named.0;
    handler.act_ok(code, json!({ "action": "accept" })).await;
    handler
        .act_ok(code, json!({ "action": "assign", "assignee": "cheng.ban" }))
        .await;
    let pdf = Part::bytes(crate::evidence::pdf(2))
        .file_name("现场检查笔录.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let res = handler
        .client
        .post(app.url(&format!("/api/v1/cases/{code}/evidence")))
        .multipart(Form::new().part("document", pdf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    handler
        .act_ok(
            code,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "经查属实，已责令整改。" }),
        )
        .await;
    reviewer
        .act_ok(code, json!({ "action": "approve_reply" }))
        .await;
    handler
        .act_ok(&accepted.0, json!({ "action": "accept" }))
        .await;
    dispatcher
        .act_ok(
            &rejected.0,
            json!({ "action": "reject", "reason": "不属于生态环境投诉，已告知向住建部门反映。" }),
        )
        .await;
    Filed {
        dispatcher,
        cases: vec![named, accepted, rejected, submitted],
    }
}

/// Everything compared before and after: each case as staff see it and as
/// its reporter does, the SHA-256 of every photo and document it links
/// (display and thumbnail as the public gets them, originals and documents
/// as staff do), and the named reporter's identity as staff see it.
#[derive(Debug, PartialEq)]
struct Seen {
    cases: Vec<Value>,
    tracked: Vec<Value>,
    files: Vec<(String, String)>,
    identity: Value,
}

async fn seen(app: &TestApp, staff: &Staff, cases: &[(String, String)]) -> Seen {
    let mut out = Seen {
        cases: Vec::new(),
        tracked: Vec::new(),
        files: Vec::new(),
        identity: Value::Null,
    };
    for (code, secret) in cases {
        let case = staff.case(code).await;
        let mut urls = Vec::new();
        links(&case, &mut urls);
        for url in urls {
            let client = if url.starts_with("/photos/") {
                &app.client
            } else {
                &staff.client
            };
            let res = client.get(app.url(&url)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{url}");
            let bytes = res.bytes().await.unwrap();
            out.files.push((url, hex::encode(Sha256::digest(&bytes))));
        }
        out.cases.push(case);
        let (status, view) = app.track(code, secret).await;
        assert_eq!(status, 200, "{view}");
        out.tracked.push(view);
    }
    let (status, who) = staff
        .post(&format!("/api/v1/cases/{}/reveal", cases[0].0), json!({}))
        .await;
    assert_eq!(status, 200, "{who}");
    out.identity = who;
    out
}

/// The photo and document links in a case (`…_url` fields in the API).
fn links(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(url)
                        if k.ends_with("_url")
                            && (url.starts_with("/photos/") || url.starts_with("/api/")) =>
                    {
                        out.push(url.to_owned())
                    }
                    _ => links(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| links(v, out)),
        _ => {}
    }
}

/// The settings `shanshui backup` runs with beside `app`.
fn settings_of(app: &TestApp) -> server::config::Settings {
    test_settings(app.data_dir.clone(), app.database_url.clone())
}

async fn counts(db: &impl ConnectionTrait) -> Counts {
    Counts {
        cases: case::Entity::find().count(db).await.unwrap(),
        reports: report::Entity::find().count(db).await.unwrap(),
        photos: photo::Entity::find().count(db).await.unwrap(),
    }
}

/// The operator puts the keys back where the restored server will look.
fn copy_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for key in ["pii.key", "vapid.key"] {
        std::fs::copy(from.join(key), to.join(key)).unwrap();
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits until the message worker has sent every message due: a case
/// shows its messages' states, which must not change between the look
/// before the backup and the backup itself.
async fn messages_settled(app: &TestApp) {
    use sea_orm::{ColumnTrait, QueryFilter};
    use server::db::entities::message_outbox::{Column, Entity};
    for _ in 0..200 {
        let due = Entity::find()
            .filter(Column::Status.eq("queued"))
            .filter(Column::NextAttemptAt.lte(chrono::Utc::now()))
            .count(&app.db)
            .await
            .unwrap();
        if due == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the message worker did not send the messages due within 10 s");
}

async fn a_backup_made_while_the_server_runs_restores_into_a_fresh_place_the_same(app: &TestApp) {
    let filed = four_cases(app).await;
    messages_settled(app).await;
    let before = seen(app, &filed.dispatcher, &filed.cases).await;
    assert_eq!(
        (
            before.identity[0]["name"].as_str(),
            before.identity[0]["phone"].as_str()
        ),
        (Some("王小明"), Some("13812345678"))
    );
    let originals = before
        .files
        .iter()
        .filter(|(u, _)| u.ends_with("/original"))
        .count();
    let thumbnails = before
        .files
        .iter()
        .filter(|(u, _)| u.starts_with("/photos/thumb/"))
        .count();
    let documents = before
        .files
        .iter()
        .filter(|(u, _)| u.contains("/documents/"))
        .count();
    assert_eq!(
        (originals, thumbnails, documents),
        (4, 4, 1),
        "{:?}",
        before.files
    );

    // The backup, while residents go on filing reports with photos.
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("backup-1");
    let settings = settings_of(app);
    let (made, _) = tokio::join!(server::backup::backup(&settings, &to), async {
        for _ in 0..3 {
            file(app, &[], 1).await;
        }
    });
    let made = made.unwrap();
    eprintln!(
        "backup on {:?}: {} files, {} photo files ({} bytes) in {:?}",
        app.backend,
        made.manifest.files.len(),
        made.manifest.photos.files,
        made.manifest.photos.bytes,
        made.elapsed
    );
    let m = &made.manifest;
    assert!(
        m.counts.cases >= 4 && m.counts.photos >= 4,
        "{:?}",
        m.counts
    );
    assert!(
        m.database.migration.starts_with('m'),
        "{}",
        m.database.migration
    );
    let text = made.to_string();
    assert!(text.contains("THE KEYS ARE NOT IN THIS BACKUP"), "{text}");
    let readme = std::fs::read_to_string(to.join("README.txt")).unwrap();
    assert!(
        readme.contains("SHANSHUI_PII_KEY") && readme.contains("restore --from"),
        "{readme}"
    );
    // Every file is in the manifest; no key is in the backup.
    let mut on_disk: Vec<String> = files_under(&to)
        .iter()
        .map(|p| p.strip_prefix(&to).unwrap().to_string_lossy().into_owned())
        .filter(|p| p != "manifest.json" && p != "README.txt")
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, m.files.keys().cloned().collect::<Vec<_>>());
    assert!(!on_disk.iter().any(|p| p.ends_with(".key")), "{on_disk:?}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&to), 0o700);
        assert_eq!(mode(&to.join(&m.database.file)), 0o600);
        for name in m
            .files
            .keys()
            .filter(|n| n.starts_with("photos/originals/") || n.starts_with("photos/documents/"))
        {
            let path = to.join(name);
            assert_eq!(mode(&path), 0o600, "{name}");
            assert_eq!(mode(path.parent().unwrap()), 0o700, "{name}");
        }
    }

    // Restored into a new data directory (and database), with the keys
    // put back beside it, a new server serves the same.
    let target = EmptyTarget::new(app.backend).await.unwrap();
    copy_keys(&app.data_dir, &target.data_dir);
    let done = server::backup::restore(&target.settings(), &to, false)
        .await
        .unwrap();
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("key here is the backup's")),
        "{done}"
    );
    assert_eq!(done.photos_written, m.photos.files);
    let restored = target.start().await;
    assert_eq!(counts(&restored.db).await, m.counts);
    let dispatcher = restored.sign_in("diao.du").await;
    let after = seen(&restored, &dispatcher, &filed.cases).await;
    for (b, a) in before.cases.iter().zip(&after.cases) {
        for (field, value) in b.as_object().unwrap() {
            assert_eq!(Some(value), a.get(field), "{} {field}", b["code"]);
        }
    }
    assert_eq!(before, after);
    let original = after
        .files
        .iter()
        .find(|(u, _)| u.ends_with("/original"))
        .unwrap();
    assert_eq!(
        restored.get(&original.0).await.status(),
        401,
        "originals stay staff-only"
    );
    // Consistent: every photo a restored row names, of every kind, is there
    // (the reports filed during the backup included).
    let store = FsPhotoStore::new(restored.data_dir.join("photos"));
    for row in photo::Entity::find().all(&restored.db).await.unwrap() {
        for (kind, key) in [
            (PhotoKind::Original, &row.original_key),
            (PhotoKind::Display, &row.display_key),
            (PhotoKind::Thumbnail, &row.thumbnail_key),
        ] {
            assert!(
                store.get(kind, key).await.unwrap().is_some(),
                "{kind:?} {key}"
            );
        }
    }
    restored.shutdown().await;
}
shanshui_tests::demo_test!(
    a_backup_made_while_the_server_runs_restores_into_a_fresh_place_the_same
);

/// Flips one byte of `path` in a new file (a hard link in the backup
/// shares its bytes with the live store, which must stay as it is);
/// returns the bytes to put back.
fn flip_a_byte(path: &Path) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let mut changed = original.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x01;
    std::fs::remove_file(path).unwrap();
    std::fs::write(path, changed).unwrap();
    original
}

fn put_back(path: &Path, bytes: Vec<u8>) {
    std::fs::remove_file(path).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Whether the target is as it was: no database, no photos.
async fn untouched(target: &EmptyTarget) -> bool {
    let no_photos = !target.data_dir.join("photos").exists();
    let no_database = match target.backend {
        Backend::Sqlite => !target.data_dir.join("shanshui.db").exists(),
        Backend::Postgres => {
            let db = Database::connect(target.database_url.as_str())
                .await
                .unwrap();
            let tables: i64 = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index(0)
                .unwrap();
            db.close().await.unwrap();
            tables == 0
        }
    };
    no_photos && no_database
}

fn refused(result: Result<server::backup::RestoreSummary, BackupError>, says: &str) {
    match result {
        Err(BackupError::Refused(why)) => assert!(why.contains(says), "{why}"),
        Err(other) => panic!("failed instead of refusing: {other}"),
        Ok(summary) => panic!("restored instead of refusing: {summary}"),
    }
}

async fn a_changed_backup_a_wrong_key_and_a_full_or_busy_target_are_refused(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let (code, _) = file(app, &[("name", "李四"), ("phone", "13900001111")], 1).await;
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("backup");
    let made = server::backup::backup(&settings_of(app), &to)
        .await
        .unwrap();
    let again = server::backup::backup(&settings_of(app), &to).await;
    assert!(
        matches!(&again, Err(BackupError::Refused(why)) if why.contains("not empty")),
        "an earlier backup is never overwritten: {again:?}"
    );
    let target = EmptyTarget::new(app.backend).await.unwrap();
    copy_keys(&app.data_dir, &target.data_dir);
    let restore = async |force| server::backup::restore(&target.settings(), &to, force).await;

    // One byte changed in a photo, then in the database copy: refused,
    // even with --force, and nothing is written.
    let photo = made
        .manifest
        .files
        .keys()
        .find(|n| n.starts_with("photos/display/"))
        .unwrap();
    for name in [photo, &made.manifest.database.file] {
        let path = to.join(name);
        let bytes = flip_a_byte(&path);
        refused(restore(true).await, name);
        assert!(untouched(&target).await, "{name}");
        put_back(&path, bytes);
    }
    // A personal-data key that is not the backup's.
    let key = target.data_dir.join("pii.key");
    let right_key = std::fs::read(&key).unwrap();
    std::fs::write(&key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    refused(restore(false).await, "personal-data key");
    assert!(untouched(&target).await);
    std::fs::write(&key, right_key).unwrap();

    // The running app's own database holds data: refused without --force,
    // and with it refused as in use; the app goes on as before.
    let before = counts(&app.db).await;
    refused(
        server::backup::restore(&settings_of(app), &to, false).await,
        "--force",
    );
    refused(
        server::backup::restore(&settings_of(app), &to, true).await,
        "in use",
    );
    assert_eq!(counts(&app.db).await, before);
    dispatcher.case(&code).await;

    // Restored once; again only with --force (nothing else uses it now).
    restore(false).await.unwrap();
    refused(restore(false).await, "--force");
    let forced = restore(true).await.unwrap();
    assert_eq!(
        forced.photos_written, 0,
        "the photos were all there: {forced}"
    );
    let restored = target.start().await;
    let dispatcher = restored.sign_in("diao.du").await;
    let (status, who) = dispatcher
        .post(&format!("/api/v1/cases/{code}/reveal"), json!({}))
        .await;
    assert_eq!(
        (status, who[0]["name"].as_str()),
        (200, Some("李四")),
        "{who}"
    );
    restored.shutdown().await;
}
shanshui_tests::demo_test!(a_changed_backup_a_wrong_key_and_a_full_or_busy_target_are_refused);

async fn photos_in_object_storage_are_left_to_the_bucket_and_the_backup_says_so(app: &TestApp) {
    file(app, &[], 1).await;
    let mut settings = settings_of(app);
    let bucket = shanshui_tests::s3::unreachable();
    let url = bucket.url.clone();
    settings.photo_store = shanshui_tests::s3::location(bucket);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("backup");
    // The bucket is never reached: this one does not even answer.
    let made = server::backup::backup(&settings, &to).await.unwrap();
    let photos = &made.manifest.photos;
    assert_eq!((photos.store.as_str(), photos.copied), ("s3", false));
    let text = made.to_string();
    assert!(text.contains("not copied") && text.contains(&url), "{text}");
    let manifest = std::fs::read_to_string(to.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"copied\": false") && manifest.contains(&url),
        "{manifest}"
    );
    assert!(!to.join("photos").exists());
    assert_eq!(made.manifest.files.len(), 1, "the database alone");

    let target = EmptyTarget::new(app.backend).await.unwrap();
    copy_keys(&app.data_dir, &target.data_dir);
    let done = server::backup::restore(&target.settings(), &to, false)
        .await
        .unwrap();
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("holds no photo files")),
        "{done}"
    );
}
shanshui_tests::demo_test!(photos_in_object_storage_are_left_to_the_bucket_and_the_backup_says_so);
