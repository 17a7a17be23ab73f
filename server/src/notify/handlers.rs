//! The routes: the reporter's (push, the messages-only phone, 找回) and the
//! admin's view of the messages. Thin: the rules are in the modules beside.

use super::listing::view;
use super::sms::Template;
use super::{FAILED, QUEUED};
use crate::auth::StaffUser;
use crate::db::entities::{case, message_outbox, sms_log};
use crate::error::{AppError, AppJson};
use crate::middleware::rate_limit::{self, ClientKey};
use crate::openapi::components::{
    BadRequest, CasePath, Conflict, Forbidden, IdPath, NotFound, TooManyRequests, Unauthorized,
    Unprocessable,
};
use crate::state::{AppState, Limits};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::Role;
use shared::notify::{
    CodeSent, ConfirmPhone, MessagesView, NotifyPhone, PushKey, PushSubscribe, PushUnsubscribe,
    RecoverCodeRequest, RecoverRequest, Recovered, SmsLogEntry,
};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(limits: &Limits) -> OpenApiRouter<AppState> {
    let reporter = OpenApiRouter::default()
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(set_phone, remove_phone))
        .routes(routes!(confirm_phone))
        .route_layer(from_fn_with_state(limits.track.clone(), rate_limit::limit));
    let recover = OpenApiRouter::default()
        .routes(routes!(request_code))
        .routes(routes!(recover))
        .route_layer(from_fn_with_state(
            limits.recover.clone(),
            rate_limit::limit,
        ));
    OpenApiRouter::default()
        .routes(routes!(push_key))
        .routes(routes!(messages))
        .routes(routes!(retry))
        .merge(reporter)
        .merge(recover)
}

/// The reporter behind the secret in `X-Report-Secret`; a wrong one reads
/// like an unknown code (404).
async fn reporter(
    state: &AppState,
    code: &str,
    headers: &HeaderMap,
) -> Result<(case::Model, crate::db::entities::report::Model), AppError> {
    let secret = crate::reports::handlers::report_secret(headers)?;
    crate::reports::service::authenticate(&state.db, code, secret).await
}

/// The push key (VAPID 公钥).
///
/// The server's VAPID public key: the `applicationServerKey` a browser
/// subscribes with.
#[utoipa::path(
    get,
    path = "/push/key",
    tag = "notifications",
    responses((status = 200, description = "The key.", body = PushKey))
)]
pub async fn push_key(State(state): State<AppState>) -> AppJson<PushKey> {
    AppJson(PushKey {
        public_key: state.channels.vapid.public_key(),
    })
}

