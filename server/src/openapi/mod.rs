//! The OpenAPI 3.1 document of the JSON API, generated from the code with
//! utoipa, served at `GET /api/v1/openapi.json`, and the same document as a
//! plain HTML page at `GET /api/docs` (no scripts, fonts or CDN: it works
//! offline).
//!
//! # How an endpoint gets documented
//!
//! Each module documents its own endpoints, next to its `router()`, the way
//! it owns its routes:
//!
//! 1. Put `#[utoipa::path(...)]` on the handler (see `cases::handlers` for
//!    the pattern):
//!    - the method and `path = "/api/v1/…"`, the full path a client calls,
//!      with the router's own `{param}` names;
//!    - `tag = "<module>"` (one of [`TAGS`]);
//!    - `params(...)`: the path parameters ([`components::CasePath`], [`components::IdPath`] or a
//!      tuple), the query (a struct deriving `utoipa::IntoParams` with
//!      `#[into_params(parameter_in = Query)]`) and any header;
//!    - `request_body = T` (JSON by default; give `content_type` otherwise);
//!    - `responses(...)`: the success status with its `body`, then each 4xx
//!      the handler can answer, as one of the reusable responses of [`components`], e.g.
//!      `(status = 401, response = Unauthorized)`; all of them carry
//!      `shared::ErrorBody`;
//!    - `security(("session" = []))` for staff routes (the session cookie),
//!      `security(("report_secret" = []))` for the reporter's
//!      (`X-Report-Secret`); nothing for public routes.
//!
//!    The handler's doc comment becomes the summary (first line) and the
//!    description (the rest): write them for the API's users.
//! 2. List the handler in the module's `ApiDoc`
//!    (`#[derive(utoipa::OpenApi)] #[openapi(paths(handlers::x, …))]`) next
//!    to its `router()`.
//! 3. A new module: add its `ApiDoc::openapi` to [`MODULES`], and its tag,
//!    with a description, to [`TAGS`].
//!
//! Types: a DTO of `shared` gets
//! `#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]` (the feature
//! keeps utoipa out of the WebAssembly front end); a server-side type derives
//! `utoipa::ToSchema` or `utoipa::IntoParams` directly.
//!
//! `tests/tests/api/openapi.rs` reads the routers that `api::v1` merges and
//! fails for any route under `/api/v1` that the document lacks, and for any
//! documented operation the server does not serve.
//!
//! Why not utoipa-axum's `routes!()`: it would make every module's router an
//! `OpenApiRouter` and change how the per-route layers (rate limits, the
//! upload body limit) are stacked, for little gain; the test above gives the
//! same guarantee (no undocumented route) while the routers stay plain axum.

pub mod components;
mod page;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use components::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::{ApiError, ErrorBody};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Where the document and its page are served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
pub const PAGE_PATH: &str = "/api/docs";

/// The security schemes' names, as `security(...)` refers to them.
pub const SESSION: &str = "session";
pub const REPORT_SECRET: &str = "report_secret";

/// The tags, one per domain module, in the order the docs page shows them:
/// (name, description).
pub const TAGS: &[(&str, &str)] = &[
    (
        "reports",
        "群众举报：提交举报、附近的同类案件、凭查询码和密钥跟踪案件。Reports: filing a report, open cases nearby, following a case with its tracking code and secret.",
    ),
    (
        "categories",
        "举报类别及其补充问题（Open311 attributes）。The category catalogue and each category's extra questions.",
    ),
    (
        "directory",
        "部门与街道/镇。Departments and areas (街道/镇); their settings for admins.",
    ),
    (
        "rewards",
        "举报奖励：奖励标准、奖励队列、台账、排除名单。Rewards: tiers, the reward queue, the ledger, the exclusion list.",
    ),
    (
        "auth",
        "工作人员登录与退出（会话 Cookie）。Staff sign-in and sign-out (a session cookie).",
    ),
    (
        "cases",
        "案件办理：队列、案件详情、受理 → 查处 → 回复审核的各项操作。Case handling: the queue, a case, and every workflow action.",
    ),
    (
        "routing",
        "分派规则与静音期（高考、中考）。Routing rules and quiet periods.",
    ),
    ("users", "工作人员账号。Staff accounts."),
    ("audit", "审计日志。The audit log."),
    (
        "outbox",
        "部门 Webhook 通知的发送队列。Webhook notifications to departments that keep failing.",
    ),
    (
        "disclosure",
        "信息公开：每个案件的公开记录（审核后公开的问题基本情况、调查核实情况、处理和整改情况、照片）。Open information: the public record of every case. Open data outside this API: Open311 GeoReport v2 at /open311/discovery.json, /open-data/cases.geojson, /open-data/cases.csv, /feeds/cases.atom.",
    ),
    ("meta", "本文档。This document."),
];

