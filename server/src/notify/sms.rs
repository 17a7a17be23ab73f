//! Text messages (短信) to residents: the approved templates, the provider
//! interface, and Tencent Cloud SMS.
//!
//! A message is a template and its parameters, never free text: carriers
//! deliver only text approved in advance (模板审核), and a phone is no place
//! for case text (a shared phone, a lock screen). So a parameter is a
//! tracking code, a date, an amount or a one-time code, and is checked as
//! one before anything is sent.
//!
//! A phone number is personal data: it never goes into an error or a log
//! line; where one must be named, it is masked: 138****8000.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::env::VarError;
use std::fmt;
use std::time::Duration;

/// The approved templates (模板). A message never carries case text: only a
/// tracking code, dates, an amount, or a one-time code.
///
/// Each template's parameters, in order ({1}, {2}…):
///
/// | template | parameters |
/// |---|---|
/// | `Accepted` | tracking code |
/// | `Rejected` | tracking code |
/// | `InfoRequested` | tracking code |
/// | `ReplyApproved` | tracking code, last day to contest (异议) |
/// | `RewardApproved` | tracking code, last day to claim |
/// | `RewardExpiring` | tracking code, last day to claim |
/// | `RateQuestion` | tracking code |
/// | `RecoveryCode` | one-time code (1–6 digits) |
/// | `Receipt` | tracking code |
///
/// `InfoRequested` names no deadline: a question (补充材料) has none in the
/// data, and an approved template has a fixed number of parameters, so an
/// optional date would need a second template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    Accepted,
    Rejected,
    InfoRequested,
    ReplyApproved,
    RewardApproved,
    RewardExpiring,
    RateQuestion,
    RecoveryCode,
    Receipt,
}

/// The longest parameter accepted: a tracking code or a date is far
/// shorter, case text would be longer.
const MAX_PARAM_CHARS: usize = 20;

impl Template {
    /// Every template, in declaration order.
    pub const ALL: [Template; 9] = [
        Template::Accepted,
        Template::Rejected,
        Template::InfoRequested,
        Template::ReplyApproved,
        Template::RewardApproved,
        Template::RewardExpiring,
        Template::RateQuestion,
        Template::RecoveryCode,
        Template::Receipt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::Accepted => "accepted",
            Template::Rejected => "rejected",
            Template::InfoRequested => "info_requested",
            Template::ReplyApproved => "reply_approved",
            Template::RewardApproved => "reward_approved",
            Template::RewardExpiring => "reward_expiring",
            Template::RateQuestion => "rate_question",
            Template::RecoveryCode => "recovery_code",
            Template::Receipt => "receipt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The Chinese text with {1}, {2}… placeholders, as submitted for
    /// approval. Filled with a 12-character code and a date, every text
    /// stays within 56 characters, so with the 【签名】 (at most 12
    /// characters and the brackets) a message is one 70-character SMS.
    /// `RecoveryCode` is a 验证码 template: Tencent accepts only 0–6 digits
    /// in its parameter.
    pub fn text_zh(self) -> &'static str {
        match self {
            Template::Accepted => "您的举报{1}已受理，请凭查询链接查看进度。",
            Template::Rejected => "您的举报{1}未予受理，原因请凭查询链接查看。",
            Template::InfoRequested => "您的举报{1}需要补充材料，请凭查询链接查看并补充。",
            Template::ReplyApproved => {
                "您的举报{1}已答复，请凭查询链接查看。如有异议，请于{2}前提出。"
            }
            Template::RewardApproved => "您的举报{1}获得奖励，请于{2}前凭查询链接领取。",
            Template::RewardExpiring => "您的举报{1}的奖励将于{2}到期，请尽快凭查询链接领取。",
            Template::RateQuestion => "您的举报{1}已办结，您是否满意？请凭查询链接评价。",
            // One 验证码 template for both of its uses: finding one's
            // reports again, and confirming a phone left for messages.
            Template::RecoveryCode => "您的验证码为{1}，10分钟内有效。如非本人操作，请忽略。",
            Template::Receipt => "您的举报已登记，编号{1}，请妥善保管查询密码。",
        }
    }

    /// How many parameters the template takes.
    pub fn params(self) -> usize {
        match self {
            Template::ReplyApproved | Template::RewardApproved | Template::RewardExpiring => 2,
            _ => 1,
        }
    }

    /// Fills the placeholders; errors if the count is wrong or a parameter
    /// is not a code, date, amount or one-time code.
    pub fn render(self, params: &[String]) -> Result<String, SmsError> {
        check_params(self, params)?;
        // Parameters hold no braces (`check_params`), so an earlier value
        // cannot create a later placeholder.
        let mut text = self.text_zh().to_owned();
        for (i, value) in params.iter().enumerate() {
            text = text.replace(&format!("{{{}}}", i + 1), value);
        }
        Ok(text)
    }
}

