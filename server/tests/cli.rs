//! The `shanshui` binary as an operator meets it: subcommands, settings from
//! flags and environment, exit codes, and a clean stop on SIGTERM.

// A test's panic is its failure report: `unwrap`/`expect`, denied in the
// server's code (a request must never panic), are how these tests assert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait};
use server::db::entities::{api_key, app_user, area, department};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn shanshui(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shanshui"));
    c.env_remove("DATABASE_URL")
        .env_remove("SHANSHUI_PASSWORD")
        .env_remove("SHANSHUI_BIND")
        .env("SHANSHUI_DATA_DIR", data_dir)
        .env("RUST_LOG", "info");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("shanshui runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}/shanshui.db", data_dir.display())
}

#[test]
fn an_unknown_subcommand_or_flag_prints_usage_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["frobnicate"][..], &["serve", "--no-such-flag"], &[]] {
        let out = run(shanshui(dir.path()).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("Usage"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_bad_setting_stops_the_start_with_a_clear_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (&["serve", "--bind", "not-an-address"], "invalid value"),
        (
            &["serve", "--submit-burst", "0"],
            "rate limits must be at least 1",
        ),
        (
            &["serve", "--upload-budget-mb", "16"],
            "--upload-budget-mb must be at least 48",
        ),
        (
            &["serve", "--decode-budget-mb", "64"],
            "--decode-budget-mb must be at least 160",
        ),
        (&["serve", "--track-every-secs", "soon"], "invalid value"),
        (
            &[
                "migrate",
                "--database-url",
                "mysql://root:hunter2@127.0.0.1/x",
            ],
            "unsupported database URL",
        ),
        // Nothing listens on port 1: the database cannot be opened.
        (
            &[
                "migrate",
                "--database-url",
                "postgres://nobody:pw@127.0.0.1:1/x",
            ],
            "cannot open the database",
        ),
        (
            &["serve", "--photo-store", "/srv/photos"],
            "--photo-store / SHANSHUI_PHOTO_STORE: must be s3://bucket",
        ),
        // Nothing listens on port 1: the photo store cannot be reached.
        (
            &["serve", "--photo-store", "s3://shanshui-photos/banan"],
            "the photo store s3://shanshui-photos/banan does not work",
        ),
    ];
    for (args, expected) in cases {
        let out = run(shanshui(dir.path())
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "shanshui-tests")
            .env("AWS_SECRET_ACCESS_KEY", "hunter2"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("hunter2") && !stderr(&out).contains(":pw@"),
            "no password in messages"
        );
    }
}

#[test]
fn migrate_creates_a_wal_sqlite_database_in_the_data_directory_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let out = run(shanshui(&data).arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("shanshui.db").exists());
    let mode = tokio_block(async {
        let db = Database::connect(sqlite_url(&data)).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    });
    assert_eq!(mode, "wal");
}

#[test]
fn user_create_stores_an_argon2id_hash_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let demo = run(shanshui(data)
        .args(["demo", "--cases", "0"])
        .env("SHANSHUI_DEMO_PASSWORD", "demo password 2026"));
    assert!(demo.status.success());
    assert!(
        stderr(&demo).contains("demo staff accounts admin, dispatcher, handler, reviewer, auditor"),
        "{}",
        stderr(&demo)
    );
    let again = run(shanshui(data).args(["demo", "--cases", "0"]));
    assert!(
        !stderr(&again).contains("demo staff"),
        "only on an empty database"
    );

    let no_password = run(shanshui(data).args([
        "user",
        "create",
        "--username",
        "li.na",
        "--role",
        "dispatcher",
    ]));
    assert_eq!(no_password.status.code(), Some(2));
    assert!(stderr(&no_password).contains("SHANSHUI_PASSWORD"));

    let short = run(shanshui(data)
        .args([
            "user",
            "create",
            "--username",
            "li.na",
            "--role",
            "dispatcher",
        ])
        .env("SHANSHUI_PASSWORD", "short"));
    assert_eq!(short.status.code(), Some(2));
    assert!(stderr(&short).contains("at least 12"));

    let bad_role = run(shanshui(data)
        .args(["user", "create", "--username", "li.na", "--role", "boss"])
        .env("SHANSHUI_PASSWORD", "a long enough pass"));
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(
        stderr(&bad_role).contains("reward_reviewer"),
        "lists the roles"
    );

    let handler_without_department = run(shanshui(data)
        .args([
            "user",
            "create",
            "--username",
            "zhang.wei",
            "--role",
            "handler",
        ])
        .env("SHANSHUI_PASSWORD", "a long enough pass"));
    assert_eq!(handler_without_department.status.code(), Some(2));
    assert!(stderr(&handler_without_department).contains("--department"));

    let ok = run(shanshui(data)
        .args([
            "user",
            "create",
            "--username",
            "zhang.wei",
            "--role",
            "handler",
            "--department",
            "environment",
        ])
        .env("SHANSHUI_PASSWORD", "a long enough pass"));
    assert!(ok.status.success(), "{}", stderr(&ok));

    let again = run(shanshui(data)
        .args([
            "user",
            "create",
            "--username",
            "zhang.wei",
            "--role",
            "handler",
            "--department",
            "environment",
        ])
        .env("SHANSHUI_PASSWORD", "a long enough pass"));
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("taken"));

    let users = tokio_block(async {
        let db = Database::connect(sqlite_url(data)).await.unwrap();
        app_user::Entity::find().all(&db).await.unwrap()
    });
    let created: Vec<_> = users.iter().filter(|u| u.username == "zhang.wei").collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].role, "handler");
    assert!(created[0].password_hash.starts_with("$argon2id$"));
    assert!(!created[0].password_hash.contains("a long enough pass"));
    assert!(server::users::password::verify(
        "a long enough pass",
        &created[0].password_hash
    ));
    assert_eq!(users.len(), 6, "the five demo accounts and this one");
}

