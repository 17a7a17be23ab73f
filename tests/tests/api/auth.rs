use serde_json::json;
use shanshui_tests::{Backend, TestApp};
use shared::Role;

const PASSWORD: &str = "长江边的巴南区山水2026";

async fn staff(app: &TestApp, username: &str, role: Role, department: Option<&str>) {
    let new = server::users::NewUser {
        username: username.to_owned(),
        role,
        department: department.map(str::to_owned),
        password: PASSWORD.to_owned(),
    };
    server::users::create(&app.db, new, "test", app.clock.now())
        .await
        .unwrap();
}

async fn staff_sign_in_opens_a_session_that_sign_out_ends(app: &TestApp) {
    staff(app, "zhang.wei", Role::Handler, Some("environment")).await;
    assert_eq!(app.get("/api/v1/session").await.status(), 401);

    let res = app.try_sign_in(&app.client, "Zhang.Wei ", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("shanshui_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert!(token.len() >= 43, "256 random bits: {token}");
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        me,
        json!({ "username": "zhang.wei", "role": "handler", "department": "environment" })
    );

    let me: serde_json::Value = app.get("/api/v1/session").await.json().await.unwrap();
    assert_eq!(me["username"], "zhang.wei");

    let out = app
        .client
        .delete(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(app.get("/api/v1/session").await.status(), 401);
    // The old token is dead on the server, not only forgotten by the client.
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/session"))
        .header("cookie", format!("shanshui_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}
shanshui_tests::demo_test!(staff_sign_in_opens_a_session_that_sign_out_ends);

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(app: &TestApp) {
    staff(app, "li.na", Role::Dispatcher, None).await;
    let fresh = reqwest::Client::new();
    let wrong = app
        .try_sign_in(&fresh, "li.na", "not the password at all")
        .await;
    let unknown = app.try_sign_in(&fresh, "nobody.here", PASSWORD).await;
    assert_eq!(
        (wrong.status().as_u16(), unknown.status().as_u16()),
        (401, 401)
    );
    assert!(wrong.headers().get("set-cookie").is_none());
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());

    let not_json = fresh
        .post(app.url("/api/v1/session"))
        .body("username=li.na")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    let missing = fresh
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": "li.na" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
    assert_eq!(
        missing.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "invalid_body"
    );
    let broken = fresh
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
}
shanshui_tests::demo_test!(a_wrong_password_and_an_unknown_user_get_the_same_answer);

async fn repeated_failures_slow_down_the_client_that_makes_them_even_against_the_right_password(
    app: &TestApp,
) {
    // The delays are a second or two: the server's time stands still, so
    // that a loaded machine's slow password checks cannot outlast them.
    app.clock.stop();
    staff(app, "wang.fang", Role::Reviewer, None).await;
    let fresh = reqwest::Client::new();
    for _ in 0..5 {
        assert_eq!(
            app.try_sign_in(&fresh, "wang.fang", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    let slowed = app.try_sign_in(&fresh, "wang.fang", PASSWORD).await;
    assert_eq!(slowed.status(), 429);
    let retry: u64 = slowed.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1, "the first delay is a second");
    // The account's owner, from another address, is not slowed by them.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    assert_eq!(
        app.try_sign_in(&elsewhere, "wang.fang", PASSWORD)
            .await
            .status(),
        200
    );
    // After the wait (the server's clock moved past it), one more guess is
    // checked; then the wait is longer.
    app.clock
        .advance(chrono::Duration::milliseconds(retry as i64 * 1000 + 100));
    assert_eq!(
        app.try_sign_in(&fresh, "wang.fang", "guess guess guess")
            .await
            .status(),
        401
    );
    let slower = app.try_sign_in(&fresh, "wang.fang", PASSWORD).await;
    assert_eq!(slower.status(), 429);
    // Another account is not affected.
    staff(app, "zhao.lei", Role::Finance, None).await;
    assert_eq!(
        app.try_sign_in(&fresh, "zhao.lei", PASSWORD).await.status(),
        200
    );

    let count = async |action: &str| {
        server::db::entities::audit_log::Entity::find()
            .filter(server::db::entities::audit_log::Column::Action.eq(action))
            .count(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(
        count("session.sign_in_failed").await,
        6,
        "each failure is in the audit log"
    );
    assert_eq!(
        count("session.sign_in_throttled").await,
        1,
        "and so is the start of the delays"
    );
}
shanshui_tests::demo_test!(
    repeated_failures_slow_down_the_client_that_makes_them_even_against_the_right_password
);

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn a_session_survives_a_restart_and_works_on_another_replica(app: &TestApp) {
    staff(app, "chen.jing", Role::Auditor, None).await;
    assert_eq!(
        app.try_sign_in(&app.client, "chen.jing", PASSWORD)
            .await
            .status(),
        200
    );
    // A second server on the same database: a replica, or this one restarted.
    let settings = shanshui_tests::test_settings(app.data_dir.clone(), database_url(app));
    let replica = server::Application::build(settings).await.unwrap();
    let addr = replica.local_addr();
    let task =
        tokio::spawn(replica.run_until(tokio::time::sleep(std::time::Duration::from_secs(20))));
    let cookie = app
        .client
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 200);
    let on_replica = app
        .client
        .get(format!("http://{addr}/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_replica.status(),
        200,
        "the cookie works on the other server"
    );
    task.abort();
}
shanshui_tests::demo_test!(a_session_survives_a_restart_and_works_on_another_replica);

fn database_url(app: &TestApp) -> String {
    app.database_url.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_expires() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let idle = server::auth::session::SessionPolicy::default().idle;
    staff(&app, "sun.li", Role::Admin, None).await;
    assert_eq!(
        app.try_sign_in(&app.client, "sun.li", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/session").await.status(), 200);
    // Each request within the idle time keeps the session alive…
    for _ in 0..3 {
        app.clock.advance(idle - chrono::Duration::minutes(1));
        assert_eq!(app.get("/api/v1/session").await.status(), 200);
    }
    // …and one after it finds the session ended.
    app.clock.advance(idle + chrono::Duration::seconds(1));
    assert_eq!(app.get("/api/v1/session").await.status(), 401);
    app.shutdown().await;
}

async fn a_cross_site_sign_in_is_refused(app: &TestApp) {
    staff(app, "zhou.min", Role::Dispatcher, None).await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "username": "zhou.min", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
}
shanshui_tests::demo_test!(a_cross_site_sign_in_is_refused);
