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

    /// An API key's signing secret (by its prefix): what the 12345 platform
    /// signs its hand-offs with, and what callbacks to the key are signed
    /// with. 64 hex characters, apart from every department's.
    pub fn client_secret(&self, prefix: &str) -> String {
        let mut mac = crate::privacy::cipher::hmac_with(&self.key);
        mac.update(b"api-key:");
        mac.update(prefix.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The header value for `body` sent to `department` at `at` (Unix seconds).
    pub fn signature(&self, department: &str, at: i64, body: &str) -> String {
        sign(&self.secret(department), at, body.as_bytes())
    }

    /// The header value for `body` sent to the API key `prefix`'s callback.
    pub fn client_signature(&self, prefix: &str, at: i64, body: &str) -> String {
        sign(&self.client_secret(prefix), at, body.as_bytes())
    }
}

/// `t=<at>,v1=<hex HMAC-SHA-256 of "<at>.<body>" under secret>`.
pub fn sign(secret: &str, at: i64, body: &[u8]) -> String {
    format!("t={at},v1={}", hex::encode(mac(secret, at, body)))
}

fn mac(secret: &str, at: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = crate::privacy::cipher::hmac_with(secret.as_bytes());
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Why a signed request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the X-Shanshui-Signature header is missing or not `t=<unix seconds>,v1=<hex>`")]
    Malformed,
    #[error(
        "the signature's time is more than five minutes from the server's: sign each request when it is sent"
    )]
    Stale,
    #[error("the signature does not match the body under this key's secret")]
    Mismatch,
}

/// How far a signature's time may be from the server's.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

/// Checks `header` over the exact `body` bytes under `secret`, as a
/// receiver of Shanshui's webhooks does: the time within
/// [`SIGNATURE_WINDOW_SECS`] of `now`, the MAC compared in constant time.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), BadSignature> {
    let (t, v1) = header
        .trim()
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .ok_or(BadSignature::Malformed)?;
    let at: i64 = t.parse().map_err(|_| BadSignature::Malformed)?;
    let given = hex::decode(v1).map_err(|_| BadSignature::Malformed)?;
    if (now - at).abs() > SIGNATURE_WINDOW_SECS {
        return Err(BadSignature::Stale);
    }
    let mut m = crate::privacy::cipher::hmac_with(secret.as_bytes());
    m.update(t.as_bytes());
    m.update(b".");
    m.update(body);
    m.verify_slice(&given).map_err(|_| BadSignature::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_once_and_only_as_signed_and_in_time() {
        let signer = WebhookSigner::new([9u8; 32]);
        let secret = signer.client_secret("0a1b2c3d");
        assert_ne!(secret, signer.secret("0a1b2c3d"), "apart from departments'");
        let body = br#"{"order_no":"A-1"}"#;
        let at = 1_764_400_000;
        let header = sign(&secret, at, body);
        assert_eq!(
            header,
            signer.client_signature("0a1b2c3d", at, r#"{"order_no":"A-1"}"#)
        );
        assert_eq!(verify(&secret, &header, body, at + 299), Ok(()));
        assert_eq!(verify(&secret, &header, body, at - 299), Ok(()));
        assert_eq!(
            verify(&secret, &header, body, at + 301),
            Err(BadSignature::Stale)
        );
        assert_eq!(
            verify(&secret, &header, br#"{"order_no":"A-2"}"#, at),
            Err(BadSignature::Mismatch)
        );
        assert_eq!(
            verify(&signer.client_secret("ffffffff"), &header, body, at),
            Err(BadSignature::Mismatch)
        );
        for bad in ["", "v1=00", "t=x,v1=00", "t=1,v1=zz", "t=1764400000"] {
            assert_eq!(
                verify(&secret, bad, body, at),
                Err(BadSignature::Malformed),
                "{bad}"
            );
        }
    }

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