#[test]
fn api_key_create_prints_the_key_alone_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        run(shanshui(dir.path()).args(["api-key", "create", "--name", "12345 hotline bridge"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.strip_suffix('\n').unwrap();
    assert!(
        !key.contains('\n') && key.starts_with("ss_") && key.len() == 44,
        "{stdout:?}"
    );

    let rows = tokio_block(async {
        let db = Database::connect(sqlite_url(dir.path())).await.unwrap();
        let rows = api_key::Entity::find().all(&db).await.unwrap();
        let found = server::api_keys::verify(&db, key).await.unwrap();
        let wrong = server::api_keys::verify(&db, &format!("{}x", &key[..43]))
            .await
            .unwrap();
        assert!(found.is_some() && wrong.is_none());
        rows
    });
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "12345 hotline bridge");
    assert_ne!(rows[0].key_hash, key);
    assert_eq!(rows[0].key_hash.len(), 64, "a SHA-256 in hex");
}

#[test]
fn a_platform_key_prints_its_signing_secret_and_keeps_its_scope_and_callback() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(shanshui(dir.path()).args([
        "api-key",
        "create",
        "--name",
        "12345 platform",
        "--scope",
        "platform_12345",
        "--callback-url",
        "https://12345.example.cn/shanshui/callback",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout:?}");
    assert!(lines[0].starts_with("ss_"));
    assert!(
        lines[1].len() == 64 && lines[1].chars().all(|c| c.is_ascii_hexdigit()),
        "{stdout:?}"
    );
    let rows = tokio_block(async {
        let db = Database::connect(sqlite_url(dir.path())).await.unwrap();
        api_key::Entity::find().all(&db).await.unwrap()
    });
    assert_eq!(rows[0].scope, "platform_12345");
    assert_eq!(
        rows[0].callback_url.as_deref(),
        Some("https://12345.example.cn/shanshui/callback")
    );

    // A callback on the server's own network is refused, and nothing made.
    let out = run(shanshui(dir.path()).args([
        "api-key",
        "create",
        "--name",
        "inside",
        "--callback-url",
        "http://127.0.0.1:9/hook",
    ]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("callback URL"), "{}", stderr(&out));
    let out =
        run(shanshui(dir.path()).args(["api-key", "create", "--name", "x", "--scope", "all"]));
    assert!(!out.status.success());
    let rows = tokio_block(async {
        let db = Database::connect(sqlite_url(dir.path())).await.unwrap();
        api_key::Entity::find().all(&db).await.unwrap()
    });
    assert_eq!(rows.len(), 1);
}

#[test]
fn demo_loads_the_district_once_however_often_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let out = run(shanshui(dir.path()).args(["demo", "--cases", "40"]));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("approximations"));
        // The invented cases are filed once, on a database without cases.
        assert_eq!(
            stderr(&out).contains("40 demo cases ("),
            round == 0,
            "{}",
            stderr(&out)
        );
    }
    let (areas, departments, cases) = tokio_block(async {
        let db = Database::connect(sqlite_url(dir.path())).await.unwrap();
        (
            area::Entity::find().count(&db).await.unwrap(),
            department::Entity::find().count(&db).await.unwrap(),
            server::db::entities::case::Entity::find()
                .count(&db)
                .await
                .unwrap(),
        )
    });
    assert_eq!((areas, departments, cases), (22, 32, 40));
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = shanshui(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("SHANSHUI_SITE_ROOT", dir.path().join("no-site"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(line) = http_get(port, "/readyz") {
            break line;
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(exit.success(), "{exit:?}\n{log}");
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}

/// The status line of a GET, or None while nothing listens.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.lines().next().map(str::to_owned)
}

fn tokio_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
