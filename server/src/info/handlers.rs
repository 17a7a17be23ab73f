//! HTTP for open information: thin wrappers over `service`.

use super::service;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, AppQuery};
use crate::openapi::components::{BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use shared::Role;
use shared::info::{
    EnterpriseDisclosure, EnterpriseDisclosureInput, EnterpriseRecord, InfoPage, Notice,
    NoticeInput, NoticeKind,
};

/// Who writes what the public reads here.
const EDITORS: &[Role] = &[Role::Admin, Role::Reviewer];

/// A numeric id from the path; anything else names no resource.
fn id(s: &str) -> Result<i64, AppError> {
    s.parse().map_err(|_| AppError::NotFound)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InfoQuery {
    /// Words that must all appear (title, text, enterprise, credit code…).
    pub q: Option<String>,
    /// `notice`, `document` or `enforcement`: notices of that kind only.
    pub kind: Option<String>,
}

/// One enterprise's public record (企业信息).
///
/// By its unified social credit code (统一社会信用代码): its published
/// penalty decisions, the cases they came from, its environmental
/// disclosures. A code whose check character is wrong is a 422; a code
/// with nothing public a 404.
#[utoipa::path(
    get,
    path = "/enterprises/{credit_code}",
    tag = "disclosure",
    params(("credit_code" = String, Path, description = "The unified social credit code, 18 characters.")),
    responses(
        (status = 200, description = "The enterprise's public record.", body = EnterpriseRecord),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn enterprise(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<AppJson<EnterpriseRecord>, AppError> {
    Ok(AppJson(service::enterprise(&state.db, &code).await?))
}

/// Published notices and enterprise disclosures, searchable (信息公开).
#[utoipa::path(
    get,
    path = "/info",
    tag = "disclosure",
    params(InfoQuery),
    responses(
        (status = 200, description = "What matches, newest first (at most 50 of each).", body = InfoPage),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<InfoQuery>,
) -> Result<AppJson<InfoPage>, AppError> {
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            NoticeKind::parse(k)
                .ok_or_else(|| AppError::validation("kind", "notice, document or enforcement"))?,
        ),
    };
    Ok(AppJson(
        service::search(&state.db, q.q.as_deref(), kind).await?,
    ))
}

/// One published notice.
#[utoipa::path(
    get,
    path = "/notices/{id}",
    tag = "disclosure",
    params(("id" = i64, Path, description = "The notice's id.")),
    responses(
        (status = 200, description = "The notice, its text as sanitised HTML.", body = Notice),
        (status = 404, response = NotFound),
    )
)]
pub async fn notice(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<AppJson<Notice>, AppError> {
    Ok(AppJson(service::notice(&state.db, id(&raw)?, false).await?))
}

/// Every notice with its Markdown, drafts included (editors).
#[utoipa::path(
    get,
    path = "/notices",
    tag = "disclosure",
    responses(
        (status = 200, description = "The notices, last edited first.", body = Vec<Notice>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn all(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<Notice>>, AppError> {
    user.require(EDITORS)?;
    Ok(AppJson(service::all_notices(&state.db).await?))
}

/// Writes a notice in Markdown; published at once or kept as a draft.
#[utoipa::path(
    post,
    path = "/notices",
    tag = "disclosure",
    request_body = NoticeInput,
    responses(
        (status = 201, description = "The notice.", body = Notice),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<NoticeInput>,
) -> Result<(StatusCode, AppJson<Notice>), AppError> {
    user.require(EDITORS)?;
    Ok((
        StatusCode::CREATED,
        AppJson(
            service::create_notice(&state.db, &user.username, input, state.settings.clock.now())
                .await?,
        ),
    ))
}

/// Replaces a notice (publishing keeps its first publication date).
#[utoipa::path(
    put,
    path = "/notices/{id}",
    tag = "disclosure",
    params(("id" = i64, Path, description = "The notice's id.")),
    request_body = NoticeInput,
    responses(
        (status = 200, description = "The notice.", body = Notice),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: StaffUser,
    Path(raw): Path<String>,
    AppJson(input): AppJson<NoticeInput>,
) -> Result<AppJson<Notice>, AppError> {
    user.require(EDITORS)?;
    Ok(AppJson(
        service::update_notice(
            &state.db,
            &user.username,
            id(&raw)?,
            input,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// Deletes a notice.
#[utoipa::path(
    delete,
    path = "/notices/{id}",
    tag = "disclosure",
    params(("id" = i64, Path, description = "The notice's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    user: StaffUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete_notice(&state.db, &user.username, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes an enterprise's environmental disclosure for a year
/// (企业环境信息依法披露).
#[utoipa::path(
    post,
    path = "/enterprise-disclosures",
    tag = "disclosure",
    request_body = EnterpriseDisclosureInput,
    responses(
        (status = 201, description = "The disclosure.", body = EnterpriseDisclosure),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn create_enterprise(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<EnterpriseDisclosureInput>,
) -> Result<(StatusCode, AppJson<EnterpriseDisclosure>), AppError> {
    user.require(EDITORS)?;
    Ok((
        StatusCode::CREATED,
        AppJson(
            service::create_enterprise(
                &state.db,
                &user.username,
                input,
                state.settings.clock.now(),
            )
            .await?,
        ),
    ))
}

/// Removes an enterprise disclosure.
#[utoipa::path(
    delete,
    path = "/enterprise-disclosures/{id}",
    tag = "disclosure",
    params(("id" = i64, Path, description = "The disclosure's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn delete_enterprise(
    State(state): State<AppState>,
    user: StaffUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, AppError> {
    user.require(EDITORS)?;
    service::delete_enterprise(&state.db, &user.username, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
