//! HTTP for reports: multipart in, JSON out. The rules live in `service`.

use super::idempotency::{IdempotencyKey, KeyScope, idempotency_key};
use super::input::{MAX_PHOTOS, RawReport};
use super::service;
use super::upload::{self, FormSpec};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, AppQuery};
use crate::middleware::public_cache::PublicChange;
use crate::middleware::rate_limit::ClientKey;
use crate::openapi::components::{
    BadRequest, CasePath, Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use shared::geo::{LatLon, gcj02_to_wgs84};
use shared::report::{NearbyCase, ReporterAction, SubmitReceipt, TrackView};

/// The form of `POST /api/v1/reports`, as the OpenAPI document describes it;
/// the handler reads the fields one by one into a `RawReport`.
#[derive(utoipa::ToSchema, Deserialize)]
#[allow(dead_code)] // described, never built
pub struct ReportForm {
    /// A category's `code` (see `GET /api/v1/categories`).
    category: String,
    /// What is wrong, 5 to 4000 characters.
    description: String,
    /// Latitude, WGS84 (or GCJ-02 with `coord_system=gcj02`); with `lon`, or
    /// neither, when a photo's EXIF position is to be used. Must lie in
    /// Banan District.
    #[schema(required = false)]
    lat: f64,
    /// Longitude, with `lat`.
    #[schema(required = false)]
    lon: f64,
    /// `wgs84` (default, GPS) or `gcj02` (Chinese map SDKs).
    #[schema(required = false, example = "wgs84")]
    coord_system: String,
    /// The position's accuracy in metres.
    #[schema(required = false)]
    accuracy: f64,
    /// When it happened, RFC 3339, within the last year.
    #[schema(required = false, format = DateTime)]
    occurred_at: String,
    /// The answers to the category's questions: a JSON object, question
    /// code → value.
    #[schema(required = false, value_type = Object, example = json!({"site_name": "某某工地", "happening_now": "yes"}))]
    answers: String,
    /// The reporter's real name; with `phone`, or neither for an anonymous
    /// report (a reward needs both).
    #[schema(required = false)]
    name: String,
    /// A mainland mobile number of 11 digits, with `name`.
    #[schema(required = false)]
    phone: String,
    /// "Me too": the tracking code of an open case of the same kind.
    #[schema(required = false)]
    corroborates: String,
    /// Up to six photos (JPEG, PNG or WebP, at most 20 MB each); repeat the
    /// field for each. EXIF is removed from what is kept and shown.
    #[schema(required = false, value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

/// The form of `POST /api/v1/cases/intake`: a report's fields and the road
/// it came in by.
#[derive(utoipa::ToSchema, Deserialize)]
#[allow(dead_code)] // described, never built
pub struct IntakeForm {
    /// `phone_12345`, `phone_12369`, `letter`, `walk_in`, `platform_12345`
    /// or `inspection` (a handler files only `inspection`).
    channel: shared::report::Channel,
    #[serde(flatten)]
    report: ReportForm,
    /// Up to five PDF documents brought in (a letter, a visitor's papers),
    /// at most 10 MB and 500 pages each; a file that does not start with
    /// `%PDF-` is refused whatever its name. Kept privately with the case,
    /// never published.
    #[schema(required = false, value_type = Vec<String>, format = Binary)]
    document: Vec<Vec<u8>>,
}

/// The headers of `POST /api/v1/reports`, as the OpenAPI document describes
/// them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // described, never built
pub struct SubmitHeaders {
    /// 1 to 200 visible ASCII characters: a retry with the same key and the
    /// same report, from the same client within 24 hours, answers the first
    /// receipt instead of filing again. Another client's key is never
    /// matched.
    #[param(rename = "Idempotency-Key", nullable = false)]
    idempotency_key: Option<String>,
}

/// File a report (提交举报).
///
/// No account needed. Answers the tracking code and the secret, which is
/// shown only this once. A retry with the same `Idempotency-Key` answers
/// the first receipt instead of filing twice. With `corroborates` (or when
/// the server finds the report joins an open case) it counts as "me too".
///
/// The form is read as it arrives: a field over its cap (a photo 20 MB, a
/// text field 64 KB, more than 6 photos or 64 fields) is refused at once,
/// and when the server's upload memory is all in use the answer is 503 with
/// `Retry-After` before the body is read.
#[utoipa::path(
    post,
    path = "/reports",
    tag = "reports",
    params(SubmitHeaders),
    request_body(content = ReportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed.", body = SubmitReceipt),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    change: PublicChange,
    request: Request,
) -> Result<(StatusCode, Json<SubmitReceipt>), AppError> {
    let idempotency_key = idempotency_key(request.headers())?
        .map(|k| IdempotencyKey::new(KeyScope::Client(client), &k));
    let spec = FormSpec {
        file_field: "photo",
        max_files: MAX_PHOTOS,
        max_file_bytes: state.pipeline.limits().max_bytes,
        known: RawReport::knows,
        documents: None,
    };
    let form = upload::read_multipart(request, &spec, super::MAX_BODY, &state.uploads).await?;
    let raw = RawReport::from_form(form.texts, form.files);
    // The upload memory stays held while the photos are decoded and stored.
    let _held = form.held;
    let receipt = state
        .reports()
        .submit(raw, service::Intake::WEB, idempotency_key)
        .await?;
    change.mark();
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// File a report for a caller (代录).
///
/// Staff key in a report that came by phone (12345, 12369), letter, visit,
/// the 12345 platform's work order, or that an inspector found: the same
/// fields as `POST /api/v1/reports` and `channel`. The caller's name and
/// phone, when given, are stored encrypted as a resident's are. Answers the
/// tracking code and the secret, to be read out or sent to the caller; the
/// secret is not kept anywhere readable. Dispatchers and admins file by
/// every road, a handler only `inspection`. PDF documents brought in
/// (`document`) are checked by their content and kept privately with the
/// case. Each filing is audited
/// (`report.filed_for_caller`: who, which road, never the caller's words).
/// A retry with the same `Idempotency-Key` by the same member of staff
/// answers the first receipt.
#[utoipa::path(
    post,
    path = "/cases/intake",
    tag = "cases",
    params(SubmitHeaders),
    request_body(content = IntakeForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed.", body = SubmitReceipt),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    ),
    security(("session" = []))
)]
pub async fn file_for_caller(
    State(state): State<AppState>,
    user: StaffUser,
    change: PublicChange,
    request: Request,
) -> Result<(StatusCode, Json<SubmitReceipt>), AppError> {
    let idempotency_key = idempotency_key(request.headers())?
        .map(|k| IdempotencyKey::new(KeyScope::Staff(user.id), &k));
    let spec = FormSpec {
        file_field: "photo",
        max_files: MAX_PHOTOS,
        max_file_bytes: state.pipeline.limits().max_bytes,
        known: |name| name == "channel" || RawReport::knows(name),
        documents: Some(crate::evidence::documents::SPEC),
    };
    let form = upload::read_multipart(request, &spec, super::MAX_BODY, &state.uploads).await?;
    let channel = form
        .texts
        .iter()
        .rev()
        .find(|(name, _)| name == "channel")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let channel = shared::report::Channel::parse(&channel).ok_or_else(|| {
        AppError::field(
            "channel",
            if channel.is_empty() {
                shared::FieldErrorCode::Required
            } else {
                shared::FieldErrorCode::Invalid
            },
            "give the road the report came by: phone_12345, phone_12369, letter, walk_in, platform_12345 or inspection",
        )
    })?;
    let intake = service::Intake::for_caller(channel, &user.username, user.role)?;
    // Papers brought in (a letter, a visitor's documents): checked before
    // anything is filed, stored privately, written with the case.
    let documents = crate::evidence::documents::check_all(form.documents).await?;
    let documents = crate::evidence::documents::store(state.photos.as_ref(), documents).await?;
    let intake = intake.with_documents(user.id, &documents);
    let raw = RawReport::from_form(form.texts, form.files);
    let _held = form.held;
    let receipt = state.reports().submit(raw, intake, idempotency_key).await?;
    change.mark();
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    /// A category code: cases of its group are found.
    category: String,
    /// Latitude (WGS84, or GCJ-02 with `coord_system=gcj02`).
    lat: f64,
    /// Longitude.
    lon: f64,
    /// `wgs84` (default) or `gcj02`.
    #[serde(default)]
    coord_system: Option<String>,
    /// The radius in metres, 10 to 2000 (default: the category's
    /// duplicate-search radius, set by admins; 1000 unless changed): measured to each
    /// case's published place, which before disclosure is the centre of a
    /// cell about 1 km wide.
    radius_m: Option<f64>,
    /// How far back, 1 to 90 days (default 30).
    days: Option<i64>,
}

/// Open cases nearby (附近的同类问题).
///
/// Open cases of the same kind close by, so a resident can say "me too"
/// (`corroborates`) instead of filing again. Nothing personal: distances
/// are to each case's published (coarsened) place, and the endpoint is
/// rate-limited per client.
#[utoipa::path(
    get,
    path = "/reports/nearby",
    tag = "reports",
    params(NearbyQuery),
    responses(
        (status = 200, description = "The cases, nearest first.", body = Vec<NearbyCase>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn nearby(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<NearbyQuery>,
) -> Result<Json<Vec<NearbyCase>>, AppError> {
    let days = q.days.unwrap_or(30);
    if let Some(radius) = q.radius_m
        && !(10.0..=service::NEARBY_MAX_RADIUS_M).contains(&radius)
    {
        return Err(AppError::validation(
            "radius_m",
            format!("from 10 to {} metres", service::NEARBY_MAX_RADIUS_M),
        ));
    }
    if !(1..=90).contains(&days) {
        return Err(AppError::validation("days", "from 1 to 90 days"));
    }
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(AppError::validation(
            "lat",
            "lat and lon must be decimal degrees",
        ));
    }
    let at = LatLon {
        lat: q.lat,
        lon: q.lon,
    };
    let at = match q.coord_system.as_deref() {
        None | Some("wgs84") => at,
        Some("gcj02") => gcj02_to_wgs84(at),
        Some(_) => return Err(AppError::validation("coord_system", "use wgs84 or gcj02")),
    };
    Ok(Json(
        super::nearby::nearby(
            &state.db,
            &q.category,
            at,
            q.radius_m,
            days,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// The tracking secret in `X-Report-Secret`; none reads like an unknown
/// code (404), as a wrong one does.
pub(crate) fn report_secret(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get("x-report-secret")
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::NotFound)
}

/// Follow a case (查询案件).
///
/// The reporter's view of the case — state, timeline, reply, reward — with
/// the secret given when it was filed, in `X-Report-Secret`. A wrong or
/// missing secret is answered like an unknown code (404).
#[utoipa::path(
    get,
    path = "/track/{code}",
    tag = "reports",
    params(CasePath),
    responses(
        (status = 200, description = "The reporter's view.", body = TrackView),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn track(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<TrackView>, AppError> {
    let secret = report_secret(&headers)?;
    Ok(Json(
        service::track(
            &state.db,
            &state.pii,
            &code,
            secret,
            &state.settings.deadlines,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// Act as the reporter (举报人操作).
///
/// `contest` the reply (once, with a `reason`), `claim_reward` (with a
/// `payout_account`, before the claim deadline) or `decline_reward`;
/// `answer_info` (the question staff asked), `rate` (the closed case, once)
/// and `came_back` (within 30 days of closing: a linked case, whose code and
/// secret come back once in `new_case`) — with the secret in
/// `X-Report-Secret`. An answer may bring up to three photos as a
/// multipart form (`action=answer_info`, `answer`, `photo`…), read like a
/// report's and never published. A `came_back` sent with an
/// `Idempotency-Key` header and sent again with it (its answer lost)
/// answers the same new case again. Answers the reporter's view after it.
#[utoipa::path(
    post,
    path = "/track/{code}/actions",
    tag = "reports",
    params(CasePath),
    request_body = ReporterAction,
    responses(
        (status = 200, description = "The reporter's view after the action.", body = TrackView),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn reporter_action(
    State(state): State<AppState>,
    Path(code): Path<String>,
    change: PublicChange,
    request: Request,
) -> Result<Json<TrackView>, AppError> {
    let secret = report_secret(request.headers())?.to_owned();
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("multipart/form-data"));
    // An answer may bring photos, as a multipart form; every other action
    // (and an answer without photos) is JSON.
    let view = if multipart {
        let spec = FormSpec {
            file_field: "photo",
            max_files: shared::followup::MAX_ANSWER_PHOTOS,
            max_file_bytes: state.pipeline.limits().max_bytes,
            known: |name| name == "action" || name == "answer",
            documents: None,
        };
        let form = upload::read_multipart(request, &spec, super::MAX_BODY, &state.uploads).await?;
        let text = |name: &str| {
            form.texts
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if text("action").as_deref() != Some("answer_info") {
            return Err(AppError::validation(
                "action",
                "only answer_info takes a form with photos; send other actions as JSON",
            ));
        }
        let answer = text("answer").unwrap_or_default();
        // The upload memory stays held while the photos are decoded.
        let _held = form.held;
        state
            .reports()
            .answer_with_photos(&code, &secret, answer, form.files)
            .await?
    } else {
        let key = idempotency_key(request.headers())?;
        let AppJson(action) =
            <AppJson<ReporterAction> as axum::extract::FromRequest<AppState>>::from_request(
                request, &state,
            )
            .await?;
        service::reporter_action_keyed(
            &state.db,
            &state.pii,
            &code,
            &secret,
            action,
            key.as_deref(),
            &state.settings.deadlines,
            state.settings.clock.now(),
        )
        .await?
    };
    change.mark();
    Ok(Json(view))
}
