//! The phone's position from the Geolocation API (WGS84, as GPS gives it).

pub use super::super::answers::{Fix, GeoError};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

fn number(obj: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .ok()?
        .as_f64()
        .filter(|v| v.is_finite())
}

pub async fn locate() -> Result<Fix, GeoError> {
    let window = web_sys::window().ok_or(GeoError::Unsupported)?;
    let navigator = window.navigator();
    let supported = js_sys::Reflect::get(&navigator, &JsValue::from_str("geolocation"))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false);
    if !supported {
        return Err(GeoError::Unsupported);
    }
    let geolocation = navigator.geolocation().map_err(|_| GeoError::Unsupported)?;

    type Slot = Rc<RefCell<Option<(js_sys::Function, js_sys::Function)>>>;
    let slot: Slot = Rc::new(RefCell::new(None));
    let promise = {
        let slot = slot.clone();
        js_sys::Promise::new(&mut move |res, rej| {
            *slot.borrow_mut() = Some((res, rej));
        })
    };
    let ok = {
        let slot = slot.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |pos: JsValue| {
            if let Some((res, _)) = slot.borrow_mut().take() {
                let _ = res.call1(&JsValue::NULL, &pos);
            }
        })
    };
    let err = {
        let slot = slot.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            if let Some((_, rej)) = slot.borrow_mut().take() {
                let _ = rej.call1(&JsValue::NULL, &e);
            }
        })
    };
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_timeout(20_000);
    options.set_maximum_age(30_000);
    geolocation
        .get_current_position_with_error_callback_and_options(
            ok.as_ref().unchecked_ref(),
            Some(err.as_ref().unchecked_ref()),
            &options,
        )
        .map_err(|_| GeoError::Unsupported)?;
    let result = JsFuture::from(promise).await;
    drop(ok);
    drop(err);
    match result {
        Ok(pos) => {
            let coords = js_sys::Reflect::get(&pos, &JsValue::from_str("coords"))
                .map_err(|_| GeoError::Unavailable)?;
            let lat = number(&coords, "latitude").ok_or(GeoError::Unavailable)?;
            let lon = number(&coords, "longitude").ok_or(GeoError::Unavailable)?;
            let accuracy_m = number(&coords, "accuracy").unwrap_or(0.0).max(0.0);
            Ok(Fix {
                lat,
                lon,
                accuracy_m,
            })
        }
        Err(e) => Err(match number(&e, "code").map(|c| c as u32) {
            Some(1) => GeoError::Denied,
            Some(3) => GeoError::Timeout,
            _ => GeoError::Unavailable,
        }),
    }
}
