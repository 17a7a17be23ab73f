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
//!    - `params(...)`: the path parameters ([`CasePath`], [`IdPath`] or a
//!      tuple), the query (a struct deriving `utoipa::IntoParams` with
//!      `#[into_params(parameter_in = Query)]`) and any header;
//!    - `request_body = T` (JSON by default; give `content_type` otherwise);
//!    - `responses(...)`: the success status with its `body`, then each 4xx
//!      the handler can answer, as one of the reusable responses below, e.g.
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

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::{ApiError, ErrorBody};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse};

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
status; `code` is stable and machine-readable, `fields` names the invalid input fields.
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

// Reusable error responses: every one carries `shared::ErrorBody`.

/// 请求无法解析。The request cannot be read (e.g. a malformed query or body).
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "bad_request", "message": "Failed to deserialize query string"}}))]
pub struct BadRequest(pub ErrorBody);

/// 未登录或会话已过期。Not signed in, or the session has expired.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "unauthorized", "message": "sign in first"}}))]
pub struct Unauthorized(pub ErrorBody);

/// 无权执行（角色不符），或跨站请求被拒绝。The role may not do this, or a cross-site request was refused.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "forbidden", "message": "a handler cannot do this; it needs the role admin"}}))]
pub struct Forbidden(pub ErrorBody);

/// 不存在，或对当前用户不可见。No such resource, or not visible to this user.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "not_found", "message": "no such resource"}}))]
pub struct NotFound(pub ErrorBody);

/// 与当前状态冲突（如案件已被他人修改、不允许的状态转换）。A conflict with the current state (e.g. a stale `version`, an action the state does not allow).
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "conflict", "message": "someone else changed the case at the same moment; reload it"}}))]
pub struct Conflict(pub ErrorBody);

/// 请求体过大。The body is too large.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "payload_too_large", "message": "the report is too large: at most 48 MB in all, 20 MB per photo"}}))]
pub struct PayloadTooLarge(pub ErrorBody);

/// 内容类型不支持（如 JSON 接口未带 `Content-Type: application/json`，或照片不是 JPEG/PNG/WebP）。Unsupported content type.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "unsupported_media_type", "message": "send the body as JSON with `Content-Type: application/json`"}}))]
pub struct UnsupportedMediaType(pub ErrorBody);

/// 输入无效；`fields` 指出字段。Invalid input; `fields` names each invalid field.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "validation_failed", "message": "lat: outside Banan District", "fields": {"lat": "outside Banan District"}}}))]
pub struct Unprocessable(pub ErrorBody);

/// 请求过于频繁；`Retry-After` 给出秒数。Too many requests; `Retry-After` says when to try again.
#[derive(ToResponse)]
#[response(
    example = json!({"error": {"code": "rate_limited", "message": "too many requests; try again in 4 s"}}),
    headers(("Retry-After" = u64, description = "Seconds to wait."))
)]
pub struct TooManyRequests(pub ErrorBody);

/// 服务器暂时繁忙（如密码校验名额已满、上传内存已用满），请稍后重试；`Retry-After` 给出秒数。Busy for a moment (e.g. every password-checking slot is taken, or the server's upload memory is all in use); `Retry-After` says when to try again.
#[derive(ToResponse)]
#[response(
    example = json!({"error": {"code": "busy", "message": "the server is receiving too many uploads right now; try again in 10 s"}}),
    headers(("Retry-After" = u64, description = "Seconds to wait."))
)]
pub struct ServiceUnavailable(pub ErrorBody);

/// A file's bytes, as a response body (photos).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// A case, by its tracking code.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CasePath {
    /// 受理编号（查询码）。The case's tracking code, which is also its public case number, e.g. `BN-7K3M-Q9TX`.
    pub code: String,
}

/// A row, by its numeric id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The row's id.
    pub id: i64,
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
        let html = render_page(&value);
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

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text of a description: escaped, `code` spans kept, links and paragraphs
/// as such. (Markdown's little that the document uses.)
fn prose(s: &str) -> String {
    let mut html = String::new();
    for para in s.split("\n\n") {
        let para = para.trim();
        if para.is_empty() {
            continue;
        }
        if para.lines().all(|l| l.trim_start().starts_with("- ")) {
            html.push_str("<ul>");
            for item in para.lines() {
                let _ = write!(
                    html,
                    "<li>{}</li>",
                    inline(item.trim_start().trim_start_matches("- "))
                );
            }
            html.push_str("</ul>");
        } else {
            let _ = write!(html, "<p>{}</p>", inline(para));
        }
    }
    html
}

