//! The OpenAPI document (`/api/v1/openapi.json`) and its page (`/api/docs`).
//!
//! The document must describe exactly what the API serves. Which routes the
//! API serves is read from the server's source: `api::v1` and, through its
//! `.merge(module::router(…))` and `.nest("/prefix", …)` calls, each
//! module's `.route("/path", get(…).post(…))` registrations. A route added
//! to a router without `#[utoipa::path]` (or without listing it in the
//! module's `ApiDoc`) fails `every_route_under_api_v1_is_documented`; a
//! documented operation the server does not answer fails
//! `every_documented_operation_is_served`. The whole document is
//! snapshotted (`snapshots/`), so that a change to the API shows in review;
//! `INSTA_UPDATE=always` (or `cargo insta review`) accepts an intended
//! change.

use serde_json::Value;
use shanshui_tests::{TestApp, db_test};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The operations the interface contract (DESIGN.md) names: they must stay
/// documented whatever else changes.
const CONTRACT: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/categories"),
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/track/{code}"),
    ("POST", "/api/v1/track/{code}/actions"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/departments"),
    ("GET", "/api/v1/reward-tiers"),
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases/{code}"),
    ("POST", "/api/v1/cases/{code}/actions"),
];

/// (METHOD, path) of every documented operation.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("the document has paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn generated() -> Value {
    serde_json::to_value(server::openapi::openapi()).expect("the document serialises")
}

async fn the_document_is_openapi_3_json_cached_by_its_etag(app: &TestApp) {
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age"), "{cache}");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let doc: Value = res.json().await.unwrap();

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Shanshui API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("举报") && description.contains("report"),
        "Chinese and English: {description}"
    );
    assert!(description.contains("/api/docs"), "links the page");
    assert!(
        doc["servers"][0]["url"].as_str().unwrap().starts_with('/'),
        "a relative server"
    );
    assert_eq!(doc, generated(), "the served document is the generated one");

    // Errors are described with the one error body.
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error["properties"]["error"]["$ref"],
        "#/components/schemas/ApiError"
    );
    let secret = &doc["components"]["securitySchemes"]["report_secret"];
    assert_eq!(secret["in"], "header");
    assert_eq!(secret["name"], "X-Report-Secret");
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
    assert_eq!(
        doc["paths"]["/api/v1/cases"]["get"]["security"][0]["session"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["paths"]["/api/v1/track/{code}"]["get"]["security"][0]["report_secret"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["paths"]["/api/v1/cases/{code}/actions"]["post"]["responses"]["409"]["$ref"],
        "#/components/responses/Conflict"
    );
    assert!(
        doc["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object(),
        "reports are multipart"
    );

    let again = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}
db_test!(the_document_is_openapi_3_json_cached_by_its_etag);

#[test]
fn every_route_under_api_v1_is_documented() {
    let served = served_routes();
    let documented = documented(&generated());
    let missing: Vec<String> = served
        .difference(&documented)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routed under /api/v1 but not in the OpenAPI document (add #[utoipa::path] to the handler and list it \
         in its module's ApiDoc; see server/src/openapi/mod.rs): {missing:#?}"
    );
    let extra: Vec<String> = documented
        .difference(&served)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        extra.is_empty(),
        "documented but not routed (or the path's {{params}} differ): {extra:#?}"
    );
    for (method, path) in CONTRACT {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is in the contract"
        );
    }
}

/// The whole document, as clients get it. The version of the build is left
/// out, so that a release alone does not change the snapshot.
#[test]
fn the_document_matches_its_snapshot() {
    let mut doc = generated();
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    doc["info"]["version"] = Value::from("[version]");
    insta::assert_json_snapshot!("openapi", doc);
}

