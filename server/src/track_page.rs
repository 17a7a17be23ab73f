//! `POST /track`: the tracking page's forms (查询进度, see
//! `app::pages::track`).
//!
//! Every form on the page posts here, with the tracking code and secret in
//! its body (never in a URL, where logs and histories keep them). What the
//! form asks is done through the JSON API, in-process, as the browser
//! would have asked it: the same handlers, rate limits, validation,
//! idempotency and cache invalidation, so the page and the API cannot
//! disagree. The page is then rendered as for a GET, with the outcome
//! ([`Posted`]) in the request's extensions. Its answer is never stored
//! (`no-store`): it holds the secret and what the reporter wrote.

use crate::middleware::client_addr::ClientAddr;
use crate::middleware::public_cache::PublicChange;
use app::track_page::{LookupError, Posted, RecoverStep, Refused};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shared::notify::{CodeSent, Recovered};
use shared::report::TrackView;
use std::net::SocketAddr;
use std::sync::Mutex;
use tower::ServiceExt;

/// A form's fields are short texts: the longest (an answer, a
/// description) is a few thousand characters.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The routers a posted form needs: the API to act through, and the pages
/// to render the answer with.
#[derive(Clone)]
pub struct TrackPage {
    pub api: Router,
    pub pages: Router,
}

impl TrackPage {
    pub async fn post(self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !is_form {
            return crate::error::AppError::UnsupportedMediaType(
                "send the tracking page's form as application/x-www-form-urlencoded".to_owned(),
            )
            .into_response();
        }
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return crate::error::AppError::Rejected {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too_large",
                message: format!("a form of at most {MAX_FORM_BYTES} bytes"),
            }
            .into_response();
        };
        let form = Form::parse(&bytes);
        let api = Api {
            router: &self.api,
            parts: &parts,
            retry_after: Mutex::new(None),
        };
        let (posted, status) = act(&api, &form).await;
        let retry_after = api
            .retry_after
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut response = self.render(parts, posted, status).await;
        // A page that says "too many tries" says when to try again, as the
        // API's answer did.
        if let Some(value) = retry_after.filter(|_| status == StatusCode::TOO_MANY_REQUESTS) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }

    /// The page, as for a GET of `/track`, with the outcome to show.
    async fn render(self, parts: Parts, posted: Posted, status: StatusCode) -> Response {
        let mut get = Request::from_parts(parts, Body::empty());
        *get.method_mut() = Method::GET;
        get.headers_mut().remove(header::CONTENT_TYPE);
        get.headers_mut().remove(header::CONTENT_LENGTH);
        get.extensions_mut().insert(posted);
        let Ok(mut response) = self.pages.oneshot(get).await;
        if response.status().is_success() {
            *response.status_mut() = status;
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.into_response()
    }
}

/// The form's fields, as sent.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(bytes: &Bytes) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// A field's value (the last, when sent twice), trimmed.
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// What the reporter typed, to show again beside a refusal: everything
    /// but the case's code and secret.
    fn typed(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "code" | "secret" | "intent"))
            .cloned()
            .collect()
    }
}

/// The JSON API, asked in-process for the posting client.
struct Api<'a> {
    router: &'a Router,
    parts: &'a Parts,
    /// The `Retry-After` of the last call the API refused as too many.
    retry_after: Mutex<Option<HeaderValue>>,
}

/// What the API answered: its status and body.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status.is_success()
    }

    fn read<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The API's own words for a refusal.
    fn message(&self) -> String {
        self.read::<Value>()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("the request failed ({})", self.status))
    }
}

