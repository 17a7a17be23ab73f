//! How a department's system knows a notification is Shanshui's.

use hmac::Mac;

/// The header that carries a notification's signature.
pub const SIGNATURE_HEADER: &str = "x-shanshui-signature";
/// The label the signing key is derived under from the deployment's secret
/// (`PiiCipher::derive_key`).
pub const SIGNING_KEY_LABEL: &str = "shanshui webhook signing v1";

/// Signs notifications the way Stripe and GitHub sign theirs:
/// `X-Shanshui-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`,
/// keyed with the department's own secret (its text, as ASCII), so one
/// department cannot forge messages to another's system. A receiver
/// recomputes the MAC over the exact body bytes, compares in constant time,
/// and refuses a `t` more than a few minutes old (a replay).
///
/// The secrets are derived from one signing key and the department's code,
/// not stored: admins read them at `GET /api/v1/departments/{code}/webhook-secret`.
pub struct WebhookSigner {
    key: [u8; 32],
}

impl WebhookSigner {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The department's signing secret: 64 hex characters.
    pub fn secret(&self, department: &str) -> String {
        let mut mac = crate::privacy::cipher::hmac_with(&self.key);
        mac.update(b"department:");
        mac.update(department.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The header value for `body` sent to `department` at `at` (Unix seconds).
    pub fn signature(&self, department: &str, at: i64, body: &str) -> String {
        let mut mac = crate::privacy::cipher::hmac_with(self.secret(department).as_bytes());
        mac.update(at.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_time_dot_body_under_the_department_secret() {
        let signer = WebhookSigner::new([7u8; 32]);
        let secret = signer.secret("BN-EPB");
        assert_eq!(secret.len(), 64);
        assert_ne!(
            secret,
            signer.secret("BN-WATER"),
            "each department its own secret"
        );
        assert_ne!(
            secret,
            WebhookSigner::new([8u8; 32]).secret("BN-EPB"),
            "and a new key changes them"
        );
        let body = r#"{"event":"case.routed"}"#;
        let mut mac = crate::privacy::cipher::hmac_with(secret.as_bytes());
        mac.update(b"1764400000.");
        mac.update(body.as_bytes());
        let expected = format!(
            "t=1764400000,v1={}",
            hex::encode(mac.finalize().into_bytes())
        );
        assert_eq!(signer.signature("BN-EPB", 1_764_400_000, body), expected);
        assert_ne!(
            signer.signature("BN-EPB", 1_764_400_000, &body.replace("routed", "closed")),
            expected
        );
    }
}
