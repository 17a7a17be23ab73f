//! The `log` SMS provider, the embedded default: instead of a provider's
//! API, each message is written to `sms_log`, where an admin reads it in the
//! console (`/admin/messages`). A new install sees the whole loop — a
//! receipt, 受理, a recovery code — without an account anywhere. A real
//! deployment sets `--sms-provider tencent`: this inbox shows admins the
//! texts themselves, a 找回 code included, which is what trying Shanshui
//! needs and what a district's residents must not be exposed to (the
//! server warns at start).

use super::mask_for_staff;
use super::sms::{Sent, Sms, SmsError, SmsProvider};
use crate::clock::Clock;
use crate::db::entities::sms_log;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

pub struct LogSms {
    pub db: DatabaseConnection,
    pub clock: Clock,
}

#[async_trait::async_trait]
impl SmsProvider for LogSms {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, sms: &Sms<'_>) -> Result<Sent, SmsError> {
        let body = sms.template.render(sms.params)?;
        let row = sms_log::ActiveModel {
            // Masked like everywhere else: the log is for seeing the loop
            // work, not a list of reporters' numbers.
            phone_mask: Set(mask_for_staff(sms.phone)),
            template: Set(sms.template.as_str().to_owned()),
            body: Set(body),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| SmsError::Temporary(format!("the log could not be written: {e}")))?;
        Ok(Sent {
            provider_id: Some(format!("log-{}", row.id)),
        })
    }
}
