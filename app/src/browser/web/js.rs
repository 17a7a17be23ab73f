//! Calls into browser APIs through `Reflect` and promises, for the few
//! pages that use an API rarely (push, the service worker), so that no
//! feature of `web-sys` is added for them.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A property, when it is there (not undefined or null).
pub fn get(target: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// A method called with arguments; None when there is no such method or it threw.
pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let f: Function = get(target, name)?.dyn_into().ok()?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    f.apply(target, &array).ok()
}

/// A promise awaited; its rejection as the error's name.
pub async fn wait(promise: Option<JsValue>) -> Result<JsValue, String> {
    let promise: Promise = promise
        .and_then(|p| p.dyn_into().ok())
        .ok_or_else(|| "not available".to_owned())?;
    JsFuture::from(promise).await.map_err(|e| {
        get(&e, "name")
            .and_then(|n| n.as_string())
            .unwrap_or_else(|| "failed".to_owned())
    })
}