/// The count must match, and each parameter must look like a code, a date,
/// an amount or a one-time code: ASCII letters, digits and `-./:`, so case
/// text (Chinese, spaces) cannot slip into a message. An amount is its
/// digits; the unit belongs in the template text.
fn check_params(template: Template, params: &[String]) -> Result<(), SmsError> {
    if params.len() != template.params() {
        return Err(SmsError::Rejected(format!(
            "template {} takes {} parameter(s), got {}",
            template.as_str(),
            template.params(),
            params.len()
        )));
    }
    for (i, value) in params.iter().enumerate() {
        // The value itself is not quoted: it may be exactly the text that
        // must not travel.
        let fits = !value.is_empty()
            && value.chars().count() <= MAX_PARAM_CHARS
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/' | ':'));
        if !fits {
            return Err(SmsError::Rejected(format!(
                "parameter {} of template {} is not a code, date, amount or one-time code",
                i + 1,
                template.as_str()
            )));
        }
        if template == Template::RecoveryCode
            && !(value.len() <= 6 && value.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(SmsError::Rejected(
                "a recovery code must be 1 to 6 digits (a 验证码 template takes nothing else)"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

/// One message to send.
#[derive(Clone, Copy)]
pub struct Sms<'a> {
    /// 11 digits, a mainland mobile number, without +86.
    pub phone: &'a str,
    pub template: Template,
    pub params: &'a [String],
}

// By hand, so that a logged `Sms` shows the number masked.
impl fmt::Debug for Sms<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sms")
            .field("phone", &mask_phone(self.phone))
            .field("template", &self.template)
            .field("params", &self.params.len())
            .finish()
    }
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id for the message (Tencent's `SerialNo`), for
    /// matching delivery reports and support requests.
    pub provider_id: Option<String>,
}

/// Why a message was not sent. The text never holds the phone number or a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider refused this message for good (bad number, template not
    /// approved…): do not retry.
    #[error("SMS refused: {0}")]
    Rejected(String),
    /// Try again later (network, 5xx, throttled).
    #[error("SMS not sent, try again later: {0}")]
    Temporary(String),
}

#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn send(&self, sms: &Sms<'_>) -> Result<Sent, SmsError>;
}

/// Whether `phone` is an 11-digit mainland mobile number (13x–19x).
fn is_mainland_mobile(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

/// A number as it may appear in a log line: 138****8000, or *** for
/// anything that is not a mainland mobile number.
fn mask_phone(phone: &str) -> String {
    if is_mainland_mobile(phone) {
        // All ASCII digits: byte offsets are character offsets.
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_owned()
    }
}

// ---------------------------------------------------------------------------
// TC3-HMAC-SHA256

const TC3_ALGORITHM: &str = "TC3-HMAC-SHA256";
/// Signed as written, so it is also sent exactly so: the server recomputes
/// the canonical request from the header it receives.
const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The TC3-HMAC-SHA256 `Authorization` header
/// (<https://cloud.tencent.com/document/api/213/30654>) for a POST of
/// `payload` to `host`'s API 3.0 endpoint `/` at `timestamp` (Unix seconds;
/// the same value goes in `X-TC-Timestamp`).
///
/// With `action`, `x-tc-action` is signed beside `content-type` and `host`,
/// as the current document's example does; this ties the signature to the
/// action. Without it only the two required headers are signed, as in the
/// document's earlier example and in Tencent's own SDKs
/// (tencentcloud-sdk-go `common/client.go`): Tencent accepts either.
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    action: Option<&str>,
    payload: &str,
    timestamp: i64,
) -> String {
    // Step 1, the canonical request; step 2, the string to sign, dated in
    // UTC (a local date would break every request between midnight and
    // 08:00 in China); step 3, the signature under the derived key.
    let (canonical, signed_headers) = canonical_request(host, action, payload);
    let date = utc_date(timestamp);
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = string_to_sign(timestamp, &scope, &canonical);
    let signature = hex::encode(hmac_sha256(
        &signing_key(secret_key, &date, service),
        to_sign.as_bytes(),
    ));
    format!(
        "{TC3_ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// The canonical request of a POST to `/`, and the signed header names.
/// Header names and values lowercased, sorted by name; the query string is
/// empty for a POST.
fn canonical_request(host: &str, action: Option<&str>, payload: &str) -> (String, &'static str) {
    let host = host.trim().to_ascii_lowercase();
    let (headers, signed_headers) = match action {
        Some(action) => (
            format!(
                "content-type:{JSON_CONTENT_TYPE}\nhost:{host}\nx-tc-action:{}\n",
                action.trim().to_ascii_lowercase()
            ),
            "content-type;host;x-tc-action",
        ),
        None => (
            format!("content-type:{JSON_CONTENT_TYPE}\nhost:{host}\n"),
            "content-type;host",
        ),
    };
    let request = format!(
        "POST\n/\n\n{headers}\n{signed_headers}\n{}",
        sha256_hex(payload.as_bytes())
    );
    (request, signed_headers)
}

fn string_to_sign(timestamp: i64, credential_scope: &str, canonical_request: &str) -> String {
    format!(
        "{TC3_ALGORITHM}\n{timestamp}\n{credential_scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// "TC3" + SecretKey → date → service → "tc3_request".
fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    hmac_sha256(&secret_service, b"tc3_request")
}

fn utc_date(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length (RFC 2104): there is no error to give,
    // and this branch is never taken.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

// ---------------------------------------------------------------------------
// Tencent Cloud SMS

pub const ENV_SECRET_ID: &str = "SHANSHUI_TENCENT_SECRET_ID";
pub const ENV_SECRET_KEY: &str = "SHANSHUI_TENCENT_SECRET_KEY";
pub const ENV_APP_ID: &str = "SHANSHUI_TENCENT_SMS_APP_ID";
pub const ENV_SIGN: &str = "SHANSHUI_TENCENT_SMS_SIGN";
pub const ENV_TEMPLATES: &str = "SHANSHUI_TENCENT_SMS_TEMPLATES";
pub const ENV_REGION: &str = "SHANSHUI_TENCENT_SMS_REGION";
pub const ENV_ENDPOINT: &str = "SHANSHUI_TENCENT_SMS_ENDPOINT";

pub const DEFAULT_REGION: &str = "ap-guangzhou";
pub const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";
const DEFAULT_HOST: &str = "sms.tencentcloudapi.com";
const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";
const TIMEOUT: Duration = Duration::from_secs(10);
/// A SendSms answer for one number is well under 1 KiB; more is not Tencent.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Where requests go: the URL, and the `Host` header that is signed and sent.
#[derive(Debug, Clone)]
struct Endpoint {
    url: String,
    host: String,
    loopback: bool,
}

impl Endpoint {
    fn default_endpoint() -> Self {
        Endpoint {
            url: DEFAULT_ENDPOINT.to_owned(),
            host: DEFAULT_HOST.to_owned(),
            loopback: false,
        }
    }

    /// `https://host[:port]`, or `http://` to a loopback address (a test
    /// server): phone numbers must not cross a network in clear text.
    fn parse(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text.trim())
            .map_err(|_| "the SMS endpoint is not a URL".to_owned())?;
        let Some(host) = url.host_str() else {
            return Err("the SMS endpoint has no host".to_owned());
        };
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(
                    "the SMS endpoint must be https:// (http:// only to a loopback address)"
                        .to_owned(),
                );
            }
        }
        if !url.username().is_empty()
            || url.password().is_some()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err("the SMS endpoint must be scheme://host[:port], nothing more".to_owned());
        }
        // `port()` is None for the scheme's default port, as in the Host
        // header an HTTP client would write.
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint {
            url: url.to_string(),
            host,
            loopback,
        })
    }
}

