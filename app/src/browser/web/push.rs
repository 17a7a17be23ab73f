//! Web Push in the browser: the service worker (`/sw.js`, which shows the
//! notification and opens `/track`), the permission, and the subscription
//! with the server's VAPID key. Everything goes through `Reflect` and
//! promises, so no feature of `web-sys` is added for a page that rarely
//! uses it.

use super::js::{call, get, wait};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

/// Whether this browser can be told by push, and whether the person said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// No service worker or no push (old browsers, iOS outside a home-screen app, plain HTTP).
    Unsupported,
    /// Notifications were blocked for this site.
    Denied,
    Available,
}

fn window() -> Option<JsValue> {
    web_sys::window().map(JsValue::from)
}

pub fn support() -> Support {
    let Some(window) = window() else {
        return Support::Unsupported;
    };
    let has = |name: &str| get(&window, name).is_some();
    let workers = get(&window, "navigator").and_then(|n| get(&n, "serviceWorker"));
    if workers.is_none() || !has("PushManager") || !has("Notification") {
        return Support::Unsupported;
    }
    let permission = get(&window, "Notification")
        .and_then(|n| get(&n, "permission"))
        .and_then(|p| p.as_string());
    if permission.as_deref() == Some("denied") {
        Support::Denied
    } else {
        Support::Available
    }
}

fn key_bytes(base64url: &str) -> Option<Uint8Array> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(base64url.trim_end_matches('='))
        .ok()?;
    Some(Uint8Array::from(bytes.as_slice()))
}

async fn registration() -> Result<JsValue, String> {
    let window = window().ok_or("no window")?;
    let workers = get(&window, "navigator")
        .and_then(|n| get(&n, "serviceWorker"))
        .ok_or("no service worker")?;
    wait(call(&workers, "register", &[JsValue::from_str("/sw.js")])).await?;
    // `ready`: the worker is active, so the push manager can subscribe.
    wait(get(&workers, "ready")).await
}

/// Asks permission, registers the worker and subscribes with the server's
/// key; answers the subscription as JSON (`endpoint`, `keys.p256dh`,
/// `keys.auth`) or why not (`NotAllowedError` when the person refused).
pub async fn subscribe(public_key: &str) -> Result<String, String> {
    let window = window().ok_or("no window")?;
    let notification = get(&window, "Notification").ok_or("no notifications")?;
    let permission = wait(call(&notification, "requestPermission", &[])).await?;
    if permission.as_string().as_deref() != Some("granted") {
        return Err("NotAllowedError".to_owned());
    }
    let registration = registration().await?;
    let manager = get(&registration, "pushManager").ok_or("no push manager")?;
    let options = Object::new();
    let key = key_bytes(public_key).ok_or("a bad server key")?;
    let _ = Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE);
    let _ = Reflect::set(&options, &"applicationServerKey".into(), &key);
    let subscription = match wait(call(&manager, "subscribe", &[options.clone().into()])).await {
        Ok(s) => s,
        // Subscribed before with another key (a server whose key changed):
        // drop the old subscription and try once more.
        Err(e) if e == "InvalidStateError" => {
            if let Ok(old) = wait(call(&manager, "getSubscription", &[])).await {
                let _ = wait(call(&old, "unsubscribe", &[])).await;
            }
            wait(call(&manager, "subscribe", &[options.into()])).await?
        }
        Err(e) => return Err(e),
    };
    js_sys::JSON::stringify(&subscription)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "the subscription cannot be read".to_owned())
}
