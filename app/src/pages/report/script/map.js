// The report form's map and the phone's position (ported from
// browser/web/map.rs, geo.rs and when_near in browser/web/mod.rs).
//
// The map is Leaflet (vendored under /vendor/leaflet/), loaded on demand.
// It is a convenience: with no tiles (offline, blocked) it is a blank
// square on which the pin can still be placed, and the form works without
// it (location button, coordinates, typed address, the photo's position).

// The tiles unless the page names others (<meta name="shanshui-tile-url">,
// from the server's --tile-url).
const mapDefaultTileUrl = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png";
const mapDefaultAttribution = "© OpenStreetMap contributors";
const mapLeafletJs = "/vendor/leaflet/leaflet.js";
const mapLeafletCss = "/vendor/leaflet/leaflet.css";
// How close setPin brings the view at least.
const mapPinZoom = 16;

let mapLoading = null;
// The open map: { map, marker, circle, onPick }, or null.
let mapState = null;

// Leaflet's script and stylesheet, as files of this site (the content
// security policy takes scripts from 'self' and nowhere else). True once
// both are in; false when the script failed, and a later call tries again.
function mapLoad() {
  if (window.L && window.L.map) return Promise.resolve(true);
  if (mapLoading) return mapLoading;
  // Both the script and its stylesheet: a map drawn before its CSS
  // arrives has its panes in the wrong places.
  const sheet = new Promise((resolve) => {
    if (document.querySelector("link[data-leaflet]")) return resolve(true);
    const l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = mapLeafletCss;
    l.setAttribute("data-leaflet", "");
    l.onload = () => resolve(true);
    l.onerror = () => resolve(false);
    document.head.appendChild(l);
  });
  const script = new Promise((resolve) => {
    const s = document.createElement("script");
    s.src = mapLeafletJs;
    s.async = true;
    s.onload = () => resolve(!!(window.L && window.L.map));
    s.onerror = () => resolve(false);
    document.head.appendChild(s);
  });
  mapLoading = Promise.all([sheet, script]).then(([css, js]) => {
    if (!js) {
      mapLoading = null;
      return false;
    }
    // Leaflet would guess the marker's images from its CSS; told instead.
    window.L.Icon.Default.imagePath = mapLeafletJs.replace(/[^/]*$/, "") + "images/";
    return css;
  });
  return mapLoading;
}

// A <meta name=…>'s content, unless missing or blank.
function mapMeta(name) {
  const el = document.querySelector('meta[name="' + name + '"]');
  const content = el && el.getAttribute("content");
  return content && content.trim() ? content : null;
}

// The pin at lat, lon, with the accuracy's circle when there is one.
function mapPlace(st, lat, lon, accuracy) {
  const L = window.L;
  if (!st.marker) {
    st.marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true }).addTo(st.map);
    st.marker.on("dragend", () => {
      const p = st.marker.getLatLng();
      // A pin moved by hand is no longer the phone's fix.
      if (st.circle) {
        st.map.removeLayer(st.circle);
        st.circle = null;
      }
      st.onPick(p.lat, p.lng);
    });
  } else {
    st.marker.setLatLng([lat, lon]);
  }
  if (st.circle) {
    st.map.removeLayer(st.circle);
    st.circle = null;
  }
  if (accuracy && accuracy > 0) {
    st.circle = L.circle([lat, lon], {
      radius: accuracy,
      weight: 1,
      color: "#0f5e57",
      fillOpacity: 0.08,
      interactive: false,
    }).addTo(st.map);
  }
}