/// `code`, **bold** and [text](/relative) links; everything else escaped.
fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            let _ = write!(out, "<code>{}</code>", esc(&after[..end]));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            let _ = write!(out, "<strong>{}</strong>", inline(&after[..end]));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find("](")
            && let Some(end) = after[close + 2..].find(')')
            && after[close + 2..].starts_with('/')
        {
            let href = &after[close + 2..close + 2 + end];
            let _ = write!(
                out,
                "<a href=\"{}\">{}</a>",
                esc(href),
                esc(&after[..close])
            );
            rest = &after[close + 3 + end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push_str(&esc(c.encode_utf8(&mut [0; 4])));
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// A schema in a line: `CaseDetail` (linked), `array of NearbyCase`,
/// `string (binary)`, `object`…
fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = ref_name(r);
        return format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", esc(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(schema_label).collect();
            let sep = if key == "allOf" { " and " } else { " or " };
            return parts.join(sep);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    };
    if ty.starts_with("array") {
        if let Some(tuple) = schema.get("prefixItems").and_then(Value::as_array) {
            let parts: Vec<String> = tuple.iter().map(schema_label).collect();
            return format!("[{}]", parts.join(", "));
        }
        let items = schema.get("items").map(schema_label).unwrap_or_default();
        return format!("array of {items}");
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return format!("object of {}", schema_label(values));
    }
    let mut label = if ty.is_empty() {
        "any".to_owned()
    } else {
        esc(&ty)
    };
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(label, " ({})", esc(f));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = e
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        let _ = write!(label, ": {}", names.join(", "));
    }
    label
}

fn content_labels(content: Option<&Value>) -> String {
    let Some(map) = content.and_then(Value::as_object) else {
        return String::new();
    };
    map.iter()
        .map(|(mime, media)| {
            let schema = media.get("schema").map(schema_label).unwrap_or_default();
            format!("<code>{}</code> {}", esc(mime), schema)
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Follows a `$ref` to `#/components/{kind}/{name}`.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| {
                p.split('/')
                    .fold(doc, |node, key| node.get(key).unwrap_or(&Value::Null))
            })
            .unwrap_or(v),
        None => v,
    }
}

