use super::session::{self, COOKIE, SignInError, StaffUser};
use crate::error::{AppError, AppJson};
use crate::openapi::{BadRequest, Forbidden, TooManyRequests, Unauthorized, Unprocessable, UnsupportedMediaType};
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// 工作人员登录。A staff member's credentials.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignInBody {
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// Who is signed in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    username: String,
    role: shared::Role,
    /// The department's code, for roles that act for one.
    department: Option<String>,
}

impl From<StaffUser> for SessionView {
    fn from(u: StaffUser) -> Self {
        Self { username: u.username, role: u.role, department: u.department }
    }
}

fn cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.settings.cookie_secure { "; Secure" } else { "" };
    let text = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("shanshui_session=; Max-Age=0"))
}

/// The session token from the request's cookies.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// Sign in (登录).
///
/// Answers the user and sets the session cookie (`shanshui_session`,
/// HttpOnly, SameSite=Strict). A wrong username or password is 401
/// `invalid_credentials`; repeated failures lock the account for a while
/// (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "auth",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = SessionView,
            headers(("Set-Cookie" = String, description = "`shanshui_session=…; HttpOnly; SameSite=Strict`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    AppJson(body): AppJson<SignInBody>,
) -> Result<Response, AppError> {
    let policy = state.settings.session;
    match session::sign_in(&state.db, &body.username, &body.password, policy).await {
        Ok((token, user)) => {
            let mut response = axum::Json(SessionView::from(user)).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, cookie(&state, &token, policy.absolute.num_seconds()));
            Ok(response)
        }
        Err(SignInError::Invalid) => Err(AppError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_credentials",
            message: "wrong username or password".to_owned(),
        }),
        Err(SignInError::LockedOut { retry_after_secs }) => Err(AppError::RateLimited { retry_after_secs }),
        Err(SignInError::Db(e)) => Err(e.into()),
    }
}

/// Who is signed in (当前用户).
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user.", body = SessionView),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
    ),
    security(("session" = []))
)]
pub async fn current(user: StaffUser) -> axum::Json<SessionView> {
    axum::Json(user.into())
}

/// Sign out (退出).
///
/// Ends the session, if any, and clears the cookie; answers 204 either way.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    ),
    security((), ("session" = []))
)]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(t) = token(&headers) {
        session::sign_out(&state.db, &t).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// Handlers that need a signed-in staff member take a `StaffUser`: without
/// a live session the request is answered 401 before the handler runs.
impl<S> FromRequestParts<S> for StaffUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = token(&parts.headers).ok_or(AppError::Unauthorized)?;
        let user = session::resolve(&state.db, &token, state.settings.session)
            .await?
            .ok_or(AppError::Unauthorized)?;
        // A signed-in staff member's write may change what the public reads.
        crate::middleware::public_cache::PublicChange::mark_request(&parts.extensions);
        Ok(user)
    }
}