/// Tencent Cloud SMS, API 2021-01-11 `SendSms`
/// (<https://cloud.tencent.com/document/api/382/55981>), signed with
/// TC3-HMAC-SHA256.
///
/// How an answer is read (each code's meaning from Tencent's error list,
/// <https://cloud.tencent.com/document/api/382/59177>):
/// - `SendStatusSet[0].Code` `Ok` → [`Sent`] with the `SerialNo`.
/// - [`SmsError::Temporary`] when Tencent or the account cannot send
///   anything right now, so every waiting message would fail alike and go
///   once it is fixed: `InternalError.*`, throttles and quotas
///   (`RequestLimitExceeded*`, `LimitExceeded.*`, among them a number's
///   daily or hourly cap), credentials and clock (`AuthFailure.*`),
///   permissions and billing (`UnauthorizedOperation.*`,
///   `FailedOperation.InsufficientBalanceInSmsPackage`); also no answer, an
///   unreadable answer, or an error status without a Tencent error, and any
///   code not listed here (a retry cap bounds a wrong guess; a dropped
///   message cannot be taken back).
/// - [`SmsError::Rejected`] when this request is refused as written, so
///   the same request would get the same answer: the number (format,
///   unsubscribed 免打扰), the parameters, the template or signature it
///   names (not approved, not matching), content rules:
///   `FailedOperation.*`, `InvalidParameter*`, `MissingParameter*`,
///   `UnsupportedOperation.*`, `LimitExceeded.PhoneNumberCountLimit`, and
///   the API-level mistakes (`InvalidAction`, `NoSuchVersion`…).
///
/// A Temporary after the request left (a timeout, a broken answer) may
/// follow a message that did go: a retry can then send it twice, as
/// SendSms has no idempotency key.
pub struct TencentSms {
    secret_id: String,
    secret_key: String,
    sdk_app_id: String,
    sign_name: String,
    template_ids: HashMap<Template, String>,
    region: String,
    endpoint: Endpoint,
    /// None only if the TLS backend could not start; sending then answers
    /// Temporary instead of panicking.
    client: Option<reqwest::Client>,
}

// By hand: the secret key must never reach a log line.
impl fmt::Debug for TencentSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentSms")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("sign_name", &self.sign_name)
            .field("template_ids", &self.template_ids)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint.url)
            .finish()
    }
}

impl TencentSms {
    /// From environment variables: SHANSHUI_TENCENT_SECRET_ID,
    /// SHANSHUI_TENCENT_SECRET_KEY, SHANSHUI_TENCENT_SMS_APP_ID,
    /// SHANSHUI_TENCENT_SMS_SIGN (the signature without 【】),
    /// SHANSHUI_TENCENT_SMS_TEMPLATES (`accepted=123456,rejected=123457,…`,
    /// every template named once), optional SHANSHUI_TENCENT_SMS_REGION
    /// (default ap-guangzhou) and SHANSHUI_TENCENT_SMS_ENDPOINT (default
    /// `https://sms.tencentcloudapi.com`).
    ///
    /// Every template must have an id, so that a gap shows at startup
    /// rather than when a resident's receipt fails. The error names the
    /// variable and never holds the secret key.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name))
    }

    fn from_lookup(get: impl Fn(&str) -> Result<String, VarError>) -> Result<Self, String> {
        let optional = |name: &str| -> Result<Option<String>, String> {
            match get(name) {
                Ok(value) if value.trim().is_empty() => Ok(None),
                Ok(value) => Ok(Some(value.trim().to_owned())),
                Err(VarError::NotPresent) => Ok(None),
                Err(VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
            }
        };
        let required = |name: &str| -> Result<String, String> {
            optional(name)?.ok_or_else(|| format!("{name} is not set"))
        };

        let secret_id = required(ENV_SECRET_ID)?;
        let secret_key = required(ENV_SECRET_KEY)?;
        // Both go into a header: a space or a line break would corrupt it.
        for (name, value) in [(ENV_SECRET_ID, &secret_id), (ENV_SECRET_KEY, &secret_key)] {
            if !value.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!("{name} must be printable ASCII without spaces"));
            }
        }
        let sdk_app_id = required(ENV_APP_ID)?;
        if !sdk_app_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{ENV_APP_ID} must be digits (e.g. 1400006666)"));
        }
        let sign_name = required(ENV_SIGN)?;
        if sign_name.contains(['【', '】', '[', ']']) {
            return Err(format!(
                "{ENV_SIGN} is the signature without its 【】 brackets"
            ));
        }
        let template_ids = parse_template_ids(&required(ENV_TEMPLATES)?)?;
        let region = optional(ENV_REGION)?.unwrap_or_else(|| DEFAULT_REGION.to_owned());
        if !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("{ENV_REGION} is not a region (e.g. ap-guangzhou)"));
        }
        let endpoint = match optional(ENV_ENDPOINT)? {
            Some(text) => Endpoint::parse(&text).map_err(|e| format!("{ENV_ENDPOINT}: {e}"))?,
            None => Endpoint::default_endpoint(),
        };
        let client = http_client(endpoint.loopback)
            .map_err(|e| format!("could not start the HTTP client for Tencent SMS: {e}"))?;
        Ok(TencentSms {
            secret_id,
            secret_key,
            sdk_app_id,
            sign_name,
            template_ids,
            region,
            endpoint,
            client: Some(client),
        })
    }

    /// For tests and callers with their own configuration: region
    /// ap-guangzhou and the public endpoint until [`Self::with_region`] and
    /// [`Self::with_endpoint`] say otherwise. A template without an id is
    /// refused when sent.
    pub fn new(
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
        sdk_app_id: impl Into<String>,
        sign_name: impl Into<String>,
        template_ids: HashMap<Template, String>,
    ) -> Self {
        TencentSms {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            sdk_app_id: sdk_app_id.into(),
            sign_name: sign_name.into(),
            template_ids,
            region: DEFAULT_REGION.to_owned(),
            endpoint: Endpoint::default_endpoint(),
            client: client_or_warn(false),
        }
    }

    pub fn with_region(mut self, region: &str) -> Self {
        region.trim().clone_into(&mut self.region);
        self
    }

    /// Another endpoint: `https://host[:port]`, or `http://` to a loopback
    /// address for tests.
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self, String> {
        self.endpoint = Endpoint::parse(endpoint)?;
        self.client = client_or_warn(self.endpoint.loopback);
        Ok(self)
    }
}

/// `accepted=123456,rejected=123457,…`: every template once, ids in digits.
fn parse_template_ids(text: &str) -> Result<HashMap<Template, String>, String> {
    let mut ids = HashMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, id)) = entry.split_once('=') else {
            return Err(format!("{ENV_TEMPLATES}: `{entry}` is not name=id"));
        };
        let (name, id) = (name.trim(), id.trim());
        let Some(template) = Template::parse(name) else {
            let known: Vec<&str> = Template::ALL.iter().map(|t| t.as_str()).collect();
            return Err(format!(
                "{ENV_TEMPLATES}: `{name}` is not a template (one of {})",
                known.join(", ")
            ));
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{ENV_TEMPLATES}: the id for {name} must be digits (Tencent's template id)"
            ));
        }
        if ids.insert(template, id.to_owned()).is_some() {
            return Err(format!("{ENV_TEMPLATES} names {name} twice"));
        }
    }
    let missing: Vec<&str> = Template::ALL
        .iter()
        .filter(|t| !ids.contains_key(*t))
        .map(|t| t.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{ENV_TEMPLATES} has no id for {}",
            missing.join(", ")
        ));
    }
    Ok(ids)
}