/// Each module's part of the document: `<module>::ApiDoc`, next to its
/// `router()`. Add a new module's here.
pub const MODULES: &[fn() -> utoipa::openapi::OpenApi] = &[
    <crate::reports::ApiDoc as OpenApi>::openapi,
    <crate::categories::ApiDoc as OpenApi>::openapi,
    <crate::directory::ApiDoc as OpenApi>::openapi,
    <crate::rewards::ApiDoc as OpenApi>::openapi,
    <crate::auth::ApiDoc as OpenApi>::openapi,
    <crate::cases::ApiDoc as OpenApi>::openapi,
    <crate::routing::ApiDoc as OpenApi>::openapi,
    <crate::users::ApiDoc as OpenApi>::openapi,
    <crate::audit::ApiDoc as OpenApi>::openapi,
    <crate::outbox::ApiDoc as OpenApi>::openapi,
    <crate::disclosure::ApiDoc as OpenApi>::openapi,
    <crate::stats::ApiDoc as OpenApi>::openapi,
    <crate::info::ApiDoc as OpenApi>::openapi,
    <ApiDoc as OpenApi>::openapi,
];

const DESCRIPTION: &str = "\
巴南区生态环境问题举报系统（山水）的 JSON 接口。居民无需账号即可举报并凭查询码和密钥跟踪案件；\
工作人员登录后办理案件。可读版本见 [/api/docs](/api/docs)。

The JSON API of Shanshui (山水), the environmental-complaint system of Banan District, Chongqing. \
Residents report without an account and follow their case with its tracking code and secret; \
staff sign in (`POST /api/v1/session`) and handle cases. A readable version of this document: \
[/api/docs](/api/docs).

- **Errors 错误**: every error is JSON `{\"error\": {\"code\", \"message\", \"fields\"?}}` with its 4xx \
status; `code` is stable and machine-readable, `fields` maps each invalid input field to its own \
`{\"code\", \"message\"}` (`required`, `too_long`, `out_of_area`, …; see `FieldErrorCode`).
- **Staff 工作人员**: the `shanshui_session` cookie set by `POST /api/v1/session`.
- **Reporters 举报人**: the secret given once on filing, in the `X-Report-Secret` header.
- **Cross-site requests 跨站请求**: a browser's unsafe request (POST, PUT, PATCH, DELETE) from another \
site is refused with 403; clients that send neither `Origin` nor `Sec-Fetch-Site` are not affected.
- **Times 时间**: RFC 3339; amounts are integers in fen (分); coordinates are WGS84.";

/// The operations of this module: the document itself.
#[derive(OpenApi)]
#[openapi(
    paths(document),
    components(
        schemas(ErrorBody, ApiError),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            ServiceUnavailable
        )
    )
)]
pub struct ApiDoc;

