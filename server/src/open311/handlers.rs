//! The Open311 GeoReport v2 endpoints. Paths carry the format as a suffix
//! (`services.json`, `requests/BN-….xml`), so each route takes the last
//! segment whole and splits it.

use super::doc::{Format, Node};
use super::error::Open311Error;
use super::requests::{self, ListParams};
use crate::middleware::conditional::{cacheable, origin};
use crate::middleware::public_cache::PublicChange;
use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::report::{Category, Datatype};

/// The jurisdiction this endpoint serves (`jurisdiction_id`).
pub const JURISDICTION: &str = "cq-banan";
/// When the service list or this endpoint last changed in a way clients
/// should notice.
const CHANGESET: &str = "2026-11-29T00:00:00+08:00";

fn format_of(file: &str) -> Result<(&str, Format), Open311Error> {
    Format::split(file).ok_or_else(|| {
        Open311Error::not_found(
            Format::Json,
            "no such resource: add .json or .xml to the path",
        )
    })
}

fn ok(headers: &HeaderMap, format: Format, doc: &Node, root: &str) -> Response {
    cacheable(headers, format.content_type(), doc.render(format, root))
}

/// `GET /open311/discovery.{json,xml}`.
pub async fn discovery(
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, Open311Error> {
    let (stem, format) = format_of(&file)?;
    if stem != "discovery" {
        return Err(Open311Error::not_found(format, "no such resource"));
    }
    let doc = Node::Obj(vec![
        ("changeset", Node::str(CHANGESET)),
        (
            "contact",
            Node::str(
                "巴南区生态环境局 Banan District Ecology and Environment Bureau, 12345 / 12369",
            ),
        ),
        (
            "key_service",
            Node::str(
                "API keys are issued by the bureau (`shanshui api-key create`) for POST requests",
            ),
        ),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Obj(vec![
                    (
                        "specification",
                        Node::str("http://wiki.open311.org/GeoReport_v2"),
                    ),
                    ("url", Node::str(format!("{}/open311/v2", origin(&headers)))),
                    ("changeset", Node::str(CHANGESET)),
                    ("type", Node::str("production")),
                    (
                        "formats",
                        Node::List(
                            "format",
                            vec![Node::str("text/xml"), Node::str("application/json")],
                        ),
                    ),
                ])],
            ),
        ),
    ]);
    Ok(ok(&headers, format, &doc, "discovery"))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct JurisdictionQuery {
    pub jurisdiction_id: Option<String>,
}

/// `jurisdiction_id` is optional here (one jurisdiction); a wrong one is an
/// error rather than silently someone else's data.
pub fn check_jurisdiction(j: Option<&str>, format: Format) -> Result<(), Open311Error> {
    match j.map(str::trim) {
        None | Some("") => Ok(()),
        Some(JURISDICTION) => Ok(()),
        Some(other) => Err(Open311Error::not_found(
            format,
            format!("unknown jurisdiction_id `{other}`; this endpoint serves `{JURISDICTION}`"),
        )),
    }
}

fn service_node(c: &Category) -> Node {
    Node::Obj(vec![
        ("service_code", Node::str(&c.code)),
        ("service_name", Node::str(&c.name)),
        (
            "description",
            Node::str(format!("{} · {} ({})", c.group.name, c.name, c.name_en)),
        ),
        ("metadata", Node::Bool(!c.questions.is_empty())),
        ("type", Node::str("realtime")),
        (
            "keywords",
            Node::str(format!(
                "{},{},{}",
                c.group.code, c.group.name_en, c.name_en
            )),
        ),
        ("group", Node::str(&c.group.name)),
    ])
}

