//! Web Push from the other end: a browser's subscription keys
//! ([`PushSubscriber`], which decrypts what the server sends, RFC 8291) and
//! the push service its endpoint names ([`PushService`], a local HTTP server
//! that checks each push the way RFC 8030 and RFC 8292 ask and keeps it).
//!
//! Written apart from the server's `notify::webpush` on purpose: the same
//! misreading of the RFCs on both sides would otherwise pass unnoticed.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{Aes128Gcm, Nonce};
use anyhow::{Context, anyhow, bail, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// An uncompressed P-256 point: 0x04, x, y.
const POINT_LEN: usize = 65;
/// salt (16), rs (4), idlen (1), keyid (65): RFC 8188 §2.1 with RFC 8291's keyid.
const HEADER_LEN: usize = 16 + 4 + 1 + POINT_LEN;
const TAG_LEN: usize = 16;
/// What a push service must accept, and need not exceed (RFC 8291 §4).
const MAX_BODY: usize = 4096;
/// RFC 8292 §2: an `exp` more than 24 hours ahead is refused.
const MAX_EXP_AHEAD_SECS: i64 = 24 * 60 * 60;

/// A browser's push subscription keys: the `p256dh` key pair and the
/// `auth` secret it hands the server along with its endpoint.
pub struct PushSubscriber {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Default for PushSubscriber {
    fn default() -> Self {
        Self::new()
    }
}

impl PushSubscriber {
    pub fn new() -> Self {
        let mut auth = [0u8; 16];
        OsRng.fill_bytes(&mut auth);
        Self {
            secret: SecretKey::random(&mut OsRng),
            auth,
        }
    }

    /// The public key, uncompressed, base64url without padding (as
    /// `PushSubscription.toJSON()` gives it).
    pub fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public_point())
    }

    pub fn auth(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }

    /// The subscription as a browser's `PushSubscription.toJSON()` has it.
    pub fn subscription(&self, endpoint: &str) -> serde_json::Value {
        serde_json::json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": { "p256dh": self.p256dh(), "auth": self.auth() },
        })
    }

    fn public_point(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// Opens a push body as a browser would (RFC 8291 §3–4, RFC 8188), and
    /// insists on what RFC 8291 asks of the sender: the sender's key as a
    /// 65-byte keyid, one record, the last-record delimiter.
    pub fn decrypt(&self, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        ensure!(
            body.len() <= MAX_BODY,
            "the body is {} bytes, over RFC 8291's 4096",
            body.len()
        );
        ensure!(
            // The header, a tag, and at least the delimiter.
            body.len() > HEADER_LEN + TAG_LEN,
            "the body is {} bytes, too short for an aes128gcm header and a record",
            body.len()
        );
        let (salt, rest) = body.split_at(16);
        let (rs, rest) = rest.split_at(4);
        let rs = u32::from_be_bytes(rs.try_into()?) as usize;
        ensure!(
            rs >= 18,
            "record size {rs} is under RFC 8188's minimum of 18"
        );
        let (idlen, rest) = rest.split_at(1);
        ensure!(
            usize::from(idlen[0]) == POINT_LEN,
            "idlen is {}: RFC 8291 puts the sender's 65-byte public key in keyid",
            idlen[0]
        );
        let (keyid, ciphertext) = rest.split_at(POINT_LEN);
        ensure!(keyid[0] == 0x04, "keyid is not an uncompressed point");
        let sender = PublicKey::from_sec1_bytes(keyid).context("keyid is not a point on P-256")?;
        // RFC 8291 §4: the whole message is one record.
        ensure!(
            ciphertext.len() <= rs,
            "{} bytes of ciphertext exceed the record size {rs}: more than one record",
            ciphertext.len()
        );

        let (cek, nonce) = derive(&self.secret, &self.auth, &sender, salt, true)?;
        let mut record = Aes128Gcm::new_from_slice(&cek)
            .map_err(|_| anyhow!("content-encryption key of the wrong length"))?
            .decrypt(Nonce::from_slice(&nonce), ciphertext)
            .map_err(|_| anyhow!("the record does not decrypt: wrong keys, or altered"))?;
        // RFC 8188 §2: padding is zeros after a delimiter, 2 for the last record.
        while record.last() == Some(&0) {
            record.pop();
        }
        match record.pop() {
            Some(2) => Ok(record),
            Some(1) => bail!("the only record is marked as not the last (delimiter 1)"),
            _ => bail!("the record has no padding delimiter"),
        }
    }
}

