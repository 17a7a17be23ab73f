//! The test harness: a real Shanshui server on a random loopback port, with a
//! fresh database per test — SQLite in a temporary directory, and PostgreSQL
//! (a new database on the server `TEST_DATABASE_URL` names) when that is set.
//!
//! ```ignore
//! async fn healthz_answers(app: &TestApp) { … }
//! shanshui_tests::db_test!(healthz_answers);   // → healthz_answers::{sqlite, postgres}
//! ```

// A test's panic is its failure report: `unwrap`/`expect`, denied in the
// server's code (a request must never panic), are how these tests assert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::config::{DatabaseKind, LogFormat, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod plug;
pub mod push;
pub mod s3;
pub mod target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served: set `metrics_bind` to have it.
    pub metrics_addr: Option<SocketAddr>,
    pub base: String,
    /// Keeps cookies, like a browser.
    pub client: reqwest::Client,
    /// The server's own pool (closing it makes the database unreachable).
    pub db: DatabaseConnection,
    pub backend: Backend,
    pub data_dir: PathBuf,
    /// The database this app uses (SQLite file or PostgreSQL database).
    pub database_url: String,
    /// Where its photos are kept (a replica keeps them in the same place).
    pub photo_store: server::storage::StoreLocation,
    /// The server's clock: `clock.advance(…)` moves its time forward, to
    /// reach a deadline or the end of a wait without sleeping.
    pub clock: server::clock::Clock,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    postgres: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

/// Where `cargo xtask` put the built front end.
pub fn site_root() -> PathBuf {
    std::env::var_os("SHANSHUI_TEST_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"))
}

/// The PostgreSQL server the tests run on (`TEST_DATABASE_URL`), or None,
/// which skips the PostgreSQL half of every test with a note. Where `CI` is
/// set a missing URL panics, failing the test: CI is where both databases
/// must run, and half the suite passing by skipping would hide it.
pub fn postgres_url() -> Option<String> {
    postgres_url_from(std::env::var("TEST_DATABASE_URL").ok(), ci())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Whether this is CI, where every half of every test must run.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn postgres_url_from(url: Option<String>, ci: bool) -> Result<Option<String>, String> {
    match url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Ok(Some(url)),
        None if ci => Err(
            "CI is set but TEST_DATABASE_URL is not: the PostgreSQL half of \
                           every test must run in CI (.ci/run sets it)"
                .to_owned(),
        ),
        None => Ok(None),
    }
}

/// A PostgreSQL database made for one test. `TestApp::shutdown` drops it;
/// when a failed assertion unwinds past the test instead, `Drop` does, so
/// that no test leaves a database behind.
struct PgDatabase {
    admin_url: String,
    /// None once dropped.
    name: Option<String>,
}

impl PgDatabase {
    async fn create(admin_url: String) -> PgDatabase {
        let name = format!("shanshui_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("TEST_DATABASE_URL must name a reachable PostgreSQL server");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        PgDatabase {
            admin_url,
            name: Some(name),
        }
    }

    /// This database's URL: the admin URL's server and options, our name.
    fn url(&self) -> String {
        let (server, query) = split_pg_url(&self.admin_url);
        format!(
            "{server}/{}{query}",
            self.name.as_deref().unwrap_or_default()
        )
    }

    /// Drops the database, ending the connections a stopped (or still
    /// running) server holds to it.
    async fn drop_database(&mut self) {
        let Some(name) = self.name.take() else {
            return;
        };
        if let Ok(admin) = Database::connect(self.admin_url.as_str()).await {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.name.is_none() {
            return;
        }
        // Drop cannot await, and the test's runtime may be the one that is
        // unwinding: a thread of its own, with a runtime of its own.
        let mut this = PgDatabase {
            admin_url: self.admin_url.clone(),
            name: self.name.take(),
        };
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(this.drop_database());
            }
        })
        .join();
    }
}

/// `postgres://u@h:5432/postgres?x` → (`postgres://u@h:5432`, `?x`)
fn split_pg_url(url: &str) -> (String, String) {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    (server.to_owned(), query)
}