impl Api<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        secret: Option<&str>,
        idempotency_key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(secret) = secret {
            request = request.header("X-Report-Secret", secret);
        }
        if let Some(key) = idempotency_key.filter(|k| !k.is_empty()) {
            request = request.header("Idempotency-Key", key);
        }
        let body = match body {
            Some(value) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        let Ok(mut request) = request.body(body) else {
            // A field that cannot be a header (a line break in it): a secret
            // so made is no secret (the API answers a wrong one with a 404,
            // and so does this); a key so made is refused as the API would.
            let bad_secret = secret.is_some_and(|s| HeaderValue::from_str(s).is_err());
            let (status, message) = if bad_secret {
                (StatusCode::NOT_FOUND, "no such resource")
            } else {
                (StatusCode::BAD_REQUEST, "the form's key is not one")
            };
            return Answer {
                status,
                body: Bytes::from(
                    json!({ "error": { "code": "bad_request", "message": message } }).to_string(),
                ),
            };
        };
        // What the API needs of the posting request: the client's address
        // (its rate limits and idempotency keys are per client), and the
        // micro-cache's mark (a change the API makes empties it).
        let from = &self.parts.extensions;
        let to = request.extensions_mut();
        if let Some(addr) = from.get::<ClientAddr>() {
            to.insert(*addr);
        }
        if let Some(peer) = from.get::<ConnectInfo<SocketAddr>>() {
            to.insert(*peer);
        }
        if let Some(change) = from.get::<PublicChange>() {
            to.insert(change.clone());
        }
        let Ok(response) = self.router.clone().oneshot(request).await;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let value = response.headers().get(header::RETRY_AFTER).cloned();
            *self.retry_after.lock().unwrap_or_else(|e| e.into_inner()) = value;
        }
        match axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await {
            Ok(body) => Answer { status, body },
            Err(_) => Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: Bytes::new(),
            },
        }
    }
}

/// A case's path in the API, for a code already normalized (letters,
/// digits and dashes: nothing to escape).
fn case_path(code: &str, tail: &str) -> String {
    format!("/api/v1/track/{code}{tail}")
}

impl Api<'_> {
    /// The case as its reporter sees it (`GET /api/v1/track/{code}`).
    async fn look_up(&self, code: &str, secret: &str) -> Answer {
        self.call(Method::GET, &case_path(code, ""), Some(secret), None, None)
            .await
    }
}