/// The content-encryption key and nonce of RFC 8291 §3.3–3.4 and RFC 8188
/// §2.2–2.3, from either side: the browser has (its secret, the sender's
/// public key), the sender (its secret, the browser's public key); the key
/// info always lists the browser's key first.
fn derive(
    own: &SecretKey,
    auth: &[u8],
    peer: &PublicKey,
    salt: &[u8],
    own_is_browser: bool,
) -> anyhow::Result<([u8; 16], [u8; 12])> {
    let shared = p256::ecdh::diffie_hellman(own.to_nonzero_scalar(), peer.as_affine());
    let own_point = own.public_key().to_encoded_point(false);
    let peer_point = peer.to_encoded_point(false);
    let (ua, sender) = if own_is_browser {
        (own_point.as_bytes(), peer_point.as_bytes())
    } else {
        (peer_point.as_bytes(), own_point.as_bytes())
    };
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua);
    key_info.extend_from_slice(sender);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| anyhow!("HKDF expand"))?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| anyhow!("HKDF expand"))?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| anyhow!("HKDF expand"))?;
    Ok((cek, nonce))
}

/// One request to a push endpoint, accepted or not.
#[derive(Debug, Clone)]
pub struct Received {
    /// The endpoint's name: `/push/<name>`.
    pub name: String,
    /// The encrypted body, for [`PushSubscriber::decrypt`].
    pub body: Vec<u8>,
    pub ttl: Option<String>,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    /// The VAPID header was there, its JWT verified with its `k`, the claims
    /// held, and `k` was the expected key.
    pub vapid_ok: bool,
    /// The JWT's claims, when they could be read ("" otherwise).
    pub aud: String,
    pub sub: String,
    /// What the service answered: 201, a refusal, or a [`PushService::fail_next`] status.
    pub status: u16,
    /// Why it was refused (`None` when accepted).
    pub refusal: Option<String>,
}

