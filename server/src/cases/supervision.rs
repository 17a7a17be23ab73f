//! HTTP for the supervision queue (督办): the cases whose reporters said
//! they were not satisfied, for reviewers to follow up — thin wrappers over
//! `followup`.

use super::followup;
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson};
use crate::openapi::components::{
    BadRequest, Conflict, Forbidden, IdPath, NotFound, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use shared::Role;
use shared::followup::{SupervisionHandle, SupervisionItem};

const READERS: &[Role] = &[Role::Reviewer, Role::Dispatcher, Role::Admin, Role::Auditor];
const HANDLERS: &[Role] = &[Role::Reviewer, Role::Admin];

/// The supervision queue (督办).
///
/// Every dissatisfied rating (不满意): the case, its category, the
/// department that closed it and the handler, when it closed and was rated,
/// and the reporter's comment (never public). Waiting ones first, oldest
/// first; then the latest dealt with, with who did what. For reviewers
/// (one with a department sees that department's cases), dispatchers,
/// admins and auditors.
#[utoipa::path(
    get,
    path = "/supervision",
    tag = "cases",
    responses(
        (status = 200, description = "The queue.", body = Vec<SupervisionItem>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<SupervisionItem>>, AppError> {
    user.require(READERS)?;
    Ok(AppJson(
        followup::supervision(&state.db, &super::access::actor(&user)).await?,
    ))
}

/// Deal with a dissatisfied rating (督办办结).
///
/// What the reviewer did about it (`note`, 1–1000 characters): once per
/// rating (409 after), audited. For reviewers and admins.
#[utoipa::path(
    post,
    path = "/supervision/{id}/handle",
    tag = "cases",
    params(IdPath),
    request_body = SupervisionHandle,
    responses(
        (status = 200, description = "The item, dealt with.", body = SupervisionItem),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn handle(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
    AppJson(body): AppJson<SupervisionHandle>,
) -> Result<AppJson<SupervisionItem>, AppError> {
    user.require(HANDLERS)?;
    let now = state.settings.clock.now();
    Ok(AppJson(
        followup::handle(
            &state.db,
            &super::access::actor(&user),
            &user.username,
            id,
            &body.note,
            now,
        )
        .await?,
    ))
}
