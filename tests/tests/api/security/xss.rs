//! Class 1: no script injection anywhere in server-rendered HTML.
//!
//! Every page route is opened with hostile path segments and query values,
//! and after staff have published hostile texts through every field they
//! can write; each answer is parsed as a browser would (html5ever) and must
//! carry no markup that could run: no script without this answer's CSP
//! nonce, no event-handler attribute, no `javascript:` URL, no frame,
//! object, embed or base element. The content security policy must name
//! the nonce and allow no other inline script.

use super::{closed_case, team};
use serde_json::{Value, json};
use shanshui_tests::{TestApp, demo_test};
use shared::Role;

/// Payloads that break out of a text, an attribute, a title or a script.
const HOSTILE: [&str; 6] = [
    "</title><script>alert('t')</script>",
    "\"><img src=x onerror=alert('a')>",
    "</script><script>alert('s')</script>",
    "'><svg onload=alert('v')>",
    "javascript:alert('j')",
    "<iframe src=javascript:alert('f')></iframe><base href=//evil.example/>",
];

/// The pages, with `{}` where a hostile segment goes.
const PAGES: [&str; 21] = [
    "/",
    "/report",
    "/track",
    "/cases",
    "/cases/{}",
    "/stats",
    "/info",
    "/info/notices/{}",
    "/info/enterprises/{}",
    "/admin",
    "/admin/intake",
    "/admin/cases/{}",
    "/admin/rules",
    "/admin/rewards",
    "/admin/users",
    "/admin/publishing",
    "/admin/categories",
    "/admin/supervision",
    "/{}",
    "/api/docs",
    "/{}/{}",
];

/// Query parameters the pages read (filters, search, paging).
const PARAMS: [&str; 9] = [
    "q",
    "kind",
    "category",
    "area",
    "state",
    "from",
    "to",
    "page",
    "disclosed",
];

