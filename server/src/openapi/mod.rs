//! The OpenAPI 3.1 document of the JSON API, generated from the code with
//! utoipa, served at `GET /api/v1/openapi.json`, and the same document as a
//! plain HTML page at `GET /api/docs` (no scripts, fonts or CDN: it works
//! offline).
//!
//! # How an endpoint gets routed and documented
//!
//! In one place: the module's `router()`, an `OpenApiRouter` (utoipa-axum)
//! whose `.routes(routes!(handlers::x, …))` register each handler on the
//! path and methods of its `#[utoipa::path]` and add that path to the
//! document. `api::v1` merges the modules' routers; nothing else serves
//! `/api/v1`.
//!
//! 1. Put `#[utoipa::path(...)]` on the handler (see `cases::handlers` for
//!    the pattern):
//!    - the method and `path = "/…"`, relative to `/api/v1` (the prefix is
//!      added where `api::router` nests the routers), with axum's `{param}`
//!      names;
//!    - `tag = "<module>"` (one of [`TAGS`]);
//!    - `params(...)`: the path parameters ([`components::CasePath`], [`components::IdPath`] or a
//!      tuple), the query (a struct deriving `utoipa::IntoParams` with
//!      `#[into_params(parameter_in = Query)]`, read with `error::AppQuery`)
//!      and any header;
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
//! 2. Add `.routes(routes!(handlers::x))` to the module's `router()`;
//!    handlers on the same path go in one `routes!(a, b)`. Per-route layers
//!    (rate limits, body limits) go on the `OpenApiRouter` as on an axum
//!    `Router` (`.layer`, `.route_layer`), or on a sub-router merged in (see
//!    `reports::api_router`).
//! 3. A new module: merge its router in `api::v1`, and add its tag, with a
//!    description, to [`TAGS`].
//!
//! Types: a DTO of `shared` gets
//! `#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]` (the feature
//! keeps utoipa out of the WebAssembly front end); a server-side type derives
//! `utoipa::ToSchema` or `utoipa::IntoParams` directly. Schemas a handler
//! names are collected with its path; one that none names goes in the
//! module's router through `OpenApiRouter::with_openapi` (see `directory`).
//!
//! `tests/tests/api/openapi.rs` checks with requests that every documented
//! operation is served and that a documented path refuses the methods it
//! does not document, and snapshots the whole document
//! (`tests/tests/api/snapshots/`): a change to the API shows in review as a
//! change to that file (accept it with
//! `INSTA_UPDATE=always cargo nextest run -p shanshui-tests --test api -E
//! 'test(snapshot)'`, or `cargo insta review`).

pub mod components;
mod page;

use crate::middleware::rate_limit::Limiter;
use crate::state::Limits;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use components::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::{ApiError, ErrorBody};
use std::sync::Arc;
use std::time::Duration;
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
        "handoff",
        "12345 平台转办：平台以签名请求转来工单，每次状态变化回调平台。The 12345 platform's hand-off: signed work orders in, every change of state back to its callback.",
    ),
    (
        "routing",
        "分派规则与静音期（高考、中考）。Routing rules and quiet periods.",
    ),
    ("users", "工作人员账号。Staff accounts."),
    ("audit", "审计日志。The audit log."),
    (
        "notifications",
        "通知举报人：浏览器推送（Web Push）、仅用于通知的手机号、凭短信验证码找回举报，以及管理员查看已发送的消息。Telling the reporter: Web Push, a phone for messages only, finding one's reports again by an SMS code, and the messages sent.",
    ),
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

/// What the operations share: the error body and the reusable error
/// responses they refer to.
#[derive(OpenApi)]
#[openapi(components(
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
))]
struct Shared;

/// Limiters for building the routers only to read their document: the
/// routers hang their rate limiters on their routes, so building them takes
/// limiters; these are never used (the document does not depend on them).
pub fn unused_limits() -> Limits {
    let unused = Arc::new(Limiter::new(1, Duration::from_secs(1)));
    Limits {
        submit: unused.clone(),
        track: unused.clone(),
        nearby: unused.clone(),
        sign_in: unused.clone(),
        recover: unused,
    }
}

/// The whole document from the routers' paths (`api::openapi` passes those
/// of `api::v1`): put under `/api/v1`, with the API's description, tags,
/// shared components and security schemes.
pub fn assemble(routes: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let doc = utoipa::openapi::OpenApiBuilder::new()
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
    let mut doc = doc.merge_from(Shared::openapi()).nest("/api/v1", routes);
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
            "platform_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "12345 平台的 API 密钥（scope platform_12345），请求正文另以 X-Shanshui-Signature 签名。The 12345 platform's API key; the body is also signed (X-Shanshui-Signature).",
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

/// The document as served, computed once from the document.
pub struct Rendered {
    pub json: Vec<u8>,
    pub json_etag: HeaderValue,
    pub html: String,
    pub html_etag: HeaderValue,
}

impl Rendered {
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let value = serde_json::to_value(doc).unwrap_or(Value::Null);
        let json = serde_json::to_vec(&value).unwrap_or_default();
        let html = page::render_page(&value);
        Rendered {
            json_etag: etag(json.as_slice()),
            json,
            html_etag: etag(html.as_bytes()),
            html,
        }
    }
}

fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The document changes only with a new build: cached briefly, revalidated
/// with its ETag.
pub fn cached(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_with_our_title_and_the_version_of_the_build() {
        let doc = serde_json::to_value(crate::api::openapi()).unwrap_or(Value::Null);
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
        let doc = serde_json::to_value(crate::api::openapi()).unwrap_or(Value::Null);
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
