//! The report form's map: Leaflet (vendored under `/vendor/leaflet/`),
//! loaded on demand and driven through a few small JS functions.
//!
//! The map is a convenience: with no tiles (offline, blocked) it is a blank
//! square on which the pin can still be placed, and the form works without
//! it (location button, coordinates, typed address, the photo's position).

use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
let loading = null;
export function leafletLoad(js, css) {
  if (window.L && window.L.map) return Promise.resolve(true);
  if (loading) return loading;
  // Both the script and its stylesheet: a map drawn before its CSS
  // arrives has its panes in the wrong places.
  const sheet = new Promise((resolve) => {
    if (document.querySelector('link[data-leaflet]')) return resolve(true);
    const l = document.createElement('link');
    l.rel = 'stylesheet'; l.href = css; l.setAttribute('data-leaflet', '');
    l.onload = () => resolve(true);
    l.onerror = () => resolve(false);
    document.head.appendChild(l);
  });
  const script = new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = js; s.async = true;
    s.onload = () => resolve(!!(window.L && window.L.map));
    s.onerror = () => resolve(false);
    document.head.appendChild(s);
  });
  loading = Promise.all([sheet, script]).then(([c, j]) => {
    if (!j) { loading = null; return false; }
    window.L.Icon.Default.imagePath = js.replace(/[^/]*$/, '') + 'images/';
    return c;
  });
  return loading;
}
function place(st, lat, lon, accuracy) {
  const L = window.L;
  if (!st.marker) {
    st.marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true }).addTo(st.map);
    st.marker.on('dragend', () => {
      const p = st.marker.getLatLng();
      if (st.circle) { st.map.removeLayer(st.circle); st.circle = null; }
      st.onPick(p.lat, p.lng);
    });
  } else {
    st.marker.setLatLng([lat, lon]);
  }
  if (st.circle) { st.map.removeLayer(st.circle); st.circle = null; }
  if (accuracy && accuracy > 0) {
    st.circle = L.circle([lat, lon], { radius: accuracy, weight: 1, color: '#0f5e57', fillOpacity: 0.08, interactive: false }).addTo(st.map);
  }
}
export function mapCreate(el, lat, lon, zoom, tileUrl, attribution, onPick, onTileError) {
  const L = window.L;
  const map = L.map(el, { scrollWheelZoom: false, tap: true }).setView([lat, lon], zoom);
  const layer = L.tileLayer(tileUrl, { maxZoom: 19, attribution: attribution });
  let told = false;
  layer.on('tileerror', () => { if (!told) { told = true; onTileError(); } });
  layer.addTo(map);
  const st = { map: map, marker: null, circle: null, onPick: onPick };
  map.on('click', (e) => { place(st, e.latlng.lat, e.latlng.lng, 0); onPick(e.latlng.lat, e.latlng.lng); });
  return st;
}
export function mapSetPin(st, lat, lon, accuracy, zoom) {
  place(st, lat, lon, accuracy);
  // No animation: a second pin (the photo's, then the phone's) arriving
  // while the first zoom still runs would leave the view off the pin.
  st.map.stop();
  st.map.setView([lat, lon], Math.max(st.map.getZoom(), zoom), { animate: false });
}
export function mapClearPin(st) {
  if (st.marker) { st.map.removeLayer(st.marker); st.marker = null; }
  if (st.circle) { st.map.removeLayer(st.circle); st.circle = null; }
}
export function mapRemove(st) { st.map.remove(); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = leafletLoad, catch)]
    fn leaflet_load(js: &str, css: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = mapCreate, catch)]
    fn map_create(
        el: &web_sys::HtmlElement,
        lat: f64,
        lon: f64,
        zoom: f64,
        tile_url: &str,
        attribution: &str,
        on_pick: &js_sys::Function,
        on_tile_error: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = mapSetPin, catch)]
    fn map_set_pin(
        st: &JsValue,
        lat: f64,
        lon: f64,
        accuracy: f64,
        zoom: f64,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = mapClearPin, catch)]
    fn map_clear_pin(st: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = mapRemove, catch)]
    fn map_remove(st: &JsValue) -> Result<(), JsValue>;
}

struct Live {
    state: JsValue,
    _on_pick: Closure<dyn FnMut(f64, f64)>,
    _on_tile_error: Closure<dyn FnMut()>,
}

thread_local! {
    static MAP: RefCell<Option<Live>> = const { RefCell::new(None) };
}

/// The tile URL template: the page's `<meta name="shanshui-tile-url">`, or
/// the built-in default.
fn meta(name: &str) -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let el = doc
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??;
    el.get_attribute("content").filter(|c| !c.trim().is_empty())
}

/// Loads Leaflet and draws the map into `el`. False when Leaflet could not
/// be loaded (the form then works without a map).
pub async fn open(
    el: web_sys::HtmlElement,
    center: (f64, f64),
    zoom: f64,
    on_pick: impl FnMut(f64, f64) + 'static,
    on_tile_error: impl FnMut() + 'static,
) -> bool {
    close();
    let Ok(promise) = leaflet_load("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css")
    else {
        return false;
    };
    let loaded = JsFuture::from(promise)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if !loaded || !el.is_connected() {
        return false;
    }
    let tile_url = meta("shanshui-tile-url").unwrap_or_else(|| crate::TILE_URL.to_owned());
    let attribution =
        meta("shanshui-tile-attribution").unwrap_or_else(|| crate::TILE_ATTRIBUTION.to_owned());
    let on_pick = Closure::<dyn FnMut(f64, f64)>::new(on_pick);
    let on_tile_error = Closure::<dyn FnMut()>::new(on_tile_error);
    let Ok(state) = map_create(
        &el,
        center.0,
        center.1,
        zoom,
        &tile_url,
        &attribution,
        on_pick.as_ref().unchecked_ref(),
        on_tile_error.as_ref().unchecked_ref(),
    ) else {
        return false;
    };
    MAP.with(|m| {
        *m.borrow_mut() = Some(Live {
            state,
            _on_pick: on_pick,
            _on_tile_error: on_tile_error,
        });
    });
    true
}

fn with_map(f: impl FnOnce(&JsValue)) {
    MAP.with(|m| {
        if let Some(live) = m.borrow().as_ref() {
            f(&live.state);
        }
    });
}

pub fn set_pin(lat: f64, lon: f64, accuracy_m: Option<f64>) {
    with_map(|st| {
        let _ = map_set_pin(st, lat, lon, accuracy_m.unwrap_or(0.0), 16.0);
    });
}

pub fn clear_pin() {
    with_map(|st| {
        let _ = map_clear_pin(st);
    });
}

/// Removes the map (leaving the page).
pub fn close() {
    let live = MAP.with(|m| m.borrow_mut().take());
    if let Some(live) = live {
        let _ = map_remove(&live.state);
    }
}