fn http_client(loopback: bool) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("Shanshui/", env!("CARGO_PKG_VERSION")))
        // Tencent's API does not redirect; a redirect would be someone else.
        .redirect(reqwest::redirect::Policy::none());
    // A proxy from the environment cannot reach our loopback test server.
    let builder = if loopback {
        builder.no_proxy()
    } else {
        builder
    };
    builder.build()
}

fn client_or_warn(loopback: bool) -> Option<reqwest::Client> {
    match http_client(loopback) {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::warn!(error = %e, "could not start the HTTP client for Tencent SMS");
            None
        }
    }
}

/// The SendSms body. Field order as in Tencent's example; the signature
/// covers the exact bytes, whatever the order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsRequest<'a> {
    phone_number_set: [String; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: &'a [String],
}

#[async_trait::async_trait]
impl SmsProvider for TencentSms {
    fn name(&self) -> &'static str {
        "tencent"
    }

    async fn send(&self, sms: &Sms<'_>) -> Result<Sent, SmsError> {
        let result = self.send_once(sms).await;
        // No phone, not even masked: by its time a log line would tie a
        // number to a case's event. The outbox row says which message.
        let template = sms.template.as_str();
        match &result {
            Ok(sent) => tracing::debug!(
                provider = "tencent",
                template,
                serial_no = sent.provider_id.as_deref().unwrap_or(""),
                "SMS sent"
            ),
            Err(e) => {
                tracing::warn!(provider = "tencent", template, error = %e, "SMS not sent")
            }
        }
        result
    }
}

impl TencentSms {
    async fn send_once(&self, sms: &Sms<'_>) -> Result<Sent, SmsError> {
        let template_id = self.template_ids.get(&sms.template).ok_or_else(|| {
            SmsError::Rejected(format!(
                "no Tencent template id is configured for {}",
                sms.template.as_str()
            ))
        })?;
        if !is_mainland_mobile(sms.phone) {
            return Err(SmsError::Rejected(
                "the number is not an 11-digit mainland mobile number".to_owned(),
            ));
        }
        check_params(sms.template, sms.params)?;
        let Some(client) = &self.client else {
            return Err(SmsError::Temporary(
                "the HTTP client could not be started".to_owned(),
            ));
        };

        let payload = serde_json::to_string(&SendSmsRequest {
            phone_number_set: [format!("+86{}", sms.phone)],
            sms_sdk_app_id: &self.sdk_app_id,
            sign_name: &self.sign_name,
            template_id,
            template_param_set: sms.params,
        })
        .map_err(|_| SmsError::Rejected("the request could not be encoded".to_owned()))?;
        let timestamp = chrono::Utc::now().timestamp();
        let authorization = tc3_authorization(
            &self.secret_id,
            &self.secret_key,
            SERVICE,
            &self.endpoint.host,
            Some(ACTION),
            &payload,
            timestamp,
        );

        let response = client
            .post(&self.endpoint.url)
            .timeout(TIMEOUT)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, JSON_CONTENT_TYPE)
            .header(reqwest::header::HOST, &self.endpoint.host)
            .header("X-TC-Action", ACTION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Version", VERSION)
            .header("X-TC-Region", &self.region)
            .body(payload)
            .send()
            .await
            .map_err(|e| SmsError::Temporary(transport_failure(&e)))?;
        let status = response.status().as_u16();
        let body = read_capped(response).await?;
        interpret(status, &body)
    }
}