impl TestApp {
    /// Starts a server; None for PostgreSQL when `TEST_DATABASE_URL` is unset.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with settings adjusted first (e.g. tighter rate limits).
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        Some(
            target::EmptyTarget::new(backend)
                .await?
                .start_with(adjust)
                .await,
        )
    }

    /// Starts a server with `settings` on a port of its own.
    async fn start(
        settings: Settings,
        backend: Backend,
        postgres: Option<PgDatabase>,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let (data_dir, database_url) = (settings.data_dir.clone(), settings.database_url.clone());
        let clock = settings.clock.clone();
        let photo_store = settings.photo_store.clone();
        let app = server::Application::build(settings)
            .await
            .expect("the server starts");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let db = app.db().clone();
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        TestApp {
            addr,
            metrics_addr,
            base: format!("http://{addr}"),
            client,
            db,
            backend,
            data_dir,
            database_url,
            photo_store,
            clock,
            stop: Some(stop_tx),
            task: Some(task),
            postgres,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A second replica of this app: another server on its own port over
    /// the same database and data directory (the same keys), as two
    /// machines behind a load balancer would be. Shutting it down leaves
    /// the database to the first.
    pub async fn replica(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut settings = test_settings(self.data_dir.clone(), self.database_url.clone());
        settings.clock = self.clock.clone();
        settings.photo_store = self.photo_store.clone();
        Self::start(settings, self.backend, None, dir).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request is answered")
    }

    /// Loads the demo directory (departments, 街道/镇) into this app's database.
    pub async fn load_demo(&self) {
        server::demo::load(&self.db, self.clock.now())
            .await
            .expect("demo data loads");
    }

    /// Stops the server and drops the PostgreSQL database.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
        if let Some(mut db) = self.postgres.take() {
            db.drop_database().await;
        }
    }
}

pub fn test_settings(data_dir: PathBuf, database_url: String) -> Settings {
    let database_kind = if database_url.starts_with("sqlite:") {
        DatabaseKind::Sqlite
    } else {
        DatabaseKind::Postgres
    };
    Settings {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        metrics_bind: None,
        data_dir,
        database_url,
        database_kind,
        site_root: site_root(),
        log_format: LogFormat::Text,
        request_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(5),
        // Tests send many requests from one address; the rate-limit test
        // sets its own small limits.
        limits: server::config::RateLimits {
            submit_burst: 10_000,
            track_burst: 10_000,
            recover_burst: 10_000,
            ..server::config::RateLimits::default()
        },
        photo_slots: 2,
        upload_budget: 96 * 1024 * 1024,
        decode_budget: 192 * 1024 * 1024,
        session: server::auth::session::SessionPolicy::default(),
        // Tests speak plain HTTP, where a client keeps no Secure cookie.
        cookie_secure: false,
        tile_url: app_tile_url(),
        tile_attribution: "test tiles".to_owned(),
        deadlines: server::cases::Deadlines::default(),
        // Retries in milliseconds, so a test sees several within a second.
        outbox: server::config::OutboxPolicy {
            retry_base: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
            poll: Duration::from_millis(50),
            request_timeout: Duration::from_secs(2),
            failing_after: 3,
        },
        // The outbox tests' receivers listen on 127.0.0.1, which webhooks
        // may reach only when the allow list names it, as here (the security
        // tests spawn with the default, empty list).
        webhook_allow: server::egress::AllowList::parse(&["127.0.0.1/32"])
            .expect("a valid allow list"),
        clock: server::clock::Clock::system(),
        // The local push services the tests start listen on 127.0.0.1.
        push_allow: server::egress::AllowList::parse(&["127.0.0.1/32"])
            .expect("a valid allow list"),
        sms_provider: server::config::SmsProviderKind::Log,
        push_contact: "mailto:tests@shanshui.invalid".to_owned(),
        photo_store: Default::default(),
        trusted_proxies: Default::default(),
    }
}

/// Tiles from a loopback address nothing listens on: the map must work
/// without them, and no test reaches outside the machine.
fn app_tile_url() -> String {
    "http://127.0.0.1:9/{z}/{x}/{y}.png".to_owned()
}

