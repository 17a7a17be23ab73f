//! HTTP for cases: thin wrappers over `service`.

use super::service::{self, QueueFilter};
use super::{ledger, sites, workflow};
use crate::auth::StaffUser;
use crate::error::{AppError, AppJson, AppQuery};
use crate::openapi::components::{
    BadRequest, Binary, CasePath, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use sea_orm::EntityTrait;
use shared::case::{ActionRequest, CaseCounts, CaseDetail, CaseQueue, RevealedReporter};
use shared::report::NearbyCase;
use shared::workbench::Hotspots;

/// The signed-in user's queue (案件队列).
///
/// Open cases by default, most urgent deadline first; a handler sees their
/// department's cases, a dispatcher all of them.
#[utoipa::path(
    get,
    path = "/cases",
    tag = "cases",
    params(QueueFilter),
    responses(
        (status = 200, description = "A page of the queue.", body = CaseQueue),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(filter): AppQuery<QueueFilter>,
) -> Result<AppJson<CaseQueue>, AppError> {
    Ok(AppJson(state.cases().queue(&user, filter).await?))
}

/// The staff ledger as CSV (台账).
///
/// Every case in the signed-in user's scope, one row each, oldest first:
/// 受理编号, 渠道, 问题类别, 街道/镇, 承办部门, 协办部门, 承办人, 状态,
/// 举报时间, 受理时间, 办结期限, 办结时间, 是否按期, 延期天数, 核查结论,
/// 处理措施, 处罚决定书文号, 罚款（元）, 奖励金额（元）, 奖励状态, 满意度,
/// 附议数 — and, for dispatchers and handlers (of the cases their department
/// leads), 举报人姓名 and 联系电话. Filtered like the queue, except that
/// without `state` every state is listed; `page` and `page_size` do not
/// apply. Streamed (UTF-8 with a byte-order mark, CRLF line ends); each
/// export is audited before it starts.
#[utoipa::path(
    get,
    path = "/cases/ledger.csv",
    tag = "cases",
    params(QueueFilter),
    responses(
        (status = 200, description = "The ledger (UTF-8 CSV with a byte-order mark, a header row).",
            content_type = "text/csv", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    ),
    security(("session" = []))
)]
pub async fn ledger(
    State(state): State<AppState>,
    user: StaffUser,
    AppQuery(filter): AppQuery<QueueFilter>,
) -> Result<Response, AppError> {
    let now = state.settings.clock.now();
    let chunks = ledger::export(state.db.clone(), state.pii.clone(), &user, filter, now).await?;
    Ok(crate::csv::download(
        Body::from_stream(chunks),
        "shanshui-ledger.csv",
    ))
}