/// Every documented operation is routed: its path answers an unrouted
/// method with the API's 405 (so the path exists), and its own method with
/// something else (so the method is routed too). No request here is signed
/// in or carries a body the server would accept, so nothing changes.
async fn every_documented_operation_is_served(app: &TestApp) {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let ops = documented(&doc);
    assert!(ops.len() >= 30, "{} operations", ops.len());
    let concrete = |path: &str| {
        path.replace("{code}", "BN-2345-678Z")
            .replace("{id}", "1")
            .replace("{username}", "nobody")
    };
    for path in ops.iter().map(|(_, p)| p).collect::<BTreeSet<_>>() {
        let url = app.url(&concrete(path));
        assert!(
            !url.contains('{'),
            "give {path}'s parameter a value in this test"
        );
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, &url)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            405,
            "{path}: the server does not route this path"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed", "{path}");
    }
    for (method, path) in &ops {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = app
            .client
            .request(method.clone(), app.url(&concrete(path)))
            .send()
            .await
            .unwrap();
        assert_ne!(
            res.status(),
            405,
            "{method} {path} is documented but not routed"
        );
        assert!(
            res.status().as_u16() < 500,
            "{method} {path}: {}",
            res.status()
        );
    }
}
db_test!(every_documented_operation_is_served);

async fn the_docs_page_is_html_that_needs_nothing_from_the_network(app: &TestApp) {
    let res = app.get("/api/docs").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.headers().contains_key("etag"));
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Shanshui API"));
    assert!(
        html.contains("href=\"/api/v1/openapi.json\""),
        "links the document"
    );

    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no scripts");
    for tag in lower
        .split('<')
        .filter(|t| t.starts_with("link") || t.starts_with("img") || t.starts_with("iframe"))
    {
        assert!(
            !tag.contains("http://") && !tag.contains("https://"),
            "an external resource: <{tag}"
        );
    }
    assert!(
        !lower.contains("@import") && !lower.contains("url("),
        "no stylesheet imports or fonts"
    );

    // Every operation is on the page, grouped by its tag, with its schemas.
    let doc = generated();
    for (method, path) in documented(&doc) {
        let heading = format!(
            "{method}</span> <code>{}</code>",
            path.replace('&', "&amp;")
        );
        assert!(html.contains(&heading), "{method} {path} is on the page");
    }
    for tag in doc["tags"].as_array().unwrap() {
        let name = tag["name"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"tag-{name}\"")), "tag {name}");
    }
    for schema in [
        "CaseDetail",
        "ActionRequest",
        "ErrorBody",
        "TrackView",
        "SubmitReceipt",
    ] {
        assert!(
            html.contains(&format!("id=\"schema-{schema}\"")),
            "schema {schema}"
        );
    }
}
db_test!(the_docs_page_is_html_that_needs_nothing_from_the_network);

async fn other_paths_under_api_still_answer_json_404s(app: &TestApp) {
    for path in ["/api/docs/", "/api/doc", "/api/v1/openapi.yaml"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}
db_test!(other_paths_under_api_still_answer_json_404s);

// Reading the routers from the server's source.

fn server_src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server/src")
}

/// (METHOD, full path) of every route under `/api/v1`, from `api::v1`.
fn served_routes() -> BTreeSet<(String, String)> {
    let api = vec![server_src().join("api.rs")];
    let mut routes = BTreeSet::new();
    let body = fn_body(&api, "v1").expect("server/src/api.rs has `fn v1`");
    scan(&api, &body, "/api/v1", &mut routes);
    assert!(
        routes.len() >= 30,
        "the scan found only {} routes: {routes:#?}",
        routes.len()
    );
    routes
}

