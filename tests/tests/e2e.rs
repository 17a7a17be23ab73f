//! End to end, in Debian's headless Chromium at a phone's 390×844 viewport:
//! the server-rendered page hydrates from WebAssembly (the menu and the
//! language switch work only once it has run), routes on the client, and
//! remembers the language across a reload.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use shanshui_tests::{Backend, TestApp};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver and the browser profile; both go away with the test.
struct Driver(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_browser() -> (Driver, Client) {
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
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                "--window-size=390,844", "--lang=en-US",
                format!("--user-data-dir={profile_dir}"),
            ]
        }
    });
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
    client.find(Locator::Css(css)).await.unwrap().attr(name).await.unwrap()
}

async fn text(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_hydrates_on_a_phone_and_switches_language() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_driver, client) = start_browser().await;
    client.goto(&app.url("/")).await.unwrap();

    // Server-rendered Chinese first, whatever the browser's language.
    assert!(text(&client, "h1").await.contains("身边的污染"));
    let lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(lang, json!("zh-CN"));

    // The menu opens only once the WebAssembly has hydrated the page: before
    // that a click does nothing, so keep clicking until it takes.
    assert_eq!(attr(&client, ".menu-toggle", "aria-expanded").await.as_deref(), Some("false"));
    let nav = client.find(Locator::Css("#site-nav")).await.unwrap();
    assert!(!nav.is_displayed().await.unwrap(), "the menu starts closed on a phone");
    eventually("the menu opens (hydration ran)", async || {
        let toggle = client.find(Locator::Css(".menu-toggle")).await.unwrap();
        if attr(&client, ".menu-toggle", "aria-expanded").await.as_deref() == Some("true") {
            return true;
        }
        toggle.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        attr(&client, ".menu-toggle", "aria-expanded").await.as_deref() == Some("true")
    })
    .await;
    assert!(nav.is_displayed().await.unwrap());

    // No sideways scrolling at 390 px.
    let overflow = client
        .execute("return document.documentElement.scrollWidth - window.innerWidth", vec![])
        .await
        .unwrap();
    assert!(overflow.as_i64().unwrap() <= 0, "page is wider than the phone: {overflow}");

    // The language switch re-renders in place, without a page load.
    client.find(Locator::Css(".lang-switch")).await.unwrap().click().await.unwrap();
    eventually("the page is in English", async || text(&client, "h1").await.contains("See pollution")).await;
    let lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(lang, json!("en"));

    // Client-side navigation to a page of the menu.
    client.find(Locator::Css("#site-nav a[href='/track']")).await.unwrap().click().await.unwrap();
    eventually("the track page shows", async || {
        client.current_url().await.unwrap().path() == "/track"
            && text(&client, "h1").await.contains("Follow a case")
    })
    .await;

    // The choice survives a reload: the server renders English from the cookie.
    client.goto(&app.url("/")).await.unwrap();
    assert!(text(&client, "h1").await.contains("See pollution"));

    client.close().await.unwrap();
    app.shutdown().await;
}
