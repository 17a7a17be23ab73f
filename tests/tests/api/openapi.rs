//! The OpenAPI document (`/api/v1/openapi.json`) and its page (`/api/docs`).
//!
//! The document must describe exactly what the API serves. The server
//! builds both from one source: each module's `OpenApiRouter`, whose
//! `routes!()` register a handler on the path and methods of its
//! `#[utoipa::path]` and document it. These tests check the result with
//! requests: every documented operation is served, and a documented path
//! refuses every method it does not document
//! (`every_documented_operation_is_served_and_nothing_else_on_its_path`).
//! The whole document is snapshotted (`snapshots/`), so that a change to the
//! API shows in review; `INSTA_UPDATE=always` (or `cargo insta review`)
//! accepts an intended change.

use serde_json::Value;
use shanshui_tests::{TestApp, db_test};
use std::collections::BTreeSet;

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
    serde_json::to_value(server::api::openapi()).expect("the document serialises")
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
fn the_contracts_operations_are_documented() {
    let documented = documented(&generated());
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

/// Every documented operation is routed, and nothing else is on its path:
/// each documented path answers each method it documents with something
/// other than 405 (so the method is routed), and every other method,
/// OPTIONS included, with the API's JSON 405 (so the path exists, and no
/// undocumented handler was added beside the documented ones). No request
/// here is signed in or carries a body the server would accept, so nothing
/// changes.
async fn every_documented_operation_is_served_and_nothing_else_on_its_path(app: &TestApp) {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let ops = documented(&doc);
    assert!(ops.len() >= 30, "{} operations", ops.len());
    let concrete = |path: &str| {
        path.replace("{code}", "BN-2345-678Z")
            .replace("{id}", "1")
            .replace("{username}", "nobody")
            .replace("{credit_code}", "91330100716105852F")
    };
    for path in ops.iter().map(|(_, p)| p).collect::<BTreeSet<_>>() {
        let url = app.url(&concrete(path));
        assert!(
            !url.contains('{'),
            "give {path}'s parameter a value in this test"
        );
        for method in METHODS
            .iter()
            .map(|m| m.to_uppercase())
            .chain(["OPTIONS".to_owned()])
        {
            let is_documented = ops.contains(&(method.clone(), path.clone()));
            let res = app
                .client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    &url,
                )
                .send()
                .await
                .unwrap();
            let status = res.status();
            if is_documented {
                assert_ne!(status, 405, "{method} {path} is documented but not routed");
                assert!(status.as_u16() < 500, "{method} {path}: {status}");
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path}: routed but not documented, or the path is not routed"
                );
                let body: Value = res.json().await.unwrap();
                assert_eq!(
                    body["error"]["code"], "method_not_allowed",
                    "{method} {path}"
                );
            }
        }
    }
}
db_test!(every_documented_operation_is_served_and_nothing_else_on_its_path);

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
