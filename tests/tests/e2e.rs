//! End to end, in Debian's headless Chromium at a phone's 390×844 viewport:
//! the server-rendered page hydrates from WebAssembly (the menu and the
//! language switch work only once it has run), routes on the client, and
//! remembers the language across a reload.

// A test's panic is its failure report: `unwrap`/`expect`, denied in the
// server's code (a request must never panic), are how these tests assert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use shanshui_tests::{Backend, TestApp};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver and the browser profile; both go away with the test, and
/// so does the browser, even when a failed assertion skipped `close()`
/// (killing chromedriver alone leaves Chromium running).
struct Driver(Child, tempfile::TempDir);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let profile = format!("--user-data-dir={}", self.1.path().display());
        let _ = Command::new("pkill").args(["-f", "--", &profile]).status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A phone's browser: 390 × 844 CSS pixels.
async fn start_browser() -> (Driver, Client) {
    start_browser_as(true).await
}

/// A staff member's desk: a 1280 px wide window.
async fn start_desk_browser() -> (Driver, Client) {
    start_browser_as(false).await
}

async fn start_browser_as(phone: bool) -> (Driver, Client) {
    let port = free_port();
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver; `cargo xtask test` installs it)");
    let profile_dir = profile.path().display().to_string();
    let driver = Driver(child, profile);
    let mut caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                if phone { "--window-size=390,844" } else { "--window-size=1280,900" }, "--lang=en-US",
                format!("--user-data-dir={profile_dir}"),
            ],
        }
    });
    if phone {
        // The new headless mode keeps a window at least 500 px wide
        // whatever `--window-size` says: the page is laid out at a phone's
        // 390 px only when the device is emulated.
        caps["goog:chromeOptions"]["mobileEmulation"] = json!({
            "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "mobile": true, "touch": false }
        });
    }
    let caps = caps.as_object().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() > deadline => panic!("cannot start chromium: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .attr(name)
        .await
        .unwrap()
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks like a thumb would: the element scrolled to the middle of the
/// screen first, clear of the sticky header.
async fn tap(client: &Client, css: &str) {
    let el = client.find(Locator::Css(css)).await.unwrap();
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![serde_json::to_value(&el).unwrap()],
        )
        .await
        .unwrap();
    el.click().await.unwrap();
}

async fn exists(client: &Client, css: &str) -> bool {
    client.find(Locator::Css(css)).await.is_ok()
}

async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    eventually_within(Duration::from_secs(30), what, check).await
}

/// `eventually` for work that is slow on a loaded machine (a 12-megapixel
/// photo decoded and encoded again in the browser).
async fn eventually_within<F: AsyncFn() -> bool>(limit: Duration, what: &str, check: F) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The menu opens only once the WebAssembly has hydrated the page: before
/// that a click does nothing, so keep clicking until it takes.
async fn open_menu_once_hydrated(client: &Client) {
    eventually("the menu opens (hydration ran)", async || {
        let toggle = client.find(Locator::Css(".menu-toggle")).await.unwrap();
        if attr(client, ".menu-toggle", "aria-expanded")
            .await
            .as_deref()
            == Some("true")
        {
            return true;
        }
        toggle.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        attr(client, ".menu-toggle", "aria-expanded")
            .await
            .as_deref()
            == Some("true")
    })
    .await;
}

/// Every file the page has fetched so far whose path ends with one of
/// `endings`, by URL path.
async fn fetched_ending(client: &Client, endings: &[&str]) -> Vec<String> {
    let names = client
        .execute(
            "const endings = arguments[0];
             return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
                .filter(p => endings.some(end => p.endsWith(end)))",
            vec![json!(endings)],
        )
        .await
        .unwrap();
    serde_json::from_value(names).unwrap()
}

/// Every WebAssembly file the page has fetched so far.
async fn wasm_fetched(client: &Client) -> Vec<String> {
    fetched_ending(client, &[".wasm"]).await
}