/// The files of a crate module: `src/a/b.rs` and `src/a/b/**`, or
/// `src/a/b/mod.rs` and the rest of `src/a/b/`.
fn module_files(segments: &[&str]) -> Vec<PathBuf> {
    let base = segments.iter().fold(server_src(), |p, s| p.join(s));
    let mut files = Vec::new();
    let file = base.with_extension("rs");
    if file.is_file() {
        files.push(file);
    }
    if base.is_dir() {
        collect_rs(&base, &mut files);
    }
    files
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    // mod.rs first: it is where a module's router usually is.
    entries.sort_by_key(|p| p.file_name().is_none_or(|n| n != "mod.rs"));
    for path in entries {
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The text of `fn name`'s body in one of `files`.
fn fn_body(files: &[PathBuf], name: &str) -> Option<String> {
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for pattern in [format!("fn {name}("), format!("fn {name}<")] {
            if let Some(at) = text.find(&pattern) {
                let open = at + text[at..].find('{')?;
                let close = matching(&text, open)?;
                return Some(text[open + 1..close].to_owned());
            }
        }
    }
    None
}

/// The index of the bracket closing the one at `open`, skipping string
/// literals (route paths hold braces) and comments.
fn matching(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (opener, closer) = match bytes[open] {
        b'{' => (b'{', b'}'),
        b'(' => (b'(', b')'),
        _ => return None,
    };
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b if b == opener => depth += 1,
            b if b == closer => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The leading string literal of a call's arguments, and the rest.
fn literal_arg(args: &str) -> Option<(String, &str)> {
    let rest = args.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    Some((
        rest[..end].to_owned(),
        rest[end + 1..].trim_start().trim_start_matches(','),
    ))
}

/// Collects the routes of a router expression's text: `.route(…)`,
/// `.merge(…)` and `.nest(…)`, following calls to other router functions.
fn scan(files: &[PathBuf], text: &str, prefix: &str, routes: &mut BTreeSet<(String, String)>) {
    let mut rest = text;
    loop {
        let next = [".route(", ".merge(", ".nest("]
            .iter()
            .filter_map(|k| rest.find(k).map(|i| (i, *k)))
            .min();
        let Some((at, kind)) = next else { break };
        let open = at + kind.len() - 1;
        let close = matching(rest, open).unwrap_or_else(|| panic!("unbalanced {kind} in {text}"));
        let args = &rest[open + 1..close];
        match kind {
            ".route(" => {
                let (path, methods) = literal_arg(args).unwrap_or_else(|| {
                    panic!("write `.route()`'s path as a literal so this test can read it: {args}")
                });
                let found = method_calls(methods);
                assert!(
                    !found.is_empty(),
                    "no method in `.route(\"{path}\", {methods})`"
                );
                for m in found {
                    routes.insert((m, format!("{prefix}{path}")));
                }
            }
            ".nest(" => {
                let (path, inner) = literal_arg(args)
                    .unwrap_or_else(|| panic!("a literal path in `.nest({args})`"));
                follow(files, inner, &format!("{prefix}{path}"), routes);
            }
            _ => follow(files, args, prefix, routes),
        }
        rest = &rest[close + 1..];
    }
}

/// A router given to `.merge`/`.nest`: inline (`Router::new().route(…)`),
/// a variable built earlier in the same body (already scanned), or a call
/// to a router function (`auth::router(state)`, `api_router()`), followed.
fn follow(files: &[PathBuf], expr: &str, prefix: &str, routes: &mut BTreeSet<(String, String)>) {
    let expr = expr.trim();
    let path_end = expr
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(expr.len());
    let callee = &expr[..path_end];
    if expr[path_end..].starts_with('(') && !callee.ends_with("::new") && !callee.is_empty() {
        let segments: Vec<&str> = callee
            .split("::")
            .filter(|s| !matches!(*s, "crate" | "self" | "super"))
            .collect();
        let (name, module) = segments.split_last().unwrap();
        let module_files = if module.is_empty() {
            files.to_vec()
        } else {
            module_files(module)
        };
        let body = fn_body(&module_files, name).unwrap_or_else(|| {
            panic!("cannot find the router function `{callee}` in {module_files:?}")
        });
        let before = routes.len();
        scan(&module_files, &body, prefix, routes);
        assert!(
            routes.len() > before,
            "`{callee}` adds no route that this test can read"
        );
    }
    scan(files, expr, prefix, routes);
}

/// The HTTP methods of a method router's text: `post(a).get(b)` → POST, GET.
fn method_calls(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.char_indices() {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        for m in METHODS {
            if text[i..].starts_with(m) && text[i + m.len()..].trim_start().starts_with('(') {
                found.push(m.to_uppercase());
            }
        }
        assert!(
            !(text[i..].starts_with("any(") || text[i..].starts_with("on(")),
            "`any`/`on` routes under /api/v1 cannot be checked against the document: {text}"
        );
    }
    found
}