fn render_operation(doc: &Value, html: &mut String, method: &str, path: &str, op: &Value) {
    let id = format!("op-{}-{}", method, path.replace(['/', '{', '}', '.'], "-"));
    let summary = op
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let _ = write!(
        html,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"m m-{method}\">{}</span> <code>{}</code></h3>",
        esc(&id),
        method.to_uppercase(),
        esc(path)
    );
    if !summary.is_empty() {
        let _ = write!(html, "<p class=\"summary\">{}</p>", inline(summary));
    }
    if let Some(d) = op.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    if let Some(security) = op.get("security").and_then(Value::as_array) {
        let names: Vec<String> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys())
            .map(|k| match k.as_str() {
                SESSION => {
                    "工作人员会话 staff session (cookie <code>shanshui_session</code>)".to_owned()
                }
                REPORT_SECRET => {
                    "举报人密钥 reporter's secret (header <code>X-Report-Secret</code>)".to_owned()
                }
                other => format!("<code>{}</code>", esc(other)),
            })
            .collect();
        if !names.is_empty() {
            let _ = write!(
                html,
                "<p class=\"auth\">Authentication 认证: {}</p>",
                names.join("; ")
            );
        }
    }
    if let Some(params) = op
        .get("parameters")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    {
        html.push_str(
            "<h4>Parameters 参数</h4><table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>",
        );
        for p in params {
            let p = resolve(doc, p);
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p.get("name").and_then(Value::as_str).unwrap_or_default()),
                esc(p.get("in").and_then(Value::as_str).unwrap_or_default()),
                p.get("schema").map(schema_label).unwrap_or_default(),
                if p.get("required").and_then(Value::as_bool).unwrap_or(false) {
                    "yes"
                } else {
                    "no"
                },
                inline(
                    p.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolve(doc, body);
        let _ = write!(
            html,
            "<h4>Request body 请求体</h4><p>{}</p>",
            content_labels(body.get("content"))
        );
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        html.push_str("<h4>Responses 响应</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>");
        for (status, response) in responses {
            let r = resolve(doc, response);
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                inline(
                    r.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
                content_labels(r.get("content")),
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</section>");
}

fn render_schema(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        html,
        "<section class=\"schema\" id=\"schema-{0}\"><h3><code>{0}</code></h3>",
        esc(name)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    let mut parts: Vec<&Value> = vec![schema];
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let refs: Vec<String> = list
                .iter()
                .filter(|s| s.get("$ref").is_some())
                .map(schema_label)
                .collect();
            if !refs.is_empty() {
                let word = if key == "allOf" {
                    "All of 包含"
                } else {
                    "One of 之一"
                };
                let _ = write!(html, "<p>{word}: {}</p>", refs.join(", "));
            }
            parts.extend(list.iter().filter(|s| s.get("$ref").is_none()));
        }
    }
    let one_of = schema.get("oneOf").is_some();
    let mut table = String::new();
    for (i, part) in parts.iter().enumerate() {
        let Some(props) = part.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if one_of && i > 0 {
            // A variant: named by its tag (the one property with a single
            // allowed value, e.g. `"action": "accept"`), then described.
            let tag = props.iter().find_map(|(name, s)| {
                let e = s
                    .get("enum")
                    .and_then(Value::as_array)
                    .filter(|e| e.len() == 1)?;
                Some(format!(
                    "<code>{}: {}</code> ",
                    esc(name),
                    esc(&e[0].to_string())
                ))
            });
            let title = part
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let _ = write!(
                table,
                "<tr><th colspan=\"4\" class=\"variant\">{}{}</th></tr>",
                tag.unwrap_or_default(),
                inline(title)
            );
        }
        for (prop, s) in props {
            let _ = write!(
                table,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(prop),
                schema_label(s),
                if required.contains(&prop.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                inline(
                    s.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
            );
        }
    }
    if table.is_empty() {
        let _ = write!(html, "<p>{}</p>", schema_label(schema));
    } else {
        let _ = write!(
            html,
            "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>{table}</table>"
        );
    }
    html.push_str("</section>");
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;max-width:70rem;margin:0 auto;padding:1rem;color:#1b2b24;line-height:1.5}\
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #2e7d5b;padding-bottom:.2rem;margin-top:2.5rem}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f0f4f2;padding:0 .2em;border-radius:3px}\
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #ccd8d2;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef4f1}.op,.schema{border:1px solid #dfe7e3;border-radius:6px;padding:.2rem 1rem;margin:1rem 0}\
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.85rem;padding:.1rem .3rem}\
.m-get{background:#2e6fb0}.m-post{background:#2e7d5b}.m-put,.m-patch{background:#a66a00}.m-delete{background:#b03a2e}\
.summary{font-weight:600}.auth{color:#5a4b00}.variant{background:#f7f3e6}nav ul{columns:2}a{color:#1f5f8b}";

/// The page: a table of contents, the operations by tag, then the schemas.
fn render_page(doc: &Value) -> String {
    let info = doc.get("info").unwrap_or(&Value::Null);
    let title = info.get("title").and_then(Value::as_str).unwrap_or("API");
    let version = info
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let empty = serde_json::Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // (tag → [(method, path, operation)]) in the order of the document's tags.
    let mut by_tag: BTreeMap<String, Vec<(&str, &str, &Value)>> = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let tag = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .and_then(|t| t.first())
                    .and_then(Value::as_str)
                    .unwrap_or("other");
                by_tag
                    .entry(tag.to_owned())
                    .or_default()
                    .push((method, path.as_str(), op));
            }
        }
    }
    let mut order: Vec<(String, String)> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    let name = t.get("name")?.as_str()?.to_owned();
                    Some((
                        name,
                        t.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for tag in by_tag.keys() {
        if !order.iter().any(|(n, _)| n == tag) {
            order.push((tag.clone(), String::new()));
        }
    }

    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} {v} — 接口文档 API reference</title><style>{STYLE}</style></head><body>\
         <header><h1>{t} <small>{v}</small></h1>\
         <p>OpenAPI 3.1: <a href=\"{DOCUMENT_PATH}\"><code>{DOCUMENT_PATH}</code></a> · <a href=\"/\">山水 Shanshui</a></p></header>",
        t = esc(title),
        v = esc(version),
    );
    if let Some(d) = info.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    html.push_str("<nav><h2>Contents 目录</h2><ul>");
    for (tag, _) in &order {
        if let Some(ops) = by_tag.get(tag) {
            let _ = write!(
                html,
                "<li><a href=\"#tag-{0}\">{0}</a> ({1})</li>",
                esc(tag),
                ops.len()
            );
        }
    }
    html.push_str("<li><a href=\"#schemas\">Schemas 数据结构</a></li></ul></nav><main>");
    for (tag, description) in &order {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            html,
            "<h2 id=\"tag-{0}\">{0}</h2>{1}",
            esc(tag),
            prose(description)
        );
        for (method, path, op) in ops {
            render_operation(doc, &mut html, method, path, op);
        }
    }
    html.push_str("<h2 id=\"schemas\">Schemas 数据结构</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            render_schema(&mut html, name, schema);
        }
    }
    html.push_str("</main></body></html>");
    html
}

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
            for method in METHODS {
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

    #[test]
    fn the_page_escapes_text_and_keeps_relative_links() {
        assert_eq!(
            inline("a <b> & `c<d>`"),
            "a &lt;b&gt; &amp; <code>c&lt;d&gt;</code>"
        );
        assert_eq!(
            inline("see [docs](/api/docs)"),
            "see <a href=\"/api/docs\">docs</a>"
        );
        assert_eq!(
            inline("[x](https://example.com)"),
            "[x](https://example.com)"
        );
    }
}
