//! HTTP for the handlers' workbench (工作台): notes, My day, the team's
//! loads, reply templates and bulk work — thin wrappers over `notes`,
//! `day`, `templates` and `Cases::bulk`.

use super::{day, notes, templates};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, AppQuery};
use crate::openapi::components::{
    BadRequest, CasePath, Forbidden, IdPath, NotFound, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use shared::workbench::{
    BulkRequest, BulkResult, CaseNote, HandlerLoad, MyDay, NewNote, ReplyTemplate,
    ReplyTemplateInput,
};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// A handler's username, for a supervisor (dispatcher, reviewer, admin);
    /// by default the signed-in user's own day.
    pub handler: Option<String>,
}

/// My day (今日待办).
///
/// A handler's open cases assigned to them, their department's cases due
/// within 3 days and overdue, the notes that mention them and that they
/// have not opened, and their open cases for a map. A supervisor may ask
/// for a handler's day with `handler`.
#[utoipa::path(
    get,
    path = "/cases/day",
    tag = "cases",
    params(DayQuery),
    responses(
        (status = 200, description = "The day.", body = MyDay),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn my_day(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(q): AppQuery<DayQuery>,
) -> Result<AppJson<MyDay>, AppError> {
    let deadlines = state.settings.deadlines;
    Ok(AppJson(
        day::day(
            &state.db,
            &user,
            q.handler.as_deref(),
            &deadlines,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// The team's loads (承办人工作量).
///
/// For supervisors (dispatcher, reviewer, admin): every active handler they
/// oversee with their open, due-soon and overdue cases.
#[utoipa::path(
    get,
    path = "/cases/team",
    tag = "cases",
    responses(
        (status = 200, description = "One row per handler.", body = Vec<HandlerLoad>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn team(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Vec<HandlerLoad>>, AppError> {
    let deadlines = state.settings.deadlines;
    Ok(AppJson(
        day::team(&state.db, &user, &deadlines, state.settings.clock.now()).await?,
    ))
}

/// Add an internal note (添加内部备注).
///
/// Staff only: never shown to the reporter or the public; audited.
/// `@username` mentions a colleague who can see the case; the note then
/// appears in their day until they open the case.
#[utoipa::path(
    post,
    path = "/cases/{code}/notes",
    tag = "cases",
    params(CasePath),
    request_body = NewNote,
    responses(
        (status = 201, description = "The note.", body = CaseNote),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn add_note(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(note): AppJson<NewNote>,
) -> Result<(StatusCode, AppJson<CaseNote>), AppError> {
    let note = notes::add(
        &state.db,
        &user,
        &code,
        &note.body,
        state.settings.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(note)))
}

/// Bulk work (批量办理).
///
/// `assign`, `transfer` or `extend` on 1 to 200 cases. Each case is checked
/// and versioned as if it were done alone, in its own transaction; the
/// answer lists the cases changed and, for the others, why they were
/// refused (they are unchanged).
#[utoipa::path(
    post,
    path = "/cases/bulk",
    tag = "cases",
    request_body = BulkRequest,
    responses(
        (status = 200, description = "What was done and what was refused.", body = BulkResult),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn bulk(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(request): AppJson<BulkRequest>,
) -> Result<AppJson<BulkResult>, AppError> {
    Ok(AppJson(state.cases().bulk(&user, request).await?))
}

/// Reply templates (答复模板).
///
/// Every template, for any staff member drafting a reply.
#[utoipa::path(
    get,
    path = "/reply-templates",
    tag = "cases",
    responses(
        (status = 200, description = "The templates.", body = Vec<ReplyTemplate>),
        (status = 401, response = Unauthorized),
    ),
    security(("session" = []))
)]
pub async fn list_templates(
    State(state): State<AppState>,
    _user: StaffUser,
) -> Result<AppJson<Vec<ReplyTemplate>>, AppError> {
    Ok(AppJson(templates::list(&state.db).await?))
}

/// Add a reply template (新增答复模板).
///
/// For admins; audited. The body may use the known `{{placeholders}}`
/// only.
#[utoipa::path(
    post,
    path = "/reply-templates",
    tag = "cases",
    request_body = ReplyTemplateInput,
    responses(
        (status = 201, description = "The template.", body = ReplyTemplate),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn create_template(
    State(state): State<AppState>,
    user: StaffUser,
    AppJson(input): AppJson<ReplyTemplateInput>,
) -> Result<(StatusCode, AppJson<ReplyTemplate>), AppError> {
    let t = templates::create(&state.db, &user, input, state.settings.clock.now()).await?;
    Ok((StatusCode::CREATED, AppJson(t)))
}

/// Change a reply template (修改答复模板).
///
/// For admins; audited.
#[utoipa::path(
    put,
    path = "/reply-templates/{id}",
    tag = "cases",
    params(IdPath),
    request_body = ReplyTemplateInput,
    responses(
        (status = 200, description = "The template after the change.", body = ReplyTemplate),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn update_template(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
    AppJson(input): AppJson<ReplyTemplateInput>,
) -> Result<AppJson<ReplyTemplate>, AppError> {
    Ok(AppJson(
        templates::update(&state.db, &user, id, input, state.settings.clock.now()).await?,
    ))
}

/// Delete a reply template (删除答复模板).
///
/// For admins; audited.
#[utoipa::path(
    delete,
    path = "/reply-templates/{id}",
    tag = "cases",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn delete_template(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    templates::delete(&state.db, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
