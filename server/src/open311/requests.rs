//! Service requests: the list filters as the specification defines them,
//! one request as Open311 fields, and filing a request from form fields.

use super::doc::{Format, Node};
use super::error::Open311Error;
use crate::categories;
use crate::directory::calendar::parse_day;
use crate::disclosure::handlers::given;
use crate::disclosure::service::{PublicFilter, StatusFilter};
use crate::reports::idempotency::{IdempotencyKey, KeyScope};
use crate::reports::input::RawReport;
use crate::reports::service::Reports;
use crate::reports::upload::UploadBudget;
use crate::reports::upload::{self, FormSpec};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use shared::disclosure::{PublicCase, finding_label, state_label};
use shared::report::SubmitReceipt;

/// Requests per page unless `page_size` says otherwise; the specification's
/// 1,000-record cap is the largest page.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The specification's default window when no dates are given.
const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListParams {
    pub jurisdiction_id: Option<String>,
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
}

fn list(v: &Option<String>) -> Vec<String> {
    given(v)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A W3C datetime (`2026-11-01T00:00:00+08:00`, `…Z`) or a date, taken as
/// Chongqing midnight.
fn datetime(field: &str, s: &str, format: Format) -> Result<DateTime<Utc>, Open311Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    parse_day(field, s, false).map_err(|_| {
        Open311Error::bad(
            format,
            format!("{field}: a W3C datetime such as 2026-11-01T00:00:00+08:00"),
        )
    })
}

/// The public list's page numbers, with Open311's error shape.
fn number(
    field: &str,
    v: &Option<String>,
    default: u32,
    max: u32,
    format: Format,
) -> Result<u32, Open311Error> {
    crate::disclosure::handlers::number(field, v, default, max)
        .map_err(|e| Open311Error::from_app(e, format))
}

pub fn filter(
    p: &ListParams,
    format: Format,
    now: DateTime<Utc>,
) -> Result<PublicFilter, Open311Error> {
    let page = number("page", &p.page, 1, 100_000, format)?;
    let page_size = number(
        "page_size",
        &p.page_size,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
        format,
    )?;
    let codes = list(&p.service_request_id);
    if !codes.is_empty() {
        // Asking for requests by id overrides every other filter.
        return Ok(PublicFilter {
            codes,
            page,
            page_size,
            ..Default::default()
        });
    }
    let status = match list(&p.status).as_slice() {
        [] => StatusFilter::Any,
        statuses => {
            let (mut open, mut closed) = (false, false);
            for s in statuses {
                match s.as_str() {
                    "open" => open = true,
                    "closed" => closed = true,
                    other => {
                        return Err(Open311Error::bad(
                            format,
                            format!("status: `{other}` is neither open nor closed"),
                        ));
                    }
                }
            }
            match (open, closed) {
                (true, false) => StatusFilter::Open,
                (false, true) => StatusFilter::Closed,
                _ => StatusFilter::Any,
            }
        }
    };
    let from = given(&p.start_date)
        .map(|s| datetime("start_date", s, format))
        .transpose()?;
    let to = given(&p.end_date)
        .map(|s| datetime("end_date", s, format))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(Open311Error::bad(format, "end_date: before start_date"));
    }
    let from = match (from, to) {
        (None, None) => Some(now - Duration::days(DEFAULT_DAYS)),
        (None, Some(t)) => Some(t - Duration::days(DEFAULT_DAYS)),
        (f, _) => f,
    };
    Ok(PublicFilter {
        categories: list(&p.service_code),
        status,
        from,
        // end_date is inclusive.
        to: to.map(|t| t + Duration::seconds(1)),
        page,
        page_size,
        ..Default::default()
    })
}

/// One service request, with the fields in the specification's order.
pub fn request_node(c: &PublicCase, base: &str) -> Node {
    let mut notes = state_label(c.state, true).to_owned();
    if let Some(f) = c.finding {
        notes.push_str(&format!(";调查结果:{}", finding_label(f, true)));
    }
    if let Some(m) = &c.merged_into {
        notes.push_str(&format!(";并入 {m}"));
    }
    notes.push_str(&format!(" ({})", state_label(c.state, false)));
    let address = match &c.area {
        Some(a) => format!(
            "重庆市巴南区{}(位置已模糊处理 · shown approximately)",
            a.name
        ),
        None => "重庆市巴南区(位置已模糊处理 · shown approximately)".to_owned(),
    };
    Node::Obj(vec![
        ("service_request_id", Node::str(&c.code)),
        (
            "status",
            Node::str(if c.closed { "closed" } else { "open" }),
        ),
        ("status_notes", Node::str(notes)),
        ("service_name", Node::str(&c.category.name)),
        ("service_code", Node::str(&c.category.code)),
        (
            "description",
            Node::str(c.summary.clone().unwrap_or_default()),
        ),
        (
            "agency_responsible",
            Node::opt(c.department.as_ref().map(|d| d.name.clone())),
        ),
        ("service_notice", Node::str("")),
        (
            "requested_datetime",
            Node::str(crate::disclosure::exports::w3c(&c.submitted_at)),
        ),
        (
            "updated_datetime",
            Node::str(crate::disclosure::exports::w3c(&c.updated_at)),
        ),
        (
            "expected_datetime",
            Node::opt(
                c.expected_at
                    .as_deref()
                    .map(crate::disclosure::exports::w3c),
            ),
        ),
        ("address", Node::str(address)),
        ("address_id", Node::Null),
        ("zipcode", Node::Null),
        ("lat", Node::Num(c.lat)),
        ("long", Node::Num(c.lon)),
        (
            "media_url",
            Node::opt(c.photos.first().map(|p| format!("{base}{}", p.display_url))),
        ),
    ])
}

