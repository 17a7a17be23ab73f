//! AES-256-GCM for reporters' names, phones and payout accounts, with a
//! 12-byte random nonce stored before the ciphertext, and an HMAC-SHA-256
//! blind index so a phone number can be matched without decrypting.
//!
//! The key comes from `SHANSHUI_PII_KEY` (32 bytes, base64). Without it, the
//! embedded default generates one into `<data-dir>/pii.key` (mode 0600) on
//! first start; several replicas must share one key through the variable.

use crate::config::ConfigError;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

pub const KEY_ENV: &str = "SHANSHUI_PII_KEY";
/// The key's file in the data directory, when the variable is unset.
pub const KEY_FILE: &str = "pii.key";
const NONCE_LEN: usize = 12;

pub struct PiiCipher {
    aead: Aes256Gcm,
    index_key: [u8; 32],
    /// The deployment's secret, kept for [`PiiCipher::derive_key`].
    master: [u8; 32],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the stored value is not valid ciphertext")]
    Malformed,
    #[error("decryption failed: wrong key or tampered data")]
    Tampered,
}

impl PiiCipher {
    pub fn from_key(key: [u8; 32]) -> Self {
        // A separate key for the blind index, derived so that one secret
        // serves both and neither reveals the other.
        let index_key = derive(&key, "shanshui blind index v1");
        Self {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            index_key,
            master: key,
        }
    }

    /// A key for another purpose (signing webhooks), derived from the same
    /// secret with its own label the way the blind index's key is: one
    /// secret to keep and share between replicas, and no derived key
    /// reveals it or another.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        derive(&self.master, label)
    }

    /// The key's fingerprint: 16 hex digits of a key derived from it, which
    /// reveal nothing of it. Recorded in the database (`privacy::keys`) and
    /// in backups' manifests, so another key is noticed before it is used.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.derive_key("shanshui backup fingerprint v1")[..8])
    }

    /// Whether a key is given (the variable) or kept (the data directory's
    /// file): `load_or_create` would not generate a new one.
    pub fn exists(data_dir: &Path) -> bool {
        super::given(KEY_ENV, &data_dir.join(KEY_FILE))
    }

    /// The key from the environment, else from (or into) the data directory.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ConfigError> {
        if let Ok(text) = std::env::var(KEY_ENV) {
            return decode_key(text.trim())
                .map(Self::from_key)
                .ok_or_else(|| ConfigError::new(format!("{KEY_ENV} must be 32 bytes in base64")));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => decode_key(text.trim()).map(Self::from_key).ok_or_else(|| {
                ConfigError::new(format!(
                    "{} does not hold a 32-byte base64 key",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                write_private(&path, &STANDARD.encode(key)).map_err(|e| {
                    ConfigError::new(format!("cannot write the new key {}: {e}", path.display()))
                })?;
                tracing::warn!(path = %path.display(), "generated a new key for personal data; back it up, or set {KEY_ENV}");
                Ok(Self::from_key(key))
            }
            Err(e) => Err(ConfigError::new(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encrypting into a Vec cannot fail for inputs of this size.
        let ciphertext = self
            .aead
            .encrypt(&nonce, plaintext.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        STANDARD.encode(out)
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, CipherError> {
        let bytes = STANDARD
            .decode(stored)
            .map_err(|_| CipherError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(CipherError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| CipherError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CipherError::Malformed)
    }

    /// A keyed hash of a normalised value, for equality lookups.
    pub fn blind_index(&self, value: &str) -> String {
        let mut mac = hmac_with(&self.index_key);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[allow(clippy::expect_used)]
pub(crate) fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length: this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// HMAC-SHA-256 of a purpose's label under the deployment's secret.
fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = hmac_with(master);
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_and_two_encryptions_differ() {
        let c = PiiCipher::from_key([7u8; 32]);
        let a = c.encrypt("王小明");
        let b = c.encrypt("王小明");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("王小明"));
        assert_eq!(c.decrypt(&a).unwrap(), "王小明");
    }

    #[test]
    fn another_key_or_a_flipped_bit_is_refused() {
        let c = PiiCipher::from_key([7u8; 32]);
        let other = PiiCipher::from_key([8u8; 32]);
        let stored = c.encrypt("13800138000");
        assert_eq!(other.decrypt(&stored), Err(CipherError::Tampered));
        let mut bytes = STANDARD.decode(&stored).unwrap();
        bytes[NONCE_LEN] ^= 1;
        assert_eq!(
            c.decrypt(&STANDARD.encode(bytes)),
            Err(CipherError::Tampered)
        );
        assert_eq!(c.decrypt("not base64!"), Err(CipherError::Malformed));
    }

    #[test]
    fn the_blind_index_is_stable_and_keyed() {
        let c = PiiCipher::from_key([7u8; 32]);
        assert_eq!(c.blind_index("13800138000"), c.blind_index("13800138000"));
        assert_ne!(
            c.blind_index("13800138000"),
            PiiCipher::from_key([8u8; 32]).blind_index("13800138000")
        );
    }

    #[test]
    fn a_key_is_generated_once_into_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let first = PiiCipher::load_or_create(dir.path()).unwrap();
        let stored = first.encrypt("x");
        let again = PiiCipher::load_or_create(dir.path()).unwrap();
        assert_eq!(again.decrypt(&stored).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("pii.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