/// A push service on a loopback port. Each request to `/push/<name>` is
/// checked and recorded; `201 Created` answers a good one.
pub struct PushService {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    origin: String,
    /// `k` every push must carry (the subscription's applicationServerKey), without padding.
    expected_key: Option<String>,
    inner: Mutex<Inner>,
    arrived: Notify,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Per endpoint name: how many more pushes to answer with which status.
    failures: HashMap<String, (usize, u16)>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the pushes from the others.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for PushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PushService {
    /// Starts the service. With `Some(key)` (base64url, as
    /// `VapidKey::public_key` gives it) every push's `k` must be that key,
    /// as a real push service holds a subscription to the key it was made with.
    pub async fn start(vapid_public_key: Option<String>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the push service cannot bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the push service's port is unknown: {e}"));
        let shared = Arc::new(Shared {
            origin: format!("http://{addr}"),
            expected_key: vapid_public_key.map(|k| k.trim().trim_end_matches('=').to_owned()),
            inner: Mutex::new(Inner::default()),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .route("/push/{name}", any(receive))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT/push/<name>`: a subscription's endpoint.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/push/{name}", self.shared.origin)
    }

    /// `http://127.0.0.1:PORT`: what a VAPID JWT's `aud` must be.
    pub fn origin(&self) -> &str {
        &self.shared.origin
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request to a push endpoint so far, in order, refused ones included.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Answers `status` to the next `times` pushes to `name` that pass the
    /// checks (a refused push does not use one up). `usize::MAX` is for
    /// ever: `fail_next(name, usize::MAX, 410)` is an expired subscription.
    pub fn fail_next(&self, name: &str, times: usize, status: u16) {
        self.shared
            .lock()
            .failures
            .insert(name.to_owned(), (times, status));
    }

    /// Waits until at least `count` requests have arrived (refused ones
    /// count), or `timeout` has passed; returns all of them either way, so
    /// the caller's assertion shows what did arrive.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so a push between the look and
            // the wait still wakes us.
            let notified = self.shared.arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.received();
            }
        }
    }
}

/// A refusal: the status and why.
type Refusal = (StatusCode, String);

async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |h: header::HeaderName| {
        headers
            .get(h)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let ttl = text(header::HeaderName::from_static("ttl"));
    let urgency = text(header::HeaderName::from_static("urgency"));
    let topic = text(header::HeaderName::from_static("topic"));
    let mut claims = Claims::default();
    let vapid = check_vapid(&headers, &shared, &mut claims);
    let checked = check_method(&method)
        .and(vapid.clone())
        .and_then(|()| check_message(&headers, ttl.as_deref(), urgency.as_deref(), &body));

    let mut inner = shared.lock();
    let outcome = checked.and_then(|()| match inner.failures.get_mut(&name) {
        Some((times, status)) if *times > 0 => {
            if *times != usize::MAX {
                *times -= 1;
            }
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err((status, format!("fail_next: answering {status}")))
        }
        _ => Ok(()),
    });
    let status = match &outcome {
        Ok(()) => StatusCode::CREATED,
        Err((status, _)) => *status,
    };
    let id = inner.received.len();
    inner.received.push(Received {
        name,
        body: body.to_vec(),
        ttl: ttl.clone(),
        urgency,
        topic,
        vapid_ok: vapid.is_ok(),
        aud: claims.aud,
        sub: claims.sub,
        status: status.as_u16(),
        refusal: outcome.as_ref().err().map(|(_, why)| why.clone()),
    });
    drop(inner);
    shared.arrived.notify_waiters();

    match outcome {
        // RFC 8030 §5: the message's resource, and the TTL the service keeps it for.
        Ok(()) => {
            let mut response = StatusCode::CREATED.into_response();
            let headers = response.headers_mut();
            if let Ok(location) = HeaderValue::from_str(&format!("/message/{id}")) {
                headers.insert(header::LOCATION, location);
            }
            if let Some(ttl) = ttl.and_then(|t| HeaderValue::from_str(&t).ok()) {
                headers.insert(header::HeaderName::from_static("ttl"), ttl);
            }
            response
        }
        Err((status, why)) => (status, why).into_response(),
    }
}

fn check_method(method: &Method) -> Result<(), Refusal> {
    if method == Method::POST {
        Ok(())
    } else {
        Err((
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method}: a push is a POST (RFC 8030 §5)"),
        ))
    }
}

/// RFC 8030 §5 and RFC 8291 §4: the headers and body of the message itself.
fn check_message(
    headers: &HeaderMap,
    ttl: Option<&str>,
    urgency: Option<&str>,
    body: &[u8],
) -> Result<(), Refusal> {
    let bad = |why: String| Err((StatusCode::BAD_REQUEST, why));
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    if encoding != Some("aes128gcm") {
        return bad(format!(
            "Content-Encoding is {encoding:?}, not aes128gcm (RFC 8291 §4)"
        ));
    }
    match ttl {
        None => return bad("no TTL header (RFC 8030 §5.2)".into()),
        Some(ttl) if ttl.trim().parse::<u64>().is_err() => {
            return bad(format!("TTL {ttl:?} is not a number of seconds"));
        }
        Some(_) => {}
    }
    if let Some(urgency) = urgency
        && !["very-low", "low", "normal", "high"].contains(&urgency)
    {
        return bad(format!("Urgency {urgency:?} is not one of RFC 8030 §5.3's"));
    }
    if body.len() > MAX_BODY {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is {} bytes, over 4096 (RFC 8291 §4)", body.len()),
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Claims {
    aud: String,
    sub: String,
}

/// RFC 8292: `Authorization: vapid t=<JWT>, k=<key>`. A missing or
/// unreadable header is 401; one that does not hold (bad signature, wrong
/// audience, expiry, key) is 403 (§4.2). `claims` gets what the JWT says,
/// verified or not, for the test to look at.
fn check_vapid(headers: &HeaderMap, shared: &Shared, claims: &mut Claims) -> Result<(), Refusal> {
    let unauthorized = |why: &str| (StatusCode::UNAUTHORIZED, why.to_owned());
    let forbidden = |why: String| (StatusCode::FORBIDDEN, why);

    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("no Authorization header"))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not text"))?;
    let (scheme, params) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| unauthorized("the Authorization header has no parameters"))?;
    if !scheme.eq_ignore_ascii_case("vapid") {
        return Err(unauthorized("the Authorization scheme is not vapid"));
    }
    let mut t = None;
    let mut k = None;
    for param in params.split(',') {
        let Some((name, value)) = param.trim().split_once('=') else {
            return Err(unauthorized("an Authorization parameter without a value"));
        };
        let value = value.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "t" => t = Some(value),
            "k" => k = Some(value),
            _ => {}
        }
    }
    let t = t.ok_or_else(|| unauthorized("no t= (the JWT) in the vapid header"))?;
    let k = k.ok_or_else(|| unauthorized("no k= (the public key) in the vapid header"))?;