/// Does what the form asks; the outcome to show, and the page's status.
async fn act(api: &Api<'_>, form: &Form) -> (Posted, StatusCode) {
    let intent = form.get("intent");
    let mut posted = Posted {
        code: form.get("code"),
        secret: form.get("secret"),
        came_back_key: uuid::Uuid::new_v4().to_string(),
        ..Posted::default()
    };
    let (code, secret) = (posted.code.clone(), posted.secret.clone());
    let refuse = |posted: &mut Posted, answer: &Answer| {
        posted.refused = Some(Refused {
            intent: intent.clone(),
            status: answer.status.as_u16(),
            message: answer.message(),
            fields: form.typed(),
        });
        answer.status
    };
    let normalized = shared::report::tracking_code::normalize(&code);
    // 找回 is not about one case: its forms carry the case the page showed,
    // if any, only to show it again.
    let recovered = match intent.as_str() {
        "recover_code" => {
            let phone = form.get("phone");
            let answer = api
                .call(
                    Method::POST,
                    "/api/v1/recover/code",
                    None,
                    None,
                    Some(json!({ "phone": phone })),
                )
                .await;
            match answer.read::<CodeSent>().filter(|_| answer.ok()) {
                Some(sent) => {
                    posted.recover = RecoverStep::CodeSent {
                        phone,
                        request: sent.request,
                    };
                    Some(StatusCode::OK)
                }
                None => Some(refuse(&mut posted, &answer)),
            }
        }
        "recover" => {
            let (phone, request) = (form.get("phone"), form.get("request"));
            let answer = api
                .call(
                    Method::POST,
                    "/api/v1/recover",
                    None,
                    None,
                    Some(json!({ "phone": phone, "request": request, "code": form.get("recover_code") })),
                )
                .await;
            match answer.read::<Recovered>().filter(|_| answer.ok()) {
                Some(found) => {
                    // 找回 gives each report found a new secret: the case
                    // shown, if it is one of them, is shown with its own.
                    if let Some(r) = found
                        .reports
                        .iter()
                        .find(|r| Some(&r.tracking_code) == normalized.as_ref())
                    {
                        posted.secret = r.secret.clone();
                    }
                    posted.recover = RecoverStep::Found(found.reports);
                    Some(StatusCode::OK)
                }
                None => {
                    let status = refuse(&mut posted, &answer);
                    // The code form again, to try the code once more.
                    posted.recover = RecoverStep::CodeSent { phone, request };
                    Some(status)
                }
            }
        }
        _ => None,
    };
    if let Some(status) = recovered {
        if let Some(code) = normalized {
            let answer = api.look_up(&code, &posted.secret).await;
            posted.case = answer.read::<TrackView>().filter(|_| answer.ok());
        }
        return (posted, status);
    }
    let Some(code) = normalized else {
        posted.lookup = Some(LookupError::BadCode);
        return (posted, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let secret = Some(secret.as_str());
    let actions = case_path(&code, "/actions");
    let action = |body: Value| api.call(Method::POST, &actions, secret, None, Some(body));
    let done = match intent.as_str() {
        // The page with the case, as it is.
        "" | "look_up" => None,
        "contest" => {
            Some(action(json!({ "action": "contest", "reason": form.get("reason") })).await)
        }
        "claim_reward" => Some(
            action(
                json!({ "action": "claim_reward", "payout_account": form.get("payout_account") }),
            )
            .await,
        ),
        "decline_reward" => Some(action(json!({ "action": "decline_reward" })).await),
        "answer_info" => {
            Some(action(json!({ "action": "answer_info", "answer": form.get("answer") })).await)
        }
        "rate" => {
            let comment = Some(form.get("comment")).filter(|c| !c.is_empty());
            Some(
                action(
                    json!({ "action": "rate", "rating": form.get("rating"), "comment": comment }),
                )
                .await,
            )
        }
        "came_back" => Some(
            api.call(
                Method::POST,
                &actions,
                secret,
                Some(&form.get("key")),
                Some(json!({
                    "action": "came_back",
                    "description": form.get("description"),
                    "keep_name": form.get("keep_name") == "true",
                })),
            )
            .await,
        ),
        "phone" => {
            let answer = api
                .call(
                    Method::PUT,
                    &case_path(&code, "/phone"),
                    secret,
                    None,
                    Some(json!({ "phone": form.get("phone") })),
                )
                .await;
            if let Some(sent) = answer.read::<CodeSent>().filter(|_| answer.ok()) {
                posted.phone_request = Some(sent.request);
            }
            Some(answer)
        }
        "phone_confirm" => {
            let answer = api
                .call(
                    Method::POST,
                    &case_path(&code, "/phone/confirm"),
                    secret,
                    None,
                    Some(json!({ "request": form.get("request"), "code": form.get("phone_code") })),
                )
                .await;
            if !answer.ok() {
                // The code form again, for another try.
                posted.phone_request = Some(form.get("request"));
            }
            Some(answer)
        }
        "phone_remove" => Some(
            api.call(
                Method::DELETE,
                &case_path(&code, "/phone"),
                secret,
                None,
                None,
            )
            .await,
        ),
        _ => {
            posted.refused = Some(Refused {
                intent: intent.clone(),
                status: 400,
                message: format!("the tracking page has no form `{intent}`"),
                fields: Vec::new(),
            });
            return (posted, StatusCode::BAD_REQUEST);
        }
    };
    let mut status = StatusCode::OK;
    if let Some(answer) = &done {
        if !answer.ok() {
            status = refuse(&mut posted, answer);
        } else if let Some(view) = answer.read::<TrackView>() {
            // An action answers the case as it is after it.
            posted.case = Some(view);
            return (posted, status);
        }
    }
    let answer = api.look_up(&code, &posted.secret).await;
    match answer.read::<TrackView>().filter(|_| answer.ok()) {
        Some(view) => posted.case = Some(view),
        None => {
            posted.lookup = Some(match answer.status {
                StatusCode::NOT_FOUND => LookupError::NotFound,
                StatusCode::TOO_MANY_REQUESTS => LookupError::TooManyTries,
                _ => LookupError::Failed,
            });
            if posted.refused.is_none() {
                status = match answer.status {
                    s @ (StatusCode::NOT_FOUND | StatusCode::TOO_MANY_REQUESTS) => s,
                    _ => StatusCode::SERVICE_UNAVAILABLE,
                };
            }
        }
    }
    (posted, status)
}
