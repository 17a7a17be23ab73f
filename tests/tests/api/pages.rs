use shanshui_tests::{TestApp, db_test, file_report};

async fn the_home_page_is_server_rendered_in_chinese_with_the_navigation(app: &TestApp) {
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"zh-CN\""),
        "{}",
        &html[..html.len().min(400)]
    );
    assert!(html.contains("<title>山水</title>"));
    assert!(html.contains("身边的污染"));
    for href in ["/report", "/track", "/cases", "/info", "/stats", "/admin"] {
        assert!(
            html.contains(&format!("href=\"{href}\"")),
            "nav link {href}"
        );
    }
    // An open-information page: finished HTML, no WebAssembly (see
    // app::delivery), its few lines of script inline.
    assert!(!html.contains("/pkg/"), "no WebAssembly on the home page");
    assert!(html.contains("shanshui.outbox.v1") && html.contains("id=\"outbox-waiting\""));
}
db_test!(the_home_page_is_server_rendered_in_chinese_with_the_navigation);

/// The staff console is hydrated by the app; the resident's pages (the
/// report form and the tracking page, each with a script of its own) and
/// the pages people read are not, and carry none of the data Leptos writes
/// into a page for hydration.
async fn only_the_console_loads_the_app(app: &TestApp) {
    for path in ["/admin", "/admin/queue", "/admin/intake"] {
        let html = app.get(path).await.text().await.unwrap();
        let js = pkg_url(&html, "shanshui.js");
        assert!(
            !js.starts_with("/pkg/unbuilt/"),
            "{path}: the hydration script is linked: {js}"
        );
        pkg_url(&html, "shanshui_bg.wasm");
        assert!(!html.contains("id=\"outbox-waiting\""), "{path}");
    }
    for path in [
        "/",
        "/report",
        "/cases",
        "/stats",
        "/info",
        "/track",
        "/no-such-page",
    ] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(!html.contains("/pkg/"), "{path} loads no WebAssembly");
        // The areas' GeoJSON, read by /cases' map and filters, was written
        // into the page a second time for hydration.
        assert!(!html.contains("Polygon"), "{path} carries hydration data");
        assert!(html.contains("class=\"menu-toggle\""), "{path}");
    }
}
shanshui_tests::demo_test!(only_the_console_loads_the_app);

async fn an_english_visitor_gets_english_pages_from_the_language_cookie(app: &TestApp) {
    let res = app
        .client
        .get(app.url("/"))
        .header("cookie", "theme=dark; lang=en")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""));
    assert!(html.contains("See pollution?"));
    // The browser's language alone does not switch: the district's site is
    // Chinese first. (A fresh client: the first answer set the cookie.)
    let res = reqwest::Client::new()
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("<html lang=\"zh-CN\""));
}
db_test!(an_english_visitor_gets_english_pages_from_the_language_cookie);

/// The district map names its 街道/镇 in the reader's language, on the page
/// of cases and on a case's page (it named them in Chinese for everyone).
async fn the_map_names_the_areas_in_the_readers_language(app: &TestApp) {
    let (code, _) = file_report(app, "dust_road", 29.3752, 106.5101, &[]).await;
    for path in ["/cases".to_owned(), format!("/cases/{code}")] {
        let page = |lang: &'static str| {
            let url = app.url(&path);
            async move {
                let html = app
                    .client
                    .get(url)
                    .header("cookie", format!("lang={lang}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let map = html.find("class=\"district-map\"").map(|at| &html[at..]);
                map.unwrap_or_else(|| panic!("no map: {html}")).to_owned()
            }
        };
        let (en, zh) = (page("en").await, page("zh-CN").await);
        assert!(en.contains("<title>Yudong Subdistrict<"), "{path}: {en}");
        assert!(zh.contains("<title>鱼洞街道<"), "{path}: {zh}");
    }
}
shanshui_tests::demo_test!(the_map_names_the_areas_in_the_readers_language);

