use super::device::{self, DeviceKeys};
use super::session::{self, COOKIE, SignInError, StaffUser};
use crate::error::{AppError, AppJson};
use crate::middleware::rate_limit::ClientKey;
use crate::openapi::components::{
    BadRequest, Forbidden, ServiceUnavailable, TooManyRequests, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
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
        Self {
            username: u.username,
            role: u.role,
            department: u.department,
        }
    }
}

fn cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("shanshui_session=; Max-Age=0"))
}

/// The device cookie: sent only to `/api/v1/session`, kept for months.
fn device_cookie(state: &AppState, value: &str) -> HeaderValue {
    let secure = if state.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{}={value}; Path=/api/v1/session; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        device::COOKIE,
        device::MAX_AGE_SECS
    );
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("shanshui_device=; Max-Age=0"))
}

/// The value of the request's cookie `name`.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// The session token from the request's cookies.
pub fn token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

/// Sign in (登录).
///
/// Answers the user and sets the session cookie (`shanshui_session`,
/// HttpOnly, SameSite=Strict) and a device cookie (`shanshui_device`,
/// sent only here) by which this browser is recognised next time. A wrong
/// username or password is 401 `invalid_credentials`. Failures slow down
/// the client that makes them: after 5 from one address (or one recognised
/// browser) each further attempt waits twice as long (429 `rate_limited`
/// with `Retry-After`, 1 s up to 15 min); after 40 in an hour from
/// unrecognised clients together, only recognised browsers may try until
/// the hour is over. 503 `busy` (with `Retry-After`) when the server is
/// already checking as many passwords as it can; that attempt is not counted.
#[utoipa::path(
    post,
    path = "/session",
    tag = "auth",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the session and device cookies are set.", body = SessionView,
            headers(("Set-Cookie" = String, description = "`shanshui_session=…; HttpOnly; SameSite=Strict` and `shanshui_device=…; Path=/api/v1/session; HttpOnly; SameSite=Strict`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    AppJson(body): AppJson<SignInBody>,
) -> Result<Response, AppError> {
    let policy = state.settings.session;
    let devices = DeviceKeys::new(state.pii.derive_key(device::KEY_LABEL));
    let presented = cookie_value(&headers, device::COOKIE);
    let attempt = session::Attempt {
        username: &body.username,
        password: &body.password,
        client,
        device_cookie: presented.as_deref(),
        at: state.settings.clock.now(),
    };
    match session::sign_in(&state.db, &devices, attempt, policy).await {
        Ok(signed_in) => {
            let mut response = axum::Json(SessionView::from(signed_in.user)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookie(&state, &signed_in.token, policy.absolute.num_seconds()),
            );
            headers.append(
                header::SET_COOKIE,
                device_cookie(&state, &signed_in.device_cookie),
            );
            Ok(response)
        }
        Err(SignInError::Invalid) => Err(AppError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_credentials",
            message: "wrong username or password".to_owned(),
        }),
        Err(SignInError::Throttled { retry_after_secs }) => {
            Err(AppError::RateLimited { retry_after_secs })
        }
        Err(SignInError::Busy { retry_after_secs }) => {
            Err(AppError::hashing_busy(retry_after_secs))
        }
        Err(SignInError::Db(e)) => Err(e.into()),
    }
}

/// Who is signed in (当前用户).
#[utoipa::path(
    get,
    path = "/session",
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
    path = "/session",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    ),
    security((), ("session" = []))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(t) = token(&headers) {
        session::sign_out(&state.db, &t).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
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
        let user = session::resolve(
            &state.db,
            &token,
            state.settings.session,
            state.settings.clock.now(),
        )
        .await?
        .ok_or(AppError::Unauthorized)?;
        // A signed-in staff member's write may change what the public reads.
        crate::middleware::public_cache::PublicChange::mark_request(&parts.extensions);
        Ok(user)
    }
}
