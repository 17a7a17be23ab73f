//! What handlers' `#[utoipa::path]` attributes share: the reusable error
//! responses (every one carries `shared::ErrorBody`), the path parameters
//! and the binary body. A building block: it knows no module of the API.

use shared::ErrorBody;
use utoipa::{IntoParams, ToResponse};

/// 请求无法解析。The request cannot be read (e.g. a malformed query or body).
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "bad_request", "message": "Failed to deserialize query string"}}))]
pub struct BadRequest(pub ErrorBody);

/// 未登录或会话已过期。Not signed in, or the session has expired.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "unauthorized", "message": "sign in first"}}))]
pub struct Unauthorized(pub ErrorBody);

/// 无权执行（角色不符），或跨站请求被拒绝。The role may not do this, or a cross-site request was refused.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "forbidden", "message": "a handler cannot do this; it needs the role admin"}}))]
pub struct Forbidden(pub ErrorBody);

/// 不存在，或对当前用户不可见。No such resource, or not visible to this user.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "not_found", "message": "no such resource"}}))]
pub struct NotFound(pub ErrorBody);

/// 与当前状态冲突（如案件已被他人修改、不允许的状态转换）。A conflict with the current state (e.g. a stale `version`, an action the state does not allow).
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "conflict", "message": "someone else changed the case at the same moment; reload it"}}))]
pub struct Conflict(pub ErrorBody);

/// 请求体过大。The body is too large.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "payload_too_large", "message": "the report is too large: at most 48 MB in all, 20 MB per photo"}}))]
pub struct PayloadTooLarge(pub ErrorBody);

/// 内容类型不支持（如 JSON 接口未带 `Content-Type: application/json`，或照片不是 JPEG/PNG/WebP）。Unsupported content type.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "unsupported_media_type", "message": "send the body as JSON with `Content-Type: application/json`"}}))]
pub struct UnsupportedMediaType(pub ErrorBody);

/// 输入无效；`fields` 指出每个字段及其错误代码。Invalid input; `fields` names each invalid field with its code.
#[derive(ToResponse)]
#[response(example = json!({"error": {"code": "validation_failed", "message": "lat: the location is outside Banan District", "fields": {"lat": {"code": "out_of_area", "message": "the location is outside Banan District"}}}}))]
pub struct Unprocessable(pub ErrorBody);

/// 请求过于频繁；`Retry-After` 给出秒数。Too many requests; `Retry-After` says when to try again.
#[derive(ToResponse)]
#[response(
    example = json!({"error": {"code": "rate_limited", "message": "too many requests; try again in 4 s"}}),
    headers(("Retry-After" = u64, description = "Seconds to wait."))
)]
pub struct TooManyRequests(pub ErrorBody);

/// 服务器暂时繁忙（如密码校验名额已满、上传内存已用满），请稍后重试；`Retry-After` 给出秒数。Busy for a moment (e.g. every password-checking slot is taken, or the server's upload memory is all in use); `Retry-After` says when to try again.
#[derive(ToResponse)]
#[response(
    example = json!({"error": {"code": "busy", "message": "the server is receiving too many uploads right now; try again in 10 s"}}),
    headers(("Retry-After" = u64, description = "Seconds to wait."))
)]
pub struct ServiceUnavailable(pub ErrorBody);

/// A file's bytes, as a response body (photos).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// A case, by its tracking code.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CasePath {
    /// 受理编号（查询码）。The case's tracking code, which is also its public case number, e.g. `BN-7K3M-Q9TX`.
    pub code: String,
}

/// A row, by its numeric id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The row's id.
    pub id: i64,
}
