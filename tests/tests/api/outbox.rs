//! The webhook outbox: a department's receiver that is down, then up, gets
//! every notification exactly once, even with two workers sending.

use serde_json::json;
use shanshui_tests::{TestApp, file_report};
use shared::Role;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) key: String,
    pub(crate) event: String,
    pub(crate) signature: String,
    pub(crate) body: String,
}

/// A minimal HTTP receiver: records each request's idempotency key, event
/// and body, answers 200.
pub(crate) fn receive(
    listener: TcpListener,
    hits: Arc<Mutex<Vec<Hit>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let hits = hits.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        break (i + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.trim()
                                .eq_ignore_ascii_case(name)
                                .then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                hits.lock().unwrap().push(Hit {
                    key: header("idempotency-key"),
                    event: header("x-shanshui-event"),
                    signature: header("x-shanshui-signature"),
                    body: String::from_utf8_lossy(&buf[head_end..]).to_string(),
                });
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    })
}

async fn undelivered(app: &TestApp) -> Vec<server::db::entities::webhook_outbox::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    server::db::entities::webhook_outbox::Entity::find()
        .filter(server::db::entities::webhook_outbox::Column::DeliveredAt.is_null())
        .all(&app.db)
        .await
        .unwrap()
}

async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn a_receiver_that_is_down_then_up_gets_each_notification_once(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    // A port nobody listens on (yet).
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = format!("http://127.0.0.1:{port}/shanshui");
    let (status, body) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/departments/housing_construction",
            json!({ "webhook_url": hook }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/departments/urban_management",
            json!({ "webhook_url": "ftp://nope" }),
        )
        .await;
    assert_eq!(status, 422);

    let mut codes = Vec::new();
    for _ in 0..3 {
        let (code, _) = file_report(
            app,
            "noise_construction",
            29.3752,
            106.5101,
            &[("name", "王小明"), ("phone", "13812345678")],
        )
        .await;
        codes.push(code);
    }
    // Reports to a department without a webhook queue nothing.
    file_report(app, "dust_road", 29.3752, 106.5101, &[]).await;
    assert_eq!(undelivered(app).await.len(), 3);

    eventually("every notification has failed three times", async || {
        undelivered(app).await.iter().all(|m| m.attempts >= 3)
    })
    .await;
    let (status, failing) = dispatcher.get("/api/v1/outbox").await;
    assert_eq!(status, 200);
    assert_eq!(failing.as_array().unwrap().len(), 3, "{failing}");
    assert!(
        failing[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("connect"),
        "{failing}"
    );

    // A second worker on the same database, as another replica (or the
    // server after a restart) runs one: the rows are claimed, never sent twice.
    let replica = {
        let db = app.db.clone();
        let settings =
            shanshui_tests::test_settings(app.data_dir.clone(), app.database_url.clone());
        let policy = settings.outbox;
        let clock = app.clock.clone();
        // The same deployment secret, so the same signatures.
        let pii = server::privacy::cipher::PiiCipher::load_or_create(&app.data_dir).unwrap();
        let signer =
            server::outbox::WebhookSigner::new(pii.derive_key(server::outbox::SIGNING_KEY_LABEL));
        tokio::spawn(async move {
            let client =
                server::egress::WebhookClient::new(settings.webhook_allow, policy.request_timeout)
                    .unwrap();
            loop {
                let _ = server::outbox::deliver_due(&db, &client, &policy, &signer, &clock).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let hits = Arc::new(Mutex::new(Vec::new()));
    let receiver = receive(
        TcpListener::bind(("127.0.0.1", port)).await.unwrap(),
        hits.clone(),
    );
    eventually("every notification is delivered", async || {
        undelivered(app).await.is_empty()
    })
    .await;
    replica.abort();
    // Time for any duplicate to arrive.
    tokio::time::sleep(Duration::from_millis(600)).await;
    receiver.abort();

    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 3, "none twice: {hits:?}");
    let mut keys: Vec<&str> = hits.iter().map(|h| h.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "each with its own idempotency key");
    for code in &codes {
        let hit = hits
            .iter()
            .find(|h| h.body.contains(code.as_str()))
            .expect("a notification per case");
        assert_eq!(hit.event, "case.routed");
        let body: serde_json::Value = serde_json::from_str(&hit.body).unwrap();
        assert_eq!(
            (body["department"].as_str(), body["category"].as_str()),
            (Some("housing_construction"), Some("noise_construction"))
        );
        assert!(
            !hit.body.contains("王小明") && !hit.body.contains("13812345678"),
            "nothing personal: {}",
            hit.body
        );
    }
    let (_, failing) = dispatcher.get("/api/v1/outbox").await;
    assert_eq!(failing, json!([]));

    // Each notification is signed with the department's secret, which only
    // an admin can read (and the reading is audited).
    let (status, _) = dispatcher
        .get("/api/v1/departments/housing_construction/webhook-secret")
        .await;
    assert_eq!(status, 403);
    let (status, _) = admin
        .get("/api/v1/departments/no_such_department/webhook-secret")
        .await;
    assert_eq!(status, 404);
    let (status, secret) = admin
        .get("/api/v1/departments/housing_construction/webhook-secret")
        .await;
    assert_eq!(status, 200, "{secret}");
    assert_eq!(secret["header"], "x-shanshui-signature");
    let secret = secret["secret"].as_str().unwrap().to_owned();
    let (_, other) = admin
        .get("/api/v1/departments/urban_management/webhook-secret")
        .await;
    assert_ne!(
        other["secret"].as_str(),
        Some(secret.as_str()),
        "each department its own secret"
    );
    for hit in &hits {
        assert!(verifies(&hit.signature, &hit.body, &secret), "{hit:?}");
        assert!(
            !verifies(&hit.signature, &hit.body.replace("noise", "quiet"), &secret),
            "a changed body fails"
        );
        assert!(
            !verifies(&hit.signature, &hit.body, other["secret"].as_str().unwrap()),
            "another's secret fails"
        );
    }
}

/// What a receiver does: recompute HMAC-SHA-256 of "t.body" under the
/// secret's text and compare, and refuse a stale time.
pub(crate) fn verifies(header: &str, body: &str, secret: &str) -> bool {
    use hmac::Mac;
    let Some((t, v1)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(at) = t.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - at).abs() > 300 {
        return false;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let Ok(given) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&given).is_ok()
}
shanshui_tests::demo_test!(a_receiver_that_is_down_then_up_gets_each_notification_once);

/// Every change of state goes out as `case.updated` to the departments
/// holding the case, in order, after the routing notice: the state it left
/// and the one it is in, and once the reply is approved (办结) the finding,
/// reply and measures — never the reporter's name, phone or words.
async fn every_change_of_state_is_pushed_out_as_case_updated(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(Vec::new()));
    let receiver = receive(listener, hits.clone());
    let (status, body) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/departments/housing_construction",
            json!({ "webhook_url": hook }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (code, _) = file_report(
        app,
        "noise_construction",
        29.3752,
        106.5101,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    for (staff, step) in [
        (&handler, json!({ "action": "accept" })),
        (
            &handler,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        ),
        (
            &handler,
            json!({ "action": "draft_reply", "finding": "substantiated",
                "reply": "经查属实，已责令停止夜间施工。", "actions_taken": "责令整改" }),
        ),
        (&reviewer, json!({ "action": "approve_reply" })),
    ] {
        let (status, body) = staff.act(&code, step.clone()).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    // A step that changes no state (an internal note) sends nothing.
    let (status, _) = handler
        .post(
            &format!("/api/v1/cases/{code}/notes"),
            json!({ "body": "明早再去一次现场" }),
        )
        .await;
    assert_eq!(status, 201);

    eventually("every notification is delivered", async || {
        undelivered(app).await.is_empty() && hits.lock().unwrap().len() >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.abort();
    let hits = hits.lock().unwrap().clone();
    let mut seen: Vec<(String, serde_json::Value)> = hits
        .iter()
        .map(|h| (h.event.clone(), serde_json::from_str(&h.body).unwrap()))
        .collect();
    // Sent in the order they were written: by time, then by row.
    seen.sort_by_key(|(_, b)| {
        b["state"].as_str().map(|s| {
            [
                "submitted",
                "accepted",
                "investigating",
                "reply_review",
                "closed",
            ]
            .iter()
            .position(|x| *x == s)
        })
    });
    let steps: Vec<(String, Option<&str>, &str)> = seen
        .iter()
        .map(|(e, b)| {
            (
                e.clone(),
                b["previous_state"].as_str(),
                b["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("case.routed".to_owned(), None, "submitted"),
            ("case.updated".to_owned(), Some("submitted"), "accepted"),
            ("case.updated".to_owned(), Some("accepted"), "investigating"),
            (
                "case.updated".to_owned(),
                Some("investigating"),
                "reply_review"
            ),
            ("case.updated".to_owned(), Some("reply_review"), "closed"),
        ],
        "{hits:?}"
    );
    for (_, body) in &seen {
        assert_eq!(body["case"], code.as_str());
        assert_eq!(body["channel"], "web");
        assert_eq!(
            body["outcome"].is_object(),
            body["state"] == "closed",
            "the outcome only once approved: {body}"
        );
    }
    let closed = &seen.last().unwrap().1;
    assert_eq!(closed["outcome"]["finding"], "substantiated");
    assert_eq!(closed["outcome"]["reply"], "经查属实，已责令停止夜间施工。");
    for hit in &hits {
        for private in ["王小明", "13812345678", "every night", "明早"] {
            assert!(!hit.body.contains(private), "{private} in {}", hit.body);
        }
    }
}
shanshui_tests::demo_test!(every_change_of_state_is_pushed_out_as_case_updated);