    let mut parts = t.split('.');
    let (Some(head), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unauthorized("t= is not a JWT of three parts"));
    };
    let json = |part: &str, what: &str| -> Result<serde_json::Value, Refusal> {
        let bytes =
            b64(part).ok_or_else(|| forbidden(format!("the JWT's {what} is not base64url")))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| forbidden(format!("the JWT's {what} is not JSON")))
    };
    let head = json(head, "header")?;
    let body_json = json(body, "claims")?;
    claims.aud = body_json["aud"].as_str().unwrap_or_default().to_owned();
    claims.sub = body_json["sub"].as_str().unwrap_or_default().to_owned();

    if head["alg"] != "ES256" {
        return Err(forbidden(format!(
            "the JWT's alg is {}, not ES256",
            head["alg"]
        )));
    }
    if let Some(typ) = head.get("typ")
        && !typ.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT"))
    {
        return Err(forbidden(format!("the JWT's typ is {typ}, not JWT")));
    }

    let key = b64(k).ok_or_else(|| forbidden("k is not base64url".into()))?;
    if key.len() != POINT_LEN || key[0] != 0x04 {
        return Err(forbidden(
            "k is not a 65-byte uncompressed P-256 public key".into(),
        ));
    }
    let key = VerifyingKey::from_sec1_bytes(&key)
        .map_err(|_| forbidden("k is not a point on P-256".into()))?;
    // ES256: the raw r || s, 64 bytes (RFC 7518 §3.4), not DER.
    let signature = b64(signature)
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or_else(|| forbidden("the JWT's signature is not a 64-byte ES256 signature".into()))?;
    let signed = &t[..head_len(t)];
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| forbidden("the JWT's signature does not verify with k".into()))?;

    if claims.aud != shared.origin {
        return Err(forbidden(format!(
            "aud is {:?}, not this push service's origin {:?}",
            claims.aud, shared.origin
        )));
    }
    let now = chrono::Utc::now().timestamp();
    let Some(exp) = body_json["exp"].as_i64() else {
        return Err(forbidden("exp is missing or not an integer".into()));
    };
    if exp <= now {
        return Err(forbidden(format!("exp {exp} has passed (now {now})")));
    }
    if exp > now + MAX_EXP_AHEAD_SECS {
        return Err(forbidden(format!(
            "exp {exp} is more than 24 h ahead of now ({now})"
        )));
    }
    // RFC 8292 §2.1: a contact, `mailto:` or `https:`; Apple's service insists.
    if !(claims.sub.starts_with("mailto:") || claims.sub.starts_with("https://")) {
        return Err(forbidden(format!(
            "sub {:?} is not a mailto: or https: contact",
            claims.sub
        )));
    }
    if let Some(expected) = &shared.expected_key
        && k.trim_end_matches('=') != expected
    {
        return Err(forbidden(
            "k is not the key the subscription was made with".into(),
        ));
    }
    Ok(())
}

/// Where a JWT's signing input (`header.claims`) ends.
fn head_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(jwt.len())
}