/// Every script and WebAssembly file the page has fetched so far.
async fn code_fetched(client: &Client) -> Vec<String> {
    fetched_ending(client, &[".wasm", ".js"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_needs_no_webassembly_and_its_menu_and_language_switch_work() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/")).await.unwrap();

    // Server-rendered Chinese first, whatever the browser's language.
    assert!(text(&client, "h1").await.contains("身边的污染"));
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("zh-CN"));

    assert_eq!(
        attr(&client, ".menu-toggle", "aria-expanded")
            .await
            .as_deref(),
        Some("false")
    );
    let nav = client.find(Locator::Css("#site-nav")).await.unwrap();
    assert!(
        !nav.is_displayed().await.unwrap(),
        "the menu starts closed on a phone"
    );
    // The page's own few lines of script open it at once: nothing to load.
    tap(&client, ".menu-toggle").await;
    assert!(nav.is_displayed().await.unwrap());
    assert_eq!(
        attr(&client, ".menu-toggle", "aria-expanded")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(text(&client, ".menu-label").await, "关闭菜单");
    assert_eq!(
        code_fetched(&client).await,
        Vec::<String>::new(),
        "the home page fetches no script and no WebAssembly"
    );

    // No sideways scrolling at 390 px.
    let overflow = sideways_overflow(&client).await;
    assert!(overflow <= 0, "page is wider than the phone: {overflow}");

    // The language switch: the page again, from the server, in English.
    tap(&client, ".lang-switch").await;
    eventually("the page is in English", async || {
        text(&client, "h1").await.contains("See pollution")
    })
    .await;
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("en"));

    // Following a case is a page from the server too, in English.
    tap(&client, ".menu-toggle").await;
    tap(&client, "#site-nav a[href='/track']").await;
    eventually("the track page shows", async || {
        client.current_url().await.unwrap().path() == "/track"
            && text(&client, "h1").await.contains("Follow a case")
    })
    .await;
    assert_eq!(
        code_fetched(&client).await,
        Vec::<String>::new(),
        "the tracking page fetches no script and no WebAssembly"
    );

    // So is the report form, with its own script inline.
    client.goto(&app.url("/report")).await.unwrap();
    form_is_live(&client).await;
    assert_eq!(
        code_fetched(&client).await,
        Vec::<String>::new(),
        "the report form fetches no script and no WebAssembly"
    );

    // The console is hydrated by the app.
    client.goto(&app.url("/admin")).await.unwrap();
    open_menu_once_hydrated(&client).await;
    assert!(
        wasm_fetched(&client)
            .await
            .iter()
            .any(|w| w.ends_with("/shanshui_bg.wasm")),
        "the console is hydrated"
    );
    // From a hydrated page, a link to an open-information page is followed
    // by the browser: that page is not in the WebAssembly.
    client
        .execute("window.stillTheSamePage = true", vec![])
        .await
        .unwrap();
    // (The menu is open: opening it showed the page had hydrated.)
    tap(&client, "#site-nav a[href='/stats']").await;
    eventually(
        "the statistics page shows, loaded from the server",
        async || {
            client.current_url().await.unwrap().path() == "/stats"
                && exists(&client, "#stat-total").await
        },
    )
    .await;
    assert_eq!(
        client
            .execute("return window.stillTheSamePage === true", vec![])
            .await
            .unwrap(),
        json!(false),
        "a full page load"
    );

    // The choice survives a reload: the server renders English from the cookie.
    client.goto(&app.url("/")).await.unwrap();
    assert!(text(&client, "h1").await.contains("See pollution"));

    client.close().await.unwrap();
    app.shutdown().await;
}

/// A report waiting in the phone's outbox is announced on the pages that
/// cannot send it, with the way to the one that can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_only_page_says_when_reports_wait_on_the_phone() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/stats")).await.unwrap();
    assert!(
        !client
            .find(Locator::Css("#outbox-waiting"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "nothing waits"
    );
    client
        .execute(
            "localStorage.setItem('shanshui.outbox.v1', JSON.stringify([{key: 'k', created_ms: 0, fields: [], photos: []}]))",
            vec![],
        )
        .await
        .unwrap();
    client.goto(&app.url("/cases")).await.unwrap();
    let notice = client.find(Locator::Css("#outbox-waiting")).await.unwrap();
    assert!(notice.is_displayed().await.unwrap());
    assert!(exists(&client, "#outbox-waiting a[href='/report']").await);

    client.close().await.unwrap();
    app.shutdown().await;
}

/// What a page opened directly cost: its requests (the document
/// included) and the bytes of script and WebAssembly, as sent (compressed,
/// headers included) plus the page's inline scripts.
#[derive(Debug)]
struct PageCost {
    requests: u64,
    code_bytes: u64,
}

/// Opens `url` with nothing cached (the cache is off for the whole visit).
async fn open_cold(client: &Client, url: &str) {
    client
        .issue_cmd(Cdp("Network.enable", json!({})))
        .await
        .unwrap();
    client
        .issue_cmd(Cdp(
            "Network.setCacheDisabled",
            json!({ "cacheDisabled": true }),
        ))
        .await
        .unwrap();
    client.goto(url).await.unwrap();
}

/// Waits until the page has loaded and fetched nothing more for a second.
/// The browser lists a request only once it has finished, so a page still
/// fetching its WebAssembly (or the chunks its WebAssembly asks for) would
/// look cheaper than it is.
async fn settled(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = -1;
    loop {
        let now = client
            .execute(
                "return document.readyState === 'complete'
                    ? performance.getEntriesByType('resource').length : -1",
                vec![],
            )
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        if now >= 0 && now == seen {
            return;
        }
        assert!(Instant::now() < deadline, "the page never stopped fetching");
        seen = now;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

/// What the page has fetched, once it has settled.
async fn page_cost(client: &Client) -> PageCost {
    settled(client).await;
    let cost = client
        .execute(
            "const all = performance.getEntriesByType('resource');
             const code = all.filter(e => /\\.(js|wasm)$/.test(new URL(e.name).pathname));
             const inline = [...document.scripts].filter(s => !s.src)
                 .reduce((n, s) => n + new TextEncoder().encode(s.textContent).length, 0);
             return { requests: 1 + all.length,
                      code_bytes: code.reduce((n, e) => n + e.transferSize, 0) + inline };",
            vec![],
        )
        .await
        .unwrap();
    PageCost {
        requests: cost["requests"].as_u64().unwrap(),
        code_bytes: cost["code_bytes"].as_u64().unwrap(),
    }
}

/// Something on every open-information page: the demo district, a case a
/// reviewer has disclosed, and a published notice (its code and the notice).
async fn a_disclosed_case_and_a_notice(app: &TestApp) -> (String, serde_json::Value) {
    app.load_demo().await;
    let (code, _) =
        shanshui_tests::file_report(app, "noise_construction_night", 29.3752, 106.5101, &[]).await;
    let reviewer = app.staff("shen.he", shared::Role::Reviewer, None).await;
    let dispatcher = app.staff("diao.du", shared::Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher.act(&code, json!({ "action": "accept" })).await.0,
        200
    );
    let (status, _) = reviewer
        .act(
            &code,
            json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工噪声扰民" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, notice) = reviewer
        .post("/api/v1/notices", json!({ "kind": "notice", "title": "关于高考期间加强噪声管控的通告", "body": "考点周边**禁止**夜间施工。", "published": true }))
        .await;
    assert_eq!(status, 201, "{notice}");
    (code, notice)
}

/// Issue 15's budget for the open-information pages, opened directly on a
/// phone with a cold cache: at most 60 KB of script and WebAssembly together
/// and at most 10 requests. Counted, not timed, so it holds on any machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_open_information_page_keeps_to_its_budget_opened_directly() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, notice) = a_disclosed_case_and_a_notice(&app).await;

    let (_driver, client) = start_browser().await;
    let pages = [
        "/".to_owned(),
        "/cases".to_owned(),
        format!("/cases/{code}"),
        "/stats".to_owned(),
        "/info".to_owned(),
        format!("/info/notices/{}", notice["id"]),
        // Issue 15 allows the tracking page 200 KB and 12 requests; rendered
        // on the server, it keeps to the open pages' budget.
        "/track".to_owned(),
    ];
    for page in &pages {
        open_cold(&client, &app.url(page)).await;
        let cost = page_cost(&client).await;
        assert!(
            cost.requests <= 10 && cost.code_bytes <= 60 * 1024,
            "{page} is over its budget (10 requests, 60 KB of code): {cost:?}"
        );
        // And nothing that would start loading code later, however slow
        // the machine (the browser lists a request only once it is done).
        let loaders = client
            .execute(
                "return document.querySelectorAll('script[src], link[rel=modulepreload], link[rel=preload]').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(loaders, json!(0), "{page} links code to load");
    }
    // The same measure sees a hydrated page's WebAssembly (so it is not
    // blind to it): the console's is far above the open pages' budget.
    open_cold(&client, &app.url("/admin")).await;
    eventually("the console's WebAssembly is counted", async || {
        page_cost(&client).await.code_bytes > 60 * 1024
    })
    .await;

    client.close().await.unwrap();
    app.shutdown().await;
}

/// The icon and manifest a page links to over the network: the browser
/// fetches them outside resource timing.
const LINKED_FETCHES: &str =
    "document.querySelectorAll('link[rel=icon]:not([href^=\"data:\"]), link[rel=manifest]').length";

async fn linked_fetches(client: &Client) -> u64 {
    client
        .execute(&format!("return {LINKED_FETCHES}"), vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Requests a page opened cold made until it started keeping the offline
/// pages (`pages::keep_offline` marks that moment, seconds after the page is
/// live): the document, every file in the browser's resource timing, and the
/// icon and manifest it links to over the network, which the browser fetches
/// outside resource timing.
async fn requests_to_open(client: &Client) -> u64 {
    eventually("the page starts keeping the offline pages", async || {
        client
            .execute(
                "return performance.getEntriesByName('shanshui-keep-offline').length > 0",
                vec![],
            )
            .await
            .unwrap()
            == json!(true)
    })
    .await;
    client
        .execute(
            "const kept = performance.getEntriesByName('shanshui-keep-offline')[0].startTime;
             return 1 + performance.getEntriesByType('resource').filter(e => e.startTime < kept).length;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
        + linked_fetches(client).await
}

/// Everything a page opened cold has had sent so far, compressed as sent:
/// the document and every file in the browser's resource timing.
async fn bytes_sent(client: &Client) -> u64 {
    client
        .execute(
            "const doc = performance.getEntriesByType('navigation')[0];
             return performance.getEntriesByType('resource')
                 .reduce((n, e) => n + e.transferSize, doc ? doc.transferSize : 0);",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Issue 15's budgets for the report form (250 KB all in, 15 requests),
/// which is rendered on the server with a script of its own, and the
/// request budget of the console, which hydrates. The console's bytes are
/// only meaningful for the release build (`cargo xtask bench-pages`); its
/// requests are the same in this debug build, which splits alike.
#[tokio::test]
async fn the_resident_pages_and_the_console_keep_to_their_request_budgets_opened_directly() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (_driver, client) = start_browser().await;
    for (page, budget) in [("/report", 15)] {
        open_cold(&client, &app.url(page)).await;
        let requests = requests_to_open(&client).await;
        assert!(
            requests <= budget,
            "{page} took {requests} requests to open (its budget is {budget})"
        );
        let sent = bytes_sent(&client).await;
        assert!(
            sent <= 250 * 1024,
            "{page} took {sent} bytes to open (its budget is 250 KB)"
        );
        assert!(
            wasm_fetched(&client).await.is_empty(),
            "{page} needs no WebAssembly"
        );
    }
    app.staff("diao.du", shared::Role::Dispatcher, None).await;
    sign_in_console(&client, &app, "diao.du").await;
    open_cold(&client, &app.url("/admin/queue")).await;
    eventually("the queue is shown", async || {
        exists(&client, "#admin-me").await
    })
    .await;
    let requests = page_cost(&client).await.requests + linked_fetches(&client).await;
    // What it fetched, to read when it goes over.
    let fetched = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname + new URL(e.name).search).join(' ')",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        requests <= 25,
        "the console took {requests} requests to open (its budget is 25): {fetched}"
    );
    // Each of the API's answers is asked for once: the frame, the queue and
    // its bulk bar once asked for the departments three times.
    let asked_again = client
        .execute(
            "const api = performance.getEntriesByType('resource').map(e => new URL(e.name))
                 .filter(u => u.pathname.startsWith('/api/')).map(u => u.pathname + u.search);
             return api.filter((u, i) => api.indexOf(u) !== i);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        asked_again,
        json!([]),
        "the console asked the API again for the same answer"
    );
    client.close().await.unwrap();
    app.shutdown().await;
}

/// axe-core's script (npm `axe-core`, which `cargo xtask test` installs and
/// names in `SHANSHUI_TEST_AXE`). None outside CI without it: the scan is
/// skipped there, and fails under CI.
fn axe_source() -> Option<String> {
    match std::env::var("SHANSHUI_TEST_AXE") {
        Ok(path) => Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))),
        Err(_) if shanshui_tests::ci() => {
            panic!("SHANSHUI_TEST_AXE is not set (cargo xtask test sets it)")
        }
        Err(_) => None,
    }
}

/// axe-core's violations on the page as it stands: "rule: target, …" each.
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.unwrap();
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { rules: { 'label-content-name-mismatch': { enabled: true } } }).then(r => done(r.violations.map(v =>
                 v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 6).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// Every page, the console's included, at 390×844: axe-core finds nothing
/// (issue 15: accessibility at 100), with the rule Lighthouse adds to its
/// defaults (a control's name must contain the text it shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_an_accessibility_scan_on_a_phone() {
    let Some(axe) = axe_source() else {
        eprintln!("skipped: SHANSHUI_TEST_AXE is not set");
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (code, notice) = a_disclosed_case_and_a_notice(&app).await;
    app.staff("guan.li", shared::Role::Admin, None).await;
    // A case on /track with its forms open: a question to answer, a phone
    // to leave for messages, the push button.
    let (asked, secret) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3752, 106.5101, &[]).await;
    let handler = app
        .staff(
            "cheng.ban",
            shared::Role::Handler,
            Some("housing_construction"),
        )
        .await;
    for body in [
        json!({ "action": "accept" }),
        json!({ "action": "request_info", "question": "施工一般持续到几点？" }),
    ] {
        assert_eq!(handler.act(&asked, body).await.0, 200);
    }
    // A case with a photo: on the console's case page its thumbnail is a
    // link, which must have a name.
    let res =
        shanshui_tests::submit_with_photo(&app, shanshui_tests::photos::jpeg(640, 480), None).await;
    assert_eq!(res.status(), 201);
    let pictured = res.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_driver, client) = start_browser().await;
    let public = [
        "/".to_owned(),
        "/cases".to_owned(),
        format!("/cases/{code}"),
        "/stats".to_owned(),
        "/info".to_owned(),
        format!("/info/notices/{}", notice["id"]),
        "/no-such-page".to_owned(),
        "/report".to_owned(),
        "/track".to_owned(),
        format!("/track#code={asked}&secret={secret}"),
        "/admin".to_owned(),
    ];
    let console = [
        "/admin/queue".to_owned(),
        format!("/admin/cases/{code}"),
        format!("/admin/cases/{pictured}"),
        "/admin/day".to_owned(),
        "/admin/team".to_owned(),
        "/admin/hotspots".to_owned(),
        "/admin/intake".to_owned(),
        "/admin/templates".to_owned(),
        "/admin/rules".to_owned(),
        "/admin/categories".to_owned(),
        "/admin/supervision".to_owned(),
        "/admin/messages".to_owned(),
        "/admin/rewards".to_owned(),
        "/admin/users".to_owned(),
        "/admin/departments".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/outbox".to_owned(),
        "/admin/publishing".to_owned(),
    ];
    let mut found = Vec::new();
    let mut scan = async |lang: &str, page: &str| {
        client.goto(&app.url(page)).await.unwrap();
        if page.contains("#code=") {
            eventually("the case is shown", async || {
                exists(&client, "#answer-form").await
            })
            .await;
        }
        // With the phone menu open, so that it is scanned too; and on a
        // hydrated page that proves hydration is over (the menu opens then),
        // so the page is scanned as it stays, not midway.
        open_menu_once_hydrated(&client).await;
        settled(&client).await;
        for v in axe_violations(&client, &axe).await {
            found.push(format!("{lang} {page}: {v}"));
        }
    };
    // The console in Chinese, as its staff use it; what residents and the
    // public see in both languages.
    for page in &public {
        scan("zh-CN", page).await;
    }
    sign_in_console(&client, &app, "guan.li").await;
    for page in &console {
        scan("zh-CN", page).await;
    }
    // Out of the console by forgetting its session: at a phone's width its
    // sign-out did not take within 30 s (left for the console's own work;
    // the desks' tests sign out through it).
    client.delete_all_cookies().await.unwrap();
    client.goto(&app.url("/")).await.unwrap();
    client
        .execute("document.cookie = 'lang=en; Path=/'", vec![])
        .await
        .unwrap();
    for page in &public {
        scan("en", page).await;
    }
    assert!(
        found.is_empty(),
        "accessibility violations:\n{}",
        found.join("\n")
    );

    client.close().await.unwrap();
    app.shutdown().await;
}

/// Issue 15: the console's pages that put an editor after a list (users,
/// routing rules, reply templates, categories) hold still while the list
/// loads. The editor was drawn at once and the list, arriving, pushed it
/// down the screen: Lighthouse measured a layout shift of 0.29 to 0.41 on
/// each. On a slow network (300 ms a request), each page is opened, left
/// until its editor shows, and its shifts are summed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_editors_hold_still_while_their_lists_load() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    app.staff("guan.li", shared::Role::Admin, None).await;
    let (_driver, client) = start_browser().await;
    sign_in_console(&client, &app, "guan.li").await;
    client
        .issue_cmd(Cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": RECORD_LAYOUT_SHIFTS }),
        ))
        .await
        .unwrap();
    network_conditions(&client, true, 300).await;
    let mut moved = Vec::new();
    for (page, editor) in [
        ("/admin/users", "form.admin-form"),
        ("/admin/rules", "form.admin-form"),
        ("/admin/templates", "#template-form"),
        ("/admin/categories", "#catalogue-form"),
    ] {
        client.goto(&app.url(page)).await.unwrap();
        eventually_within(Duration::from_secs(60), "the editor is shown", async || {
            exists(&client, editor).await
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let shifts = client
            .execute("return window.shifts", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        if shifts >= 0.05 {
            moved.push(format!("{page}: {shifts:.3}"));
        }
    }
    assert!(
        moved.is_empty(),
        "pages that moved as they loaded: {moved:?}"
    );
    client.close().await.unwrap();
    app.shutdown().await;
}

/// Notes the size of every photo the page sends (`window.photosSent`),
/// whichever way it sends them.
const RECORD_PHOTOS_SENT: &str = r#"
window.photosSent = [];
const note = body => {
  if (body instanceof FormData) {
    for (const [name, value] of body.entries()) {
      if (name === 'photo' && value instanceof Blob) window.photosSent.push(value.size);
    }
  }
};
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) { note(body); return send.call(this, body); };
const fetched = window.fetch;
window.fetch = function (input, init) { if (init && init.body) note(init.body); return fetched.apply(this, arguments); };
"#;

/// A 12-megapixel camera photo leaves the phone at 600 KB at most (issue
/// 15): the browser brings it down to 2048 px and lowers the JPEG quality
/// until it fits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twelve_megapixel_photo_leaves_the_phone_at_600_kb_at_most() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_4000x3000.jpg");
    let original = shanshui_tests::photos::busy_jpeg(4000, 3000);
    std::fs::write(&photo, &original).unwrap();

    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/report")).await.unwrap();
    fill_report(
        &client,
        Some(&photo),
        "工地夜间施工，灯光和噪声很大，拍了照片",
    )
    .await;
    photos_prepared(&client).await;
    // The form is hydrated and filled; the page is the same until it sends.
    client.execute(RECORD_PHOTOS_SENT, vec![]).await.unwrap();
    tap(&client, "button#submit").await;
    eventually("the receipt shows a tracking code", async || {
        exists(&client, ".receipt .tracking-code").await
    })
    .await;
    let sent: Vec<u64> = serde_json::from_value(
        client
            .execute("return window.photosSent", vec![])
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sent.len(), 1, "one photo sent: {sent:?}");
    eprintln!(
        "a {} KB photo of 4000x3000 left the phone at {} KB",
        original.len() / 1024,
        sent[0] / 1024
    );
    assert!(
        sent[0] <= 600 * 1024,
        "a {} KB camera photo left the phone at {} KB",
        original.len() / 1024,
        sent[0] / 1024
    );

    client.close().await.unwrap();
    app.shutdown().await;
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

async fn network(client: &Client, online: bool) {
    network_conditions(client, online, 0).await;
}

/// The browser's network, on or off, with `latency_ms` added to each request.
async fn network_conditions(client: &Client, online: bool, latency_ms: u32) {
    client
        .issue_cmd(Cdp("Network.enable", json!({})))
        .await
        .unwrap();
    let conditions = json!({
        "offline": !online, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1
    });
    client
        .issue_cmd(Cdp("Network.emulateNetworkConditions", conditions))
        .await
        .unwrap();
}

async fn body_text(client: &Client) -> String {
    client
        .execute("return document.body.innerText", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Geolocation, mocked at Yudong (鱼洞) inside Banan, 12 m accuracy.
const MOCK_GEOLOCATION: &str = r#"
Object.defineProperty(navigator, 'geolocation', { configurable: true, value: {
  getCurrentPosition(ok) { setTimeout(() => ok({ coords: { latitude: 29.3752, longitude: 106.5101, accuracy: 12 }, timestamp: Date.now() }), 50); },
  watchPosition(ok) { this.getCurrentPosition(ok); return 1; },
  clearWatch() {}
}});
"#;

/// Waits until every chosen photo is prepared (its size is shown). A
/// submit while one is still being prepared is refused ("the photos are
/// still being prepared") and sends nothing, as a resident would see; a
/// test that tapped too soon never got its receipt (CI missed it twice on
/// the 12-megapixel photo, which the browser decodes and encodes again up
/// to four times, slowly on a loaded machine).
async fn photos_prepared(client: &Client) {
    eventually_within(
        Duration::from_secs(120),
        "the photos are prepared",
        async || {
            let tiles = client
                .find_all(Locator::Css(".photo-tile"))
                .await
                .unwrap_or_default();
            let ready = client
                .find_all(Locator::Css(".photo-tile .photo-meta"))
                .await
                .unwrap_or_default();
            !tiles.is_empty() && tiles.len() == ready.len()
        },
    )
    .await;
}

/// The report form's script has run: the button that sends is live.
async fn form_is_live(client: &Client) {
    eventually("the report form is live", async || {
        exists(client, "button#submit:not([disabled])").await
    })
    .await;
}

/// On `/report`: the category "other", an optional photo, the (mocked) GPS
/// position and a description — everything but pressing submit.
async fn fill_report(client: &Client, photo: Option<&std::path::Path>, description: &str) {
    // The categories are in the page as sent; the rest of the form needs
    // its script (the photo input's handler, the location button).
    form_is_live(client).await;
    eventually("the categories are shown", async || {
        exists(client, r#"button.category[data-code="other"]"#).await
    })
    .await;
    tap(client, r#"button.category[data-code="other"]"#).await;
    if let Some(photo) = photo {
        let input = client.find(Locator::Css("input#photos")).await.unwrap();
        input.send_keys(&photo.display().to_string()).await.unwrap();
    }
    client.execute(MOCK_GEOLOCATION, vec![]).await.unwrap();
    tap(client, "button#locate").await;
    eventually("the location is filled in", async || {
        let lat = client
            .find(Locator::Css("input#lat"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        lat.is_some_and(|v| v.starts_with("29.37"))
    })
    .await;
    client
        .find(Locator::Css("textarea#description"))
        .await
        .unwrap()
        .send_keys(description)
        .await
        .unwrap();
}

/// Sums a page's layout shifts not caused by input into `window.shifts`,
/// from its start (run before the page's own scripts).
const RECORD_LAYOUT_SHIFTS: &str = "
    window.shifts = 0;
    new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.shifts += e.value; })
        .observe({ type: 'layout-shift', buffered: true });
";

/// Issue 15: the report form arrives whole, rendered on the server with
/// its categories and their questions, and holds still as its script
/// starts: the categories once came from the browser after hydration, and
/// their grid pushed every later step down (Lighthouse measured a layout
/// shift of 0.53). Its script is in the page: a category tapped as soon as
/// the document is parsed is chosen, and its questions shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_form_holds_still_and_keeps_a_tap_made_as_it_arrives() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let sent = app.get("/report").await.text().await.unwrap();
    assert!(
        sent.contains(r#"<button type="button" class="category" data-code="other">"#),
        "the categories are in the page as sent"
    );
    assert!(
        sent.contains(r#"data-category="noise_construction""#),
        "each category's questions are in the page as sent"
    );
    assert!(!sent.contains(".wasm"), "no WebAssembly is linked");

    let (_driver, client) = start_browser().await;
    // Before the page's own scripts: every layout shift is recorded, and
    // once the document is parsed a category is tapped.
    let early = RECORD_LAYOUT_SHIFTS.to_owned()
        + r#"
        document.addEventListener('DOMContentLoaded', () => {
            if (location.search !== '?tap') return;
            const b = document.querySelector('button.category[data-code="noise_construction"]');
            if (b) b.click();
        });
    "#;
    client
        .issue_cmd(Cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": early }),
        ))
        .await
        .unwrap();
    // Opened and left alone, the form does not move as it comes to life.
    client.goto(&app.url("/report")).await.unwrap();
    form_is_live(&client).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shifts = client
        .execute("return window.shifts", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        shifts < 0.01,
        "the form moved while it loaded: layout shift {shifts}"
    );
    assert!(wasm_fetched(&client).await.is_empty());

    // Opened again and tapped at once: the category is chosen and its
    // questions, and only its, are shown.
    client.goto(&app.url("/report?tap")).await.unwrap();
    eventually("the early tap chose its category", async || {
        exists(&client, ".chosen-category").await && exists(&client, ".cat-groups[hidden]").await
    })
    .await;
    assert!(
        exists(
            &client,
            r#".questions[data-category="noise_construction"]:not([hidden])"#
        )
        .await
    );
    let shown = client
        .execute(
            "return document.querySelectorAll('.questions:not([hidden])').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(1));

    client.close().await.unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_files_a_report_with_a_photo_on_a_phone_and_follows_it() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_2041.jpg");
    std::fs::write(&photo, shanshui_tests::photos::jpeg(2400, 1800)).unwrap();

    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/report")).await.unwrap();
    fill_report(
        &client,
        Some(&photo),
        "河滩上有人倾倒并焚烧建筑垃圾，黑烟很大",
    )
    .await;
    photos_prepared(&client).await;
    tap(&client, "button#submit").await;

    eventually("the receipt shows a tracking code", async || {
        exists(&client, ".receipt .tracking-code").await
    })
    .await;
    let code = text(&client, ".receipt .tracking-code").await;
    assert!(
        shared::report::tracking_code::normalize(&code).as_deref() == Some(code.trim()),
        "{code}"
    );

    // On the server: one case at the mocked position, with the photo.
    let view: serde_json::Value = {
        let href = attr(&client, "a.track-link", "href").await.unwrap();
        let secret = href.split("secret=").nth(1).unwrap().to_owned();
        app.client
            .get(app.url(&format!("/api/v1/track/{}", code.trim())))
            .header("x-report-secret", secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert!((view["lat"].as_f64().unwrap() - 29.3752).abs() < 1e-6);
    assert_eq!(view["photos"].as_array().unwrap().len(), 1);

    // The tracking page, from the receipt's link (code and secret in the fragment).
    tap(&client, "a.track-link").await;
    eventually("the case is shown on the tracking page", async || {
        exists(&client, ".case-state").await
    })
    .await;
    assert_eq!(
        attr(&client, ".case-state", "data-state").await.as_deref(),
        Some("submitted")
    );
    assert_eq!(text(&client, ".case-state").await.trim(), "已提交");
    eventually("the photo is shown", async || {
        client
            .find_all(Locator::Css(".case-photos img"))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
            == 1
    })
    .await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/track");
    assert!(
        url.query().is_none(),
        "the secret never goes into a query string"
    );

    client.close().await.unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_without_network_waits_and_is_filed_once_when_it_returns() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/report")).await.unwrap();
    fill_report(&client, None, "桥下的雨水口一直在排污水，气味很重").await;

    network(&client, false).await;
    tap(&client, "button#submit").await;
    waits_for_the_network(&client, &app).await;

    network(&client, true).await;
    filed_once(&client, &app).await;

    client.close().await.unwrap();
    app.shutdown().await;
}

/// A report sent with no network: the page says it waits, and nothing is
/// filed.
async fn waits_for_the_network(client: &Client, app: &TestApp) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    eventually("the report waits for the network", async || {
        exists(client, ".queued").await
    })
    .await;
    assert!(body_text(client).await.contains("等待网络"));
    assert_eq!(
        server::db::entities::case::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

/// The network is back: the report is filed, the receipt shows, and the
/// outbox's retries after success file nothing more (the same key is
/// answered, not filed again).
async fn filed_once(client: &Client, app: &TestApp) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let cases = async || {
        server::db::entities::case::Entity::find()
            .count(&app.db)
            .await
            .unwrap()
    };
    eventually("the report is filed once the network is back", async || {
        cases().await == 1
    })
    .await;
    eventually("the receipt shows", async || {
        exists(client, ".receipt .tracking-code").await
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cases().await, 1);
}

/// What the service worker keeps (`public/sw.js`), as paths with queries.
async fn kept_offline(client: &Client) -> Vec<String> {
    let kept = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            if (!window.caches) return done([]);
            caches.open('shanshui-offline-v1')
              .then(c => c.keys())
              .then(ks => done(ks.map(r => { const u = new URL(r.url); return u.pathname + u.search; })))
              .catch(() => done([]));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(kept).unwrap_or_default()
}

/// Waits until the service worker keeps the resident's pages and their
/// stylesheet (all three are rendered on the server, their scripts inside).
async fn wait_until_kept_offline(client: &Client) {
    eventually(
        "the resident's pages are kept for offline use",
        async || {
            let kept = kept_offline(client).await;
            let has = |f: &dyn Fn(&String) -> bool| kept.iter().any(f);
            has(&|k| k == "/report")
                && has(&|k| k == "/track")
                && has(&|k| k == "/")
                && has(&|k| k.starts_with("/style.css?v="))
        },
    )
    .await;
}

/// A phone that reaches `app` through a cable the test can pull and has
/// opened `/report` once, so its service worker keeps the resident's pages.
async fn a_phone_that_kept_the_pages(
    app: &TestApp,
) -> (shanshui_tests::plug::Plug, Driver, Client) {
    let plug = shanshui_tests::plug::Plug::to(app.addr).await;
    let (driver, client) = start_browser().await;
    client.goto(&plug.url("/report")).await.unwrap();
    wait_until_kept_offline(&client).await;
    (plug, driver, client)
}

/// No signal: the cable pulled (the page, its service worker and the
/// browser all lose the server), and the page told it is offline.
async fn signal_lost(plug: &shanshui_tests::plug::Plug, client: &Client) {
    plug.pull();
    network(client, false).await;
}

/// The signal back: the cable in, and the page told it is online (the
/// `online` event, on which the outbox sends at once).
async fn signal_back(plug: &shanshui_tests::plug::Plug, client: &Client) {
    plug.plug_in();
    network(client, true).await;
}

/// Issue 15: with no signal at all, the report form opens (from the
/// service worker's copy), takes a photo and a description, says it is
/// waiting, and is filed exactly once when the network returns. /track,
/// never opened, opens offline too, and a page that was never kept says
/// plainly that the phone is offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_form_opens_and_is_filled_in_with_no_network_and_is_filed_once_it_returns() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_2077.jpg");
    std::fs::write(&photo, shanshui_tests::photos::jpeg(1600, 1200)).unwrap();
    let (plug, _driver, client) = a_phone_that_kept_the_pages(&app).await;

    signal_lost(&plug, &client).await;
    client.goto(&plug.url("/track")).await.unwrap();
    eventually("/track opens offline", async || {
        exists(&client, "#track-code").await
    })
    .await;
    client.goto(&plug.url("/stats")).await.unwrap();
    eventually("a page never kept says the phone is offline", async || {
        body_text(&client).await.contains("没有网络")
    })
    .await;

    client.goto(&plug.url("/report")).await.unwrap();
    fill_report(
        &client,
        Some(&photo),
        "河边的工厂晚上排黑水，没有信号，先填好",
    )
    .await;
    photos_prepared(&client).await;
    tap(&client, "button#submit").await;
    waits_for_the_network(&client, &app).await;

    signal_back(&plug, &client).await;
    filed_once(&client, &app).await;

    // The report followed on /track (the answer has the reporter's words):
    // the offline copy still holds only what the server sends everybody.
    let link = attr(&client, ".receipt a.track-link", "href")
        .await
        .unwrap();
    let link = if link.starts_with("http") {
        link
    } else {
        plug.url(&link)
    };
    client.goto(&link).await.unwrap();
    eventually("the report is shown on /track", async || {
        body_text(&client).await.contains("河边的工厂")
    })
    .await;
    // A page (or a script injected into one) asking the worker to keep
    // what is not everybody's: it keeps only its allow-list. The last URL
    // is allowed and not kept yet, so its arrival says the list was read.
    client
        .execute(
            r#"navigator.serviceWorker.controller.postMessage({
              type: 'keep',
              urls: ['/api/v1/me', '/pkg/../api/v1/track/BN-AAAA-AAAA', '/admin/queue',
                     'https://example.invalid/pkg/x.js', '/api/v1/categories?area=x',
                     '/vendor/leaflet/images/layers-2x.png'],
              pages: ['/admin', '/admin/queue', '/api/v1/me'],
            });"#,
            vec![],
        )
        .await
        .unwrap();
    eventually("the worker has read the page's list", async || {
        kept_offline(&client)
            .await
            .iter()
            .any(|k| k == "/vendor/leaflet/images/layers-2x.png")
    })
    .await;
    let kept = kept_offline(&client).await;
    let everybodys = |k: &str| {
        [
            "/",
            "/report",
            "/track",
            "/api/v1/categories",
            "/__shanshui/builds",
        ]
        .contains(&k)
            || [
                "/pkg/",
                "/style.css?v=",
                "/vendor/",
                "/favicon.svg",
                "/manifest.webmanifest",
            ]
            .iter()
            .any(|p| k.starts_with(p))
    };
    assert!(kept.iter().all(|k| everybodys(k)), "{kept:?}");

    client.close().await.unwrap();
    app.shutdown().await;
}

/// Issue 15's bad input: a report written offline that the server refuses
/// when the network returns (here a "photo" no one can read) is not
/// dropped: the form says what to fix, still holds what was written, and
/// sends once fixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_written_offline_and_refused_on_return_says_what_to_fix() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use server::db::entities::case;

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_2078.jpg");
    std::fs::write(&photo, b"not a photo at all, only its name says so").unwrap();
    let (plug, _driver, client) = a_phone_that_kept_the_pages(&app).await;

    signal_lost(&plug, &client).await;
    client.goto(&plug.url("/report")).await.unwrap();
    let description = "垃圾站旁边有人焚烧垃圾，浓烟很大";
    fill_report(&client, Some(&photo), description).await;
    photos_prepared(&client).await;
    tap(&client, "button#submit").await;
    eventually("the report waits for the network", async || {
        exists(&client, ".queued").await
    })
    .await;

    signal_back(&plug, &client).await;
    eventually("the form says what to fix about the photo", async || {
        exists(&client, "#err-photo").await
    })
    .await;
    assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 0);
    let kept = client
        .find(Locator::Css("textarea#description"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some(description),
        "what was written is still there"
    );

    tap(&client, ".photo-remove").await;
    tap(&client, "button#submit").await;
    eventually("the fixed report is filed", async || {
        exists(&client, ".receipt .tracking-code").await
    })
    .await;
    assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), 1);

    client.close().await.unwrap();
    app.shutdown().await;
}

/// Issue 15: six photos over a slow uplink show each photo's progress,
/// and a connection lost halfway keeps the report, which is sent again
/// whole with the same key once the network is back: one report, six
/// photos.
/// Issue 15's bad input, when the page was closed meanwhile: reports this
/// phone kept (written in the shape the app's WebAssembly wrote, so that a
/// phone that queued one before the form lost its WebAssembly still sends
/// it) are sent when `/report` is opened; one the server refuses is said,
/// with why, until the resident dismisses it, and one it files is listed
/// with its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_kept_on_the_phone_are_sent_when_the_form_opens_and_a_refusal_is_said() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (_driver, client) = start_browser().await;
    // A page of the site, so that its storage is the form's.
    client.goto(&app.url("/track")).await.unwrap();
    let kept = json!([
        {
            "key": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "created_ms": 1.0,
            "fields": [["category", "other"], ["description", "桥下雨水口排污水，之前没信号"],
                       ["lat", "29.375200"], ["lon", "106.510100"]],
            "photos": [], "attempts": 1, "next_ms": 0.0, "refused": null,
            "summary": "其他 · 桥下雨水口排污水"
        },
        {
            "key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "created_ms": 2.0,
            "fields": [["category", "no_such_category"], ["description", "这一条的类别已经不存在了"],
                       ["lat", "29.375200"], ["lon", "106.510100"]],
            "photos": [], "attempts": 1, "next_ms": 0.0, "refused": null,
            "summary": "旧类别 · 这一条的类别已经不存在了"
        }
    ]);
    client
        .execute(
            "localStorage.setItem('shanshui.outbox.v1', JSON.stringify(arguments[0]))",
            vec![kept],
        )
        .await
        .unwrap();

    client.goto(&app.url("/report")).await.unwrap();
    eventually("the refused one is said, with its summary", async || {
        exists(&client, "#outbox-notes .banner.refused").await
            && text(&client, "#outbox-notes .banner.refused")
                .await
                .contains("旧类别")
    })
    .await;
    eventually("the filed one is listed with its code", async || {
        exists(
            &client,
            "#outbox-notes .banner.sent a[href^='/track#code=']",
        )
        .await
    })
    .await;
    {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let cases = server::db::entities::case::Entity::find()
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(
            cases, 1,
            "the good one filed once, the refused one not at all"
        );
    }
    assert!(
        !exists(&client, "#outbox-waiting:not([hidden])").await,
        "the shell's notice is not shown over the form's own"
    );

    // Dismissed, it is gone for good; opened again, the form says nothing
    // of it.
    tap(&client, "#outbox-notes .banner.refused button").await;
    eventually("the refusal is dismissed", async || {
        !exists(&client, "#outbox-notes .banner.refused").await
    })
    .await;
    client.goto(&app.url("/report")).await.unwrap();
    form_is_live(&client).await;
    assert!(!exists(&client, "#outbox-notes .banner.refused").await);
    let left = client
        .execute("return localStorage.getItem('shanshui.outbox.v1')", vec![])
        .await
        .unwrap();
    assert!(left.is_null(), "{left}");

    client.close().await.unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_photos_show_their_progress_and_survive_a_connection_lost_halfway() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use server::db::entities::photo;

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..6u32)
        .map(|i| {
            let path = dir.path().join(format!("IMG_21{i:02}.jpg"));
            std::fs::write(&path, shanshui_tests::photos::busy_jpeg(1200 + 8 * i, 900)).unwrap();
            path.display().to_string()
        })
        .collect();
    let plug = shanshui_tests::plug::Plug::to(app.addr).await;
    let (_driver, client) = start_browser().await;
    client.goto(&plug.url("/report")).await.unwrap();
    fill_report(&client, None, "化工厂围墙外的沟里流出彩色废水，拍了六张").await;
    client
        .find(Locator::Css("input#photos"))
        .await
        .unwrap()
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    eventually("six photos are ready", async || {
        client
            .find_all(Locator::Css(".photo-tile img"))
            .await
            .map(|t| t.len() == 6)
            .unwrap_or(false)
    })
    .await;

    // A weak uplink: about 150 KB a second.
    plug.limit_uplink(150_000);
    tap(&client, "button#submit").await;
    let shares = async || -> Vec<u32> {
        let got = client
            .execute(
                "return [...document.querySelectorAll('.photo-progress')].map(p => Number(p.value))",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(got).unwrap_or_default()
    };
    // Each photo has its bar, in the order they are sent. (On loopback the
    // browser's socket buffer takes the whole body at once, so the bars
    // fill together here; `photo_progress`'s unit test covers the split.)
    eventually("each photo shows its progress", async || {
        shares().await.len() == 6
    })
    .await;
    let bars = shares().await;
    assert!(bars.windows(2).all(|w| w[0] >= w[1]), "in order: {bars:?}");
    // Halfway through (the server has not answered yet), the signal goes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !exists(&client, ".receipt").await,
        "the upload should still be under way at 150 KB/s"
    );
    signal_lost(&plug, &client).await;
    waits_for_the_network(&client, &app).await;

    plug.limit_uplink(0);
    signal_back(&plug, &client).await;
    filed_once(&client, &app).await;
    assert_eq!(photo::Entity::find().count(&app.db).await.unwrap(), 6);

    client.close().await.unwrap();
    app.shutdown().await;
}

/// A deploy: the worker keeps the files of the newest two builds, so a tab
/// opened before it can still load its chunks, and drops older builds
/// with any page that runs on them (never a kept page without its code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_keeps_the_last_two_builds_offline_and_drops_older_ones() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/report")).await.unwrap();
    wait_until_kept_offline(&client).await;
    // As if two builds had come before this one: their files, and a kept
    // page running on the oldest.
    client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            (async () => {
              const c = await caches.open('shanshui-offline-v1');
              await c.put('/pkg/0ld0ne/shanshui.js', new Response('old'));
              await c.put('/pkg/0ld7w0/shanshui.js', new Response('older'));
              await c.put('/style.css?v=0ld7w0', new Response('older'));
              await c.put('/track', new Response('<script src="/pkg/0ld7w0/shanshui.js"></script>', { headers: { 'content-type': 'text/html' } }));
              await c.put('/__shanshui/builds', new Response(JSON.stringify(['0ld0ne', '0ld7w0'])));
              done(true);
            })().catch(e => done(String(e)));"#,
            vec![],
        )
        .await
        .unwrap();
    // The page opened again, online: the worker keeps it with this build.
    client.goto(&app.url("/report")).await.unwrap();
    eventually("the oldest build is dropped", async || {
        !kept_offline(&client)
            .await
            .iter()
            .any(|k| k.contains("0ld7w0"))
    })
    .await;
    let kept = kept_offline(&client).await;
    assert!(
        kept.iter().any(|k| k == "/pkg/0ld0ne/shanshui.js"),
        "{kept:?}"
    );
    assert!(
        !kept.iter().any(|k| k == "/track"),
        "a page without its code: {kept:?}"
    );
    assert!(kept.iter().any(|k| k == "/report"), "{kept:?}");

    client.close().await.unwrap();
    app.shutdown().await;
}

/// The staff console on a desktop-sized window.
async fn sign_in_console(client: &Client, app: &TestApp, username: &str) {
    client.goto(&app.url("/admin")).await.unwrap();
    eventually("the sign-in form is ready", async || {
        exists(client, "#admin-username").await
    })
    .await;
    client
        .find(Locator::Css("#admin-username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    client
        .find(Locator::Css("#admin-password"))
        .await
        .unwrap()
        .send_keys(shanshui_tests::STAFF_PASSWORD)
        .await
        .unwrap();
    tap(client, "#admin-sign-in").await;
    eventually("signed in", async || exists(client, "#admin-me").await).await;
}

async fn sign_out_console(client: &Client) {
    tap(client, "#admin-sign-out").await;
    eventually("signed out", async || {
        exists(client, "#admin-username").await
    })
    .await;
}

/// Opens an action's form, lets `fill` complete it, submits, and waits for
/// the case to reach `state`.
async fn take_action(client: &Client, action: &str, state: &str, fill: impl AsyncFnOnce(&Client)) {
    let button = format!("button[data-action='{action}']");
    eventually(&format!("the {action} button shows"), async || {
        exists(client, &button).await
    })
    .await;
    tap(client, &button).await;
    eventually("the action's form opens", async || {
        exists(client, "#action-submit").await
    })
    .await;
    fill(client).await;
    tap(client, "#action-submit").await;
    let done = format!("#case-state[data-state='{state}']");
    eventually(&format!("the case is {state}"), async || {
        if exists(client, "#action-error").await {
            panic!("{action} refused: {}", text(client, "#action-error").await);
        }
        exists(client, &done).await
    })
    .await;
}

/// The reporter's phone, reloading the tracking page until it shows `state`.
async fn reporter_sees(phone: &Client, url: &str, state: &str) {
    let wanted = format!(".case-state[data-state='{state}']");
    eventually(&format!("the reporter sees {state}"), async || {
        // Only the fragment differs from the page shown: load it afresh.
        phone.goto(url).await.unwrap();
        phone.refresh().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..20 {
            if exists(phone, &wanted).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        false
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatcher_handler_and_reviewer_close_a_case_while_the_reporter_watches() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    app.staff("diao.du", Role::Dispatcher, None).await;
    app.staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    app.staff("shen.he", Role::Reviewer, None).await;
    let (code, secret) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3752, 106.5101, &[]).await;
    let track_url = app.url(&format!("/track#code={code}&secret={secret}"));

    let (_phone_driver, phone) = start_browser().await;
    reporter_sees(&phone, &track_url, "submitted").await;

    let (_desk_driver, desk) = start_desk_browser().await;
    sign_in_console(&desk, &app, "diao.du").await;
    let row = format!("tr[data-code='{code}'] a");
    eventually("the case is in the dispatcher's queue", async || {
        exists(&desk, &row).await
    })
    .await;
    // The department by its name, as people read it, not its code.
    let department = format!("tr[data-code='{code}'] td.department");
    eventually("the queue names the department", async || {
        text(&desk, &department).await.trim() == "巴南区住房和城乡建设委员会"
    })
    .await;
    tap(&desk, &row).await;
    // The case page is its own chunk: it shows once that has arrived.
    eventually("the case page shows", async || {
        exists(&desk, "#case-code").await && text(&desk, "#case-code").await.trim() == code
    })
    .await;
    take_action(&desk, "accept", "accepted", async |_| {}).await;
    take_action(&desk, "assign", "investigating", async |c: &Client| {
        eventually("the handlers are listed", async || {
            exists(c, "#action-target option[value='cheng.ban']").await
        })
        .await;
        c.find(Locator::Css("#action-target"))
            .await
            .unwrap()
            .select_by_value("cheng.ban")
            .await
            .unwrap();
    })
    .await;
    assert_eq!(text(&desk, "#case-assignee").await.trim(), "cheng.ban");
    sign_out_console(&desk).await;
    reporter_sees(&phone, &track_url, "investigating").await;

    sign_in_console(&desk, &app, "cheng.ban").await;
    desk.goto(&app.url(&format!("/admin/cases/{code}")))
        .await
        .unwrap();
    take_action(&desk, "draft_reply", "reply_review", async |c: &Client| {
        c.find(Locator::Css("#action-finding"))
            .await
            .unwrap()
            .select_by_value("substantiated")
            .await
            .unwrap();
        // The templates arrive from the server: the best fitting one is
        // filled in as a start.
        eventually("a template to start from", async || {
            !value_of(c, "#action-reply").await.is_empty()
        })
        .await;
        let reply = c.find(Locator::Css("#action-reply")).await.unwrap();
        reply.clear().await.unwrap();
        reply
            .send_keys("经夜间现场核查，工地违规夜间施工属实，已责令停工并立案处罚。")
            .await
            .unwrap();
        c.find(Locator::Css("#action-taken"))
            .await
            .unwrap()
            .send_keys("责令停工，罚款")
            .await
            .unwrap();
    })
    .await;
    sign_out_console(&desk).await;
    reporter_sees(&phone, &track_url, "reply_review").await;
    assert!(
        !exists(&phone, "#case-reply").await,
        "a draft is not shown to the reporter"
    );

    sign_in_console(&desk, &app, "shen.he").await;
    desk.goto(&app.url(&format!("/admin/cases/{code}")))
        .await
        .unwrap();
    eventually("the reply is shown for review", async || {
        exists(&desk, "#case-reply").await
    })
    .await;
    take_action(&desk, "approve_reply", "closed", async |_| {}).await;
    // What is left is the public record (信息公开): the reviewer writes it.
    take_action(&desk, "disclose", "closed", async |c| {
        let summary = c.find(Locator::Css("#public-summary")).await.unwrap();
        summary
            .send_keys("鱼洞街道某工地夜间施工噪声扰民")
            .await
            .unwrap();
    })
    .await;
    eventually("it is public and can be withdrawn", async || {
        exists(&desk, "button[data-action='undisclose']").await
    })
    .await;
    let public = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        public.contains("鱼洞街道某工地夜间施工噪声扰民"),
        "{public}"
    );

    reporter_sees(&phone, &track_url, "closed").await;
    assert!(
        text(&phone, "#case-reply")
            .await
            .contains("工地违规夜间施工属实")
    );
    // The reporter disagrees, once.
    phone
        .find(Locator::Css("#contest-reason"))
        .await
        .unwrap()
        .send_keys("23点后仍在施工，有录音。")
        .await
        .unwrap();
    tap(&phone, "#contest-submit").await;
    eventually("the reply is back in review", async || {
        exists(&phone, ".case-state[data-state='reply_review']").await
    })
    .await;
    assert!(!exists(&phone, "#contest-form").await);
    let overflow = sideways_overflow(&phone).await;
    assert!(
        overflow <= 0,
        "the tracking page fits the phone: {overflow}"
    );

    desk.close().await.unwrap();
    phone.close().await.unwrap();
    app.shutdown().await;
}

/// From a hydrated page (the console's sign-in), the link to the report
/// form is followed by the browser: the form is rendered on the server and
/// runs on its own script, not on the console's WebAssembly (whose intake
/// chunk is never fetched for it); its receipt's link opens the case on
/// the tracking page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_console_the_report_form_is_a_page_of_its_own_that_works() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/admin")).await.unwrap();
    open_menu_once_hydrated(&client).await;
    let wasm = wasm_fetched(&client).await;
    assert!(
        wasm.iter().any(|w| w.ends_with("/shanshui_bg.wasm"))
            && !wasm.iter().any(|w| w.contains("report_route")),
        "the console's first page fetches the main module and its own chunks only: {wasm:?}"
    );

    // A mark that a full page load wipes out.
    client
        .execute("window.stillTheSamePage = true", vec![])
        .await
        .unwrap();
    client
        .find(Locator::Css("#site-nav a[href='/report']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill_report(&client, None, "小区门口的烧烤摊每晚油烟很大，窗户都打不开").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/report");
    assert_eq!(
        client
            .execute("return window.stillTheSamePage === true", vec![])
            .await
            .unwrap(),
        json!(false),
        "the link was followed by the browser"
    );
    assert!(
        wasm_fetched(&client).await.is_empty(),
        "the form runs on no WebAssembly"
    );
    tap(&client, "button#submit").await;
    eventually("the receipt shows a tracking code", async || {
        exists(&client, ".receipt .tracking-code").await
    })
    .await;

    // From the receipt to the tracking page, rendered by the server: the
    // case is looked up from the link's fragment.
    tap(&client, "a.track-link").await;
    eventually("the case is shown on the tracking page", async || {
        exists(&client, ".case-state").await
    })
    .await;

    client.close().await.unwrap();
    app.shutdown().await;
}

/// Like `take_action`, for a reward step: waits for the reward's state.
async fn take_reward_action(
    client: &Client,
    action: &str,
    reward_state: &str,
    fill: impl AsyncFnOnce(&Client),
) {
    let button = format!("button[data-action='{action}']");
    eventually(&format!("the {action} button shows"), async || {
        exists(client, &button).await
    })
    .await;
    tap(client, &button).await;
    eventually("the action's form opens", async || {
        exists(client, "#action-submit").await
    })
    .await;
    fill(client).await;
    tap(client, "#action-submit").await;
    let done = format!("#reward-state[data-state='{reward_state}']");
    eventually(&format!("the reward is {reward_state}"), async || {
        if exists(client, "#action-error").await {
            panic!("{action} refused: {}", text(client, "#action-error").await);
        }
        exists(client, &done).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_is_proposed_approved_claimed_on_a_phone_and_paid() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    app.staff("jiang.li", Role::RewardReviewer, None).await;
    app.staff("cai.wu", Role::Finance, None).await;
    let (code, secret) = shanshui_tests::file_report(
        &app,
        "noise_construction",
        29.3752,
        106.5101,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    // The case workflow itself has its own browser test; here it is set up
    // through the API and closed as substantiated.
    for (who, body) in [
        (&handler, json!({ "action": "accept" })),
        (
            &handler,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        ),
        (
            &handler,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实，已处罚。" }),
        ),
        (&reviewer, json!({ "action": "approve_reply" })),
    ] {
        assert_eq!(who.act(&code, body).await.0, 200);
    }
    let case_url = app.url(&format!("/admin/cases/{code}"));

    let (_desk_driver, desk) = start_desk_browser().await;
    sign_in_console(&desk, &app, "cheng.ban").await;
    desk.goto(&case_url).await.unwrap();
    eventually("the eligibility is shown", async || {
        exists(&desk, ".eligibility[data-eligible='true']").await
    })
    .await;
    take_reward_action(&desk, "propose_reward", "proposed", async |c: &Client| {
        eventually("the tiers are listed", async || {
            exists(c, "#reward-tier option[value='tier_500']").await
        })
        .await;
        c.find(Locator::Css("#reward-tier"))
            .await
            .unwrap()
            .select_by_value("tier_500")
            .await
            .unwrap();
        let amount = c.find(Locator::Css("#reward-amount")).await.unwrap();
        assert_eq!(
            amount.prop("value").await.unwrap().as_deref(),
            Some("500.00"),
            "a fixed tier fills in its amount"
        );
        c.find(Locator::Css("#action-note"))
            .await
            .unwrap()
            .send_keys("夜间施工证据充分，录音清楚")
            .await
            .unwrap();
    })
    .await;
    sign_out_console(&desk).await;

    sign_in_console(&desk, &app, "jiang.li").await;
    desk.goto(&app.url("/admin/rewards")).await.unwrap();
    let row = format!("tr[data-code='{code}'] a");
    eventually("the proposal is in the reward queue", async || {
        exists(&desk, &row).await
    })
    .await;
    tap(&desk, &row).await;
    take_reward_action(&desk, "approve_reward", "approved", async |_| {}).await;
    sign_out_console(&desk).await;

    let (_phone_driver, phone) = start_browser().await;
    let track_url = app.url(&format!("/track#code={code}&secret={secret}"));
    phone.goto(&track_url).await.unwrap();
    eventually("the reporter sees the reward", async || {
        exists(&phone, "#reward[data-state='approved']").await
    })
    .await;
    assert_eq!(text(&phone, "#reward-amount").await.trim(), "500.00");
    phone
        .find(Locator::Css("#payout-account"))
        .await
        .unwrap()
        .send_keys("6222 0200 0000 0000")
        .await
        .unwrap();
    tap(&phone, "#claim-submit").await;
    eventually("the claim is recorded", async || {
        exists(&phone, "#reward[data-state='claimed']").await
    })
    .await;
    let overflow = sideways_overflow(&phone).await;
    assert!(overflow <= 0, "the reward fits the phone: {overflow}");

    sign_in_console(&desk, &app, "cai.wu").await;
    // Finance reads where to pay, on the rewards page (each look audited).
    desk.goto(&app.url("/admin/rewards")).await.unwrap();
    let reveal = format!("tr[data-code='{code}'] .payout-reveal");
    eventually("the claimed reward offers its payout account", async || {
        exists(&desk, &reveal).await
    })
    .await;
    tap(&desk, &reveal).await;
    let account = format!("tr[data-code='{code}'] .payout-account");
    eventually("the payout account is shown", async || {
        exists(&desk, &account).await
    })
    .await;
    assert_eq!(text(&desk, &account).await.trim(), "6222 0200 0000 0000");
    desk.goto(&case_url).await.unwrap();
    take_reward_action(&desk, "pay_reward", "paid", async |c: &Client| {
        c.find(Locator::Css("#payment-reference"))
            .await
            .unwrap()
            .send_keys("CQ-2026-0001")
            .await
            .unwrap();
    })
    .await;

    phone.refresh().await.unwrap();
    eventually("the reporter sees it paid", async || {
        exists(&phone, "#reward[data-state='paid']").await
    })
    .await;
    desk.close().await.unwrap();
    phone.close().await.unwrap();
    app.shutdown().await;
}

/// Whether the page is wider than the phone's screen (sideways scrolling):
/// wider than the layout's width (`clientWidth`, without a scrollbar).
async fn scrolls_sideways(client: &Client) -> bool {
    sideways_overflow(client).await > 1
}

/// How many CSS pixels the page is wider than the layout's width.
async fn sideways_overflow(client: &Client) -> i64 {
    client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_reads_cases_and_statistics_on_a_phone() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (public, _) =
        shanshui_tests::file_report(&app, "noise_construction_night", 29.3752, 106.5101, &[]).await;
    let (other, _) =
        shanshui_tests::file_report(&app, "water_black_odorous", 29.4065, 106.6074, &[]).await;
    let dispatcher = app.staff("diao.du", shared::Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher
            .act(&public, json!({ "action": "accept" }))
            .await
            .0,
        200
    );
    // Under investigation: the longest state in English to fit a phone.
    app.staff(
        "cheng.ban",
        shared::Role::Handler,
        Some("housing_construction"),
    )
    .await;
    assert_eq!(
        dispatcher
            .act(
                &public,
                json!({ "action": "assign", "assignee": "cheng.ban" })
            )
            .await
            .0,
        200
    );
    let (status, _) = dispatcher
        .act(&public, json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工噪声扰民", "actions_taken": "已责令停工" }))
        .await;
    assert_eq!(status, 200);

    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/cases")).await.unwrap();
    assert!(
        exists(&client, "svg.district-map .map-pin").await,
        "the map shows the cases"
    );
    let row = format!("#cases-table tr[data-code='{public}']");
    assert!(
        text(&client, &row)
            .await
            .contains("鱼洞街道某工地夜间施工噪声扰民")
    );
    assert!(
        exists(
            &client,
            &format!("#cases-table tr[data-code='{other}'].undisclosed")
        )
        .await
    );
    assert!(
        !scrolls_sideways(&client).await,
        "/cases fits a 390 px screen"
    );
    // In English too, where a case's state is longer.
    let cases_url = app.url("/cases");
    let lang = |value: &'static str| {
        let (client, url) = (client.clone(), cases_url.clone());
        async move {
            client
                .execute(&format!("document.cookie = 'lang={value}; Path=/'"), vec![])
                .await
                .unwrap();
            client.goto(&url).await.unwrap();
        }
    };
    lang("en").await;
    assert!(
        text(&client, &row).await.contains("Under investigation"),
        "{}",
        text(&client, &row).await
    );
    assert!(
        !scrolls_sideways(&client).await,
        "/cases in English fits a 390 px screen"
    );
    lang("zh-CN").await;

    // Into a case, by a plain link.
    tap(&client, &format!("{row} a[href='/cases/{public}']")).await;
    eventually("the case page shows its public record", async || {
        exists(&client, "#case-summary").await
    })
    .await;
    assert_eq!(text(&client, "#case-code").await, public);
    assert!(
        !scrolls_sideways(&client).await,
        "a case page fits a 390 px screen"
    );
    assert_eq!(
        code_fetched(&client).await,
        Vec::<String>::new(),
        "the open-information pages come without script files or WebAssembly"
    );

    // The filters, as a plain form.
    client
        .goto(&app.url("/cases?category=water_black_odorous"))
        .await
        .unwrap();
    eventually("the filtered list", async || {
        exists(&client, &format!("#cases-table tr[data-code='{other}']")).await
    })
    .await;
    assert!(
        !exists(&client, &row).await,
        "the other category is filtered out"
    );

    client.goto(&app.url("/stats")).await.unwrap();
    assert_eq!(text(&client, "#stat-total").await, "2");
    assert!(
        exists(&client, "svg.chart.columns rect.chart-bar").await
            && exists(&client, "svg.chart.hbars").await
    );
    assert!(exists(&client, "#targets tr[data-code='good_air_days']").await);
    assert!(
        !scrolls_sideways(&client).await,
        "/stats fits a 390 px screen"
    );

    client.close().await.unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_publishes_a_notice_that_the_public_then_reads() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    app.staff("shen.he", shared::Role::Reviewer, None).await;
    let (_driver, client) = start_browser().await;
    sign_in_console(&client, &app, "shen.he").await;
    tap(&client, "a[href='/admin/publishing']").await;
    eventually("the notice form", async || {
        exists(&client, "#notice-form").await
    })
    .await;
    client
        .find(Locator::Css("#notice-title"))
        .await
        .unwrap()
        .send_keys("关于高考期间加强噪声管控的通告")
        .await
        .unwrap();
    client
        .find(Locator::Css("#notice-body"))
        .await
        .unwrap()
        .send_keys("6 月 7 日至 9 日,考点周边 **禁止** 夜间施工。")
        .await
        .unwrap();
    tap(&client, "#notice-save").await;
    eventually("the notice is listed", async || {
        text(&client, "#admin-notices")
            .await
            .contains("关于高考期间加强噪声管控的通告")
    })
    .await;

    // The public reads it, its Markdown rendered and sanitised.
    client.goto(&app.url("/info")).await.unwrap();
    eventually("the notice on /info", async || {
        text(&client, "#notices")
            .await
            .contains("关于高考期间加强噪声管控的通告")
    })
    .await;
    tap(&client, "#notices h3 a").await;
    eventually("the notice's page", async || {
        exists(&client, "#notice .prose strong").await
    })
    .await;
    assert_eq!(text(&client, "#notice .prose strong").await, "禁止");
    assert!(!scrolls_sideways(&client).await);

    client.close().await.unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_a_departments_webhook_signing_secret_in_the_console() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let admin = app.staff("guan.li", shared::Role::Admin, None).await;
    let (_driver, client) = start_desk_browser().await;
    sign_in_console(&client, &app, "guan.li").await;
    tap(&client, "a[href='/admin/departments']").await;
    let button = "#webhook-secret-housing_construction";
    eventually("the departments table", async || {
        exists(&client, button).await
    })
    .await;
    tap(&client, button).await;
    eventually("the secret is shown", async || {
        exists(&client, "code.webhook-secret").await
    })
    .await;
    let shown = text(&client, "code.webhook-secret").await;
    let (_, answer) = admin
        .get("/api/v1/departments/housing_construction/webhook-secret")
        .await;
    assert_eq!(Some(shown.trim()), answer["secret"].as_str());
    assert_eq!(shown.trim().len(), 64);
    client.close().await.unwrap();
    app.shutdown().await;
}

/// A value typed into a form field, by CSS selector.
async fn type_into(client: &Client, css: &str, value: &str) {
    let el = client.find(Locator::Css(css)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

/// A form field's current value (what the user sees, not the attribute).
async fn value_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The handlers' workbench at phone size (issue 17): a handler starts on
/// their day, goes to the queue, opens a case, assigns it to themselves,
/// records an internal note and drafts the reply from a template whose
/// placeholders they fill — with the thumb, never scrolling sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_works_a_case_from_their_day_on_a_phone() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    app.staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (code, secret) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3753, 106.5102, &[]).await;
    let (status, body) = dispatcher.act(&code, json!({ "action": "accept" })).await;
    assert_eq!(status, 200, "{body}");
    // The dispatcher asks the handler by name: a mention, in the handler's day.
    let (status, body) = dispatcher
        .post(
            &format!("/api/v1/cases/{code}/notes"),
            json!({ "body": "@cheng.ban 请今晚到现场核查" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A template with placeholders of both kinds: from the case, and typed.
    let (status, body) = admin
        .post(
            "/api/v1/reply-templates",
            json!({
                "category": "noise_construction",
                "finding": "substantiated",
                "title": "夜间施工噪声属实（测试）",
                "body": "您反映的问题（编号{{code}}）经{{inspection_date}}现场核查，{{site}}夜间施工，噪声{{measurement}}，属实。"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let template_id = body["id"].as_i64().unwrap().to_string();

    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "cheng.ban").await;
    // The start page is the day, with the mention in it.
    eventually("My day shows", async || exists(&phone, "#day-title").await).await;
    let mention = format!("#day-mentions a[href^='/admin/cases/{code}']");
    eventually("the mention is in the day", async || {
        exists(&phone, &mention).await
    })
    .await;
    assert!(text(&phone, &mention).await.contains("请今晚到现场核查"));
    assert!(
        !scrolls_sideways(&phone).await,
        "My day fits a 390 px screen"
    );

    tap(&phone, "#day-to-queue").await;
    let row = format!("tr[data-code='{code}'] td.code a");
    eventually("the case is in the queue", async || {
        exists(&phone, &row).await
    })
    .await;
    // A card, with the department and the priority by name.
    assert_eq!(
        text(&phone, &format!("tr[data-code='{code}'] td.department"))
            .await
            .trim(),
        "巴南区住房和城乡建设委员会"
    );
    assert!(
        !scrolls_sideways(&phone).await,
        "the queue fits a 390 px screen"
    );
    tap(&phone, &row).await;
    eventually("the case page shows", async || {
        exists(&phone, "#case-code").await && text(&phone, "#case-code").await.trim() == code
    })
    .await;
    let navigate = attr(&phone, "#case-navigate", "href").await.unwrap();
    assert!(
        navigate.starts_with("geo:29.375300,106.510200?q="),
        "{navigate}"
    );
    take_action(&phone, "assign", "investigating", async |c: &Client| {
        eventually("the handlers are listed", async || {
            exists(c, "#action-target option[value='cheng.ban']").await
        })
        .await;
        c.find(Locator::Css("#action-target"))
            .await
            .unwrap()
            .select_by_value("cheng.ban")
            .await
            .unwrap();
    })
    .await;
    assert_eq!(text(&phone, "#case-assignee").await.trim(), "cheng.ban");
    assert!(
        !scrolls_sideways(&phone).await,
        "the case fits a 390 px screen"
    );

    // An internal note, with a mention shown as text (never as markup).
    eventually("the notes show", async || {
        exists(&phone, "#note-body").await
    })
    .await;
    type_into(
        &phone,
        "#note-body",
        "已到现场 <b>未停工</b>，@diao.du 请协调城管",
    )
    .await;
    tap(&phone, "#note-submit").await;
    eventually("the note is listed", async || {
        text(&phone, "#notes-list").await.contains("未停工")
    })
    .await;
    assert!(text(&phone, "#notes-list").await.contains("<b>未停工</b>"));
    assert!(
        !exists(&phone, "#notes-list b").await,
        "a note is text, not markup"
    );
    assert_eq!(
        text(&phone, "#notes-list .note:last-child .mention").await,
        "@diao.du"
    );
    let (_, tracked) = app.track(&code, &secret).await;
    assert!(
        !tracked.to_string().contains("未停工"),
        "the reporter never reads a note: {tracked}"
    );

    take_action(&phone, "draft_reply", "reply_review", async |c: &Client| {
        c.find(Locator::Css("#action-finding"))
            .await
            .unwrap()
            .select_by_value("substantiated")
            .await
            .unwrap();
        let option = format!("#template-pick option[value='{template_id}']");
        eventually("the template is offered", async || exists(c, &option).await).await;
        c.find(Locator::Css("#template-pick"))
            .await
            .unwrap()
            .select_by_value(&template_id)
            .await
            .unwrap();
        eventually("its placeholders ask for input", async || {
            exists(c, "#slot-inspection_date").await
        })
        .await;
        // The case's own facts are filled in already.
        assert_eq!(value_of(c, "#slot-code").await, code);
        type_into(c, "#slot-inspection_date", "12月3日晚").await;
        type_into(c, "#slot-site", "鱼洞某工地").await;
        type_into(c, "#slot-measurement", "62 dB(A)").await;
        tap(c, "#template-fill").await;
        let reply = value_of(c, "#action-reply").await;
        assert!(!reply.contains("{{"), "every placeholder filled: {reply}");
        assert!(
            reply.contains(&format!("编号{code}")) && reply.contains("噪声62 dB(A)"),
            "{reply}"
        );
        // The reply stays editable.
        c.find(Locator::Css("#action-reply"))
            .await
            .unwrap()
            .send_keys("已责令停工。")
            .await
            .unwrap();
        assert!(
            !scrolls_sideways(c).await,
            "the reply form fits a 390 px screen"
        );
    })
    .await;
    let case = dispatcher.case(&code).await;
    let reply = case["reply"].as_str().unwrap();
    assert!(
        reply.contains("经12月3日晚现场核查，鱼洞某工地夜间施工")
            && reply.ends_with("已责令停工。"),
        "{reply}"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// Bulk work at phone size: a dispatcher picks three cases on the queue's
/// cards and assigns them in one step; the one still waiting to be accepted
/// cannot be assigned, and the answer lists it as refused with the reason
/// beside the two that were assigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_assigns_cases_in_bulk_from_the_queue_on_a_phone() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    app.staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let mut codes = Vec::new();
    for (lat, lon) in [
        (29.3752, 106.5101),
        (29.3902, 106.5301),
        (29.4052, 106.5501),
    ] {
        let (code, _) =
            shanshui_tests::file_report(&app, "noise_construction", lat, lon, &[]).await;
        codes.push(code);
    }
    let (accepted, waiting) = (&codes[..2], &codes[2]);
    for code in accepted {
        let (status, body) = dispatcher.act(code, json!({ "action": "accept" })).await;
        assert_eq!(status, 200, "{body}");
    }

    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "diao.du").await;
    for code in &codes {
        let pick = format!("tr[data-code='{code}'] input.pick-case");
        eventually("the case is in the queue", async || {
            exists(&phone, &pick).await
        })
        .await;
        tap(&phone, &pick).await;
    }
    eventually("the bar counts three", async || {
        exists(&phone, "#bulk-count").await && text(&phone, "#bulk-count").await.contains('3')
    })
    .await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the queue fits a 390 px screen"
    );
    tap(&phone, "button[data-bulk='assign']").await;
    eventually("the handlers are listed", async || {
        exists(&phone, "#bulk-assignee option[value='cheng.ban']").await
    })
    .await;
    phone
        .find(Locator::Css("#bulk-assignee"))
        .await
        .unwrap()
        .select_by_value("cheng.ban")
        .await
        .unwrap();
    assert!(
        !scrolls_sideways(&phone).await,
        "the bulk bar fits a 390 px screen"
    );
    tap(&phone, "#bulk-submit").await;
    eventually("the answer shows", async || {
        if exists(&phone, "#bulk-error").await {
            panic!("bulk refused: {}", text(&phone, "#bulk-error").await);
        }
        exists(&phone, "#bulk-result").await
    })
    .await;
    for code in accepted {
        assert!(
            exists(&phone, &format!(".bulk-done li[data-code='{code}']")).await,
            "{code} is listed as done"
        );
        let case = dispatcher.case(code).await;
        assert_eq!(case["assignee"], "cheng.ban");
        assert_eq!(case["state"], "investigating");
    }
    let refused = format!(".bulk-refused li[data-code='{waiting}']");
    assert!(
        exists(&phone, &refused).await,
        "{waiting} is listed as refused"
    );
    let why = text(&phone, &refused).await;
    assert!(why.len() > waiting.len() + 4, "with the reason: {why}");
    let case = dispatcher.case(waiting).await;
    assert_eq!(case["state"], "submitted");
    assert!(case["assignee"].is_null(), "nothing half-applied: {case}");
    assert!(
        !exists(&phone, "#bulk-bar").await,
        "the selection is cleared"
    );
    assert!(
        !scrolls_sideways(&phone).await,
        "the answer fits a 390 px screen"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// The case page warns of the earlier cases at its place (重复投诉), with
/// links, and says nothing where there are none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_page_warns_of_earlier_cases_at_the_same_place() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    app.staff("diao.du", Role::Dispatcher, None).await;
    let (first, _) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3752, 106.5101, &[]).await;
    let (second, _) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3753, 106.5102, &[]).await;
    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "diao.du").await;

    phone
        .goto(&app.url(&format!("/admin/cases/{second}")))
        .await
        .unwrap();
    let link = format!("#earlier-here a[href='/admin/cases/{first}']");
    eventually("the earlier case here is named", async || {
        exists(&phone, &link).await
    })
    .await;
    assert_eq!(
        attr(&phone, "#earlier-here", "data-count").await.as_deref(),
        Some("1")
    );
    assert!(
        !scrolls_sideways(&phone).await,
        "the warning fits a 390 px screen"
    );
    tap(&phone, &link).await;
    eventually("the earlier case opens", async || {
        exists(&phone, "#case-code").await && text(&phone, "#case-code").await.trim() == first
    })
    .await;
    assert!(
        !exists(&phone, "#earlier-here").await,
        "the first case has none before it"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// Reply templates are kept in the console by an admin, at phone size: an
/// unknown placeholder is caught while typing and refused by the server
/// (its message shown, nothing saved); a good one is added for a category
/// group, edited and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_keeps_the_reply_templates_in_the_console() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let count = async || {
        let (status, list) = admin.get("/api/v1/reply-templates").await;
        assert_eq!(status, 200);
        list.as_array().unwrap().len()
    };
    let before = count().await;
    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "guan.li").await;
    phone.goto(&app.url("/admin/templates")).await.unwrap();
    eventually("the templates are listed", async || {
        exists(&phone, "#template-list li.template").await
    })
    .await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the page fits a 390 px screen"
    );

    type_into(&phone, "#template-title", "夜间施工复查（测试）").await;
    type_into(
        &phone,
        "#template-body",
        "经{{inspection_date}}复查，罚款{{fine}}。",
    )
    .await;
    eventually(
        "the unknown placeholder is named while typing",
        async || {
            exists(&phone, "#template-check").await
                && text(&phone, "#template-check").await.contains("{{fine}}")
        },
    )
    .await;
    tap(&phone, "#template-save").await;
    eventually("the server's refusal is shown", async || {
        exists(&phone, "#template-error").await
    })
    .await;
    assert!(text(&phone, "#template-error").await.contains("fine"));
    assert_eq!(count().await, before, "nothing saved");

    type_into(&phone, "#template-body", "经{{inspection_date}}复查，").await;
    tap(&phone, "button[data-placeholder='measures']").await;
    assert_eq!(
        value_of(&phone, "#template-body").await,
        "经{{inspection_date}}复查，{{measures}}"
    );
    phone
        .find(Locator::Css("#template-category"))
        .await
        .unwrap()
        .select_by_value("noise_construction")
        .await
        .unwrap();
    tap(&phone, "#template-save").await;
    eventually("the template is saved", async || {
        count().await == before + 1
    })
    .await;
    let (_, list) = admin.get("/api/v1/reply-templates").await;
    let saved = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "夜间施工复查（测试）")
        .unwrap()
        .clone();
    assert_eq!(saved["category"], "noise_construction");
    assert_eq!(saved["body"], "经{{inspection_date}}复查，{{measures}}");
    let id = saved["id"].as_i64().unwrap();
    let item = format!("#template-list li[data-id='{id}']");
    eventually("it is listed", async || exists(&phone, &item).await).await;

    tap(&phone, &format!("button[data-edit='{id}']")).await;
    assert_eq!(
        value_of(&phone, "#template-title").await,
        "夜间施工复查（测试）"
    );
    type_into(&phone, "#template-title", "夜间施工复查").await;
    tap(&phone, "#template-save").await;
    eventually("the edit is listed", async || {
        text(&phone, &format!("{item} h2")).await == "夜间施工复查"
    })
    .await;

    // Deleting asks once more, on the same button.
    let delete = format!("button[data-delete='{id}']");
    tap(&phone, &delete).await;
    assert!(exists(&phone, &item).await, "one tap does not delete");
    tap(&phone, &delete).await;
    eventually("it is gone", async || !exists(&phone, &item).await).await;
    assert_eq!(count().await, before);

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// 代录: a dispatcher keys in a 12345 hotline call from the console on a
/// phone-sized screen, reads the code and the secret out to the caller
/// (who can then follow the case), and finds it in the queue by its road.
/// The desk's browser keeps neither the report nor the receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_files_a_hotline_call_in_the_console_on_a_phone() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;

    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "diao.du").await;
    tap(&phone, "a[href='/admin/intake']").await;
    eventually("the roads are offered", async || {
        exists(&phone, "#channel-phone_12345").await
    })
    .await;
    assert!(
        !exists(&phone, "#channel-web").await,
        "a resident's own road is not offered"
    );
    // Submitting without a road says so, and files nothing. The caller
    // also sent a photo by the hotline's app, taken with the phone's GPS on:
    // the console's page prepares it (the report form's photos.js) and
    // shows that it carries a position.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_2790.jpg");
    std::fs::write(
        &photo,
        shanshui_tests::photos::jpeg_with_gps(2400, 1800, 29.3752, 106.5101),
    )
    .unwrap();
    fill_report(
        &phone,
        Some(&photo),
        "来电反映：河边工地夜里一直用电锯，吵得睡不着",
    )
    .await;
    photos_prepared(&phone).await;
    assert!(
        exists(&phone, ".photo-tile .photo-gps").await,
        "the photo's position is read on the console's page"
    );
    tap(&phone, "button#submit").await;
    eventually("the missing road is named", async || {
        exists(&phone, "#err-channel").await
    })
    .await;
    tap(&phone, "#channel-phone_12345").await;
    tap(&phone, "#real-name").await;
    type_into(&phone, "#name", "李秀英").await;
    type_into(&phone, "#phone", "13987654321").await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the form fits a 390 px screen"
    );
    tap(&phone, "button#submit").await;
    eventually("the receipt shows the code and the secret", async || {
        exists(&phone, "#caller-secret").await
    })
    .await;
    let code = text(&phone, "#caller-code").await.trim().to_owned();
    let secret = text(&phone, "#caller-secret").await.trim().to_owned();
    assert!(
        !scrolls_sideways(&phone).await,
        "the receipt fits a 390 px screen"
    );

    // What was read out opens the caller's view of the case.
    let (status, view) = app.track(&code, &secret).await;
    assert_eq!(status, 200, "{view}");
    let case = dispatcher.case(&code).await;
    assert_eq!(case["channel"], "phone_12345");
    assert_eq!(
        case["reports"][0]["photos"].as_array().map(Vec::len),
        Some(1),
        "the photo was filed with the call: {case}"
    );
    let kept = phone
        .execute(
            "return [localStorage.getItem('shanshui.reports.v1'), localStorage.getItem('shanshui.outbox.v1')]",
            vec![],
        )
        .await
        .unwrap()
        .to_string();
    assert!(!kept.contains(&secret) && !kept.contains(&code), "{kept}");

    // The queue, filtered by the road, shows it with its tag.
    phone.goto(&app.url("/admin/queue")).await.unwrap();
    eventually("the channel filter is offered", async || {
        exists(&phone, "#queue-channel option[value='phone_12345']").await
    })
    .await;
    // On a phone the filters are folded away under their summary.
    if !phone
        .find(Locator::Css("#queue-channel"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap()
    {
        tap(&phone, ".admin-filters-wrap > summary").await;
    }
    phone
        .find(Locator::Css("#queue-channel"))
        .await
        .unwrap()
        .select_by_value("phone_12345")
        .await
        .unwrap();
    let row = format!("tr[data-code='{code}'] .tag.channel[data-channel='phone_12345']");
    eventually("the case is listed with its road", async || {
        exists(&phone, &row).await
    })
    .await;
    assert_eq!(text(&phone, &row).await.trim(), "12345 热线");

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// 更正类别: a dispatcher corrects a case filed under the wrong category
/// from a phone, is shown where the rules now send it, and transfers it
/// there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_corrects_a_category_and_transfers_where_the_rules_say() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let (code, _) =
        shanshui_tests::file_report(&app, "noise_traffic", 29.3752, 106.5101, &[]).await;

    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "diao.du").await;
    phone
        .goto(&app.url(&format!("/admin/cases/{code}")))
        .await
        .unwrap();
    take_action(&phone, "recategorize", "submitted", async |c| {
        eventually("the categories are listed", async || {
            exists(c, "#action-target option[value='noise_construction']").await
        })
        .await;
        c.find(Locator::Css("#action-target"))
            .await
            .unwrap()
            .select_by_value("noise_construction")
            .await
            .unwrap();
        type_into(c, "#action-note", "现场核实为工地夜间施工").await;
    })
    .await;
    eventually("the rules' department is named", async || {
        exists(
            &phone,
            "#routing-suggestion[data-department='housing_construction']",
        )
        .await
    })
    .await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the case fits a 390 px screen"
    );
    assert_eq!(
        dispatcher.case(&code).await["category"]["code"],
        "noise_construction"
    );
    take_action(&phone, "transfer", "submitted", async |c| {
        eventually("the departments are listed", async || {
            exists(c, "#action-target option[value='housing_construction']").await
        })
        .await;
        c.find(Locator::Css("#action-target"))
            .await
            .unwrap()
            .select_by_value("housing_construction")
            .await
            .unwrap();
        type_into(c, "#action-note", "按更正后的类别转办").await;
    })
    .await;
    eventually("no suggestion once it is there", async || {
        !exists(&phone, "#routing-suggestion").await
    })
    .await;
    assert_eq!(
        dispatcher.case(&code).await["department"],
        "housing_construction"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// A construction-noise case at Yudong, accepted and assigned to the
/// housing department's handler `cheng.ban`, whose phone is signed in and
/// open on the case's console page.
async fn a_case_under_investigation(
    app: &TestApp,
) -> (String, shanshui_tests::Staff, Driver, Client) {
    let handler = app
        .staff(
            "cheng.ban",
            shared::Role::Handler,
            Some("housing_construction"),
        )
        .await;
    let (code, _) =
        shanshui_tests::file_report(app, "noise_construction", 29.3752, 106.5101, &[]).await;
    for step in [
        json!({ "action": "accept" }),
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    ] {
        let (status, body) = handler.act(&code, step).await;
        assert_eq!(status, 200, "{body}");
    }
    let (driver, phone) = start_browser().await;
    sign_in_console(&phone, app, "cheng.ban").await;
    phone
        .goto(&app.url(&format!("/admin/cases/{code}")))
        .await
        .unwrap();
    (code, handler, driver, phone)
}

/// 查处结果 from a phone: a handler records a penalty decision on the case
/// page (a mistyped credit code is flagged as it is typed), a reviewer
/// publishes it, and the public reads it on `/info` at 390 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_records_a_penalty_that_the_public_then_reads_on_info() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, handler, _driver, phone) = a_case_under_investigation(&app).await;
    take_action(&phone, "record_penalty", "investigating", async |c| {
        type_into(c, "#penalty-decision-no", "渝（巴）住建罚〔2026〕12号").await;
        type_into(c, "#penalty-enterprise", "重庆某建设工程有限公司").await;
        type_into(c, "#penalty-credit-code", "91500113MA5U12354P").await;
        eventually("the mistyped code is flagged", async || {
            exists(c, "#credit-code-error").await
        })
        .await;
        type_into(c, "#penalty-credit-code", "91500113MA5U12345P").await;
        eventually("the right code is not", async || {
            !exists(c, "#credit-code-error").await
        })
        .await;
        type_into(c, "#penalty-provision", "夜间施工未取得证明，违反噪声污染防治法第四十三条").await;
        type_into(c, "#penalty-fine", "2000").await;
        c.execute(
            "const d = document.getElementById('penalty-date'); d.value = '2026-11-30'; d.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
        assert!(!scrolls_sideways(c).await, "the form fits a 390 px screen");
    })
    .await;
    eventually("the penalty is listed on the case", async || {
        exists(
            &phone,
            "#penalties li[data-decision='渝（巴）住建罚〔2026〕12号']",
        )
        .await
    })
    .await;
    let case = handler.case(&code).await;
    assert_eq!(case["penalties"][0]["fine_fen"], 200_000, "{case}");
    let (status, body) = reviewer
        .act(
            &code,
            json!({ "action": "publish_penalty", "decision_no": "渝（巴）住建罚〔2026〕12号" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    phone.goto(&app.url("/info")).await.unwrap();
    let card = "#penalties article.penalty[data-decision='渝（巴）住建罚〔2026〕12号']";
    eventually("the public reads the penalty", async || {
        exists(&phone, card).await
    })
    .await;
    let shown = text(&phone, card).await;
    assert!(
        shown.contains("重庆某建设工程有限公司") && shown.contains("2000") && shown.contains(&code),
        "{shown}"
    );
    assert!(
        !scrolls_sideways(&phone).await,
        "/info fits a 390 px screen"
    );

    // The enterprise's page, from the card's credit code.
    tap(
        &phone,
        &format!("{card} a[href='/info/enterprises/91500113MA5U12345P']"),
    )
    .await;
    eventually("the enterprise's page shows its penalty", async || {
        exists(
            &phone,
            "#enterprise[data-code='91500113MA5U12345P'] #enterprise-penalties article.penalty",
        )
        .await
    })
    .await;
    assert!(text(&phone, "#enterprise").await.contains(&code));
    assert!(
        !scrolls_sideways(&phone).await,
        "the enterprise's page fits a 390 px screen"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// 现场检查 from a phone: a handler records a site inspection by two
/// officers with a night-time noise measurement, and the case shows how far
/// over the construction-site limit it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_records_a_site_inspection_with_a_measurement_on_a_phone() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let (code, handler, _driver, phone) = a_case_under_investigation(&app).await;
    take_action(&phone, "record_inspection", "investigating", async |c| {
        let an_hour_ago = (chrono::Utc::now() + chrono::Duration::hours(8)
            - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
        c.execute(
            &format!("const d = document.getElementById('inspection-when'); d.value = '{an_hour_ago}'; d.dispatchEvent(new Event('input', {{ bubbles: true }}));"),
            vec![],
        )
        .await
        .unwrap();
        type_into(c, "#inspection-place", "鱼洞滨江路某工地东侧围挡外").await;
        type_into(c, "#officer-0-name", "张伟").await;
        type_into(c, "#officer-0-badge", "渝环执 0231").await;
        type_into(c, "#officer-1-name", "李娜").await;
        type_into(c, "#officer-1-badge", "渝环执 0457").await;
        type_into(c, "#inspection-found", "23:40 工地仍在使用电锯切割钢筋。").await;
        tap(c, "#add-measurement").await;
        eventually("a measurement row opens", async || {
            exists(c, "#m-0-value").await
        })
        .await;
        type_into(c, "#m-0-value", "68.4").await;
        assert!(!scrolls_sideways(c).await, "the form fits a 390 px screen");
    })
    .await;
    let over = "#inspections li.over[data-kind='noise_leq']";
    eventually("the inspection is listed with its excess", async || {
        exists(&phone, over).await
    })
    .await;
    assert!(
        text(&phone, over).await.contains("13.4"),
        "{}",
        text(&phone, over).await
    );
    assert!(
        !scrolls_sideways(&phone).await,
        "the case fits a 390 px screen"
    );
    let case = handler.case(&code).await;
    assert_eq!(
        case["inspections"][0]["officers"][1]["badge"],
        "渝环执 0457"
    );

    // 现场照片: the handler takes a photo with the phone and attaches it to
    // the inspection; it shows under the inspection, for staff only.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_3001.jpg");
    std::fs::write(&photo, shanshui_tests::photos::jpeg(2400, 1800)).unwrap();
    let input = phone
        .find(Locator::Css("#inspections input.evidence-photo-input"))
        .await
        .unwrap();
    input.send_keys(&photo.display().to_string()).await.unwrap();
    let chosen = "#inspections .chosen-files li[data-field='photo']";
    eventually("the photo is ready to send", async || {
        exists(&phone, chosen).await
    })
    .await;
    tap(&phone, "#inspections button.send-evidence").await;
    eventually("the photo shows under the inspection", async || {
        exists(&phone, "#inspections .evidence-photos img").await
    })
    .await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the inspection with its photo fits a 390 px screen"
    );
    let case = handler.case(&code).await;
    let photos = case["inspections"][0]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1, "{case}");
    assert!(
        photos[0]["width"].as_u64().unwrap() <= 2048,
        "resized on the phone before it left: {}",
        photos[0]
    );
    let public: serde_json::Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    let thumb = photos[0]["thumbnail_url"].as_str().unwrap();
    assert!(!public.to_string().contains(thumb), "{public}");

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// The catalogue at phone size: an admin adds a question to a category
/// (a new version, which the server keeps), sees the problem the form
/// names before sending, and retires the category.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_and_retires_a_category_in_the_console() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (_driver, phone) = start_browser().await;
    sign_in_console(&phone, &app, "guan.li").await;
    phone.goto(&app.url("/admin/categories")).await.unwrap();
    let entry = "li.catalogue-entry[data-code='dust_road']";
    eventually("the catalogue is listed", async || {
        exists(&phone, entry).await
    })
    .await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the page fits a 390 px screen"
    );

    tap(&phone, "button[data-edit='dust_road']").await;
    assert_eq!(value_of(&phone, "#cat-name").await, "道路扬尘");
    tap(&phone, "#cat-add-question").await;
    let n = admin.get("/api/v1/admin/categories").await.1["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "dust_road")
        .unwrap()["definition"]["questions"]
        .as_array()
        .unwrap()
        .len();
    let q = |field: &str| format!("#q{n}-{field}");
    type_into(&phone, &q("code"), "truck_covered").await;
    type_into(&phone, &q("name"), "运输车是否覆盖").await;
    type_into(&phone, &q("name-en"), "Is the lorry covered?").await;
    eventually("a list question without choices is named", async || {
        exists(&phone, "#catalogue-problems").await
            && text(&phone, "#catalogue-problems")
                .await
                .contains(&format!("questions.{n}.values"))
    })
    .await;
    type_into(
        &phone,
        &q("choices"),
        "yes | 覆盖 | Covered\nno | 未覆盖 | Not covered",
    )
    .await;
    eventually("the problem is gone", async || {
        !exists(&phone, "#catalogue-problems").await
    })
    .await;
    tap(&phone, "#catalogue-save").await;
    eventually("version 2 is listed", async || {
        text(&phone, &format!("{entry} .catalogue-facts"))
            .await
            .contains("v2")
    })
    .await;
    let (_, versions) = admin.get("/api/v1/categories/dust_road/versions").await;
    assert_eq!(versions[0]["version"], 2);
    let asked = versions[0]["definition"]["questions"].as_array().unwrap();
    assert_eq!(asked.last().unwrap()["code"], "truck_covered");
    assert_eq!(asked.last().unwrap()["values"][1]["name"], "未覆盖");

    tap(&phone, "button[data-toggle='dust_road']").await;
    eventually("it is marked retired", async || {
        exists(&phone, &format!("{entry}.inactive .retired")).await
    })
    .await;
    let public: serde_json::Value = app.get("/api/v1/categories").await.json().await.unwrap();
    assert!(
        !public
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "dust_road"),
        "residents no longer see it"
    );

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// The reporter's loop on a phone (回访): a question from the handler is
/// answered on `/track`, the closed case is rated 不满意 with a comment,
/// which a reviewer finds and deals with in the console's 督办 queue; the
/// problem then comes back and the page shows the new case's code and
/// secret, which open it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_answers_a_question_rates_the_outcome_and_says_it_came_back_on_a_phone() {
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, secret) = shanshui_tests::file_report(
        &app,
        "noise_construction",
        29.3752,
        106.5101,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    for body in [
        json!({ "action": "accept" }),
        json!({ "action": "request_info", "question": "施工一般持续到几点？" }),
    ] {
        assert_eq!(handler.act(&code, body).await.0, 200);
    }
    let url = app.url(&format!("/track#code={code}&secret={secret}"));
    let (_driver, phone) = start_browser().await;
    reporter_sees(&phone, &url, "accepted").await;
    eventually("the question is shown", async || {
        exists(&phone, "#answer-form").await
    })
    .await;
    assert!(
        text(&phone, "#questions")
            .await
            .contains("施工一般持续到几点")
    );
    type_into(&phone, "#answer-text", "每晚十二点以后还在打桩").await;
    // A photo taken on the phone goes with the answer.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_2210.jpg");
    std::fs::write(&photo, shanshui_tests::photos::jpeg(1600, 1200)).unwrap();
    let input = phone.find(Locator::Css("#answer-photos")).await.unwrap();
    input.send_keys(&photo.display().to_string()).await.unwrap();
    eventually("the photo is ready", async || {
        text(&phone, "#answer-photo-count").await.contains("1/3")
    })
    .await;
    tap(&phone, "#answer-submit").await;
    eventually("the answer is shown", async || {
        !exists(&phone, "#answer-form").await
            && text(&phone, "#questions").await.contains("每晚十二点以后")
    })
    .await;
    let case = handler.case(&code).await;
    assert_eq!(case["info_requests"][0]["answer"], "每晚十二点以后还在打桩");
    let photos = case["reports"][0]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1, "{case}");
    assert_eq!(photos[0]["from_answer"], true);

    for (who, body) in [
        (
            &handler,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        ),
        (
            &handler,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "已责令夜间停工。" }),
        ),
        (&reviewer, json!({ "action": "approve_reply" })),
    ] {
        assert_eq!(who.act(&code, body).await.0, 200);
    }
    reporter_sees(&phone, &url, "closed").await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the page fits a 390 px screen"
    );
    tap(&phone, "#rating-form input[value='dissatisfied']").await;
    type_into(&phone, "#rating-comment", "只停了两天").await;
    tap(&phone, "#rating-submit").await;
    eventually("the rating is shown", async || {
        exists(&phone, "#rating[data-rating='dissatisfied']").await
    })
    .await;

    // The reviewer's 督办 queue, on a desk.
    let (_desk_driver, desk) = start_desk_browser().await;
    sign_in_console(&desk, &app, "shen.he").await;
    desk.goto(&app.url("/admin/supervision")).await.unwrap();
    let item = format!("li.supervision[data-case='{code}']");
    eventually("the case is in the queue", async || {
        exists(&desk, &item).await
    })
    .await;
    assert!(text(&desk, &item).await.contains("只停了两天"));
    type_into(&desk, &format!("{item} textarea"), "已约谈施工单位").await;
    tap(&desk, &format!("{item} button[type='submit']")).await;
    eventually("it is marked as followed up", async || {
        text(&desk, &item).await.contains("已约谈施工单位")
            && !exists(&desk, &format!("{item} textarea")).await
    })
    .await;
    desk.close().await.unwrap();

    // The problem came back.
    type_into(&phone, "#came-back-text", "停了两天又开始夜间施工").await;
    tap(&phone, "#came-back-submit").await;
    eventually("the new case's code and secret are shown", async || {
        exists(&phone, "#came-back-receipt").await
    })
    .await;
    let new_code = text(&phone, "#came-back-code").await;
    assert_ne!(new_code, code);
    let link = attr(&phone, "#came-back-receipt a", "href").await.unwrap();
    phone.goto(&app.url(&link)).await.unwrap();
    phone.refresh().await.unwrap();
    eventually("the new case opens, linked", async || {
        exists(&phone, "#came-back-from").await
    })
    .await;
    assert!(text(&phone, "#came-back-from").await.contains(&code));

    phone.close().await.unwrap();
    app.shutdown().await;
}

/// The newest one-time code the `log` SMS provider "texted", as the admin
/// reads it in the console's data, once it is not `before`.
async fn texted_code(admin: &shanshui_tests::Staff, before: &str) -> String {
    for _ in 0..100 {
        let sms = admin.get("/api/v1/admin/messages").await.1;
        let newest: Option<String> = sms["sms_log"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["template"] == "recovery_code"))
            .and_then(|e| e["body"].as_str())
            .and_then(|body| {
                body.chars()
                    .collect::<Vec<_>>()
                    .windows(6)
                    .find(|w| w.iter().all(char::is_ascii_digit))
                    .map(|w| w.iter().collect())
            });
        if let Some(code) = newest.filter(|c| c != before) {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no code was texted")
}

/// Headless Chromium has no push service to subscribe at: the test grants
/// the notification permission through the DevTools protocol and stands in
/// for the browser's push service with its own (`shanshui_tests::push`),
/// whose subscription `PushManager.subscribe` answers. Everything else is
/// the page's own: the service worker, the permission request, the server's
/// key, the subscription sent to the server, and the server's encrypted,
/// VAPID-signed push.
#[tokio::test]
async fn a_reporter_turns_on_push_and_texts_on_a_phone_and_finds_the_report_again() {
    use shanshui_tests::push::{PushService, PushSubscriber};
    use shared::Role;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.load_demo().await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let key: serde_json::Value = app.get("/api/v1/push/key").await.json().await.unwrap();
    let push = PushService::start(key["public_key"].as_str().map(str::to_owned)).await;
    let subscriber = PushSubscriber::new();
    let subscription = subscriber.subscription(&push.endpoint("phone"));
    let (code, secret) =
        shanshui_tests::file_report(&app, "noise_construction", 29.3752, 106.5101, &[]).await;

    let (_driver, phone) = start_browser().await;
    phone
        .issue_cmd(Cdp(
            "Browser.grantPermissions",
            json!({ "origin": app.base, "permissions": ["notifications"] }),
        ))
        .await
        .unwrap();
    let stand_in = format!(
        "PushManager.prototype.subscribe = function () {{ const s = {subscription}; \
         return Promise.resolve({{ endpoint: s.endpoint, toJSON: () => s }}); }};"
    );
    phone
        .issue_cmd(Cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": stand_in }),
        ))
        .await
        .unwrap();
    let url = app.url(&format!("/track#code={code}&secret={secret}"));
    reporter_sees(&phone, &url, "submitted").await;
    eventually("the notify section is ready", async || {
        exists(&phone, "#push-subscribe:not([disabled])").await
    })
    .await;
    tap(&phone, "#push-subscribe").await;
    eventually("push is on", async || {
        exists(&phone, "#push-on:not([hidden])").await
    })
    .await;
    let worker: String = phone
        .execute(
            "return navigator.serviceWorker.getRegistration('/').then(r => r && r.active ? r.active.scriptURL : '')",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(worker.ends_with("/sw.js"), "{worker}");

    // Text me: a phone for messages only, proved by the code texted to it.
    type_into(&phone, "#notify-phone", "139 1234 5678").await;
    tap(&phone, "#phone-submit").await;
    eventually("the code is asked for", async || {
        exists(&phone, "#notify-phone-code").await
    })
    .await;
    let confirmed = texted_code(&admin, "").await;
    type_into(&phone, "#notify-phone-code", &confirmed).await;
    tap(&phone, "#phone-confirm").await;
    eventually("the phone is shown masked", async || {
        exists(&phone, "#phone-set").await
            && text(&phone, "#phone-set").await.contains("139****5678")
    })
    .await;

    // The case is accepted: the push arrives, encrypted and signed.
    assert_eq!(
        handler.act(&code, json!({ "action": "accept" })).await.0,
        200
    );
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    let first = got.iter().find(|r| r.status == 201).expect("a push");
    assert!(first.vapid_ok);
    let payload: serde_json::Value =
        serde_json::from_slice(&subscriber.decrypt(&first.body).unwrap()).unwrap();
    assert_eq!(payload["url"], format!("/track#code={code}"));

    // The secret is lost: the reporter finds the report again by phone.
    phone.goto(&app.url("/track")).await.unwrap();
    phone
        .execute("localStorage.clear(); return true", vec![])
        .await
        .unwrap();
    phone.goto(&app.url("/track")).await.unwrap();
    eventually("the recovery form", async || {
        exists(&phone, "#recover").await
    })
    .await;
    tap(&phone, "#recover summary").await;
    type_into(&phone, "#recover-phone", "13912345678").await;
    tap(&phone, "#recover-send").await;
    eventually("the code form", async || {
        exists(&phone, "#recover-code").await
    })
    .await;
    let digits = texted_code(&admin, &confirmed).await;
    type_into(&phone, "#recover-code", &digits).await;
    tap(&phone, "#recover-submit").await;
    eventually("the report is found", async || {
        exists(&phone, "#recovered").await && text(&phone, "#recovered").await.contains(&code)
    })
    .await;
    tap(&phone, "#recovered a").await;
    eventually("the found report opens", async || {
        exists(&phone, ".case-state[data-state='accepted']").await
    })
    .await;
    app.shutdown().await;
}
