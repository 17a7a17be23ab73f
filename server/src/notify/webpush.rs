//! Web Push, the application server's side: a message to a browser's push
//! service (RFC 8030), its payload encrypted for that browser alone (RFC 8291,
//! the `aes128gcm` content coding of RFC 8188), and signed for by this server
//! with a VAPID key (RFC 8292) so that the push service accepts it only from
//! the server the browser subscribed with.
//!
//! The VAPID key comes from `SHANSHUI_VAPID_KEY` (the 32-byte P-256 private
//! scalar, base64url). Without it one is generated into
//! `<data-dir>/vapid.key` (mode 0600) on first start. Browsers bind each
//! subscription to the public key: a new key orphans every subscription, so
//! the key must be kept, and several replicas must share one through the
//! variable.

use crate::config::ConfigError;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use std::path::Path;

pub const KEY_ENV: &str = "SHANSHUI_VAPID_KEY";
/// The key's file in the data directory, when the variable is unset.
pub const KEY_FILE: &str = "vapid.key";

/// The record size announced in the header. One record holds the whole
/// message, so this only has to exceed it; 4096 is what browsers expect.
const RECORD_SIZE: u32 = 4096;
const SALT_LEN: usize = 16;
const AUTH_LEN: usize = 16;
/// An uncompressed P-256 point: 0x04, x, y.
const POINT_LEN: usize = 65;
/// salt, rs, idlen, keyid (RFC 8188 §2.1).
const HEADER_LEN: usize = SALT_LEN + 4 + 1 + POINT_LEN;
const TAG_LEN: usize = 16;
/// Push services need not take a body over 4096 bytes (RFC 8291 §4): 4096
/// less the header, the tag and the padding delimiter leaves 3993.
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - HEADER_LEN - TAG_LEN - 1;
/// Marks the last (here the only) record (RFC 8188 §2).
const LAST_RECORD: u8 = 0x02;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    #[error("the subscription's {0} key is not base64url")]
    NotBase64(&'static str),
    #[error("the subscription's p256dh key is not an uncompressed P-256 public key")]
    BadP256dh,
    #[error("the subscription's auth secret is not 16 bytes")]
    BadAuth,
    #[error("the push payload is {len} bytes; at most {MAX_PLAINTEXT} fit in one message")]
    PayloadTooLarge { len: usize },
    #[error("the VAPID private key is not a P-256 private key (32 bytes, base64url)")]
    BadVapidKey,
    #[error("the push endpoint is not an absolute http(s) URL")]
    BadEndpoint,
    #[error("the push payload could not be encrypted")]
    Encryption,
}

/// The server's VAPID key pair (ES256).
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
}