/// Notify this browser (浏览器推送).
///
/// Subscribes a browser's push subscription (`PushSubscription.toJSON()`,
/// with the notifications' `lang`) to this report's messages: 受理, a
/// question, the reply, a reward, the satisfaction question. No phone or
/// name is needed; the subscription belongs to the report. The endpoint
/// must be a public push service's `https://` address on its default port
/// (another only where the operator's `--push-allow` lists it); the keys
/// must be a P-256 point and a 16-byte secret.
#[utoipa::path(
    post,
    path = "/track/{code}/push",
    tag = "notifications",
    params(CasePath),
    request_body = PushSubscribe,
    responses(
        (status = 204, description = "Subscribed."),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn subscribe(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    AppJson(input): AppJson<PushSubscribe>,
) -> Result<StatusCode, AppError> {
    let (_, r) = reporter(&state, &code, &headers).await?;
    super::contacts::subscribe(
        &state.db,
        &state.settings.push_allow,
        &r,
        input,
        state.settings.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop notifying this browser.
#[utoipa::path(
    delete,
    path = "/track/{code}/push",
    tag = "notifications",
    params(CasePath),
    request_body = PushUnsubscribe,
    responses(
        (status = 204, description = "Unsubscribed (or was not subscribed)."),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    AppJson(input): AppJson<PushUnsubscribe>,
) -> Result<StatusCode, AppError> {
    let (_, r) = reporter(&state, &code, &headers).await?;
    super::contacts::unsubscribe(&state.db, &r, &input.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Text me (短信通知).
///
/// An anonymous reporter leaves a mainland mobile number for messages
/// only. A 6-digit code (valid 10 minutes) is texted to it, and the number
/// is kept when the code comes back (`…/phone/confirm`), so nobody can have
/// a stranger texted. Kept encrypted, shown to staff by its last two digits
/// at most, used for this report's messages and for 找回, and deleted (with
/// the texts still queued for it) 90 days after the case closed. A report
/// filed with a name already texts its phone (409). The phone's limits are
/// the codes' (3 an hour, 10 a day; answered alike, nothing sent beyond).
#[utoipa::path(
    put,
    path = "/track/{code}/phone",
    tag = "notifications",
    params(CasePath),
    request_body = NotifyPhone,
    responses(
        (status = 202, description = "A code was texted (within the phone's limits).", body = CodeSent),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn set_phone(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    AppJson(input): AppJson<NotifyPhone>,
) -> Result<(StatusCode, AppJson<CodeSent>), AppError> {
    let (_, r) = reporter(&state, &code, &headers).await?;
    let sent = super::contacts::request_phone(
        &state.db,
        &state.pii,
        &r,
        &input.phone,
        state.settings.clock.now(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, AppJson(sent)))
}

/// Text me: the code (确认手机号).
///
/// The `request` and the code texted to the phone: from now on this
/// report's messages go to it. A wrong, spent or expired code is 422 on
/// `code`; the fifth wrong try spends it. Audited
/// (`report.notify_phone_set`, never the number).
#[utoipa::path(
    post,
    path = "/track/{code}/phone/confirm",
    tag = "notifications",
    params(CasePath),
    request_body = ConfirmPhone,
    responses(
        (status = 204, description = "The phone is kept for this report's messages."),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn confirm_phone(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    AppJson(input): AppJson<ConfirmPhone>,
) -> Result<StatusCode, AppError> {
    let (c, r) = reporter(&state, &code, &headers).await?;
    super::contacts::confirm_phone(
        &state.db,
        &state.pii,
        &r,
        &c.code,
        &input.request,
        &input.code,
        state.settings.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop texting me: the messages-only phone is deleted.
#[utoipa::path(
    delete,
    path = "/track/{code}/phone",
    tag = "notifications",
    params(CasePath),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
    ),
    security(("report_secret" = []))
)]
pub async fn remove_phone(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let (c, r) = reporter(&state, &code, &headers).await?;
    super::contacts::remove_phone(&state.db, &r, &c.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Find my reports: send a code (找回举报).
///
/// Sends a 6-digit code, valid for 10 minutes, to the phone if a report of
/// an open case, or of one closed within 90 days, was filed with it (or
/// left it for messages). The answer — with the `request` to send back
/// with the code — is the same whether or not the phone is known, and
/// whether or not the phone's own limits (3 codes an hour, 10 a day) were
/// reached, when nothing is sent. Per client address: 10 requests at once,
/// then one every 30 s (429).
#[utoipa::path(
    post,
    path = "/recover/code",
    tag = "notifications",
    request_body = RecoverCodeRequest,
    responses(
        (status = 202, description = "Answered alike for every valid phone.", body = CodeSent),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn request_code(
    State(state): State<AppState>,
    AppJson(input): AppJson<RecoverCodeRequest>,
) -> Result<(StatusCode, AppJson<CodeSent>), AppError> {
    let sent = super::recovery::send_code(
        &state.db,
        &state.pii,
        &input.phone,
        state.settings.clock.now(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, AppJson(sent)))
}

/// Find my reports: the code (找回举报).
///
/// With the `request` and the code the phone received: every recoverable
/// report of that phone, each with a fresh secret shown once (the old
/// secret stops working). A wrong, spent or expired code is 422
/// `validation_failed` on `code`; the fifth wrong try spends the code.
/// Audited (`recovery.completed`, by count).
#[utoipa::path(
    post,
    path = "/recover",
    tag = "notifications",
    request_body = RecoverRequest,
    responses(
        (status = 200, description = "The reports, with new secrets.", body = Recovered),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn recover(
    State(state): State<AppState>,
    _client: ClientKey,
    AppJson(input): AppJson<RecoverRequest>,
) -> Result<AppJson<Recovered>, AppError> {
    Ok(AppJson(
        super::recovery::recover(
            &state.db,
            &state.pii,
            &input.phone,
            &input.request,
            &input.code,
            state.settings.clock.now(),
        )
        .await?,
    ))
}

/// Messages to reporters (消息记录).
///
/// For admins: the newest 200 messages by push and SMS (a phone shown by
/// its last two digits, a text by its template; one-time codes left out),
/// how many wait and how many failed, and with the `log` provider its inbox
/// of the last week, where a new install sees what would have been texted
/// (codes included: the `log` provider is for trying Shanshui, not for a
/// district's residents). Each look is audited (`messages.read`).
#[utoipa::path(
    get,
    path = "/admin/messages",
    tag = "notifications",
    responses(
        (status = 200, description = "The messages.", body = MessagesView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("session" = []))
)]
pub async fn messages(
    State(state): State<AppState>,
    user: StaffUser,
) -> Result<AppJson<MessagesView>, AppError> {
    user.require(&[Role::Admin])?;
    // Each look is audited: the list shows whom messages went to (masked)
    // and, with the `log` provider, the texts themselves.
    crate::audit::record(
        &state.db,
        crate::audit::Entry {
            actor: &user.username,
            action: "messages.read",
            object_type: "messages",
            object_id: "-",
            detail: None,
        },
    )
    .await?;
    // One-time codes are left out: a code row exists only for a phone that
    // has reports, so listing them would tell an admin which phones have.
    let not_codes = message_outbox::Column::Event.ne(Template::RecoveryCode.as_str());
    let rows = message_outbox::Entity::find()
        .filter(not_codes.clone())
        .order_by_desc(message_outbox::Column::Id)
        .limit(200)
        .all(&state.db)
        .await?;
    let codes = case_codes(&state, rows.iter().filter_map(|m| m.case_id)).await?;
    let count = |status: &'static str| {
        message_outbox::Entity::find()
            .filter(message_outbox::Column::Status.eq(status))
            .filter(not_codes.clone())
            .count(&state.db)
    };
    let queued = count(QUEUED).await?;
    let failed = count(FAILED).await?;
    let sms_log = sms_log::Entity::find()
        .order_by_desc(sms_log::Column::Id)
        .limit(100)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|l| SmsLogEntry {
            id: l.id,
            phone: l.phone_mask,
            template: l.template,
            body: l.body,
            created_at: l.created_at.to_rfc3339(),
        })
        .collect();
    Ok(AppJson(MessagesView {
        sms_provider: state.channels.sms.name().to_owned(),
        queued,
        failed,
        messages: rows.into_iter().map(|m| view(m, &codes, true)).collect(),
        sms_log,
    }))
}

async fn case_codes(
    state: &AppState,
    ids: impl Iterator<Item = i64>,
) -> Result<BTreeMap<i64, String>, AppError> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(case::Entity::find()
        .filter(case::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect())
}

/// Send a failed message again (重发).
///
/// For admins; audited. Only a message that failed and still has its
/// recipient (a push subscription; a phone is deleted once a message
/// fails) can be sent again: 404 otherwise.
#[utoipa::path(
    post,
    path = "/admin/messages/{id}/retry",
    tag = "notifications",
    params(IdPath),
    responses(
        (status = 202, description = "Queued to be sent at once."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("session" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    user.require(&[Role::Admin])?;
    let now = state.settings.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let result = message_outbox::Entity::update_many()
        .col_expr(message_outbox::Column::Status, Expr::value(QUEUED))
        .col_expr(message_outbox::Column::Attempts, Expr::value(0))
        .col_expr(message_outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(message_outbox::Column::Id.eq(id))
        .filter(message_outbox::Column::Status.eq(FAILED))
        .filter(message_outbox::Column::SubscriptionId.is_not_null())
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor: &user.username,
            action: "message.retry",
            object_type: "message",
            object_id: &id.to_string(),
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::ACCEPTED)
}