fn definition_node(c: &Category) -> Node {
    let attributes = c
        .questions
        .iter()
        .map(|q| {
            let datatype_description = match q.datatype {
                Datatype::Number => "a number",
                Datatype::Datetime => "a date and time (W3C, e.g. 2026-11-29T22:30:00+08:00)",
                Datatype::Singlevaluelist => "one of the keys in values",
                Datatype::Multivaluelist => "one or more of the keys in values (attribute[code][])",
                _ => "",
            };
            Node::Obj(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::str(&q.code)),
                ("datatype", Node::str(q.datatype.as_str())),
                ("required", Node::Bool(q.required)),
                ("datatype_description", Node::str(datatype_description)),
                ("order", Node::Int(i64::from(q.order))),
                (
                    "description",
                    Node::str(format!("{} ({})", q.name, q.name_en)),
                ),
                (
                    "values",
                    Node::List(
                        "value",
                        q.values
                            .iter()
                            .map(|v| {
                                Node::Obj(vec![
                                    ("key", Node::str(&v.key)),
                                    ("name", Node::str(format!("{} ({})", v.name, v.name_en))),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Node::Obj(vec![
        ("service_code", Node::str(&c.code)),
        ("attributes", Node::List("attribute", attributes)),
    ])
}

/// `GET /open311/v2/services.{fmt}` and `GET /open311/v2/requests.{fmt}`.
pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    query: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Open311Error> {
    let (stem, format) = format_of(&file)?;
    let Query(params) = query.map_err(|e| Open311Error::bad(format, e.body_text()))?;
    check_jurisdiction(params.jurisdiction_id.as_deref(), format)?;
    match stem {
        "services" => {
            let directory = state
                .directory
                .get(&state.db)
                .await
                .map_err(|e| Open311Error::from_app(e.into(), format))?;
            let doc = Node::List(
                "service",
                directory.categories.iter().map(service_node).collect(),
            );
            Ok(ok(&headers, format, &doc, "services"))
        }
        "requests" => {
            let filter = requests::filter(&params, format, state.settings.clock.now())?;
            let items = state
                .public_cases()
                .list(&filter)
                .await
                .map_err(|e| Open311Error::from_app(e, format))?
                .items;
            let base = origin(&headers);
            let doc = Node::List(
                "request",
                items
                    .iter()
                    .map(|c| requests::request_node(c, &base))
                    .collect(),
            );
            Ok(ok(&headers, format, &doc, "service_requests"))
        }
        "discovery" => discovery(headers, Path(file.clone())).await,
        _ => Err(Open311Error::not_found(format, "no such resource")),
    }
}

/// `GET /open311/v2/services/{code}.{fmt}`: the service definition.
pub async fn service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<JurisdictionQuery>,
) -> Result<Response, Open311Error> {
    let (code, format) = format_of(&file)?;
    check_jurisdiction(q.jurisdiction_id.as_deref(), format)?;
    let directory = state
        .directory
        .get(&state.db)
        .await
        .map_err(|e| Open311Error::from_app(e.into(), format))?;
    let c = directory
        .categories
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| {
            Open311Error::not_found(format, format!("no service with service_code `{code}`"))
        })?;
    Ok(ok(
        &headers,
        format,
        &definition_node(c),
        "service_definition",
    ))
}

/// `GET /open311/v2/requests/{id}.{fmt}`: an array of one.
pub async fn request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<JurisdictionQuery>,
) -> Result<Response, Open311Error> {
    let (id, format) = format_of(&file)?;
    check_jurisdiction(q.jurisdiction_id.as_deref(), format)?;
    let c = state.public_cases().detail(id).await.map_err(|e| match e {
        crate::error::AppError::NotFound => {
            Open311Error::not_found(format, format!("no service request `{id}`"))
        }
        other => Open311Error::from_app(other, format),
    })?;
    let doc = Node::List(
        "request",
        vec![requests::request_node(&c.case, &origin(&headers))],
    );
    Ok(ok(&headers, format, &doc, "service_requests"))
}

/// `GET /open311/v2/tokens/{token}.{fmt}`. This server files a request at
/// once and answers POST with its `service_request_id`, so it never issues
/// a token and every token is unknown.
pub async fn token(Path(file): Path<String>) -> Result<Response, Open311Error> {
    let (token, format) = format_of(&file)?;
    Err(Open311Error::not_found(
        format,
        format!(
            "no such token `{token}`: this server answers POST requests with a service_request_id, never a token"
        ),
    ))
}

/// `POST /open311/v2/requests.{fmt}`: form fields (urlencoded or
/// multipart, with photos in `media`) and an `api_key`.
pub async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, Open311Error> {
    let (stem, format) = format_of(&file)?;
    if stem != "requests" {
        return Err(Open311Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format,
            "only requests can be POSTed",
        ));
    }
    let idempotency = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| (1..=200).contains(&s.len()));
    let change = request
        .extensions()
        .get::<PublicChange>()
        .cloned()
        .unwrap_or_default();
    let form = requests::read_form(
        &state.uploads,
        state.pipeline.limits().max_bytes,
        request,
        format,
    )
    .await?;
    let (receipt, notices) = requests::submit(&state.reports(), form, idempotency, format).await?;
    change.mark();
    let doc = Node::List(
        "request",
        vec![Node::Obj(vec![
            ("service_request_id", Node::str(&receipt.tracking_code)),
            ("service_notice", Node::str(notices)),
            ("account_id", Node::Null),
            // An extension: the reporter's secret for following the case on
            // /track (shown once; only its hash is kept).
            ("report_secret", Node::str(&receipt.secret)),
        ])],
    );
    let mut response =
        (StatusCode::CREATED, doc.render(format, "service_requests")).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(format.content_type()) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