// The private key must never reach a log: show the public half only.
impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::random(&mut OsRng),
        }
    }

    /// The 32-byte private scalar, base64url without padding (what the key
    /// file and the environment variable hold).
    pub fn from_base64url(text: &str) -> Result<Self, PushError> {
        let bytes = decode(text).ok_or(PushError::BadVapidKey)?;
        if bytes.len() != 32 {
            return Err(PushError::BadVapidKey);
        }
        // Refuses zero and scalars not below the group order.
        let signing = SigningKey::from_slice(&bytes).map_err(|_| PushError::BadVapidKey)?;
        Ok(Self { signing })
    }

    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.to_bytes())
    }

    /// The 65-byte uncompressed public point, base64url without padding: the
    /// browser's `applicationServerKey`.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            self.signing
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes(),
        )
    }

    /// The `Authorization` header value for a push to `endpoint`:
    /// `vapid t=<JWT>, k=<public key>` (RFC 8292 §3). The JWT is ES256 with
    /// claims `aud` (the endpoint's origin), `exp` and `sub` (a `mailto:` or
    /// `https:` contact). Push services refuse an `exp` more than 24 hours
    /// ahead of their own clock, so callers pass the real time plus 12 hours
    /// (not a test's advanced clock).
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        expires_unix: i64,
    ) -> Result<String, PushError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": origin(endpoint)?,
            "exp": expires_unix,
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        // ES256 is SHA-256 with the raw r || s (64 bytes) as the signature
        // (RFC 7518 §3.4), not DER.
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        Ok(format!(
            "vapid t={signing_input}.{signature}, k={}",
            self.public_key()
        ))
    }

    /// The key from `SHANSHUI_VAPID_KEY`, else from (or into) `<data_dir>/vapid.key`.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ConfigError> {
        Self::load_from(std::env::var(KEY_ENV), data_dir)
    }

    /// [`VapidKey::load_or_create`] with the variable's value passed in, so a
    /// test can try a bad one without touching the process's environment.
    fn load_from(
        env: Result<String, std::env::VarError>,
        data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        match env {
            Ok(text) => {
                return Self::from_base64url(text.trim()).map_err(|_| {
                    ConfigError::new(format!(
                        "{KEY_ENV} must be a P-256 private key: 32 bytes in base64url"
                    ))
                });
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(ConfigError::new(format!(
                    "{KEY_ENV} must be a P-256 private key: 32 bytes in base64url"
                )));
            }
            Err(std::env::VarError::NotPresent) => {}
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64url(text.trim()).map_err(|_| {
                ConfigError::new(format!(
                    "{} does not hold a P-256 private key (32 bytes, base64url)",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(&path, &format!("{}\n", key.to_base64url())).map_err(|e| {
                    ConfigError::new(format!(
                        "cannot write the new VAPID key {}: {e}",
                        path.display()
                    ))
                })?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a new VAPID key for Web Push; back it up, or set {KEY_ENV}: \
                     with another key every browser's push subscription stops working"
                );
                Ok(key)
            }
            Err(e) => Err(ConfigError::new(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }
}

/// The subscription's keys as they are stored: checked ([`check_keys`])
/// and written again in base64url without padding, so nothing but the
/// 65 and 16 bytes themselves is kept.
pub fn canonical_keys(p256dh: &str, auth: &str) -> Result<(String, String), PushError> {
    check_keys(p256dh, auth)?;
    let again = |text: &str, what: &'static str| {
        decode(text)
            .map(|b| URL_SAFE_NO_PAD.encode(b))
            .ok_or(PushError::NotBase64(what))
    };
    Ok((again(p256dh, "p256dh")?, again(auth, "auth")?))
}

/// Checks a subscription's keys as a browser sends them (base64url, padding
/// tolerated): `p256dh` must be a 65-byte uncompressed point on P-256,
/// `auth` exactly 16 bytes.
pub fn check_keys(p256dh: &str, auth: &str) -> Result<(), PushError> {
    subscription_keys(p256dh, auth).map(|_| ())
}

/// Encrypts `plaintext` for a subscription (RFC 8291 §3–4): a fresh
/// ephemeral key pair and salt, one record. The result is the whole HTTP
/// body: salt (16) || rs (4, big-endian) || idlen (1) = 65 || keyid (the
/// ephemeral public key, 65) || ciphertext.
pub fn encrypt(p256dh: &str, auth: &str, plaintext: &[u8]) -> Result<Vec<u8>, PushError> {
    let (ua_public, auth_secret) = subscription_keys(p256dh, auth)?;
    // Checked before drawing keys: nothing to waste on a message that
    // cannot be sent.
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::PayloadTooLarge {
            len: plaintext.len(),
        });
    }
    let as_secret = SecretKey::random(&mut OsRng);
    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    encrypt_with(&ua_public, &auth_secret, &as_secret, &salt, plaintext)
}

/// RFC 8291 §3.4 and RFC 8188 with every random input given, for the RFC's
/// worked example.
fn encrypt_with(
    ua_public: &PublicKey,
    auth_secret: &[u8; AUTH_LEN],
    as_secret: &SecretKey,
    salt: &[u8; SALT_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::PayloadTooLarge {
            len: plaintext.len(),
        });
    }
    let ua_point = ua_public.to_encoded_point(false);
    let as_point = as_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());

    // IKM binds the shared secret to the browser's auth secret and both
    // public keys (RFC 8291 §3.3).
    let mut key_info = Vec::with_capacity(14 + 2 * POINT_LEN);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth_secret), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| PushError::Encryption)?;

    // RFC 8188 §2.2–2.3: the content-encryption key and the nonce, from the
    // salt. One record, so the nonce is used as is (sequence number 0).
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| PushError::Encryption)?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| PushError::Encryption)?;

    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(LAST_RECORD);
    let ciphertext = Aes128Gcm::new_from_slice(&cek)
        .map_err(|_| PushError::Encryption)?
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| PushError::Encryption)?;

    let mut body = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(POINT_LEN as u8);
    body.extend_from_slice(as_point.as_bytes());
    body.extend_from_slice(&ciphertext);
    Ok(body)
}

