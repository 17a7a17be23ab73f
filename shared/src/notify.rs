//! Telling the reporter (通知): Web Push subscriptions, a phone left for
//! messages only, finding one's reports again by phone (找回), and the
//! admin's view of the messages sent.
//!
//! A message never carries case text: a template, the tracking code, a date.

use serde::{Deserialize, Serialize};

/// A one-time code's digits (找回).
pub const RECOVERY_CODE_DIGITS: usize = 6;
/// How long a one-time code is valid, in minutes.
pub const RECOVERY_CODE_MINUTES: i64 = 10;
/// Wrong codes after which a code is spent.
pub const RECOVERY_CODE_TRIES: i32 = 5;
/// Push subscriptions one report may hold (a phone and a tablet, say).
pub const MAX_SUBSCRIPTIONS: u64 = 5;

/// `GET /api/v1/push/key`: the server's VAPID public key, the browser's
/// `applicationServerKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushKey {
    /// The uncompressed P-256 point, base64url without padding.
    pub public_key: String,
}

/// The keys of a browser's subscription, as `PushSubscription.toJSON()`
/// gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// `POST /api/v1/track/{code}/push`: a browser subscribes for this report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushSubscribe {
    pub endpoint: String,
    pub keys: PushKeys,
    /// `zh-CN` (the default) or `en`: the notifications' language.
    #[serde(default)]
    pub lang: Option<String>,
}

/// `DELETE /api/v1/track/{code}/push`: stop notifying this browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushUnsubscribe {
    pub endpoint: String,
}

/// `PUT /api/v1/track/{code}/phone`: an anonymous reporter leaves a phone
/// for messages only (短信通知); it is kept once the code texted to it comes
/// back (`POST /api/v1/track/{code}/phone/confirm`). It is kept encrypted, shown to staff by its
/// last two digits at most, and deleted 90 days after the case closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotifyPhone {
    pub phone: String,
}

/// `POST /api/v1/track/{code}/phone/confirm`: the code texted to the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmPhone {
    /// The `request` of `PUT /api/v1/track/{code}/phone`'s answer.
    pub request: String,
    pub code: String,
}

/// How the reporter is told, on `/track`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotifyStatus {
    /// Browsers subscribed to push for this report.
    pub push_subscriptions: u32,
    /// The phone messages go to, masked (`138****8000`), if any.
    pub phone: Option<String>,
    /// The phone is the real-name reporter's own (it cannot be removed
    /// here), rather than one left for messages only.
    pub phone_is_identity: bool,
}

/// `POST /api/v1/recover/code`: send a one-time code to this phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoverCodeRequest {
    pub phone: String,
}

/// The answer to a code request (找回, or a phone left for messages): the
/// same whether or not the phone is known, so it tells nobody who has
/// reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Always `if this phone has reports, a code was sent to it`.
    pub message: String,
    pub valid_minutes: i64,
    /// Sent back with the code (`POST /api/v1/recover`): a code is tried
    /// only by whoever asked for it.
    pub request: String,
}

/// `POST /api/v1/recover`: the phone and the code it received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoverRequest {
    pub phone: String,
    /// The `request` of the code's answer.
    pub request: String,
    pub code: String,
}

/// One report found again, with a fresh secret (shown once: the old one
/// no longer works).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveredReport {
    pub tracking_code: String,
    pub secret: String,
    pub track_url: String,
    pub state: String,
    pub submitted_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recovered {
    pub reports: Vec<RecoveredReport>,
}

/// A message in the admin's list (`GET /api/v1/admin/messages`) or in a
/// case's timeline: the recipient only masked, the text only the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: i64,
    pub case: Option<String>,
    /// `push` or `sms`.
    pub channel: String,
    /// The template: `accepted`, `rejected`, `info_requested`,
    /// `reply_approved`, `reward_approved`, `reward_expiring`,
    /// `rate_question`, `recovery_code`, `receipt`.
    pub event: String,
    /// `*********00` (a phone's last two digits) or `push`; absent in a
    /// case's timeline.
    #[serde(default)]
    pub recipient: Option<String>,
    /// `queued`, `sent`, `failed` or `dropped`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
}

/// What the `log` SMS provider "sent" (the embedded default): the admin
/// sees the whole loop without an account at any provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsLogEntry {
    pub id: i64,
    pub phone: String,
    pub template: String,
    pub body: String,
    pub created_at: String,
}

/// `GET /api/v1/admin/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesView {
    /// The provider in use: `log` or `tencent`.
    pub sms_provider: String,
    pub queued: u64,
    pub failed: u64,
    pub messages: Vec<MessageView>,
    /// The `log` provider's inbox, newest first (empty with a real one).
    pub sms_log: Vec<SmsLogEntry>,
}