// Loads Leaflet and draws the map into el, centred on centre ([lat, lon]).
// onPick(lat, lon) on a tap or a drag of the pin; onTilesFailed() once,
// at the first tile that fails. False when Leaflet could not be loaded
// (the form then works without a map); never rejects.
async function openMap(el, centre, zoom, onPick, onTilesFailed) {
  closeMap();
  let loaded = false;
  try {
    loaded = (await mapLoad()) === true;
  } catch (_) {
    loaded = false;
  }
  // The resident may have left the step while Leaflet loaded.
  if (!loaded || !el.isConnected) return false;
  const L = window.L;
  try {
    const tileUrl = mapMeta("shanshui-tile-url") || mapDefaultTileUrl;
    const attribution = mapMeta("shanshui-tile-attribution") || mapDefaultAttribution;
    // No wheel zoom: scrolling down the form over the map must not zoom it.
    const map = L.map(el, { scrollWheelZoom: false, tap: true }).setView(centre, zoom);
    const layer = L.tileLayer(tileUrl, { maxZoom: 19, attribution });
    let told = false;
    layer.on("tileerror", () => {
      if (!told) {
        told = true;
        onTilesFailed();
      }
    });
    layer.addTo(map);
    const st = { map, marker: null, circle: null, onPick };
    map.on("click", (e) => {
      mapPlace(st, e.latlng.lat, e.latlng.lng, 0);
      onPick(e.latlng.lat, e.latlng.lng);
    });
    mapState = st;
    return true;
  } catch (_) {
    return false;
  }
}

// The pin at lat, lon (accuracyM in metres, or null), brought into view.
function setPin(lat, lon, accuracyM) {
  const st = mapState;
  if (!st) return;
  try {
    mapPlace(st, lat, lon, accuracyM || 0);
    // No animation: a second pin (the photo's, then the phone's) arriving
    // while the first zoom still runs would leave the view off the pin.
    st.map.stop();
    st.map.setView([lat, lon], Math.max(st.map.getZoom(), mapPinZoom), { animate: false });
  } catch (_) {
    // The map is a convenience: the coordinates are the form's.
  }
}

function clearPin() {
  const st = mapState;
  if (!st) return;
  try {
    if (st.marker) {
      st.map.removeLayer(st.marker);
      st.marker = null;
    }
    if (st.circle) {
      st.map.removeLayer(st.circle);
      st.circle = null;
    }
  } catch (_) {
    // As in setPin.
  }
}

// Removes the map (leaving the page).
function closeMap() {
  const st = mapState;
  mapState = null;
  if (!st) return;
  try {
    st.map.remove();
  } catch (_) {
    // Already gone with its element.
  }
}

// The phone's position from the Geolocation API (WGS84, as GPS gives it):
// { lat, lon, accuracy } (metres), or rejected with "denied", "timeout",
// "unavailable" or "unsupported".
function locate() {
  const geolocation = typeof navigator !== "undefined" ? navigator.geolocation : null;
  if (geolocation === undefined || geolocation === null) return Promise.reject("unsupported");
  return new Promise((resolve, reject) => {
    const ok = (pos) => {
      const coords = pos && pos.coords;
      const lat = geoNumber(coords, "latitude");
      const lon = geoNumber(coords, "longitude");
      if (lat === null || lon === null) return reject("unavailable");
      resolve({ lat, lon, accuracy: Math.max(geoNumber(coords, "accuracy") || 0, 0) });
    };
    const err = (e) => {
      const code = geoNumber(e, "code");
      reject(code === 1 ? "denied" : code === 3 ? "timeout" : "unavailable");
    };
    try {
      // GPS when the phone has it; a fix up to 30 s old is still where the
      // resident stands, and after 20 s the form says so rather than wait.
      geolocation.getCurrentPosition(ok, err, {
        enableHighAccuracy: true,
        timeout: 20000,
        maximumAge: 30000,
      });
    } catch (_) {
      reject("unsupported");
    }
  });
}

// obj[key] when it is a finite number, else null.
function geoNumber(obj, key) {
  const v = obj ? obj[key] : undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

// Runs fn once el comes within a screen's height of the viewport (at once
// where the browser cannot tell): work for what is far down a page, such
// as the report form's map, waits until the resident gets near it.
function whenNear(el, fn) {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    fn();
  };
  let observer;
  try {
    observer = new IntersectionObserver(
      (entries, obs) => {
        if (entries.some((e) => e.isIntersecting)) {
          obs.disconnect();
          run();
        }
      },
      { rootMargin: "100% 0px" },
    );
  } catch (_) {
    run();
    return;
  }
  observer.observe(el);
}