/// The open-information pages arrive rendered: a reader (or a crawler)
/// without JavaScript gets the cases, the charts and the notices.
async fn open_information_pages_are_rendered_on_the_server(app: &TestApp) {
    let (code, _) =
        shanshui_tests::file_report(app, "noise_construction_night", 29.3752, 106.5101, &[]).await;
    let reviewer = app.staff("shen.he", shared::Role::Reviewer, None).await;
    let dispatcher = app.staff("diao.du", shared::Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher
            .act(&code, serde_json::json!({ "action": "accept" }))
            .await
            .0,
        200
    );
    let (status, _) = reviewer
        .act(
            &code,
            serde_json::json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, notice) = reviewer
        .post("/api/v1/notices", serde_json::json!({ "kind": "notice", "title": "关于高考期间加强噪声管控的通告", "body": "6 月 7 日至 9 日 **禁止** 夜间施工。", "published": true }))
        .await;
    assert_eq!(status, 201);

    let html = app.get("/cases").await.text().await.unwrap();
    assert!(
        html.contains(&code) && html.contains("鱼洞街道某工地夜间施工"),
        "the list is in the HTML"
    );
    assert!(
        html.contains("id=\"cases-table\"") && html.contains("class=\"district-map\""),
        "table and map"
    );
    assert!(html.contains("rel=\"canonical\"") && html.contains("<meta name=\"description\""));
    let html = app
        .get("/cases?category=water_outfall")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains(&code) && html.contains("cases-empty"),
        "filters work without JavaScript"
    );

    let res = app.get(&format!("/cases/{code}")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"case-summary\"") && html.contains(&format!("<title>受理编号 {code}")),
        "{html}"
    );
    assert!(
        html.contains(&format!("/cases/{code}\" rel=\"canonical\""))
            || html.contains(&format!("href=\"{}/cases/{code}\"", app.base))
    );
    assert_eq!(app.get("/cases/BN-ZZZZ-ZZZZ").await.status(), 404);
    assert_eq!(app.get("/cases?category=nope").await.status(), 422);

    let html = app.get("/stats").await.text().await.unwrap();
    assert!(
        html.contains("class=\"chart columns\"") && html.contains("class=\"chart hbars\""),
        "charts drawn on the server"
    );
    assert!(
        html.contains("空气质量优良天数") && html.contains("≥ 334"),
        "the plan's targets"
    );

    let html = app.get("/info").await.text().await.unwrap();
    assert!(html.contains("关于高考期间加强噪声管控的通告"));
    let html = app
        .get(&format!("/info/notices/{}", notice["id"]))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong>禁止</strong>"),
        "the sanitised Markdown"
    );
    assert_eq!(app.get("/info/notices/999999").await.status(), 404);
}
shanshui_tests::demo_test!(open_information_pages_are_rendered_on_the_server);

async fn the_staff_console_renders_its_shell_and_says_it_needs_javascript(app: &TestApp) {
    for path in ["/admin", "/admin/rules", "/admin/cases/BN-2222-2222"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("工作人员登录") && html.contains("需要启用 JavaScript"),
            "{path}: {html}"
        );
        assert!(!html.contains("建设中"), "{path} is built");
    }
}
db_test!(the_staff_console_renders_its_shell_and_says_it_needs_javascript);

/// The `/pkg/{version}/{file}` URL the page links, e.g. `shanshui.js`.
fn pkg_url(html: &str, file: &str) -> String {
    let end = html
        .find(&format!("/{file}\""))
        .unwrap_or_else(|| panic!("a link to {file}"))
        + file.len()
        + 1;
    let start = html[..end].rfind("\"/pkg/").expect("under /pkg/") + 1;
    html[start..end].to_owned()
}

async fn the_front_end_is_served_as_wasm_compressed_and_cached(app: &TestApp) {
    let html = app.get("/admin").await.text().await.unwrap();
    let wasm_url = pkg_url(&html, "shanshui_bg.wasm");
    assert!(
        !wasm_url.starts_with("/pkg/unbuilt/"),
        "build the front end first: cargo xtask test"
    );

    let res = app
        .client
        .get(app.url(&wasm_url))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["content-type"], "application/wasm");
    let encoding = h
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        matches!(encoding.as_deref(), Some("br") | Some("gzip")),
        "{encoding:?}"
    );
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");

    // The main JS loads the lazy routes' chunks by relative URLs (the
    // loader is merged into it at build time, so nothing else is fetched
    // first): they sit beside it, under the same version and caching.
    let js_url = wasm_url.replace("shanshui_bg.wasm", "shanshui.js");
    let js = app.get(&js_url).await.text().await.unwrap();
    assert!(
        !js.lines().any(|l| l.starts_with("import ")),
        "the main JS imports nothing more"
    );
    let chunk = js
        .split("new URL(\"./")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a chunk the main JS fetches");
    let chunk_url = wasm_url.replace("shanshui_bg.wasm", chunk);
    let res = app.get(&chunk_url).await;
    assert_eq!(res.status(), 200, "{chunk_url}");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let res = app.get("/pkg/000000000000/shanshui.js").await;
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()
            .get("cache-control")
            .is_none_or(|v| !v.to_str().unwrap().contains("immutable"))
    );

    let css = app.get("/style.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("must-revalidate")
    );
}
db_test!(the_front_end_is_served_as_wasm_compressed_and_cached);

async fn pages_rendered_concurrently_all_answer_with_their_headers(app: &TestApp) {
    // leptos_meta once read the language signal outside the request's
    // reactive arena and panicked now and then under load (a 500 without
    // the security headers): render many pages at once and check each.
    let paths = ["/", "/report", "/track", "/cases", "/nope", "/admin"];
    let requests = (0..120).map(|i| {
        let path = paths[i % paths.len()];
        let cookie = if i % 2 == 0 { "lang=en" } else { "lang=zh-CN" };
        app.client
            .get(app.url(path))
            .header("cookie", cookie)
            .send()
    });
    for (i, res) in futures::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        let res = res.unwrap();
        let expected = if paths[i % paths.len()] == "/nope" {
            404
        } else {
            200
        };
        assert_eq!(res.status(), expected, "{}", paths[i % paths.len()]);
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(res.text().await.unwrap().contains("<title>"));
    }
}
db_test!(pages_rendered_concurrently_all_answer_with_their_headers);
