//! Class 7: webhooks cannot be aimed at the server's own network (SSRF).
//! An admin sets a department's `webhook_url`; the outbox worker then POSTs
//! signed notifications there. Aimed at loopback, link-local (the cloud
//! metadata endpoint) or a private range the deployment did not allow, it
//! must send nothing, whatever spelling of the address or name is used; and
//! `last_error` must not tell a closed port from a silent one.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::db::entities::{case, department, webhook_outbox};
use shanshui_tests::{Backend, Staff, TestApp, file_report};
use shared::Role;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DEPARTMENT: &str = "housing_construction";
const CATEGORY: &str = "noise_construction";

/// What a listener does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Reads the request and answers these bytes.
    Answer(&'static str),
    /// Closes at once (a reset).
    Drop,
    /// Accepts and never answers (a timeout).
    Hold,
}

/// A listener that counts the connections it accepts.
fn listen(listener: TcpListener, behaviour: Behaviour) -> Arc<AtomicUsize> {
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                match behaviour {
                    Behaviour::Drop => {}
                    Behaviour::Hold => tokio::time::sleep(Duration::from_secs(60)).await,
                    Behaviour::Answer(response) => {
                        let mut buf = [0u8; 8192];
                        let _ = socket.read(&mut buf).await;
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                }
            });
        }
    });
    accepted
}

async fn bind(addr: &str) -> (TcpListener, u16) {
    let listener = TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    bind("127.0.0.1:0").await.1
}

/// Sets the department's webhook as an admin does (`PATCH`).
async fn set_webhook(admin: &Staff, url: &str) -> (u16, serde_json::Value) {
    let path = format!("/api/v1/departments/{DEPARTMENT}");
    admin
        .send(reqwest::Method::PATCH, &path, json!({ "webhook_url": url }))
        .await
}

/// Stores the address the way one set before this rule existed (or by
/// anything but the API) would be: the send-time check must hold alone.
async fn store_webhook(app: &TestApp, url: &str) {
    department::Entity::update_many()
        .col_expr(
            department::Column::WebhookUrl,
            Expr::value(Some(url.to_owned())),
        )
        .filter(department::Column::Code.eq(DEPARTMENT))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Files a report routed to the department, waits until its notification
/// has been tried `attempts` times, and answers its `last_error`.
async fn notify_and_read_error(app: &TestApp, attempts: i32) -> String {
    let (code, _) = file_report(app, CATEGORY, 29.3752, 106.5101, &[]).await;
    let case = case::Entity::find()
        .filter(case::Column::Code.eq(code.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for _ in 0..600 {
        let row = webhook_outbox::Entity::find()
            .filter(webhook_outbox::Column::CaseId.eq(case.id))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a notification is queued");
        assert!(row.delivered_at.is_none(), "{code} was delivered");
        if row.attempts >= attempts {
            return row.last_error.unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the notification of {code} was not tried {attempts} times");
}

/// Runs `test` on a server with the default settings' allow list: empty.
async fn with_empty_allow_list(backend: Backend, test: impl AsyncFnOnce(&TestApp)) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.webhook_allow = Default::default()).await
    else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    app.load_demo().await;
    test(&app).await;
    app.shutdown().await;
}

macro_rules! empty_allow_list_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::with_empty_allow_list(shanshui_tests::Backend::Sqlite, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::with_empty_allow_list(shanshui_tests::Backend::Postgres, super::$name).await
            }
        }
    };
}

