//! Class 6: signing in cannot exhaust the server or lock out an account's
//! owner.
//!
//! - A flood of wrong passwords, from as many addresses and at as many
//!   usernames as the attacker likes, costs a bounded amount of memory: the
//!   overflow is answered 503 with `Retry-After`, and the owner's known
//!   browser still gets in during it.
//! - Strangers' failures slow down the strangers: from one address they
//!   meet growing delays, from many the account's untrusted budget runs out,
//!   and neither stops the owner's browser (its device cookie).
//! - The check-and-count is atomic: parallel guesses meet the limit one by
//!   one, on SQLite and PostgreSQL.

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::auth::throttle::{self, Client, FREE_FAILURES, UNTRUSTED_CAP};
use server::db::entities::{audit_log, sign_in_throttle};
use shanshui_tests::{STAFF_PASSWORD, TestApp, db_test};
use shared::Role;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const WRONG: &str = "not the password, only a guess";

/// A browser-like client whose connections come from 127.0.0.`host`.
fn client_at(host: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An admin account (signed in once from 127.0.0.1, which counts for nothing here).
async fn account(app: &TestApp, username: &str) {
    app.staff(username, Role::Admin, None).await;
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Wrong passwords from `client` until `n` have been checked (401) or the
/// server refuses with 429; a 503 (busy) is waited out. Answers the 401s.
async fn guess(client: &reqwest::Client, app: &TestApp, username: &str, n: usize) -> usize {
    let mut wrong = 0;
    while wrong < n {
        let res = app.try_sign_in(client, username, WRONG).await;
        match res.status().as_u16() {
            401 => wrong += 1,
            429 => break,
            503 => tokio::time::sleep(Duration::from_secs(retry_after(&res))).await,
            other => panic!("a guess was answered {other}"),
        }
    }
    wrong
}

async fn audit(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(&app.db)
        .await
        .unwrap()
}

fn kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

async fn strangers_cannot_lock_the_owner_out_of_an_account(app: &TestApp) {
    account(app, "wang.fang").await;
    // The owner signs in once: their browser is recognised from now on.
    let owner = client_at(2);
    let first = app.try_sign_in(&owner, "wang.fang", STAFF_PASSWORD).await;
    assert_eq!(first.status(), 200);
    let device = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("shanshui_device="))
        .unwrap_or_default();

    // Strangers spread over addresses, as many as the account's budget for
    // unrecognised clients allows, each until its own address is slowed.
    let per_address = FREE_FAILURES as usize;
    let addresses = (UNTRUSTED_CAP as usize).div_ceil(per_address);
    let strangers: Vec<_> = (0..addresses).map(|i| client_at(10 + i as u8)).collect();
    let checked: usize = join_all(
        strangers
            .iter()
            .map(|c| guess(c, app, "wang.fang", per_address)),
    )
    .await
    .into_iter()
    .sum();

    // The owner's browser gets in all the same.
    assert_eq!(
        app.try_sign_in(&owner, "wang.fang", STAFF_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        checked, UNTRUSTED_CAP as usize,
        "every stranger's guess up to the budget was checked"
    );

    // The budget is spent: a new address is refused even with the right
    // password, so a guesser with many addresses is stopped too (ASVS 2.2.1).
    let new_address = app
        .try_sign_in(&client_at(60), "wang.fang", STAFF_PASSWORD)
        .await;
    assert_eq!(new_address.status(), 429);
    assert!(retry_after(&new_address) > 60, "until the hour is over");
    let with_cookie = |host: u8, cookie: &str, username: &str, password: &str| {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
            .build()
            .unwrap()
            .post(app.url("/api/v1/session"))
            .header("cookie", cookie.to_owned())
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    // A forged device cookie is no way round it.
    let forged =
        "shanshui_device=AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        with_cookie(61, forged, "wang.fang", STAFF_PASSWORD)
            .await
            .unwrap()
            .status(),
        429
    );

    // The owner's cookie works from an address the strangers have worn out…
    for attr in [
        "Path=/api/v1/session",
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=",
    ] {
        assert!(device.contains(attr), "{attr} in {device}");
    }
    let device = device.split(';').next().unwrap().to_owned();
    let from_worn_address = with_cookie(10, &device, "wang.fang", STAFF_PASSWORD)
        .await
        .unwrap();
    assert_eq!(from_worn_address.status(), 200);
    // …and only for the owner's account: at another one it counts for nothing.
    account(app, "li.na").await;
    assert_eq!(
        with_cookie(10, &device, "li.na", WRONG)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        stored(app, "li.na", "ip:127.0.0.10").await,
        1,
        "counted as the address it came from"
    );

    // The audit log was told when throttling started: once per worn-out
    // address, and once when the untrusted budget ran out.
    let alerts = audit(app, "session.sign_in_throttled").await;
    assert!(alerts.iter().all(|a| a.object_id == "wang.fang"));
    assert_eq!(alerts.len(), addresses + 1, "{alerts:?}");
    assert!(alerts.iter().any(|a| {
        a.detail
            .as_deref()
            .unwrap_or_default()
            .contains("unrecognised clients")
    }));
    assert_eq!(
        audit(app, "session.sign_in_failed").await.len(),
        UNTRUSTED_CAP as usize + 1
    );
}
db_test!(strangers_cannot_lock_the_owner_out_of_an_account);

async fn forty_parallel_guesses_meet_the_limit_one_by_one(app: &TestApp) {
    account(app, "zhao.lei").await;
    // From one address, all at once: only the free budget is checked.
    let client = client_at(20);
    let answers = join_all((0..40).map(|_| app.try_sign_in(&client, "zhao.lei", WRONG))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    assert!(
        checked <= FREE_FAILURES as usize,
        "{checked} guesses were checked: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 429 | 503)),
        "{statuses:?}"
    );
    assert_eq!(audit(app, "session.sign_in_failed").await.len(), checked);

    // The same in the store itself, on this database: forty parallel
    // reservations for one address, and sixty from sixty addresses on
    // another account, each counted exactly once.
    let now = chrono::Utc::now();
    let address = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    let won = join_all(
        (0..40).map(|_| throttle::reserve(&app.db, "sun.li", Client::Address(address), now)),
    )
    .await;
    let won = won
        .into_iter()
        .map(|r| r.unwrap())
        .filter(Result::is_ok)
        .count();
    assert!(won <= FREE_FAILURES as usize, "{won}");
    assert_eq!(
        stored(app, "sun.li", &format!("ip:{address}")).await,
        won as i32,
        "no reservation lost"
    );
    assert_eq!(
        stored(app, "sun.li", "untrusted").await,
        won as i32,
        "refused ones handed their slot back"
    );

    let won = join_all((0..60u8).map(|i| {
        let ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, i));
        throttle::reserve(&app.db, "chen.jing", Client::Address(ip), now)
    }))
    .await;
    let mut won = won
        .into_iter()
        .map(|r| r.unwrap())
        .filter(Result::is_ok)
        .count();
    assert!(won <= UNTRUSTED_CAP as usize, "{won}");
    // Contended attempts may have been refused for a moment; one by one,
    // exactly the rest of the budget is left.
    for i in 60..200u8 {
        let ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, i));
        match throttle::reserve(&app.db, "chen.jing", Client::Address(ip), now)
            .await
            .unwrap()
        {
            Ok(_) => won += 1,
            Err(refused) => {
                assert!(refused.retry_after_secs > 60, "the hour's budget is spent");
                break;
            }
        }
    }
    assert_eq!(won, UNTRUSTED_CAP as usize);
    assert_eq!(stored(app, "chen.jing", "untrusted").await, UNTRUSTED_CAP);
}
db_test!(forty_parallel_guesses_meet_the_limit_one_by_one);

