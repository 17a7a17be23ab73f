//! Telling the reporter (通知举报人): what happened to their case, by Web
//! Push and by SMS, through one durable outbox.
//!
//! A message is a row of `message_outbox`, written in the transaction of the
//! change it reports (受理, 不予受理, 补充材料, 办结, 奖励审核通过 …), so a
//! case action and its message exist together or not at all; the worker
//! ([`worker`]) sends it later, with retries, so a failing push service or
//! SMS provider never blocks or rolls back the action.
//!
//! The privacy rule: a message names a template ([`sms::Template`]) and its
//! parameters — the tracking code, a date, a one-time code — and never a
//! word the reporter or staff wrote. A push subscription is tied to a report
//! (the tracking code and its secret), not to a person, so an anonymous
//! reporter can be told without giving anything; a phone is used only where
//! the reporter gave one: real-name reporters, and anonymous ones who left a
//! phone for messages only ([`contacts`]).
//!
//! - [`events`]: which change tells whom what;
//! - [`contacts`]: push subscriptions and the messages-only phone;
//! - [`worker`]: claims, daily caps, sending, back-off;
//! - [`codes`]: one-time codes by SMS (验证码), their limits and tries;
//! - [`recovery`]: 找回, finding one's reports again by a one-time code;
//! - [`webpush`], [`sms`], [`log_sms`]: the channels;
//! - [`listing`]: messages as the console shows them;
//! - [`handlers`]: the reporter's and the admin's routes.

pub mod codes;
pub mod contacts;
pub mod events;
pub mod handlers;
pub mod listing;
pub mod log_sms;
pub mod recovery;
pub mod sms;
pub mod webpush;
pub mod worker;

pub use events::{after_change, after_reward_approved, enqueue_for_report, enqueue_to_phone};
pub use handlers::router;

/// Housekeeping, once a minute from `jobs`: what served a message is not
/// kept longer than it serves. Finished texts lose whom they counted for
/// after two days (the daily cap needs a day), the `log` provider's inbox
/// keeps a week, one-time codes a day.
pub async fn purge(
    db: &sea_orm::DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    use crate::db::entities::{message_outbox, sms_log};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    message_outbox::Entity::update_many()
        .col_expr(message_outbox::Column::RecipientKey, Expr::value("sms:-"))
        .col_expr(message_outbox::Column::RecipientMask, Expr::value(""))
        .filter(message_outbox::Column::Channel.eq(SMS))
        .filter(message_outbox::Column::Status.ne(QUEUED))
        .filter(message_outbox::Column::RecipientKey.ne("sms:-"))
        .filter(message_outbox::Column::CreatedAt.lt(now - chrono::Duration::days(2)))
        .exec(db)
        .await?;
    sms_log::Entity::delete_many()
        .filter(sms_log::Column::CreatedAt.lt(now - chrono::Duration::days(7)))
        .exec(db)
        .await?;
    codes::forget_old(db, now).await?;
    Ok(())
}

/// `*********00`: what staff may see of a phone (the console's messages,
/// the `log` provider's inbox) — enough to tell two messages apart, not
/// enough to confirm whose phone it is or to match a case to a named one.
pub fn mask_for_staff(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("*********{tail}")
}

/// `138****8000`: what the reporter, who holds the secret, sees of the
/// phone their messages go to.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "****".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Wakes this process's message worker. Called after the commit of a
/// change that may have queued messages (a case action, a reporter's
/// action, a report filed for a caller, a one-time code): the worker sends
/// at once instead of at its next poll. (Other replicas find the rows at
/// their own poll; the claims keep any message from going twice.)
pub fn wake() {
    WAKE.notify_one();
}

static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// The worker's wait for [`wake`], or its poll.
pub(crate) async fn woken_or(poll: std::time::Duration) {
    let _ = tokio::time::timeout(poll, WAKE.notified()).await;
}

/// A message's states: waiting, sent, given up, or no longer needed.
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const DROPPED: &str = "dropped";

/// The channels a message goes by.
pub const PUSH: &str = "push";
pub const SMS: &str = "sms";

/// How many messages one recipient (a push subscription, a phone) is sent
/// in a day (Beijing time); more wait for the next day. A case moves a few
/// times a week at most, so a cap is only reached by a fault or an abuse.
pub const DAILY_CAP_PUSH: u64 = 10;
pub const DAILY_CAP_SMS: u64 = 5;

/// Attempts after which a message is given up (`failed`); with the
/// outbox's back-off capped at an hour, about half a day of trying.
pub const MAX_ATTEMPTS: i32 = 16;

/// How long a push service keeps a message for an offline browser.
pub const PUSH_TTL_SECS: u32 = 4 * 24 * 3600;

/// What the worker needs besides the database: the VAPID key, the SMS
/// provider and the key that decrypts phones.
pub struct Channels {
    pub vapid: std::sync::Arc<webpush::VapidKey>,
    /// The VAPID `sub` claim: whom a push service contacts about us.
    pub contact: String,
    pub sms: std::sync::Arc<dyn sms::SmsProvider>,
    pub pii: std::sync::Arc<crate::privacy::PiiCipher>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_are_masked_to_their_ends() {
        assert_eq!(super::mask_phone("13800138000"), "138****8000");
        assert_eq!(super::mask_for_staff("13800138000"), "*********00");
        assert_eq!(super::mask_phone("123"), "****");
    }
}