fn percent(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// What in this HTML could run: a description of each finding.
fn executable_markup(html: &str, nonce: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let mut found = Vec::new();
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        if name == "script" && el.attr("nonce") != Some(nonce) {
            found.push(format!(
                "a script without this answer's nonce: {:?}",
                scraper::ElementRef::wrap(node).map(|e| e.html())
            ));
        }
        if matches!(
            name,
            "iframe" | "frame" | "frameset" | "object" | "embed" | "base" | "applet"
        ) {
            found.push(format!("a <{name}> element"));
        }
        if name == "meta"
            && el
                .attr("http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
        {
            found.push("a meta refresh".to_owned());
        }
        for (attr, value) in el.attrs() {
            if attr.to_ascii_lowercase().starts_with("on") {
                found.push(format!("an event handler {attr}={value:?} on <{name}>"));
            }
            let v: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            let url_attr = matches!(
                attr,
                "href" | "src" | "action" | "formaction" | "data" | "xlink:href" | "srcdoc"
            );
            if url_attr
                && (v.starts_with("javascript:")
                    || v.starts_with("vbscript:")
                    || v.starts_with("data:text/html"))
            {
                found.push(format!("a script URL {attr}={value:?} on <{name}>"));
            }
        }
    }
    found
}

/// The nonce the content security policy allows inline scripts with; fails
/// unless the policy allows no other inline script.
fn csp_nonce(res: &reqwest::Response, url: &str) -> String {
    let policy = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let scripts = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_default();
    assert!(
        !scripts.contains("'unsafe-inline'"),
        "{url}: inline scripts are allowed: {policy}"
    );
    scripts
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-").and_then(|n| n.strip_suffix('\'')))
        .unwrap_or_default()
        .to_owned()
}

/// Opens `path` (as `client` sees it) and fails on anything that could run.
async fn assert_inert(client: &reqwest::Client, app: &TestApp, path: &str) {
    let url = app.url(path);
    let res = client.get(&url).send().await.expect("answered");
    let html_page = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let nonce = csp_nonce(&res, &url);
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert!(status.as_u16() < 500, "{url}: {status}");
    if !html_page {
        return;
    }
    let found = executable_markup(&body, &nonce);
    assert!(
        found.is_empty(),
        "{url} ({status}) carries markup that could run: {found:#?}"
    );
}

async fn no_page_runs_markup_from_its_url(app: &TestApp) {
    let admin = app.staff("guan.li", Role::Admin, None).await;
    for payload in HOSTILE {
        let segment = percent(payload);
        let query: String = PARAMS
            .iter()
            .map(|p| format!("{p}={segment}"))
            .collect::<Vec<_>>()
            .join("&");
        for page in PAGES {
            let path = page.replace("{}", &segment);
            for p in [path.clone(), format!("{path}?{query}")] {
                assert_inert(&app.client, app, &p).await;
                // Signed in, the console renders too.
                assert_inert(&admin.client, app, &p).await;
            }
        }
    }
}
demo_test!(no_page_runs_markup_from_its_url);

async fn no_page_runs_markup_that_staff_published(app: &TestApp) {
    let t = team(app).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let editor = app.staff("bian.ji", Role::Reviewer, None).await;
    // Every text a staff member can publish, each a different payload.
    let x = |i: usize| format!("{} {}", HOSTILE[i % HOSTILE.len()], i);
    let (status, notice) = editor
        .post("/api/v1/notices", json!({ "kind": "notice", "title": x(0), "summary": x(1), "body": x(2), "published": true }))
        .await;
    assert_eq!(status, 201, "{notice}");
    let (status, e) = editor
        .post(
            "/api/v1/enterprise-disclosures",
            json!({ "enterprise": x(3), "credit_code": "91500113MA5U12345P", "permit_no": x(4), "industry": x(5),
                    "year": 2025, "disclosed": x(1), "penalties": x(0), "url": "https://example.org/x" }),
        )
        .await;
    assert_eq!(status, 201, "{e}");
    let (status, d) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/departments/housing_construction",
            json!({ "name": x(1), "name_en": x(2) }),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    let (status, v) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/indicators/good_air_days",
            json!({ "value": 300, "note": x(3) }),
        )
        .await;
    assert!(status == 200 || status == 404, "{v}");
    let code = closed_case(app, &t).await;
    // An admin's names for a category, its group and its questions: the
    // public case pages, the stats and Open311 show them.
    let (_, catalogue) = admin.get("/api/v1/admin/categories").await;
    let entry = catalogue["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "noise_construction")
        .unwrap()
        .clone();
    let mut edit = entry["definition"].clone();
    edit["version"] = entry["version"].clone();
    edit["active"] = json!(true);
    edit["name"] = json!(x(0));
    edit["name_en"] = json!(x(1));
    edit["questions"][0]["name"] = json!(x(2));
    let (status, e) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/categories/noise_construction",
            edit,
        )
        .await;
    assert_eq!(status, 200, "{e}");
    let (status, g) = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/categories/groups/noise",
            json!({ "name": x(3), "name_en": x(4) }),
        )
        .await;
    assert_eq!(status, 200, "{g}");
    let (status, c) = t
        .reviewer
        .act(&code, json!({ "action": "disclose", "summary": x(0), "investigation": x(1), "actions_taken": x(2), "precision": "site" }))
        .await;
    assert_eq!(status, 200, "{c}");
    // A penalty decision, published, and a site inspection: the enterprise's
    // name is also the title of its page.
    let (status, p) = t
        .handler
        .act(
            &code,
            json!({ "action": "record_penalty", "decision_no": x(4), "enterprise": x(0),
                "credit_code": "91500113MA5U12345P", "provision": x(5), "fine_fen": 100_000,
                "decided_on": "2026-11-30" }),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let (status, p) = t
        .reviewer
        .act(
            &code,
            json!({ "action": "publish_penalty", "decision_no": x(4) }),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let when = chrono::Utc::now().to_rfc3339();
    let (status, i) = t
        .handler
        .act(
            &code,
            json!({ "action": "record_inspection", "inspected_at": when, "place": x(1),
                "officers": [{ "name": x(2), "badge": HOSTILE[3] }, { "name": x(0), "badge": "<b>0457</b>" }],
                "found": x(0), "measurements": [] }),
        )
        .await;
    assert_eq!(status, 200, "{i}");
    // A PDF with a hostile file name, attached to the inspection: its name
    // is shown on the staff case page.
    let document = reqwest::multipart::Part::bytes(crate::evidence::pdf(1))
        .file_name(format!("{}.pdf", x(3)))
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("inspection", i["inspections"][0]["id"].to_string())
        .part("document", document);
    let res = t
        .handler
        .client
        .post(app.url(&format!("/api/v1/cases/{code}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let search = percent(HOSTILE[0]);
    let pages = [
        "/".to_owned(),
        "/report".to_owned(),
        "/cases".to_owned(),
        format!("/cases/{code}"),
        "/stats".to_owned(),
        "/info".to_owned(),
        format!("/info?q={search}"),
        format!("/info/notices/{}", notice["id"]),
        "/info/enterprises/91500113MA5U12345P".to_owned(),
        "/admin".to_owned(),
        format!("/admin/cases/{code}"),
        "/admin/departments".to_owned(),
        "/admin/publishing".to_owned(),
        "/admin/categories".to_owned(),
    ];
    for page in &pages {
        assert_inert(&app.client, app, page).await;
        assert_inert(&admin.client, app, page).await;
    }
    // The texts are shown, as text.
    let body = app
        .get(&format!("/info/notices/{}", notice["id"]))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        body.contains("&lt;/title&gt;&lt;script&gt;"),
        "the notice's title is shown escaped"
    );
    let body = app
        .get("/info/enterprises/91500113MA5U12345P")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        body.contains("<title>&lt;/title&gt;&lt;script&gt;"),
        "the enterprise's name is its page's title, escaped"
    );
    let body = app
        .get(&format!("/cases/{code}"))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        body.contains("&lt;/title&gt;&lt;script&gt;"),
        "the category's name is shown escaped"
    );
    // The report form writes every category's questions into the page:
    // the admin's names for them, and for the category, as text.
    let body = app.get("/report").await.text().await.unwrap_or_default();
    assert!(
        body.contains("&lt;/script&gt;&lt;script&gt;alert(")
            && body.contains("&lt;/title&gt;&lt;script&gt;"),
        "the form shows the question's and the category's names escaped"
    );
    let xml = app
        .get("/open311/v2/services.xml")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        xml.contains("&lt;/title&gt;&lt;script&gt;") && !xml.contains("<script>"),
        "Open311's XML escapes the category's name"
    );
    let _: Value = c;
}
demo_test!(no_page_runs_markup_that_staff_published);

#[test]
fn the_checker_finds_what_a_browser_would_run() {
    let page = |head: &str, body: &str| {
        format!("<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")
    };
    assert!(executable_markup(&page("<title>x</title>", "<p>hi</p>"), "n").is_empty());
    assert!(executable_markup(&page("<script nonce=\"n\">1</script>", ""), "n").is_empty());
    for bad in [
        page("<title></title><script>alert(1)</script></title>", ""),
        page("", "<img src=x onerror=alert(1)>"),
        page("", "<a href=\" javascript:alert(1)\">x</a>"),
        page("", "<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>"),
        page("<script nonce=\"other\">1</script>", ""),
        page("", "<iframe src=\"/x\"></iframe>"),
        page("<base href=\"//evil.example/\">", ""),
        page("<meta http-equiv=\"refresh\" content=\"0;url=//evil\">", ""),
    ] {
        assert!(!executable_markup(&bad, "n").is_empty(), "{bad}");
    }
    // Escaped markup is text, and text never runs.
    assert!(
        executable_markup(
            &page(
                "<title>&lt;/title&gt;&lt;script&gt;</title>",
                "&lt;img onerror=x&gt;"
            ),
            "n"
        )
        .is_empty()
    );
}