fn subscription_keys(p256dh: &str, auth: &str) -> Result<(PublicKey, [u8; AUTH_LEN]), PushError> {
    let point = decode(p256dh).ok_or(PushError::NotBase64("p256dh"))?;
    // RFC 8291 §3.1 asks for the uncompressed form; `from_sec1_bytes`
    // alone would also take a compressed point.
    if point.len() != POINT_LEN || point.first() != Some(&0x04) {
        return Err(PushError::BadP256dh);
    }
    // Checks that the point is on the curve: a point off it could leak the
    // ephemeral key's bits (an invalid-curve attack).
    let ua_public = PublicKey::from_sec1_bytes(&point).map_err(|_| PushError::BadP256dh)?;
    let auth = decode(auth).ok_or(PushError::NotBase64("auth"))?;
    let auth: [u8; AUTH_LEN] = auth.try_into().map_err(|_| PushError::BadAuth)?;
    Ok((ua_public, auth))
}

/// base64url, with or without `=` padding (browsers and libraries differ).
fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

/// The endpoint's origin, `scheme://host[:port]`, as the JWT's `aud`
/// (RFC 8292 §2), read by the same URL parser (WHATWG, through reqwest)
/// that the request is sent with: an endpoint written to look like one host
/// to a hand-written parser (`https://evil.example\@push.example/`) and
/// reach another gets the audience of the host it reaches, so no signed
/// token for a real push service is ever sent elsewhere.
fn origin(endpoint: &str) -> Result<String, PushError> {
    let url = reqwest::Url::parse(endpoint.trim()).map_err(|_| PushError::BadEndpoint)?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(PushError::BadEndpoint);
    }
    Ok(url.origin().ascii_serialization())
}

