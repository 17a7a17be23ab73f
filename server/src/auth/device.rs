//! Device cookies (设备凭证, OWASP's "device cookies" against account
//! lockout): after a successful sign-in the browser gets a cookie, signed
//! by the server, that names a random device id and the account it signed
//! in to. Sign-in attempts that present one for the account they try are
//! throttled in that device's own lane (see [`super::throttle`]), apart from
//! unrecognised clients, so strangers who fill the account's untrusted
//! budget do not lock its owner out.
//!
//! The cookie proves only that this browser once knew the password: it
//! opens no session and grants nothing else. It is HttpOnly, SameSite=Strict
//! and sent only to `/api/v1/session`. One browser holds one: signing in to
//! another account on it replaces the cookie.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use rand::RngCore;
use rand::rngs::OsRng;

pub const COOKIE: &str = "shanshui_device";
/// The label the signing key is derived under (from the deployment's secret).
pub const KEY_LABEL: &str = "shanshui device cookie v1";
/// How long a browser stays recognised after its last successful sign-in.
pub const MAX_AGE_SECS: i64 = 180 * 24 * 3600;

const ID_BYTES: usize = 16;

/// Signs and checks device cookies.
pub struct DeviceKeys {
    key: [u8; 32],
}

impl DeviceKeys {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, username: &str, id: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        let mut mac = crate::privacy::cipher::hmac_with(&self.key);
        mac.update(b"device\0");
        mac.update(username.as_bytes());
        mac.update(b"\0");
        mac.update(id);
        mac
    }

    /// A new cookie value for `username`: `<id>.<mac>`, both base64url.
    pub fn issue(&self, username: &str) -> String {
        let mut id = [0u8; ID_BYTES];
        OsRng.fill_bytes(&mut id);
        let tag = self.mac(username, &id).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(id),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The device's id (hex), when `value` is a cookie this server issued
    /// for `username`; None for anything else, forged or for another account.
    pub fn verify(&self, value: &str, username: &str) -> Option<String> {
        let (id, tag) = value.split_once('.')?;
        let id = URL_SAFE_NO_PAD
            .decode(id)
            .ok()
            .filter(|id| id.len() == ID_BYTES)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison.
        self.mac(username, &id).verify_slice(&tag).ok()?;
        Some(hex::encode(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_recognised_only_for_its_account_and_key() {
        let keys = DeviceKeys::new([7; 32]);
        let cookie = keys.issue("wang.fang");
        let id = keys.verify(&cookie, "wang.fang").unwrap();
        assert_eq!(id.len(), 2 * ID_BYTES);
        assert_eq!(keys.verify(&cookie, "li.na"), None, "another account");
        assert_eq!(
            DeviceKeys::new([8; 32]).verify(&cookie, "wang.fang"),
            None,
            "another deployment"
        );
        assert_ne!(keys.issue("wang.fang"), cookie, "each browser its own id");
    }

    #[test]
    fn a_forged_or_mangled_cookie_is_not_recognised() {
        let keys = DeviceKeys::new([7; 32]);
        let cookie = keys.issue("wang.fang");
        let (id, tag) = cookie.split_once('.').unwrap();
        for bad in [
            "",
            ".",
            "not a cookie",
            &format!("{id}."),
            &format!(".{tag}"),
            &format!("{}.{tag}", URL_SAFE_NO_PAD.encode([0u8; ID_BYTES])),
            &format!("{id}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            &format!("{id}.{}", &tag[..tag.len() - 2]),
            &format!("{id}{id}.{tag}"),
        ] {
            assert_eq!(keys.verify(bad, "wang.fang"), None, "{bad:?}");
        }
    }
}