/// Repeat sites (重复投诉点).
///
/// Places with at least 3 cases within 200 m of one another's centre case,
/// filed in the last 90 days, in the signed-in user's scope; largest first.
/// How they are found is documented in `server/src/cases/sites.rs`.
#[utoipa::path(
    get,
    path = "/cases/hotspots",
    tag = "cases",
    responses(
        (status = 200, description = "The repeat sites.", body = Hotspots),
        (status = 401, response = Unauthorized),
    ),
    security(("session" = []))
)]
pub async fn hotspots(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<Hotspots>, AppError> {
    let visible = service::in_scope(workflow::scope(&service::actor(&user)));
    let now = state.settings.clock.now();
    Ok(AppJson(sites::hotspots(&state.db, visible, now).await?))
}

/// Counts per state (各状态案件数).
///
/// Open and final cases per state in the signed-in user's scope, and how
/// many open ones are overdue.
#[utoipa::path(
    get,
    path = "/cases/counts",
    tag = "cases",
    responses(
        (status = 200, description = "The counts.", body = CaseCounts),
        (status = 401, response = Unauthorized),
    ),
    security(("session" = []))
)]
pub async fn counts(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<CaseCounts>, AppError> {
    Ok(AppJson(state.cases().counts(&user).await?))
}

/// A case (案件详情).
///
/// Its state, department, assignee, deadline, reward, reports, timeline,
/// and the actions the signed-in user may take now (`allowed_actions`).
#[utoipa::path(
    get,
    path = "/cases/{code}",
    tag = "cases",
    params(CasePath),
    responses(
        (status = 200, description = "The case.", body = CaseDetail),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn detail(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<CaseDetail>, AppError> {
    Ok(AppJson(state.cases().detail(&user, &code).await?))
}

/// Act on a case (案件操作).
///
/// Every step of the workflow: `accept`, `reject`, `merge`, `assign`,
/// `transfer`, `draft_reply`, `approve_reply`, `return_reply`, `extend`,
/// and the reward's `propose_reward`, `approve_reward`, `reject_reward`,
/// `pay_reward`. The server decides what is allowed: an action the state
/// or the role does not allow is refused (403 or 409) and nothing changes.
/// Send the `version` the client saw to be refused (409) if the case has
/// changed since. The reviewer of a reply or a reward must not be the one
/// who drafted or proposed it (四眼原则).
#[utoipa::path(
    post,
    path = "/cases/{code}/actions",
    tag = "cases",
    params(CasePath),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "The case after the action.", body = CaseDetail),
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
pub async fn act(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
    AppJson(request): AppJson<ActionRequest>,
) -> Result<AppJson<CaseDetail>, AppError> {
    Ok(AppJson(state.cases().act(&user, &code, request).await?))
}

/// Reveal the reporters' identities (查看举报人身份).
///
/// For the roles that need them, of the handling department; every reveal
/// is written to the audit log.
#[utoipa::path(
    post,
    path = "/cases/{code}/reveal",
    tag = "cases",
    params(CasePath),
    responses(
        (status = 200, description = "The named reporters of the case.", body = Vec<RevealedReporter>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn reveal(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<RevealedReporter>>, AppError> {
    Ok(AppJson(state.cases().reveal(&user, &code).await?))
}

/// Open cases nearby (附近的同类案件).
///
/// Open cases of the same kind within 500 m, from the last 30 days, that
/// the user can see: candidates to merge this one into.
#[utoipa::path(
    get,
    path = "/cases/{code}/nearby",
    tag = "cases",
    params(CasePath),
    responses(
        (status = 200, description = "The cases, nearest first.", body = Vec<NearbyCase>),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn nearby(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<NearbyCase>>, AppError> {
    let actor = service::actor(&user);
    Ok(AppJson(
        service::nearby(&state.db, &actor, &code, state.settings.clock.now()).await?,
    ))
}

/// A photo's original (照片原件).
///
/// The file as received, EXIF intact: evidence, for the roles allowed to
/// see it; never public, never cached.
#[utoipa::path(
    get,
    path = "/cases/{code}/photos/{id}/original",
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
    let p = state.cases().original_photo(&user, &code, id).await?;
    let bytes = state
        .photos
        .get(crate::storage::PhotoKind::Original, &p.original_key)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::private_file::response(
        bytes,
        &p.original_format,
        "inline",
    ))
}

/// Possible assignees (可指派的承办人).
///
/// The usernames of the active handlers of the case's department.
#[utoipa::path(
    get,
    path = "/cases/{code}/assignees",
    tag = "cases",
    params(CasePath),
    responses(
        (status = 200, description = "Usernames.", body = Vec<String>),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn assignees(
    State(state): State<AppState>,
    user: StaffUser,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<String>>, AppError> {
    use crate::db::entities::app_user;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let c = service::load_visible(&state.db, &service::actor(&user), &code).await?;
    let Some(department) = c.department_id else {
        return Ok(AppJson(Vec::new()));
    };
    let names = app_user::Entity::find()
        .filter(app_user::Column::DepartmentId.eq(department))
        .filter(app_user::Column::Role.eq(shared::Role::Handler.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .order_by_asc(app_user::Column::Username)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    Ok(AppJson(names))
}