/// The whole document, built from every module's part.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Shanshui API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .license(Some(utoipa::openapi::License::new(env!(
                    "CARGO_PKG_LICENSE"
                ))))
                .build(),
        )
        // Relative: the document describes whichever host serves it.
        .servers(Some([utoipa::openapi::ServerBuilder::new()
            .url("/")
            .description(Some("this server 本服务器"))
            .build()]))
        .tags(Some(TAGS.iter().map(|(name, description)| {
            utoipa::openapi::tag::TagBuilder::new()
                .name(*name)
                .description(Some(*description))
                .build()
        })))
        .build();
    for part in MODULES {
        doc.merge(part());
    }
    SecuritySchemes.modify(&mut doc);
    doc
}

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::session::COOKIE,
                "工作人员会话，由 `POST /api/v1/session` 设置。The staff session, set by `POST /api/v1/session` (HttpOnly, SameSite=Strict).",
            ))),
        );
        components.add_security_scheme(
            REPORT_SECRET,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Report-Secret",
                "举报时一次性给出的密钥。The secret given once when the report was filed.",
            ))),
        );
    }
}

/// `/api/v1/openapi.json`, under the API's router.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}

/// Computed once, at the first request.
struct Rendered {
    json: Vec<u8>,
    json_etag: HeaderValue,
    html: String,
    html_etag: HeaderValue,
}

fn rendered() -> &'static Rendered {
    static RENDERED: OnceLock<Rendered> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let doc = openapi();
        let value = serde_json::to_value(&doc).unwrap_or(Value::Null);
        let json = serde_json::to_vec(&value).unwrap_or_default();
        let html = page::render_page(&value);
        Rendered {
            json_etag: etag(json.as_slice()),
            json,
            html_etag: etag(html.as_bytes()),
            html,
        }
    })
}

fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The document changes only with a new build: cached briefly, revalidated
/// with its ETag.
fn cached(
    headers: &HeaderMap,
    etag: &HeaderValue,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            t.trim() == "*"
                || t.trim().trim_start_matches("W/") == etag.to_str().unwrap_or_default()
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    if !fresh {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300, must-revalidate"),
    );
    h.insert(header::ETAG, etag.clone());
    response
}

/// This document (OpenAPI 3.1).
///
/// Generated from the server's code; cached for five minutes and
/// revalidated with its `ETag`. A readable version is at `/api/docs`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified (`If-None-Match` matched the `ETag`)."),
    )
)]
pub async fn document(headers: HeaderMap) -> Response {
    let r = rendered();
    cached(&headers, &r.json_etag, "application/json", r.json.clone())
}

/// `GET /api/docs`: the document as a page.
pub async fn page(headers: HeaderMap) -> Response {
    let r = rendered();
    cached(
        &headers,
        &r.html_etag,
        "text/html; charset=utf-8",
        r.html.clone().into_bytes(),
    )
}

// The docs page: plain HTML generated from the JSON of the document, so it
// shows exactly what clients get.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_with_our_title_and_the_version_of_the_build() {
        let doc = serde_json::to_value(openapi()).unwrap_or(Value::Null);
        assert!(
            doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
            "{}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["title"], "Shanshui API");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(doc["servers"][0]["url"], "/");
        assert!(doc["components"]["securitySchemes"][SESSION].is_object());
        assert!(doc["components"]["securitySchemes"][REPORT_SECRET].is_object());
    }

    #[test]
    fn every_operation_has_a_known_tag_a_summary_and_error_bodies_for_its_4xx() {
        let doc = serde_json::to_value(openapi()).unwrap_or(Value::Null);
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(!paths.is_empty());
        for (path, item) in &paths {
            for method in page::METHODS {
                let Some(op) = item.get(method) else { continue };
                let tag = op["tags"][0].as_str().unwrap_or_default();
                assert!(
                    TAGS.iter().any(|(t, _)| *t == tag),
                    "{method} {path}: tag `{tag}` is not in TAGS"
                );
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}: no summary"
                );
                for (status, response) in op["responses"].as_object().cloned().unwrap_or_default() {
                    if status.starts_with('4') {
                        let r = response["$ref"].as_str().unwrap_or_default();
                        assert!(
                            r.starts_with("#/components/responses/"),
                            "{method} {path} {status}: use a reusable error response"
                        );
                    }
                }
            }
        }
    }
}