/// Runs `test` against a fresh app on `backend`, then tears it down.
/// PostgreSQL runs are skipped, with a note, when `TEST_DATABASE_URL` is unset.
pub async fn run_on(backend: Backend, test: impl AsyncFnOnce(&TestApp)) {
    let Some(app) = TestApp::spawn(backend).await else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    test(&app).await;
    app.shutdown().await;
}

/// Like `run_with_demo`, on a server whose settings `adjust` changed first.
pub async fn run_with_demo_adjusted(
    backend: Backend,
    adjust: fn(&mut Settings),
    test: impl AsyncFnOnce(&TestApp),
) {
    let Some(app) = TestApp::spawn_with(backend, adjust).await else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    app.load_demo().await;
    test(&app).await;
    app.shutdown().await;
}

/// Loads the demo directory, then runs `test` (most report tests need the
/// district's areas and departments).
pub async fn run_with_demo(backend: Backend, test: impl AsyncFnOnce(&TestApp)) {
    run_on(backend, async |app: &TestApp| {
        app.load_demo().await;
        test(app).await
    })
    .await
}

/// The password of every staff account tests create.
pub const STAFF_PASSWORD: &str = "长江边的巴南区山水2026";

/// A signed-in staff member: a client with its own session cookie.
pub struct Staff {
    pub username: String,
    pub client: reqwest::Client,
    base: String,
}

impl Staff {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The same signed-in browser, talking to another replica (its session
    /// cookie goes along: cookies do not care about the port).
    pub fn at(&self, app: &TestApp) -> Staff {
        Staff {
            username: self.username.clone(),
            client: self.client.clone(),
            base: app.base.clone(),
        }
    }

    /// GET → (status, JSON body or null).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("answered");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .client
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("answered");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// `POST /api/v1/cases/{code}/actions`.
    pub async fn act(&self, code: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.post(&format!("/api/v1/cases/{code}/actions"), body)
            .await
    }

    /// An action that must be taken (panics unless 200): the case after it.
    pub async fn act_ok(&self, code: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, case) = self.act(code, body.clone()).await;
        assert_eq!(status, 200, "{} {body}: {case}", self.username);
        case
    }

    /// The case as this user sees it (panics unless 200).
    pub async fn case(&self, code: &str) -> serde_json::Value {
        let (status, body) = self.get(&format!("/api/v1/cases/{code}")).await;
        assert_eq!(status, 200, "GET case {code} as {}: {body}", self.username);
        body
    }
}

/// One of a case's reward eligibility checks, by its code (panics if the
/// case has none of that name).
pub fn eligibility_check<'a>(case: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    case["eligibility"]["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["code"] == name))
        .unwrap_or_else(|| panic!("no check {name}: {case}"))
}

/// Accepted and assigned by `handler` (to themselves), replied to with
/// `finding` and approved by `reviewer`: the case, closed.
pub async fn close_case(
    handler: &Staff,
    reviewer: &Staff,
    code: &str,
    finding: &str,
) -> serde_json::Value {
    use serde_json::json;
    handler.act_ok(code, json!({ "action": "accept" })).await;
    handler
        .act_ok(
            code,
            json!({ "action": "assign", "assignee": handler.username }),
        )
        .await;
    let reply = if finding == "unsubstantiated" {
        "经现场核查，未发现所反映的问题。"
    } else {
        "经查属实，已责令整改。"
    };
    handler
        .act_ok(
            code,
            json!({ "action": "draft_reply", "finding": finding, "reply": reply }),
        )
        .await;
    reviewer
        .act_ok(code, json!({ "action": "approve_reply" }))
        .await
}

/// `n` demo cases (演示数据) from `seed`, played through the real workflow
/// up to the app's clock.
pub async fn demo_cases(app: &TestApp, n: usize, seed: u64) -> server::demo::cases::Summary {
    let pii = server::privacy::PiiCipher::load_or_create(&app.data_dir).unwrap();
    let store = server::storage::FsPhotoStore::new(app.data_dir.join("photos"));
    let parts = server::demo::cases::Parts {
        db: &app.db,
        pii: &pii,
        store: &store,
        deadlines: server::cases::Deadlines::default(),
    };
    server::demo::cases::generate(&parts, n, seed, app.clock.now())
        .await
        .unwrap()
}

