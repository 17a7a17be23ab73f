//! HTTP for reports: multipart in, JSON out. The rules live in `service`.

use super::input::RawReport;
use super::service::{self, Reports};
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use shared::geo::{LatLon, gcj02_to_wgs84};
use shared::report::{NearbyCase, ReporterAction, SubmitReceipt, TrackView};

const MAX_TEXT_FIELD: usize = 64 * 1024;

fn too_large() -> AppError {
    AppError::Rejected {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "payload_too_large",
        message: "the report is too large: at most 48 MB in all, 20 MB per photo".to_owned(),
    }
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::BadRequest(format!("unreadable form data: {}", e.body_text()))
    }
}

async fn text(field: Field<'_>, name: &str) -> Result<String, AppError> {
    let bytes = field.bytes().await.map_err(multipart_error)?;
    if bytes.len() > MAX_TEXT_FIELD {
        return Err(AppError::validation(name, "this field is too long"));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| AppError::validation(name, "must be UTF-8 text"))
}

/// `POST /api/v1/reports` (multipart/form-data).
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<SubmitReceipt>), AppError> {
    // A body that says up front it is too big is refused before any of it
    // is read (the limit below still stops one that says nothing).
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > super::MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|_| AppError::Rejected {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: "send the report as multipart/form-data".to_owned(),
    })?;
    let idempotency_key = idempotency_key(&headers)?;
    let mut raw = RawReport::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let slot = match name.as_str() {
            "photo" | "photo[]" => {
                raw.photos.push(field.bytes().await.map_err(multipart_error)?);
                continue;
            }
            "category" => &mut raw.category,
            "description" => &mut raw.description,
            "lat" => &mut raw.lat,
            "lon" => &mut raw.lon,
            "coord_system" => &mut raw.coord_system,
            "accuracy" => &mut raw.accuracy,
            "occurred_at" => &mut raw.occurred_at,
            "answers" => &mut raw.answers,
            "name" => &mut raw.name,
            "phone" => &mut raw.phone,
            "corroborates" => &mut raw.corroborates,
            other => return Err(AppError::validation(other, "unknown field")),
        };
        *slot = Some(text(field, &name).await?);
    }
    let reports = Reports::of(&state);
    let receipt = reports.submit(raw, idempotency_key).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(k) if (1..=200).contains(&k.trim().len()) => Ok(Some(k.trim().to_owned())),
        _ => Err(AppError::BadRequest("Idempotency-Key must be 1–200 visible ASCII characters".to_owned())),
    }
}

#[derive(Deserialize)]
pub struct NearbyQuery {
    category: String,
    lat: f64,
    lon: f64,
    #[serde(default)]
    coord_system: Option<String>,
    radius_m: Option<f64>,
    days: Option<i64>,
}

/// `GET /api/v1/reports/nearby?category=&lat=&lon=[&radius_m=300][&days=30]`
pub async fn nearby(
    State(state): State<AppState>,
    query: Result<Query<NearbyQuery>, QueryRejection>,
) -> Result<Json<Vec<NearbyCase>>, AppError> {
    let Query(q) = query?;
    let radius = q.radius_m.unwrap_or(300.0);
    let days = q.days.unwrap_or(30);
    if !(10.0..=2000.0).contains(&radius) {
        return Err(AppError::validation("radius_m", "from 10 to 2000 metres"));
    }
    if !(1..=90).contains(&days) {
        return Err(AppError::validation("days", "from 1 to 90 days"));
    }
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(AppError::validation("lat", "lat and lon must be decimal degrees"));
    }
    let at = LatLon { lat: q.lat, lon: q.lon };
    let at = match q.coord_system.as_deref() {
        None | Some("wgs84") => at,
        Some("gcj02") => gcj02_to_wgs84(at),
        Some(_) => return Err(AppError::validation("coord_system", "use wgs84 or gcj02")),
    };
    Ok(Json(service::nearby(&state.db, &q.category, at, radius, days).await?))
}

/// `GET /api/v1/track/{tracking_code}` with `X-Report-Secret`.
pub async fn track(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<TrackView>, AppError> {
    let secret = headers
        .get("x-report-secret")
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::NotFound)?;
    Ok(Json(service::track(&state.db, &code, secret, &state.settings.deadlines).await?))
}

/// `POST /api/v1/track/{tracking_code}/actions` with `X-Report-Secret`.
pub async fn reporter_action(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    AppJson(action): AppJson<ReporterAction>,
) -> Result<Json<TrackView>, AppError> {
    let secret = headers
        .get("x-report-secret")
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::NotFound)?;
    Ok(Json(service::reporter_action(&state.db, &state.pii, &code, secret, action, &state.settings.deadlines).await?))
}