/// The POSTed form: text fields in order, photos from `media`, and the
/// upload memory they hold until the request is answered.
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub media: Vec<bytes::Bytes>,
    pub held: upload::Held,
}

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// The answers in a form's `attribute[code]` (one value) and
/// `attribute[code][]` (each value of a multi-valued list) fields, for the
/// questions the category asks; other fields and attributes (a client's own
/// ids) are ignored. The category's rules check the answers afterwards.
fn attributes(
    fields: &[(String, String)],
    questions: &[shared::report::Question],
) -> Map<String, Value> {
    let mut answers = Map::new();
    for (name, value) in fields {
        let Some(inner) = name.strip_prefix("attribute[") else {
            continue;
        };
        let (code, many) = match inner.strip_suffix("][]") {
            Some(code) => (code, true),
            None => (inner.strip_suffix(']').unwrap_or(inner), false),
        };
        if !questions.iter().any(|q| q.code == code) {
            continue;
        }
        if many {
            let entry = answers
                .entry(code.to_owned())
                .or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(list) = entry {
                list.push(Value::String(value.clone()));
            }
        } else {
            answers.insert(code.to_owned(), Value::String(value.clone()));
        }
    }
    answers
}

/// Reads the form with the JSON API's streaming reader and caps: at most
/// six photos in `media`, any text fields (Open311 clients add their own).
pub async fn read_form(
    uploads: &UploadBudget,
    max_photo_bytes: usize,
    request: Request,
    format: Format,
) -> Result<Form, Open311Error> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let read = if content_type.starts_with("multipart/form-data") {
        let spec = FormSpec {
            file_field: "media",
            max_files: crate::reports::input::MAX_PHOTOS,
            max_file_bytes: max_photo_bytes,
            known: |_| true,
            documents: None,
        };
        upload::read_multipart(request, &spec, crate::reports::MAX_BODY, uploads).await
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        upload::read_urlencoded(request, uploads).await
    } else {
        return Err(Open311Error::bad(
            format,
            "send the request as form fields (application/x-www-form-urlencoded, or multipart/form-data with photos in `media`)",
        ));
    };
    let form = read.map_err(|e| Open311Error::from_app(e.into(), format))?;
    Ok(Form {
        fields: form.texts,
        media: form.files,
        held: form.held,
    })
}

/// Files the request through the same service as `POST /api/v1/reports`.
/// Answers the receipt and what the client should tell its user.
pub async fn submit(
    reports: &Reports<'_>,
    form: Form,
    idempotency: Option<String>,
    format: Format,
) -> Result<(SubmitReceipt, String), Open311Error> {
    let key = form.get("api_key").ok_or_else(|| {
        Open311Error::new(
            StatusCode::FORBIDDEN,
            format,
            "api_key is required to POST a request",
        )
    })?;
    let valid = crate::api_keys::verify(reports.db, key)
        .await
        .map_err(|e| Open311Error::from_app(e.into(), format))?;
    let Some(api_key) = valid else {
        return Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            format,
            "api_key is not valid",
        ));
    };
    // The client's retries, never another client's, share a key.
    let idempotency = idempotency.map(|k| IdempotencyKey::new(KeyScope::ApiKey(api_key.id), &k));
    let code = form
        .get("service_code")
        .ok_or_else(|| Open311Error::bad(format, "service_code: required"))?;
    let category = categories::service::find_active(reports.db, code)
        .await
        .map_err(|e| Open311Error::from_app(e.into(), format))?
        .ok_or_else(|| {
            Open311Error::bad(
                format,
                format!(
                    "service_code: no service `{code}` (see services.{})",
                    if format == Format::Xml { "xml" } else { "json" }
                ),
            )
        })?;
    let (lat, long) = (form.get("lat"), form.get("long"));
    if lat.is_none() || long.is_none() {
        let why = if form.get("address_string").is_some() || form.get("address_id").is_some() {
            "lat and long: required; this jurisdiction locates requests by coordinates (WGS84), not by address"
        } else {
            "lat and long: required (WGS84)"
        };
        return Err(Open311Error::bad(format, why));
    }

    let answers = attributes(&form.fields, &categories::service::questions(&category));
    let name = match (form.get("last_name"), form.get("first_name")) {
        (None, None) => None,
        // Chinese order: family name first.
        (last, first) => Some(format!("{}{}", last.unwrap_or(""), first.unwrap_or(""))),
    };
    let mut notices = vec!["已受理登记,请保存受理编号和查询密钥。Filed: keep the request id and the report_secret to follow it on /track.".to_owned()];
    if form.get("media_url").is_some() {
        notices.push(
            "media_url was not fetched: send photos as the multipart field `media`.".to_owned(),
        );
    }
    if name.is_some() && form.get("phone").is_none() {
        notices.push("A name without a phone number is filed anonymously.".to_owned());
    }
    let phone = form.get("phone").map(str::to_owned);
    let raw = RawReport {
        category: Some(category.code.clone()),
        description: Some(
            form.get("description")
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} (Open311)", category.name_zh)),
        ),
        lat: lat.map(str::to_owned),
        lon: long.map(str::to_owned),
        answers: Some(Value::Object(answers).to_string()),
        name: if phone.is_some() { name } else { None },
        phone,
        photos: form.media,
        ..Default::default()
    };
    let receipt = reports
        .submit(
            raw,
            crate::reports::service::Intake::open311(&api_key),
            idempotency,
        )
        .await
        .map_err(|e| Open311Error::from_app(e, format))?;
    Ok((receipt, notices.join(" ")))
}

#[cfg(test)]
mod props;