/// A report as a resident files it: the category, a point, and any other
/// form fields. Answers (tracking code, secret).
pub async fn file_report(
    app: &TestApp,
    category: &str,
    lat: f64,
    lon: f64,
    fields: &[(&str, &str)],
) -> (String, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("category", category.to_owned())
        .text("description", format!("{category} near here, every night"))
        .text("lat", lat.to_string())
        .text("lon", lon.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if !fields.iter().any(|(k, _)| *k == "answers") {
        form = form.text("answers", required_answers(app, category).await.to_string());
    }
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .expect("answered");
    assert_eq!(
        res.status(),
        201,
        "{category}: {}",
        res.text().await.unwrap_or_default()
    );
    let body: serde_json::Value = res.json().await.expect("JSON");
    (
        body["tracking_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["secret"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A resident's report of burning rubbish in Yudong with one JPEG, sent
/// with `idempotency_key` if given: the answer as it comes.
pub async fn submit_with_photo(
    app: &TestApp,
    jpeg: Vec<u8>,
    idempotency_key: Option<&str>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("category", "burning_rubbish")
        .text("description", "空地上有人焚烧垃圾，浓烟很大")
        .text("lat", "29.3752")
        .text("lon", "106.5101")
        .text("answers", r#"{"still_burning":"yes"}"#)
        .part(
            "photo",
            reqwest::multipart::Part::bytes(jpeg)
                .file_name("IMG_0001.JPG")
                .mime_str("image/jpeg")
                .expect("a valid type"),
        );
    let mut request = app.client.post(app.url("/api/v1/reports"));
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    request
        .multipart(form)
        .send()
        .await
        .expect("the submission is answered")
}

/// A valid answer to each required question of the category.
pub async fn required_answers(app: &TestApp, category: &str) -> serde_json::Value {
    let catalogue: serde_json::Value = app
        .get("/api/v1/categories")
        .await
        .json()
        .await
        .expect("the categories as JSON");
    let mut answers = serde_json::Map::new();
    let questions = catalogue
        .as_array()
        .and_then(|all| all.iter().find(|c| c["code"] == category))
        .and_then(|c| c["questions"].as_array().cloned())
        .unwrap_or_default();
    for q in questions.iter().filter(|q| q["required"] == true) {
        let value = match q["datatype"].as_str() {
            Some("singlevaluelist") => q["values"][0]["key"].clone(),
            Some("multivaluelist") => serde_json::json!([q["values"][0]["key"].clone()]),
            Some("number") => serde_json::json!(1),
            Some("datetime") => serde_json::json!(chrono::Utc::now().to_rfc3339()),
            _ => serde_json::json!("工地"),
        };
        answers.insert(q["code"].as_str().unwrap_or_default().to_owned(), value);
    }
    serde_json::Value::Object(answers)
}

impl TestApp {
    /// Creates a staff account and signs it in on a client of its own.
    pub async fn staff(
        &self,
        username: &str,
        role: shared::Role,
        department: Option<&str>,
    ) -> Staff {
        let new = server::users::NewUser {
            username: username.to_owned(),
            role,
            department: department.map(str::to_owned),
            password: STAFF_PASSWORD.to_owned(),
        };
        server::users::create(&self.db, new, "test", self.clock.now())
            .await
            .expect("the account is created");
        self.sign_in(username).await
    }

    /// A new session for an existing account.
    pub async fn sign_in(&self, username: &str) -> Staff {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("a client");
        let res = client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": username, "password": STAFF_PASSWORD }))
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status(), 200, "sign-in of {username}");
        Staff {
            username: username.to_owned(),
            client,
            base: self.base.clone(),
        }
    }

    /// A sign-in attempt with any password, from `client` (a browser of
    /// its own, with or without a device cookie).
    pub async fn try_sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("answered")
    }

    /// The reporter's action (`POST /api/v1/track/{code}/actions`) with
    /// their secret → (status, JSON body or null).
    pub async fn as_reporter(
        &self,
        code: &str,
        secret: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/track/{code}/actions")))
            .header("x-report-secret", secret)
            .json(&body)
            .send()
            .await
            .expect("answered");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// The reporter's view (`GET /api/v1/track/{code}`).
    pub async fn track(&self, code: &str, secret: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(self.url(&format!("/api/v1/track/{code}")))
            .header("x-report-secret", secret)
            .send()
            .await
            .expect("answered");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_on($crate::Backend::Sqlite, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_on($crate::Backend::Postgres, super::$name).await
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, Statement};

    #[test]
    fn postgres_is_optional_except_under_ci() {
        let url = || Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        assert_eq!(postgres_url_from(url(), false), Ok(url()));
        assert_eq!(postgres_url_from(url(), true), Ok(url()));
        assert_eq!(postgres_url_from(None, false), Ok(None));
        assert_eq!(postgres_url_from(Some(" ".to_owned()), false), Ok(None));
        assert!(postgres_url_from(None, true).is_err());
        assert!(postgres_url_from(Some(String::new()), true).is_err());
    }

    /// A test whose assertion fails mid-way never reaches `shutdown`: its
    /// database must go all the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_test_leaves_no_postgres_database_behind() {
        let Some(admin_url) = postgres_url() else {
            eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
            return;
        };
        let (name_tx, name_rx) = oneshot::channel();
        let failed = tokio::spawn(async move {
            let app = TestApp::spawn(Backend::Postgres).await.unwrap();
            app.load_demo().await;
            let name = app.postgres.as_ref().and_then(|d| d.name.clone()).unwrap();
            name_tx.send(name).unwrap();
            panic!("an assertion fails while the server runs");
        })
        .await;
        assert!(failed.unwrap_err().is_panic());
        let name = name_rx.await.unwrap();
        let admin = Database::connect(admin_url.as_str()).await.unwrap();
        let left = admin
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT datname FROM pg_database WHERE datname = $1",
                [name.clone().into()],
            ))
            .await
            .unwrap();
        admin.close().await.ok();
        assert!(left.is_empty(), "{name} was left behind");
    }

    #[test]
    fn a_postgres_url_is_split_into_server_and_options() {
        assert_eq!(
            split_pg_url("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
            (
                "postgres://postgres@127.0.0.1:5432".to_owned(),
                "?sslmode=disable".to_owned()
            )
        );
        assert_eq!(
            split_pg_url("postgres://postgres@127.0.0.1:5432"),
            (
                "postgres://postgres@127.0.0.1:5432".to_owned(),
                String::new()
            )
        );
    }
}

/// Declares a test that runs with the demo directory loaded, once on SQLite
/// and once on PostgreSQL.
#[macro_export]
macro_rules! demo_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_with_demo($crate::Backend::Sqlite, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_with_demo($crate::Backend::Postgres, super::$name).await
            }
        }
    };
}