/// Every spelling of an address on the server's own network, with `port` for
/// the loopback ones.
fn own_network(port: u16, port6: u16) -> Vec<String> {
    [
        format!("http://127.0.0.1:{port}/internal-admin"),
        format!("http://127.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://[::1]:{port6}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[::127.0.0.1]:{port}/"),
        format!("http://[64:ff9b::127.0.0.1]:{port}/"),
        format!("http://[2002:7f00:1::]:{port}/"),
        // Linux connects 0.0.0.0 and :: to the local host.
        format!("http://0.0.0.0:{port}/"),
        format!("http://0:{port}/"),
        format!("http://[::]:{port6}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:169.254.169.254]/latest/meta-data/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://172.16.0.1/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://100.64.0.1/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://224.0.0.1/".to_owned(),
        "http://255.255.255.255/".to_owned(),
    ]
    .into()
}

async fn an_admin_cannot_aim_a_webhook_at_the_servers_own_network(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let set = async |url: &str| set_webhook(&admin, url).await;
    let (status, _) = set("https://hooks.example.org/shanshui").await;
    assert_eq!(status, 200, "a public address is fine");

    let malformed = [
        "ftp://example.org/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "http://user:pw@example.org/",
    ];
    for url in own_network(8080, 8080)
        .iter()
        .map(String::as_str)
        .chain(malformed)
    {
        let (status, body) = set(url).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed", "{url}: {body}");
        assert_eq!(
            body["error"]["fields"]["webhook_url"]["code"], "invalid",
            "{url}: {body}"
        );
        let message = body["error"]["fields"]["webhook_url"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(!message.is_empty(), "{url}: {body}");
    }
    let (_, message) = set("http://10.1.2.3/hook").await;
    assert!(
        message["error"]["fields"]["webhook_url"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("--webhook-allow"),
        "{message}"
    );
    let (_, departments) = admin.get("/api/v1/admin/departments").await;
    let ours = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == DEPARTMENT)
        .unwrap();
    assert_eq!(
        ours["webhook_url"], "https://hooks.example.org/shanshui",
        "nothing changed"
    );
}
empty_allow_list_test!(an_admin_cannot_aim_a_webhook_at_the_servers_own_network);

async fn a_stored_webhook_on_the_servers_own_network_is_never_sent(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (trap, port) = bind("127.0.0.1:0").await;
    let hits = listen(
        trap,
        Behaviour::Answer("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    );
    let (trap6, port6) = bind("[::1]:0").await;
    let hits6 = listen(
        trap6,
        Behaviour::Answer("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    );
    let closed = closed_port().await;

    let mut errors = Vec::new();
    // Names are only resolved when sent, so the API takes them; the
    // resolver refuses what they lead to.
    for url in [
        format!("http://localhost:{port}/"),
        format!("https://localhost:{port}/x"),
    ] {
        let (status, body) = set_webhook(&admin, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        errors.push((url, notify_and_read_error(app, 1).await));
    }
    // Literal addresses, with the trap's port and a closed one: the answer
    // must not say which is which.
    let targets = own_network(port, port6)
        .into_iter()
        .chain([format!("http://127.0.0.1:{closed}/")]);
    for url in targets {
        store_webhook(app, &url).await;
        errors.push((url.clone(), notify_and_read_error(app, 1).await));
        assert_eq!(
            (hits.load(Ordering::SeqCst), hits6.load(Ordering::SeqCst)),
            (0, 0),
            "{url} reached the trap"
        );
    }
    for (url, error) in &errors {
        assert!(error.contains("may not receive webhooks"), "{url}: {error}");
        for leak in [
            port.to_string(),
            port6.to_string(),
            closed.to_string(),
            "refused".to_owned(),
            "timed out".to_owned(),
        ] {
            assert!(!error.contains(&leak), "{url}: `{error}` says {leak}");
        }
    }
    let loopback: Vec<&String> = errors
        .iter()
        .filter(|(u, _)| u.contains("127.") || u.contains("localhost"))
        .map(|(_, e)| e)
        .collect();
    assert!(
        loopback.windows(2).all(|w| w[0] == w[1]),
        "an open and a closed port read the same: {loopback:?}"
    );

    // What an admin reads (after three attempts) is the same coarse text.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, failing) = admin.get("/api/v1/outbox").await;
    assert_eq!(status, 200);
    for row in failing.as_array().unwrap() {
        let error = row["last_error"].as_str().unwrap_or_default();
        assert!(
            error.contains("may not receive webhooks") && !error.contains(&port.to_string()),
            "{row}"
        );
    }
    assert_eq!(
        (hits.load(Ordering::SeqCst), hits6.load(Ordering::SeqCst)),
        (0, 0),
        "retries never reached the trap"
    );
}
empty_allow_list_test!(a_stored_webhook_on_the_servers_own_network_is_never_sent);

/// With loopback allowed (as the harness allows 127.0.0.1 for its
/// receivers), a failure must still not tell a closed port from a silent or
/// resetting one, nor echo a status or a redirect's target.
async fn a_failing_receiver_reads_the_same_whatever_listens_and_redirects_are_not_followed(
    app: &TestApp,
) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let set = async |url: &str| {
        let (status, body) = set_webhook(&admin, url).await;
        assert_eq!(status, 200, "{url}: {body}");
    };
    let (trap, trap_port) = bind("127.0.0.1:0").await;
    let trapped = listen(
        trap,
        Behaviour::Answer("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    );
    let redirect: &'static str = Box::leak(
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{trap_port}/secret\r\ncontent-length: 0\r\n\r\n")
            .into_boxed_str(),
    );
    let (redirecting, redirect_port) = bind("127.0.0.1:0").await;
    let redirected = listen(redirecting, Behaviour::Answer(redirect));
    let (missing, missing_port) = bind("127.0.0.1:0").await;
    listen(
        missing,
        Behaviour::Answer("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
    );
    let (resetting, reset_port) = bind("127.0.0.1:0").await;
    listen(resetting, Behaviour::Drop);
    let (silent, silent_port) = bind("127.0.0.1:0").await;
    listen(silent, Behaviour::Hold);
    let closed = closed_port().await;

    set(&format!("http://127.0.0.1:{redirect_port}/hook")).await;
    let error = notify_and_read_error(app, 1).await;
    assert!(redirected.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        trapped.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    assert!(
        error.contains("3xx") && !error.contains("307") && !error.contains(&trap_port.to_string()),
        "{error}"
    );

    set(&format!("http://127.0.0.1:{missing_port}/hook")).await;
    let error = notify_and_read_error(app, 1).await;
    assert!(error.contains("4xx") && !error.contains("404"), "{error}");

    let mut errors = Vec::new();
    for port in [closed, reset_port, silent_port] {
        set(&format!("http://127.0.0.1:{port}/hook")).await;
        let error = notify_and_read_error(app, 1).await;
        assert!(!error.contains(&port.to_string()), "{error}");
        errors.push(error);
        // Earlier notifications would otherwise retry against the silent
        // receiver and slow the test.
        set("").await;
    }
    assert!(
        errors.windows(2).all(|w| w[0] == w[1]),
        "closed, reset and silent read the same: {errors:?}"
    );
}
shanshui_tests::demo_test!(
    a_failing_receiver_reads_the_same_whatever_listens_and_redirects_are_not_followed
);