/// base64url, padding tolerated.
fn b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    /// The sender's side, small: RFC 8291 with a chosen record size and padding.
    fn encrypt(to: &PushSubscriber, plaintext: &[u8], rs: u32, padding: usize) -> Vec<u8> {
        let sender = SecretKey::random(&mut OsRng);
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let (cek, nonce) =
            derive(&sender, &to.auth, &to.secret.public_key(), &salt, false).unwrap();
        let mut record = plaintext.to_vec();
        record.push(2);
        record.resize(record.len() + padding, 0);
        let ciphertext = Aes128Gcm::new_from_slice(&cek)
            .unwrap()
            .encrypt(Nonce::from_slice(&nonce), record.as_slice())
            .unwrap();
        let mut body = salt.to_vec();
        body.extend_from_slice(&rs.to_be_bytes());
        body.push(65);
        body.extend_from_slice(sender.public_key().to_encoded_point(false).as_bytes());
        body.extend_from_slice(&ciphertext);
        body
    }

    #[test]
    fn the_rfc_8291_example_decrypts() {
        // RFC 8291 Appendix A: the user agent's keys and the message it gets.
        let ua = PushSubscriber {
            secret: SecretKey::from_slice(
                &b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94").unwrap(),
            )
            .unwrap(),
            auth: b64("BTBZMqHH6r4Tts7J_aSIgg").unwrap().try_into().unwrap(),
        };
        assert_eq!(
            ua.p256dh(),
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        );
        let body = b64(concat!(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml",
            "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT",
            "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        ))
        .unwrap();
        assert_eq!(
            ua.decrypt(&body).unwrap(),
            b"When I grow up, I want to be a watermelon"
        );
    }

    #[test]
    fn a_message_round_trips_and_a_bad_one_is_refused() {
        let ua = PushSubscriber::new();
        assert_eq!(b64(&ua.p256dh()).unwrap().len(), 65);
        assert_eq!(b64(&ua.auth()).unwrap().len(), 16);
        let text = "您的举报已受理".as_bytes();
        assert_eq!(ua.decrypt(&encrypt(&ua, text, 4096, 0)).unwrap(), text);
        assert_eq!(
            ua.decrypt(&encrypt(&ua, text, 4096, 30)).unwrap(),
            text,
            "padding"
        );

        // Someone else's subscription cannot read it.
        let other = PushSubscriber::new();
        assert!(other.decrypt(&encrypt(&ua, text, 4096, 0)).is_err());
        // Nor does an altered byte pass.
        let mut altered = encrypt(&ua, text, 4096, 0);
        *altered.last_mut().unwrap() ^= 1;
        assert!(ua.decrypt(&altered).is_err());
        // Two records' worth in a record size of 18: not one record.
        assert!(ua.decrypt(&encrypt(&ua, text, 18, 0)).is_err());
        // A keyid that is not 65 bytes.
        let mut body = encrypt(&ua, text, 4096, 0);
        body[20] = 64;
        assert!(ua.decrypt(&body).is_err());
        assert!(ua.decrypt(&[0u8; 40]).is_err());
    }

    struct Sender {
        key: SigningKey,
    }

    impl Sender {
        fn new() -> Self {
            Self {
                key: SigningKey::random(&mut OsRng),
            }
        }

        fn public(&self) -> String {
            URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_encoded_point(false).as_bytes())
        }

        fn vapid(&self, aud: &str, exp: i64, sub: &str) -> String {
            let head = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
            let claims = URL_SAFE_NO_PAD
                .encode(serde_json::json!({"aud": aud, "exp": exp, "sub": sub}).to_string());
            let signature: Signature = self.key.sign(format!("{head}.{claims}").as_bytes());
            format!(
                "vapid t={head}.{claims}.{}, k={}",
                URL_SAFE_NO_PAD.encode(signature.to_bytes()),
                self.public()
            )
        }
    }

    async fn post(
        url: &str,
        authorization: Option<&str>,
        ttl: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(url)
            .header("content-encoding", "aes128gcm")
            .header("urgency", "high")
            .body(body);
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        if let Some(ttl) = ttl {
            request = request.header("ttl", ttl);
        }
        request.send().await.unwrap()
    }

    #[tokio::test]
    async fn the_service_takes_a_good_push_and_refuses_bad_ones() {
        let sender = Sender::new();
        let service = PushService::start(Some(sender.public())).await;
        let ua = PushSubscriber::new();
        let url = service.endpoint("phone");
        let origin = service.origin().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"));
        let now = chrono::Utc::now().timestamp();
        let good = sender.vapid(&origin, now + 12 * 3600, "mailto:ops@example.org");

        let response = post(
            &url,
            Some(&good),
            Some("60"),
            encrypt(&ua, b"hello", 4096, 0),
        )
        .await;
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["location"], "/message/0");
        let got = service.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(got.len(), 1);
        let push = &got[0];
        assert_eq!(push.name, "phone");
        assert!(push.vapid_ok, "{:?}", push.refusal);
        assert_eq!(push.aud, origin);
        assert_eq!(push.sub, "mailto:ops@example.org");
        assert_eq!(push.ttl.as_deref(), Some("60"));
        assert_eq!(push.urgency.as_deref(), Some("high"));
        assert_eq!(ua.decrypt(&push.body).unwrap(), b"hello");

        let body = || encrypt(&ua, b"x", 4096, 0);
        let cases: Vec<(Option<String>, Option<&str>, u16, bool)> = vec![
            (Some(good.clone()), None, 400, true),
            (None, Some("60"), 401, false),
            (Some("Bearer abc".into()), Some("60"), 401, false),
            (
                Some(Sender::new().vapid(&origin, now + 3600, "mailto:a@b.c")),
                Some("60"),
                403,
                false,
            ),
            (
                Some(sender.vapid("http://127.0.0.1:1", now + 3600, "mailto:a@b.c")),
                Some("60"),
                403,
                false,
            ),
            (
                Some(sender.vapid(&origin, now - 10, "mailto:a@b.c")),
                Some("60"),
                403,
                false,
            ),
            (
                Some(sender.vapid(&origin, now + 25 * 3600, "mailto:a@b.c")),
                Some("60"),
                403,
                false,
            ),
            (
                Some(sender.vapid(&origin, now + 3600, "ops")),
                Some("60"),
                403,
                false,
            ),
        ];
        for (i, (authorization, ttl, status, vapid_ok)) in cases.into_iter().enumerate() {
            let response = post(&url, authorization.as_deref(), ttl, body()).await;
            assert_eq!(response.status(), status, "case {i}");
            let last = service.received().pop().unwrap();
            assert_eq!(last.status, status, "case {i}");
            assert_eq!(last.vapid_ok, vapid_ok, "case {i}: {:?}", last.refusal);
            assert!(last.refusal.is_some());
        }
        // A signature over other claims does not verify.
        let (jwt, k) = good.split_once(", k=").unwrap();
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"aud": origin, "exp": now + 60, "sub": "mailto:x@y.z"}).to_string(),
        );
        parts[1] = &forged;
        let response = post(
            &url,
            Some(&format!("{}, k={k}", parts.join("."))),
            Some("60"),
            body(),
        )
        .await;
        assert_eq!(response.status(), 403);

        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 405);
    }

    #[tokio::test]
    async fn fail_next_answers_as_told() {
        let sender = Sender::new();
        let service = PushService::start(None).await;
        let ua = PushSubscriber::new();
        let now = chrono::Utc::now().timestamp();
        let vapid = sender.vapid(service.origin(), now + 3600, "https://example.org/");
        service.fail_next("a", 2, 500);
        service.fail_next("gone", usize::MAX, 410);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let r = post(
                &service.endpoint("a"),
                Some(&vapid),
                Some("0"),
                encrypt(&ua, b"x", 4096, 0),
            )
            .await;
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses, [500, 500, 201]);
        for _ in 0..3 {
            let r = post(
                &service.endpoint("gone"),
                Some(&vapid),
                Some("0"),
                encrypt(&ua, b"x", 4096, 0),
            )
            .await;
            assert_eq!(r.status(), 410);
        }
        let got = service.wait_for(6, Duration::from_secs(5)).await;
        assert_eq!(got.len(), 6);
        assert!(got.iter().all(|r| r.vapid_ok));
        // Waiting for more than arrives gives back what did, after the timeout.
        assert_eq!(
            service.wait_for(7, Duration::from_millis(100)).await.len(),
            6
        );
    }

    #[tokio::test]
    async fn wait_for_wakes_when_a_push_arrives() {
        let sender = Sender::new();
        let service = PushService::start(None).await;
        let ua = PushSubscriber::new();
        let vapid = sender.vapid(
            service.origin(),
            chrono::Utc::now().timestamp() + 600,
            "mailto:a@b.c",
        );
        let url = service.endpoint("later");
        let body = encrypt(&ua, b"late", 4096, 0);
        let push = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            post(&url, Some(&vapid), Some("30"), body).await.status()
        });
        let got = service.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(push.await.unwrap(), 201);
        assert_eq!(ua.decrypt(&got[0].body).unwrap(), b"late");
    }
}