/// Like `demo_test!`, on a server whose settings the function `$adjust`
/// (`fn(&mut Settings)`) changed first.
#[macro_export]
macro_rules! demo_test_with {
    ($name:ident, $adjust:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_with_demo_adjusted(
                    $crate::Backend::Sqlite,
                    super::$adjust,
                    super::$name,
                )
                .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_with_demo_adjusted(
                    $crate::Backend::Postgres,
                    super::$adjust,
                    super::$name,
                )
                .await
            }
        }
    };
}

/// Test photos, made on the fly.
pub mod photos {
    use image::{ImageEncoder, RgbImage};

    /// A photo-like JPEG (gradients and texture) of the given size.
    pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            let n = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
            image::Rgb([
                (x * 255 / width.max(1)) as u8 ^ n,
                (y * 255 / height.max(1)) as u8,
                120 + n,
            ])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode a test JPEG");
        out
    }

    /// A busy scene as a camera takes it (foliage, water, a night shot's
    /// grain): gradients under per-pixel noise, which JPEG cannot squeeze.
    pub fn busy_jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            // Grain in 3×3 blocks, so that it survives a phone's halving;
            // a hash of the block: the same picture every run.
            let mut h = (x / 3).wrapping_mul(73_856_093) ^ (y / 3).wrapping_mul(19_349_663);
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
            let grain = |shift: u32| ((h >> shift) & 0x5f) as i32 - 48;
            let base = [
                (x * 200 / width.max(1)) as i32 + 30,
                (y * 180 / height.max(1)) as i32 + 40,
                ((x + y) * 120 / (width + height).max(1)) as i32 + 70,
            ];
            image::Rgb([
                (base[0] + grain(0)).clamp(0, 255) as u8,
                (base[1] + grain(8)).clamp(0, 255) as u8,
                (base[2] + grain(16)).clamp(0, 255) as u8,
            ])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode a test JPEG");
        out
    }

    /// A progressive JPEG, 4:2:0 as cameras write it or 4:4:4 (`full_chroma`).
    pub fn progressive_jpeg(width: u16, height: u16, full_chroma: bool) -> Vec<u8> {
        let pixels: Vec<u8> = (0..usize::from(width) * usize::from(height))
            .flat_map(|i| {
                let (x, y) = (i % usize::from(width), i / usize::from(width));
                [
                    (x * 255 / usize::from(width)) as u8,
                    (y * 255 / usize::from(height)) as u8,
                    ((x ^ y) % 64) as u8 + 90,
                ]
            })
            .collect();
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
        encoder.set_progressive(true);
        let sampling = if full_chroma {
            jpeg_encoder::SamplingFactor::F_1_1
        } else {
            jpeg_encoder::SamplingFactor::F_2_2
        };
        encoder.set_sampling_factor(sampling);
        encoder
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .expect("encode a test JPEG");
        out
    }

    /// `jpeg` with its frame header rewritten to claim `width`×`height`.
    pub fn claiming(mut jpeg: Vec<u8>, width: u16, height: u16) -> Vec<u8> {
        let sof = jpeg
            .windows(2)
            .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0..=0xC2))
            .expect("a frame header");
        jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        jpeg
    }

    /// A JPEG carrying an EXIF block with GPS position (north/east), as a
    /// phone camera writes it, spliced in after the SOI marker.
    pub fn jpeg_with_gps(width: u32, height: u32, lat: f64, lon: f64) -> Vec<u8> {
        let jpeg = jpeg(width, height);
        let exif = exif_gps(lat, lon);
        let mut out = Vec::with_capacity(jpeg.len() + exif.len() + 4);
        out.extend_from_slice(&jpeg[..2]);
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&exif);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    /// `Exif\0\0` + a big-endian TIFF with IFD0 → GPS IFD (refs and
    /// degree/minute/second rationals).
    fn exif_gps(lat: f64, lon: f64) -> Vec<u8> {
        fn dms(v: f64) -> [(u32, u32); 3] {
            let d = v.trunc();
            let m = ((v - d) * 60.0).trunc();
            let s = ((v - d) * 60.0 - m) * 60.0;
            [
                (d as u32, 1),
                (m as u32, 1),
                ((s * 1000.0).round() as u32, 1000),
            ]
        }
        let mut t = Vec::new();
        t.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
        // IFD0 at 8: one entry, GPSInfo (0x8825, LONG) → offset 26.
        t.extend_from_slice(&1u16.to_be_bytes());
        t.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1]);
        t.extend_from_slice(&26u32.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        // GPS IFD at 26: four entries (2 + 4*12 + 4 = 54 bytes), values after it at 80.
        let values_at = 26 + 2 + 4 * 12 + 4;
        t.extend_from_slice(&4u16.to_be_bytes());
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend_from_slice(&tag.to_be_bytes());
            t.extend_from_slice(&kind.to_be_bytes());
            t.extend_from_slice(&count.to_be_bytes());
            t.extend_from_slice(&value);
        };
        entry(&mut t, 1, 2, 2, [b'N', 0, 0, 0]);
        entry(&mut t, 2, 5, 3, (values_at as u32).to_be_bytes());
        entry(&mut t, 3, 2, 2, [b'E', 0, 0, 0]);
        entry(&mut t, 4, 5, 3, (values_at as u32 + 24).to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        for (num, den) in dms(lat).into_iter().chain(dms(lon)) {
            t.extend_from_slice(&num.to_be_bytes());
            t.extend_from_slice(&den.to_be_bytes());
        }
        let mut out = b"Exif\0\0".to_vec();
        out.extend_from_slice(&t);
        out
    }

    /// A PNG whose header claims `width`×`height` pixels, with a tiny body:
    /// a decompression bomb's calling card.
    pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut png, b"IEND", &[]);
        png
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