/// Writes the key through a temporary file and a rename, so that a crash
/// never leaves a half-written key that the next start would refuse.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{KEY_FILE}.{:016x}.tmp", OsRng.next_u64()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable only once the folder is synced.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    fn b64(text: &str) -> Vec<u8> {
        decode(text).unwrap()
    }

    /// The browser's side of RFC 8291, for the tests: one record, padding
    /// stripped.
    fn decrypt(ua_secret: &SecretKey, auth: &[u8], body: &[u8]) -> Vec<u8> {
        let (salt, rest) = body.split_at(SALT_LEN);
        let rs = u32::from_be_bytes(rest[..4].try_into().unwrap());
        assert_eq!(rs, RECORD_SIZE);
        assert_eq!(rest[4] as usize, POINT_LEN);
        let as_public = PublicKey::from_sec1_bytes(&rest[5..5 + POINT_LEN]).unwrap();
        let ciphertext = &rest[5 + POINT_LEN..];
        assert!(ciphertext.len() <= rs as usize, "a single record");

        let shared =
            p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_public.as_affine());
        let mut key_info = b"WebPush: info\0".to_vec();
        key_info.extend_from_slice(ua_secret.public_key().to_encoded_point(false).as_bytes());
        key_info.extend_from_slice(as_public.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
            .expand(&key_info, &mut ikm)
            .unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let mut cek = [0u8; 16];
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .unwrap();
        let mut nonce = [0u8; 12];
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap();
        let mut record = Aes128Gcm::new_from_slice(&cek)
            .unwrap()
            .decrypt(Nonce::from_slice(&nonce), ciphertext)
            .unwrap();
        while record.last() == Some(&0) {
            record.pop();
        }
        assert_eq!(
            record.pop(),
            Some(LAST_RECORD),
            "the last record's delimiter"
        );
        record
    }

    // RFC 8291 Appendix A, with the line breaks of the RFC's text removed.
    const RFC_PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const RFC_AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const RFC_AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const RFC_UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const RFC_UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const RFC_SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const RFC_AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const RFC_BODY: &str = concat!(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml",
        "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT",
        "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
    );

    #[test]
    fn the_rfc_8291_example_encrypts_to_the_rfcs_body() {
        let as_secret = SecretKey::from_slice(&b64(RFC_AS_PRIVATE)).unwrap();
        let ua_secret = SecretKey::from_slice(&b64(RFC_UA_PRIVATE)).unwrap();
        // The vector's keys belong together: each public key is its private key's.
        assert_eq!(
            URL_SAFE_NO_PAD.encode(as_secret.public_key().to_encoded_point(false).as_bytes()),
            RFC_AS_PUBLIC
        );
        assert_eq!(
            URL_SAFE_NO_PAD.encode(ua_secret.public_key().to_encoded_point(false).as_bytes()),
            RFC_UA_PUBLIC
        );
        let (ua_public, auth) = subscription_keys(RFC_UA_PUBLIC, RFC_AUTH).unwrap();
        let salt: [u8; 16] = b64(RFC_SALT).try_into().unwrap();

        let body = encrypt_with(
            &ua_public,
            &auth,
            &as_secret,
            &salt,
            RFC_PLAINTEXT.as_bytes(),
        )
        .unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), RFC_BODY);
        // And the RFC's body opens with the RFC's browser key.
        assert_eq!(
            decrypt(&ua_secret, &auth, &b64(RFC_BODY)),
            RFC_PLAINTEXT.as_bytes()
        );
    }

    #[test]
    fn a_message_round_trips_and_two_encryptions_differ() {
        let ua_secret = SecretKey::random(&mut OsRng);
        let p256dh =
            URL_SAFE_NO_PAD.encode(ua_secret.public_key().to_encoded_point(false).as_bytes());
        let auth = [9u8; 16];
        let auth_text = URL_SAFE_NO_PAD.encode(auth);
        let text = "案件 2024-0001 已受理".as_bytes();

        let a = encrypt(&p256dh, &auth_text, text).unwrap();
        let b = encrypt(&p256dh, &auth_text, text).unwrap();
        assert_ne!(a, b, "a fresh salt and key each time");
        assert_eq!(decrypt(&ua_secret, &auth, &a), text);
        assert_eq!(decrypt(&ua_secret, &auth, &b), text);
        assert_eq!(a.len(), HEADER_LEN + text.len() + 1 + TAG_LEN);

        // The largest payload fills exactly 4096 bytes; one more is refused.
        let largest = vec![b'x'; MAX_PLAINTEXT];
        let body = encrypt(&p256dh, &auth_text, &largest).unwrap();
        assert_eq!(body.len(), 4096);
        assert_eq!(decrypt(&ua_secret, &auth, &body), largest);
        assert_eq!(
            encrypt(&p256dh, &auth_text, &[0; MAX_PLAINTEXT + 1]),
            Err(PushError::PayloadTooLarge {
                len: MAX_PLAINTEXT + 1
            })
        );
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(check_keys(RFC_UA_PUBLIC, RFC_AUTH), Ok(()));
        // Padding, as some encoders add it.
        assert_eq!(
            check_keys(&format!("{RFC_UA_PUBLIC}="), &format!("{RFC_AUTH}==")),
            Ok(())
        );
        assert_eq!(
            check_keys("not base64!", RFC_AUTH),
            Err(PushError::NotBase64("p256dh"))
        );
        assert_eq!(
            check_keys(RFC_UA_PUBLIC, "*"),
            Err(PushError::NotBase64("auth"))
        );
        // 64 bytes: the point without its 0x04 prefix.
        let short = URL_SAFE_NO_PAD.encode(&b64(RFC_UA_PUBLIC)[1..]);
        assert_eq!(check_keys(&short, RFC_AUTH), Err(PushError::BadP256dh));
        // 65 bytes in the right form, but y is wrong: not on the curve.
        let mut off_curve = b64(RFC_UA_PUBLIC);
        off_curve[64] ^= 1;
        let off_curve = URL_SAFE_NO_PAD.encode(off_curve);
        assert_eq!(check_keys(&off_curve, RFC_AUTH), Err(PushError::BadP256dh));
        assert_eq!(
            encrypt(&off_curve, RFC_AUTH, b"x"),
            Err(PushError::BadP256dh)
        );
        // A compressed point is on the curve but not the form RFC 8291 asks for.
        let secret = SecretKey::from_slice(&b64(RFC_UA_PRIVATE)).unwrap();
        let compressed =
            URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(true).as_bytes());
        assert_eq!(check_keys(&compressed, RFC_AUTH), Err(PushError::BadP256dh));
        let auth_15 = URL_SAFE_NO_PAD.encode([1u8; 15]);
        assert_eq!(check_keys(RFC_UA_PUBLIC, &auth_15), Err(PushError::BadAuth));
    }

    fn jwt_parts(authorization: &str) -> (String, String) {
        let rest = authorization.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        (jwt.to_owned(), k.to_owned())
    }

    #[test]
    fn the_vapid_jwt_verifies_and_names_the_endpoints_origin() {
        let key = VapidKey::generate();
        let header = key
            .authorization(
                "https://push.example.net:8443/wpush/v2/abc?x=1",
                "mailto:ops@example.org",
                1_700_000_000,
            )
            .unwrap();
        let (jwt, k) = jwt_parts(&header);
        assert_eq!(k, key.public_key());

        let mut parts = jwt.split('.');
        let (h, c, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(parts.next().is_none());
        let verifying = VerifyingKey::from_sec1_bytes(&b64(&key.public_key())).unwrap();
        let signature = Signature::from_slice(&b64(s)).unwrap();
        verifying
            .verify(format!("{h}.{c}").as_bytes(), &signature)
            .unwrap();

        let h: serde_json::Value = serde_json::from_slice(&b64(h)).unwrap();
        assert_eq!(h, serde_json::json!({"typ": "JWT", "alg": "ES256"}));
        let c: serde_json::Value = serde_json::from_slice(&b64(c)).unwrap();
        assert_eq!(
            c,
            serde_json::json!({
                "aud": "https://push.example.net:8443",
                "exp": 1_700_000_000,
                "sub": "mailto:ops@example.org",
            })
        );
        // Another key's signature does not verify.
        let other = VapidKey::generate();
        let other = VerifyingKey::from_sec1_bytes(&b64(&other.public_key())).unwrap();
        let signed = jwt.rsplit_once('.').unwrap().0;
        assert!(other.verify(signed.as_bytes(), &signature).is_err());
    }

    #[test]
    fn the_audience_is_the_origin() {
        for (endpoint, aud) in [
            (
                "https://fcm.googleapis.com/fcm/send/abc:def",
                "https://fcm.googleapis.com",
            ),
            ("https://HOST.example:443/x", "https://host.example"),
            ("http://127.0.0.1:39113/push/a", "http://127.0.0.1:39113"),
            ("http://127.0.0.1:80/push/a", "http://127.0.0.1"),
            ("https://[::1]:8443/p", "https://[::1]:8443"),
            ("https://[::1]/p", "https://[::1]"),
            ("https://user:pw@host.example/p", "https://host.example"),
            ("https://host.example?x", "https://host.example"),
            // Where the request goes, not what a naive reading says.
            (
                "https://evil.example\\@fcm.googleapis.com/x",
                "https://evil.example",
            ),
        ] {
            assert_eq!(origin(endpoint).unwrap(), aud, "{endpoint}");
        }
        for endpoint in [
            "",
            "host/x",
            "ftp://host/x",
            "https://h:x/",
            "data:text/plain,x",
        ] {
            assert_eq!(origin(endpoint), Err(PushError::BadEndpoint), "{endpoint}");
        }
    }

    #[test]
    fn the_private_key_round_trips_and_bad_ones_are_refused() {
        let key = VapidKey::generate();
        let text = key.to_base64url();
        assert_eq!(text.len(), 43);
        let again = VapidKey::from_base64url(&text).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.to_base64url(), text);
        assert_eq!(b64(&key.public_key()).len(), 65);
        assert!(
            !format!("{key:?}").contains(&text),
            "Debug hides the secret"
        );

        for bad in [
            "",
            "not base64!",
            &URL_SAFE_NO_PAD.encode([1u8; 31]),
            &URL_SAFE_NO_PAD.encode([0u8; 32]),
            &URL_SAFE_NO_PAD.encode([0xffu8; 32]),
        ] {
            assert_eq!(
                VapidKey::from_base64url(bad).unwrap_err(),
                PushError::BadVapidKey
            );
        }
    }

    #[test]
    fn a_malformed_key_in_the_environment_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = VapidKey::load_from(Ok("not-a-key".into()), dir.path()).unwrap_err();
        assert!(err.0.contains(KEY_ENV), "{err}");
        assert!(!dir.path().join(KEY_FILE).exists(), "nothing generated");
        // A good one is used as is, and nothing is written.
        let key = VapidKey::generate();
        let loaded = VapidKey::load_from(Ok(key.to_base64url()), dir.path()).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn a_key_is_generated_once_into_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = VapidKey::load_from(Err(std::env::VarError::NotPresent), &data).unwrap();
        let again = VapidKey::load_from(Err(std::env::VarError::NotPresent), &data).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        let names: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [KEY_FILE], "no temporary file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(data.join(KEY_FILE), "garbage").unwrap();
        assert!(VapidKey::load_from(Err(std::env::VarError::NotPresent), &data).is_err());
    }
}