async fn stored(app: &TestApp, username: &str, lane: &str) -> i32 {
    sign_in_throttle::Entity::find_by_id((username.to_owned(), lane.to_owned()))
        .one(&app.db)
        .await
        .unwrap()
        .map(|r| r.failures)
        .unwrap_or(0)
}

async fn a_flood_of_wrong_passwords_is_bounded_and_the_owner_still_gets_in(app: &TestApp) {
    account(app, "zhou.min").await;
    let owner = client_at(2);
    assert_eq!(
        app.try_sign_in(&owner, "zhou.min", STAFF_PASSWORD)
            .await
            .status(),
        200
    );
    // 200 clients, 200 addresses, 200 usernames (unknown ones cost a hash
    // all the same): no per-address or per-account limit stops any of them.
    let clients: Vec<_> = (0..200).map(|i| client_at(10 + i as u8)).collect();
    let before = kb("VmHWM").max(kb("VmRSS"));
    let flood = join_all(clients.iter().enumerate().map(|(i, c)| async move {
        let res = app.try_sign_in(c, &format!("guess.{i}"), WRONG).await;
        let status = res.status().as_u16();
        if status == 503 {
            assert!(
                (1..=5).contains(&retry_after(&res)),
                "503 says when to come back"
            );
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "busy");
        }
        status
    }));
    let owner_during = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        app.try_sign_in(&owner, "zhou.min", STAFF_PASSWORD)
            .await
            .status()
            .as_u16()
    };
    let (statuses, owner_status) = tokio::join!(flood, owner_during);
    let grown_mb = kb("VmHWM").saturating_sub(before) / 1024;

    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    let busy = statuses.iter().filter(|&&s| s == 503).count();
    eprintln!("{busy} of 200 refused as busy; the peak RSS grew by {grown_mb} MB");
    assert!(
        busy > 0,
        "the hashing that runs at once is bounded: the overflow is refused"
    );
    assert_eq!(
        owner_status, 200,
        "the owner's recognised browser gets in during the flood"
    );
    // Each check holds 19 MiB: unbounded, 200 of them took gigabytes. Now
    // one buffer per slot (a slot per core, one more for recognised
    // browsers), reused. Only measurable when the test has its process to
    // itself (nextest runs each test in its own).
    let slots = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(2);
    if std::env::var_os("NEXTEST").is_some() {
        assert!(
            grown_mb < (slots + 1) * 20 + 100,
            "the peak grew by {grown_mb} MB"
        );
    }
    // Nothing was counted for the refused ones: they may come back.
    let refused = statuses.iter().position(|&s| s == 503).unwrap();
    let again = app
        .try_sign_in(&clients[refused], &format!("guess.{refused}"), WRONG)
        .await;
    assert!(
        matches!(again.status().as_u16(), 401 | 503),
        "{}",
        again.status()
    );
}
db_test!(a_flood_of_wrong_passwords_is_bounded_and_the_owner_still_gets_in);
