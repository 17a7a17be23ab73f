//! HTTP for evidence: multipart in, JSON out; files out with headers that
//! keep them private and inert.

use super::service::{Attach, Download};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::openapi::components::{
    BadRequest, Binary, CasePath, Conflict, Forbidden, NotFound, PayloadTooLarge,
    ServiceUnavailable, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::reports::idempotency::{IdempotencyKey, KeyScope, idempotency_key};
use crate::reports::upload::{self, FormSpec};
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::evidence::{EvidenceReceipt, MAX_EVIDENCE_PHOTOS};

/// The form of `POST /api/v1/cases/{code}/evidence`, as the OpenAPI
/// document describes it.
#[derive(utoipa::ToSchema, Deserialize)]
#[allow(dead_code)] // described, never built
pub struct EvidenceForm {
    /// The id of one of the case's inspections (`inspections[].id` of the
    /// case): the photos and documents are of it. Needed with photos.
    #[schema(required = false)]
    inspection: i64,
    /// Up to six photos (JPEG, PNG or WebP, at most 20 MB each), read like a
    /// resident's: EXIF removed from the copies, the original kept private.
    #[schema(required = false, value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
    /// Up to five PDF documents, at most 10 MB and 500 pages each; a file
    /// that does not start with `%PDF-` is refused whatever its name.
    #[schema(required = false, value_type = Vec<String>, format = Binary)]
    document: Vec<Vec<u8>>,
}

/// The headers of `POST /api/v1/cases/{code}/evidence`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // described, never built
pub struct EvidenceHeaders {
    /// 1 to 200 visible ASCII characters: a retry with the same key and the
    /// same files, by the same member of staff within 24 hours, answers the
    /// first receipt instead of attaching again (the console's offline
    /// queue resends with it).
    #[param(rename = "Idempotency-Key", nullable = false)]
    idempotency_key: Option<String>,
}

/// Attach evidence to a case (附件：照片、文书).
///
/// Photos of a site inspection and PDF documents (of the case, or of an
/// inspection: a 现场检查笔录 scanned) — by whoever may record an
/// inspection on the case now. Photos go through the residents' photo
/// pipeline and limits; a document must be a PDF (by its content) of at
/// most 10 MB with 1 to 500 pages. Nothing is published. A refusal stores
/// nothing; a retry with the same `Idempotency-Key` by the same member of
/// staff answers the first receipt. Audited (`case.evidence_added`,
/// without names or contents) and entered in the case's staff timeline.
#[utoipa::path(
    post,
    path = "/cases/{code}/evidence",
    tag = "cases",
    params(CasePath, EvidenceHeaders),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Attached.", body = EvidenceReceipt),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    ),
    security(("session" = []))
)]
pub async fn attach(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    request: Request,
) -> Result<(StatusCode, AppJson<EvidenceReceipt>), AppError> {
    let key = idempotency_key(request.headers())?
        .map(|k| IdempotencyKey::new(KeyScope::Staff(user.id), &k));
    let spec = FormSpec {
        file_field: "photo",
        max_files: MAX_EVIDENCE_PHOTOS,
        max_file_bytes: state.pipeline.limits().max_bytes,
        known: |name| name == "inspection",
        documents: Some(super::documents::SPEC),
    };
    let form =
        upload::read_multipart(request, &spec, crate::reports::MAX_BODY, &state.uploads).await?;
    let attach = Attach {
        inspection: form
            .texts
            .into_iter()
            .rev()
            .find(|(n, _)| n == "inspection")
            .map(|(_, v)| v),
        photos: form.files,
        documents: form.documents,
        key,
    };
    // The upload memory stays held while the photos are decoded and stored.
    let _held = form.held;
    let receipt = state.evidence().attach(&user, &code, attach).await?;
    Ok((StatusCode::CREATED, AppJson(receipt)))
}

/// A document of a case (下载文书).
///
/// The PDF as it was brought, for staff who can see the case, as a
/// download; never cached. Every download is audited
/// (`case.document_downloaded`).
#[utoipa::path(
    get,
    path = "/cases/{code}/documents/{id}",
    tag = "cases",
    params(CasePath, ("id" = i64, Path, description = "The document's id.")),
    responses(
        (status = 200, description = "The PDF.", content((Binary = "application/pdf")),
            headers(("Content-Disposition" = String))),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn document(
    State(state): State<AppState>,
    user: StaffUser,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let d = state.evidence().document(&user, &code, id).await?;
    Ok(download(d, "attachment"))
}

/// An inspection photo's original (检查照片原件).
///
/// The file as received, EXIF intact: evidence, for the roles allowed to
/// see originals; never public, never cached; audited
/// (`case.inspection_photo_viewed`).
#[utoipa::path(
    get,
    path = "/cases/{code}/inspection-photos/{id}/original",
    tag = "cases",
    params(CasePath, ("id" = i64, Path, description = "The photo's id.")),
    responses(
        (status = 200, description = "The original file.", content(
            (Binary = "image/jpeg"), (Binary = "image/png"), (Binary = "image/webp")
        )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn original_photo(
    State(state): State<AppState>,
    user: StaffUser,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let p = state.evidence().original_photo(&user, &code, id).await?;
    Ok(download(p, "inline"))
}

/// A private file as an answer, named for a download or shown inline.
fn download(d: Download, disposition: &str) -> Response {
    crate::private_file::response(
        d.bytes,
        &d.content_type,
        &crate::private_file::content_disposition(disposition, &d.file_name),
    )
}