/// What went wrong on the way, in words that hold no URL, number or key.
fn transport_failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer from Tencent Cloud within 10 s".to_owned()
    } else if e.is_connect() {
        "could not connect to Tencent Cloud".to_owned()
    } else if e.is_builder() {
        "the request to Tencent Cloud could not be built (check the region)".to_owned()
    } else {
        "the request to Tencent Cloud failed".to_owned()
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, SmsError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(SmsError::Temporary(
                        "Tencent Cloud's answer is too large to be one".to_owned(),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(SmsError::Temporary(transport_failure(&e))),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Response")]
    response: Option<AnswerBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AnswerBody {
    #[serde(default)]
    error: Option<ApiError>,
    #[serde(default)]
    send_status_set: Vec<SendStatus>,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

/// One number's outcome. `PhoneNumber` is not read: it must not travel
/// into an error.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    #[serde(default)]
    serial_no: String,
    code: String,
    #[serde(default)]
    message: String,
}

/// Reads SendSms's answer: the body decides; the HTTP status only where the
/// body says nothing.
fn interpret(status: u16, body: &[u8]) -> Result<Sent, SmsError> {
    let Some(answer) = serde_json::from_slice::<Answer>(body)
        .ok()
        .and_then(|a| a.response)
    else {
        return Err(SmsError::Temporary(format!(
            "Tencent Cloud answered HTTP {status} without a SendSms response"
        )));
    };
    let request_id = answer
        .request_id
        .as_deref()
        .map(|id| format!(" (RequestId {})", clean_id(id)))
        .unwrap_or_default();
    if let Some(error) = answer.error {
        return Err(refusal(&error.code, &error.message, &request_id));
    }
    let Some(first) = answer.send_status_set.into_iter().next() else {
        return Err(SmsError::Temporary(format!(
            "Tencent Cloud answered HTTP {status} with neither an error nor a send status{request_id}"
        )));
    };
    if first.code.eq_ignore_ascii_case("Ok") {
        let serial_no = clean_id(&first.serial_no);
        return Ok(Sent {
            provider_id: (!serial_no.is_empty()).then_some(serial_no),
        });
    }
    Err(refusal(&first.code, &first.message, &request_id))
}

fn refusal(code: &str, message: &str, request_id: &str) -> SmsError {
    let text = format!("{}: {}{request_id}", clean_id(code), clean_message(message));
    if is_temporary(code) {
        SmsError::Temporary(text)
    } else {
        SmsError::Rejected(text)
    }
}

/// Whether a Tencent error code means "try again later" (see
/// [`TencentSms`] for the rule).
fn is_temporary(code: &str) -> bool {
    // The account's state, not the message's, though their families say
    // otherwise: a top-up fixes them and the waiting messages should go.
    const ACCOUNT: &[&str] = &["FailedOperation.InsufficientBalanceInSmsPackage"];
    // More than 200 numbers in one request: never ours to retry.
    const REQUEST: &[&str] = &["LimitExceeded.PhoneNumberCountLimit"];
    if ACCOUNT.contains(&code) {
        return true;
    }
    if REQUEST.contains(&code) {
        return false;
    }
    match code.split('.').next().unwrap_or(code) {
        "InternalError"
        | "ResourceUnavailable"
        | "ResourceInsufficient"
        | "RequestLimitExceeded"
        | "LimitExceeded"
        | "AuthFailure"
        | "UnauthorizedOperation"
        | "IpNotInWhitelist"
        | "IpInBlacklist" => true,
        "FailedOperation"
        | "InvalidParameter"
        | "InvalidParameterValue"
        | "MissingParameter"
        | "UnknownParameter"
        | "UnsupportedOperation"
        | "InvalidAction"
        | "InvalidRequest"
        | "NoSuchVersion"
        | "NoSuchProduct"
        | "ActionOffline"
        | "UnsupportedProtocol"
        | "UnsupportedRegion"
        | "RequestSizeLimitExceeded" => false,
        _ => true,
    }
}

/// A code, RequestId or SerialNo from the answer, kept to the characters
/// such ids use, so the answer cannot write arbitrary text into our logs.
fn clean_id(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        .take(100)
        .collect()
}

/// Tencent's message, shortened, on one line, with every run of seven or
/// more digits masked: it might quote the number.
fn clean_message(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 7 {
            out.push_str("***");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars().take(200) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut out);
        out.push(if c.is_control() { ' ' } else { c });
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    // --- TC3-HMAC-SHA256 against Tencent's published example ---------------
    //
    // The worked example of 签名方法 v3 (cloud.tencent.com/document/api/213/30654):
    // CVM DescribeInstances in ap-guangzhou, version 2017-03-12, timestamp
    // 1551113065, this body byte for byte (the \u escapes are in the JSON).
    // The document has been revised; each revision's values are checked.

    const DOC_PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const DOC_PAYLOAD_SHA256: &str =
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
    const DOC_TIMESTAMP: i64 = 1551113065;
    const DOC_HOST: &str = "cvm.tencentcloudapi.com";

    /// The revisions signing content-type and host only.
    const DOC_CANONICAL_REQUEST: &str = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
    const DOC_CANONICAL_REQUEST_SHA256: &str =
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031";
    const DOC_STRING_TO_SIGN: &str = "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031";

    /// The current revision, which signs x-tc-action too.
    const DOC_ACTION_CANONICAL_REQUEST: &str = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
    const DOC_ACTION_CANONICAL_REQUEST_SHA256: &str =
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84";
    const DOC_ACTION_STRING_TO_SIGN: &str = "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84";

    #[test]
    fn payload_hash_is_the_documents() {
        assert_eq!(sha256_hex(DOC_PAYLOAD.as_bytes()), DOC_PAYLOAD_SHA256);
    }

    /// The 2019 revision, the example with SecretId
    /// AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******: the asterisks are not a mask
    /// over hidden characters but the key itself (Tencent's own demo code,
    /// github.com/TencentCloud/signature-process-demo, signs with these
    /// strings), so the published signature is reproducible.
    #[test]
    fn reproduces_the_2019_example() {
        let (canonical, signed_headers) = canonical_request(DOC_HOST, None, DOC_PAYLOAD);
        assert_eq!(canonical, DOC_CANONICAL_REQUEST);
        assert_eq!(signed_headers, "content-type;host");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            DOC_CANONICAL_REQUEST_SHA256
        );
        let to_sign = string_to_sign(DOC_TIMESTAMP, "2019-02-25/cvm/tc3_request", &canonical);
        assert_eq!(to_sign, DOC_STRING_TO_SIGN);
        let key = signing_key("Gu5t9xGARNpq86cd98joQYCN3*******", "2019-02-25", "cvm");
        assert_eq!(
            hex::encode(hmac_sha256(&key, to_sign.as_bytes())),
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        assert_eq!(
            tc3_authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                "Gu5t9xGARNpq86cd98joQYCN3*******",
                "cvm",
                DOC_HOST,
                None,
                DOC_PAYLOAD,
                DOC_TIMESTAMP,
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    /// The revision with unmasked example keys (…EXAMPLE), as in the
    /// international site's Signature v3 page.
    #[test]
    fn reproduces_the_example_with_full_example_keys() {
        assert_eq!(
            tc3_authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "cvm",
                DOC_HOST,
                None,
                DOC_PAYLOAD,
                DOC_TIMESTAMP,
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// The current revision: x-tc-action signed (its value lowercased), the
    /// keys written as asterisks (again the literal key: the published
    /// SecretDate is HMAC("TC3" + 32 asterisks, date)), and the
    /// intermediate keys published too.
    #[test]
    fn reproduces_the_current_example_with_x_tc_action() {
        let secret_key = "*".repeat(32);
        let secret_id = format!("AKID{}", "*".repeat(32));
        let (canonical, signed_headers) =
            canonical_request(DOC_HOST, Some("DescribeInstances"), DOC_PAYLOAD);
        assert_eq!(canonical, DOC_ACTION_CANONICAL_REQUEST);
        assert_eq!(signed_headers, "content-type;host;x-tc-action");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            DOC_ACTION_CANONICAL_REQUEST_SHA256
        );
        let to_sign = string_to_sign(DOC_TIMESTAMP, "2019-02-25/cvm/tc3_request", &canonical);
        assert_eq!(to_sign, DOC_ACTION_STRING_TO_SIGN);

        let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), b"2019-02-25");
        assert_eq!(
            hex::encode(secret_date),
            "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0"
        );
        let secret_service = hmac_sha256(&secret_date, b"cvm");
        assert_eq!(
            hex::encode(secret_service),
            "8d70cbefb03939f929db64d32dc2ba89b1095620119fe3e050e2b18c5bd2752f"
        );
        assert_eq!(
            hex::encode(signing_key(&secret_key, "2019-02-25", "cvm")),
            "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"
        );
        assert_eq!(
            tc3_authorization(
                &secret_id,
                &secret_key,
                "cvm",
                DOC_HOST,
                Some("DescribeInstances"),
                DOC_PAYLOAD,
                DOC_TIMESTAMP,
            ),
            format!(
                "TC3-HMAC-SHA256 Credential={secret_id}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
            )
        );
    }

    #[test]
    fn the_date_is_utc() {
        // 2019-02-26 00:44:25 in Beijing is still the 25th in UTC.
        assert_eq!(utc_date(DOC_TIMESTAMP), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
    }

    // --- templates ----------------------------------------------------------

    fn typical(template: Template) -> Vec<String> {
        let first = if template == Template::RecoveryCode {
            "123456"
        } else {
            "BN-2026-ABCD"
        };
        [first, "2026-12-31"][..template.params()]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn names_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for t in Template::ALL {
            assert_eq!(Template::parse(t.as_str()), Some(t));
            assert!(seen.insert(t.as_str()));
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(Template::parse("Accepted"), None);
        assert_eq!(Template::parse(""), None);
    }

    #[test]
    fn renders_with_the_right_count() {
        assert_eq!(
            Template::Accepted.render(&["BN-2026-ABCD".to_owned()]),
            Ok("您的举报BN-2026-ABCD已受理，请凭查询链接查看进度。".to_owned())
        );
        assert_eq!(
            Template::ReplyApproved.render(&["BN-2026-ABCD".to_owned(), "2026-12-31".to_owned()]),
            Ok(
                "您的举报BN-2026-ABCD已答复，请凭查询链接查看。如有异议，请于2026-12-31前提出。"
                    .to_owned()
            )
        );
        assert_eq!(
            Template::RecoveryCode.render(&["042917".to_owned()]),
            Ok("您的验证码为042917，10分钟内有效。如非本人操作，请忽略。".to_owned())
        );
    }

    #[test]
    fn a_wrong_count_is_refused() {
        for t in Template::ALL {
            let mut params = typical(t);
            params.push("2026-12-31".to_owned());
            assert!(
                matches!(t.render(&params), Err(SmsError::Rejected(_))),
                "{t:?}"
            );
            assert!(matches!(t.render(&[]), Err(SmsError::Rejected(_))), "{t:?}");
        }
    }

    #[test]
    fn case_text_cannot_be_a_parameter() {
        for bad in [
            "河边有人倾倒垃圾",
            "BN 2026",
            "",
            "{2}",
            "ABCDEFGHIJKLMNOPQRSTU",
        ] {
            assert!(
                matches!(
                    Template::Accepted.render(&[bad.to_owned()]),
                    Err(SmsError::Rejected(_))
                ),
                "{bad:?}"
            );
        }
        let err = Template::Accepted.render(&["河边有人倾倒垃圾".to_owned()]);
        assert!(
            !format!("{err:?}").contains("倾倒"),
            "the value is not quoted"
        );
        for bad in ["12345a", "1234567"] {
            assert!(Template::RecoveryCode.render(&[bad.to_owned()]).is_err());
        }
    }

    #[test]
    fn every_message_fits_one_sms_with_the_signature() {
        // 【签名】: a signature has at most 12 characters, plus the brackets.
        const SIGNATURE_ALLOWANCE: usize = 14;
        for t in Template::ALL {
            let text = t.render(&typical(t)).unwrap();
            let chars = text.chars().count();
            assert!(chars <= 70, "{t:?}: {chars} characters");
            assert!(
                chars + SIGNATURE_ALLOWANCE <= 70,
                "{t:?}: {chars} characters"
            );
        }
    }

    #[test]
    fn placeholders_are_exactly_one_to_params() {
        for t in Template::ALL {
            let text = t.text_zh();
            let mut found = Vec::new();
            let mut rest = text;
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap();
                found.push(after[..close].parse::<usize>().unwrap());
                rest = &after[close + 1..];
            }
            assert!(!rest.contains('}'), "{t:?}: a stray brace");
            let expected: Vec<usize> = (1..=t.params()).collect();
            assert_eq!(found, expected, "{t:?}");
            // Nothing left unfilled.
            assert!(!t.render(&typical(t)).unwrap().contains('{'), "{t:?}");
        }
    }

    #[test]
    fn phones_are_checked_and_masked() {
        assert!(is_mainland_mobile("13800138000"));
        assert!(is_mainland_mobile("19912345678"));
        for bad in [
            "1380013800",
            "138001380001",
            "12800138000",
            "+8613800138000",
            "1380013800a",
        ] {
            assert!(!is_mainland_mobile(bad), "{bad}");
        }
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("+8613800138000"), "***");
        let sms = Sms {
            phone: "13800138000",
            template: Template::Receipt,
            params: &[],
        };
        assert!(!format!("{sms:?}").contains("13800138000"));
    }

    // --- answers ------------------------------------------------------------

    const SUCCESS: &str = r#"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}"#;
    const BAD_NUMBER: &str = r#"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000","Fee":0,"SessionContext":"","Code":"InvalidParameterValue.IncorrectPhoneNumber","Message":"incorrect number format: +8613800138000","IsoCode":""}],"RequestId":"b7a2d4c9-0000-4c7e-9d7c-3f7f0f0e1a11"}}"#;
    const THROTTLED: &str = r#"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000","Fee":0,"SessionContext":"","Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"the number of sms messages sent from a single mobile number every day exceeds the upper limit","IsoCode":"CN"}],"RequestId":"c1d2e3f4-1111-4c7e-9d7c-3f7f0f0e1a11"}}"#;
    const AUTH_FAILURE: &str = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated. Please check your signature is correct."},"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}"#;

    #[test]
    fn success_gives_the_serial_number() {
        assert_eq!(
            interpret(200, SUCCESS.as_bytes()),
            Ok(Sent {
                provider_id: Some("5000:1045710669157053657849499619".to_owned())
            })
        );
    }

    #[test]
    fn a_bad_number_is_rejected_without_repeating_it() {
        let err = interpret(200, BAD_NUMBER.as_bytes()).unwrap_err();
        assert!(matches!(err, SmsError::Rejected(_)), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("InvalidParameterValue.IncorrectPhoneNumber"),
            "{text}"
        );
        assert!(
            text.contains("b7a2d4c9-0000-4c7e-9d7c-3f7f0f0e1a11"),
            "{text}"
        );
        assert!(!text.contains("13800138000"), "{text}");
    }

    #[test]
    fn a_throttle_is_temporary() {
        let err = interpret(200, THROTTLED.as_bytes()).unwrap_err();
        assert!(matches!(err, SmsError::Temporary(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("LimitExceeded.PhoneNumberDailyLimit")
        );
    }

    #[test]
    fn an_auth_failure_is_temporary() {
        // Our key or clock, not the message: fixed, the messages should go.
        let err = interpret(200, AUTH_FAILURE.as_bytes()).unwrap_err();
        assert!(matches!(err, SmsError::Temporary(_)), "{err:?}");
        assert!(err.to_string().contains("AuthFailure.SignatureFailure"));
    }

    #[test]
    fn other_answers() {
        let error = |code: &str| {
            format!(
                r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"m"}},"RequestId":"r"}}}}"#
            )
        };
        for code in [
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.PhoneNumberInBlacklist",
            "InvalidParameterValue.TemplateParameterFormatError",
            "MissingParameter.EmptyPhoneNumberSet",
            "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
            "LimitExceeded.PhoneNumberCountLimit",
            "InvalidAction",
        ] {
            assert!(
                matches!(
                    interpret(200, error(code).as_bytes()),
                    Err(SmsError::Rejected(_))
                ),
                "{code}"
            );
        }
        for code in [
            "InternalError.Timeout",
            "InternalError",
            "RequestLimitExceeded",
            "LimitExceeded.DeliveryFrequencyLimit",
            "AuthFailure.SignatureExpire",
            "UnauthorizedOperation.SerivceSuspendDueToArrears",
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "SomethingNew.NeverSeen",
        ] {
            assert!(
                matches!(
                    interpret(200, error(code).as_bytes()),
                    Err(SmsError::Temporary(_))
                ),
                "{code}"
            );
        }
        // A gateway's page, an empty answer, an answer without a status.
        assert!(matches!(
            interpret(502, b"<html>Bad Gateway</html>"),
            Err(SmsError::Temporary(_))
        ));
        assert!(matches!(interpret(200, b""), Err(SmsError::Temporary(_))));
        assert!(matches!(
            interpret(200, br#"{"Response":{"RequestId":"r"}}"#),
            Err(SmsError::Temporary(_))
        ));
    }

    #[test]
    fn provider_text_is_tamed() {
        assert_eq!(
            clean_message("bad number 8613800138000\nline two"),
            "bad number *** line two"
        );
        assert_eq!(clean_message("limit 100 per 30s"), "limit 100 per 30s");
        assert_eq!(clean_id("Code\r\nInjected: yes"), "CodeInjected:yes");
    }

    // --- configuration ------------------------------------------------------

    const SECRET_KEY: &str = "kS3cr3tKeyThatMustNeverBePrinted";

    fn env(overrides: &[(&str, Option<&str>)]) -> HashMap<String, String> {
        let all = Template::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}={}", t.as_str(), 2_000_000 + i))
            .collect::<Vec<_>>()
            .join(",");
        let mut vars: HashMap<String, String> = [
            (ENV_SECRET_ID, "AKIDexampleexampleexample"),
            (ENV_SECRET_KEY, SECRET_KEY),
            (ENV_APP_ID, "1400006666"),
            (ENV_SIGN, "巴南区生态环境局"),
            (ENV_TEMPLATES, all.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in overrides {
            match v {
                Some(v) => vars.insert((*k).to_owned(), (*v).to_owned()),
                None => vars.remove(*k),
            };
        }
        vars
    }

    fn load(vars: &HashMap<String, String>) -> Result<TencentSms, String> {
        TencentSms::from_lookup(|name| vars.get(name).cloned().ok_or(VarError::NotPresent))
    }

    #[test]
    fn configuration_from_the_environment() {
        let sms = load(&env(&[])).unwrap();
        assert_eq!(sms.region, DEFAULT_REGION);
        assert_eq!(sms.endpoint.url, "https://sms.tencentcloudapi.com");
        assert_eq!(sms.endpoint.host, "sms.tencentcloudapi.com");
        assert_eq!(sms.template_ids[&Template::Receipt], "2000008");
        assert!(!format!("{sms:?}").contains(SECRET_KEY));

        let sms = load(&env(&[
            (ENV_REGION, Some("ap-chongqing")),
            (
                ENV_ENDPOINT,
                Some("https://sms.ap-chongqing.tencentcloudapi.com"),
            ),
        ]))
        .unwrap();
        assert_eq!(sms.region, "ap-chongqing");
        assert_eq!(sms.endpoint.host, "sms.ap-chongqing.tencentcloudapi.com");
    }

    #[test]
    fn configuration_errors_name_the_variable_and_keep_the_secret() {
        type Overrides<'a> = &'a [(&'a str, Option<&'a str>)];
        let cases: &[(Overrides, &str)] = &[
            (&[(ENV_SECRET_KEY, None)], ENV_SECRET_KEY),
            (&[(ENV_SECRET_ID, Some("  "))], ENV_SECRET_ID),
            (&[(ENV_SECRET_KEY, Some("has space"))], ENV_SECRET_KEY),
            (&[(ENV_APP_ID, Some("14000x"))], ENV_APP_ID),
            (&[(ENV_SIGN, Some("【巴南区生态环境局】"))], ENV_SIGN),
            (&[(ENV_TEMPLATES, Some("accepted=1"))], "rejected"),
            (&[(ENV_TEMPLATES, Some("accepted=12a"))], ENV_TEMPLATES),
            (&[(ENV_TEMPLATES, Some("accept=1"))], "info_requested"),
            (&[(ENV_TEMPLATES, Some("accepted=1,accepted=2"))], "twice"),
            (&[(ENV_REGION, Some("AP Guangzhou"))], ENV_REGION),
            (
                &[(ENV_ENDPOINT, Some("http://sms.tencentcloudapi.com"))],
                ENV_ENDPOINT,
            ),
            (
                &[(ENV_ENDPOINT, Some("https://sms.tencentcloudapi.com/x"))],
                ENV_ENDPOINT,
            ),
        ];
        for (overrides, needle) in cases {
            let err = load(&env(overrides)).unwrap_err();
            assert!(err.contains(needle), "{err}");
            assert!(!err.contains(SECRET_KEY), "{err}");
        }
        let err = load(&env(&[(ENV_TEMPLATES, Some("accept=1"))])).unwrap_err();
        assert!(err.contains("`accept` is not a template"), "{err}");
        let err = load(&env(&[(ENV_TEMPLATES, Some("accepted=1"))])).unwrap_err();
        assert!(
            err.contains("has no id for rejected, info_requested"),
            "{err}"
        );
    }

    // --- sending, against a local server --------------------------------------

    struct Captured {
        head: String,
        body: Vec<u8>,
    }

    impl Captured {
        fn headers(&self, name: &str) -> Vec<String> {
            self.head
                .lines()
                .skip(1)
                .filter_map(|line| line.split_once(':'))
                .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
                .collect()
        }

        fn header(&self, name: &str) -> String {
            let values = self.headers(name);
            assert_eq!(values.len(), 1, "{name}: {values:?}");
            values[0].clone()
        }
    }

    /// A one-request HTTP server on loopback that records what it got and
    /// answers `body` with `status_line`.
    fn canned_server(
        status_line: &'static str,
        body: &'static str,
    ) -> (String, std::thread::JoinHandle<Captured>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = stream.read(&mut chunk).unwrap();
                assert!(n > 0, "the connection closed inside the headers");
                buffer.extend_from_slice(&chunk[..n]);
                if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().unwrap())
                })
                .unwrap();
            while buffer.len() < head_end + length {
                let n = stream.read(&mut chunk).unwrap();
                assert!(n > 0, "the connection closed inside the body");
                buffer.extend_from_slice(&chunk[..n]);
            }
            let answer = format!(
                "{status_line}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).unwrap();
            Captured {
                head,
                body: buffer[head_end..head_end + length].to_vec(),
            }
        });
        (format!("http://{address}"), handle)
    }

    fn provider(endpoint: &str) -> TencentSms {
        let ids = Template::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, (1_000_000 + i).to_string()))
            .collect();
        TencentSms::new(
            "AKIDtestid",
            SECRET_KEY,
            "1400006666",
            "巴南区生态环境局",
            ids,
        )
        .with_region("ap-chongqing")
        .with_endpoint(endpoint)
        .unwrap()
    }

    #[tokio::test]
    async fn send_posts_what_tencent_expects_signed() {
        let (endpoint, server) = canned_server("HTTP/1.1 200 OK", SUCCESS);
        let params = vec!["BN-2026-ABCD".to_owned(), "2026-12-31".to_owned()];
        let before = chrono::Utc::now().timestamp();
        let sent = provider(&endpoint)
            .send(&Sms {
                phone: "13800138000",
                template: Template::RewardApproved,
                params: &params,
            })
            .await
            .unwrap();
        let after = chrono::Utc::now().timestamp();
        assert_eq!(
            sent.provider_id.as_deref(),
            Some("5000:1045710669157053657849499619")
        );

        let request = server.join().unwrap();
        assert!(
            request.head.starts_with("POST / HTTP/1.1\r\n"),
            "{}",
            request.head
        );
        let host = endpoint.trim_start_matches("http://");
        assert_eq!(request.header("host"), host);
        assert_eq!(
            request.header("content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(request.header("x-tc-action"), "SendSms");
        assert_eq!(request.header("x-tc-version"), "2021-01-11");
        assert_eq!(request.header("x-tc-region"), "ap-chongqing");
        let timestamp: i64 = request.header("x-tc-timestamp").parse().unwrap();
        assert!((before..=after).contains(&timestamp));

        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "PhoneNumberSet": ["+8613800138000"],
                "SmsSdkAppId": "1400006666",
                "SignName": "巴南区生态环境局",
                "TemplateId": "1000004",
                "TemplateParamSet": ["BN-2026-ABCD", "2026-12-31"],
            })
        );

        // The server's check: recompute over the bytes and headers received.
        let payload = std::str::from_utf8(&request.body).unwrap();
        let authorization = request.header("authorization");
        assert_eq!(
            authorization,
            tc3_authorization(
                "AKIDtestid",
                SECRET_KEY,
                "sms",
                &request.header("host"),
                Some(&request.header("x-tc-action")),
                payload,
                timestamp,
            )
        );
        assert!(authorization.starts_with(&format!(
            "TC3-HMAC-SHA256 Credential=AKIDtestid/{}/sms/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=",
            utc_date(timestamp)
        )));
        assert!(!request.head.contains(SECRET_KEY));
    }

    #[tokio::test]
    async fn send_reports_a_refused_number_without_it() {
        let (endpoint, server) = canned_server("HTTP/1.1 200 OK", BAD_NUMBER);
        let params = vec!["BN-2026-ABCD".to_owned()];
        let err = provider(&endpoint)
            .send(&Sms {
                phone: "13800138000",
                template: Template::Accepted,
                params: &params,
            })
            .await
            .unwrap_err();
        server.join().unwrap();
        assert!(matches!(err, SmsError::Rejected(_)), "{err:?}");
        let text = err.to_string();
        assert!(
            !text.contains("13800138000") && !text.contains(SECRET_KEY),
            "{text}"
        );
    }

    #[tokio::test]
    async fn send_treats_a_server_error_as_temporary() {
        let (endpoint, server) = canned_server("HTTP/1.1 503 Service Unavailable", "busy");
        let params = vec!["BN-2026-ABCD".to_owned()];
        let err = provider(&endpoint)
            .send(&Sms {
                phone: "13800138000",
                template: Template::Receipt,
                params: &params,
            })
            .await
            .unwrap_err();
        server.join().unwrap();
        assert!(matches!(err, SmsError::Temporary(_)), "{err:?}");
    }

    #[tokio::test]
    async fn send_treats_no_connection_as_temporary() {
        // A port that was just free: nothing listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let params = vec!["BN-2026-ABCD".to_owned()];
        let err = provider(&format!("http://127.0.0.1:{port}"))
            .send(&Sms {
                phone: "13800138000",
                template: Template::Receipt,
                params: &params,
            })
            .await
            .unwrap_err();
        assert!(matches!(err, SmsError::Temporary(_)), "{err:?}");
        assert!(!err.to_string().contains("127.0.0.1"), "{err}");
    }

    #[tokio::test]
    async fn send_refuses_before_any_request() {
        // Nothing listens: a request would come back Temporary, not Rejected.
        let sms = provider("http://127.0.0.1:9");
        let one = vec!["BN-2026-ABCD".to_owned()];
        let cases = [
            ("1380013800", Template::Accepted, &one[..]),
            ("13800138000", Template::ReplyApproved, &one[..]),
            ("13800138000", Template::RecoveryCode, &one[..]),
        ];
        for (phone, template, params) in cases {
            let err = sms
                .send(&Sms {
                    phone,
                    template,
                    params,
                })
                .await
                .unwrap_err();
            assert!(
                matches!(err, SmsError::Rejected(_)),
                "{template:?}: {err:?}"
            );
            assert!(!err.to_string().contains(phone), "{err}");
        }
        let unmapped = TencentSms::new("id", "key", "1400006666", "sign", HashMap::new());
        let err = unmapped
            .send(&Sms {
                phone: "13800138000",
                template: Template::Accepted,
                params: &one,
            })
            .await
            .unwrap_err();
        assert!(matches!(err, SmsError::Rejected(_)), "{err:?}");
        assert_eq!(unmapped.name(), "tencent");
    }

    #[test]
    fn endpoints() {
        let e = Endpoint::parse("https://sms.tencentcloudapi.com").unwrap();
        assert_eq!(
            (e.url.as_str(), e.host.as_str()),
            (
                "https://sms.tencentcloudapi.com/",
                "sms.tencentcloudapi.com"
            )
        );
        let e = Endpoint::parse("https://sms.tencentcloudapi.com:8443/").unwrap();
        assert_eq!(e.host, "sms.tencentcloudapi.com:8443");
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(e.host, "127.0.0.1:8080");
        assert!(e.loopback);
        for bad in [
            "sms.tencentcloudapi.com",
            "http://sms.tencentcloudapi.com",
            "ftp://sms.tencentcloudapi.com",
            "https://user:pw@sms.tencentcloudapi.com",
            "https://sms.tencentcloudapi.com/?a=b",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
