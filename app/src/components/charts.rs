//! Charts and the district map as SVG, drawn while the page renders on the
//! server: they show without JavaScript, print, and cost the phone nothing.
//! Every chart has a `<title>` and its numbers as text, so a screen reader
//! (and a reader who prefers numbers) gets the same information.

use leptos::prelude::*;
use serde_json::Value;

/// One bar: (label, value, link). The bar charts are drawn for `/stats`
/// only, a server-only page: the WebAssembly has no use for them.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// What is written at the bar's end (e.g. "12" or "93%").
    pub shown: String,
}

/// Horizontal bars, one row each: labels on the left, values at the end.
#[cfg(feature = "ssr")]
#[component]
pub fn HBars(
    title: String,
    bars: Vec<Bar>,
    #[prop(default = None)] max: Option<f64>,
) -> impl IntoView {
    let max = max
        .unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max))
        .max(1e-9);
    let row = 28.0;
    let height = (bars.len() as f64 * row).max(row);
    let (label_w, bar_w) = (120.0, 150.0);
    let label = title.clone();
    view! {
        <svg class="chart hbars" viewBox=format!("0 0 360 {height}") role="img" aria-label=label
            width="100%" preserveAspectRatio="xMinYMin meet">
            <title>{title}</title>
            {bars.into_iter().enumerate().map(|(i, b)| {
                let y = i as f64 * row;
                let w = (b.value / max * bar_w).max(if b.value > 0.0 { 2.0 } else { 0.0 });
                let label: String = if b.label.chars().count() > 9 { b.label.chars().take(8).chain(['…']).collect() } else { b.label.clone() };
                view! {
                    <g>
                        <text x=label_w - 6.0 y=y + 18.0 text-anchor="end" class="chart-label">{label}</text>
                        <rect x=label_w y=y + 6.0 width=w height=row - 10.0 rx="3" class="chart-bar"><title>{format!("{}: {}", b.label, b.shown)}</title></rect>
                        <text x=label_w + w + 4.0 y=y + 18.0 class="chart-value">{b.shown}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// Vertical bars over time (months), labels below.
#[cfg(feature = "ssr")]
#[component]
pub fn Columns(title: String, bars: Vec<Bar>) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1e-9);
    let (w, h, base) = (360.0, 180.0, 150.0);
    let step = w / bars.len().max(1) as f64;
    let label = title.clone();
    view! {
        <svg class="chart columns" viewBox=format!("0 0 {w} {h}") role="img" aria-label=label width="100%">
            <title>{title}</title>
            <line x1="0" x2=w y1=base y2=base class="chart-axis" />
            {bars.into_iter().enumerate().map(|(i, b)| {
                let bh = b.value / max * (base - 20.0);
                let x = i as f64 * step;
                view! {
                    <g>
                        <rect x=x + step * 0.15 y=base - bh width=step * 0.7 height=bh rx="2" class="chart-bar">
                            <title>{format!("{}: {}", b.label, b.shown)}</title>
                        </rect>
                        <text x=x + step / 2.0 y=base - bh - 4.0 text-anchor="middle" class="chart-value small">{b.shown}</text>
                        <text x=x + step / 2.0 y=base + 16.0 text-anchor="middle" class="chart-label small">{b.label}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// A point on the map: (lat, lon, link, label, closed?).
#[derive(Clone, Debug, PartialEq)]
pub struct Pin {
    pub lat: f64,
    pub lon: f64,
    pub href: String,
    pub label: String,
    pub closed: bool,
}

/// Longitude/latitude to the picture, equirectangular with the latitude's
/// cosine: faithful enough for one district.
struct Projection {
    min_lon: f64,
    max_lat: f64,
    scale: f64,
    kx: f64,
}

impl Projection {
    fn new(bbox: [f64; 4], width: f64) -> (Self, f64) {
        let [min_lon, min_lat, max_lon, max_lat] = bbox;
        let kx = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let scale = width / ((max_lon - min_lon) * kx).max(1e-9);
        let height = (max_lat - min_lat) * scale;
        (
            Self {
                min_lon,
                max_lat,
                scale,
                kx,
            },
            height,
        )
    }

    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.min_lon) * self.kx * self.scale,
            (self.max_lat - lat) * self.scale,
        )
    }
}

/// The rings of a GeoJSON Polygon or MultiPolygon.
fn rings(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    match geometry["type"].as_str() {
        Some("Polygon") => geometry["coordinates"]
            .as_array()
            .map(|rs| rs.iter().map(ring).collect())
            .unwrap_or_default(),
        Some("MultiPolygon") => geometry["coordinates"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(ring)
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// The district's 街道/镇 (the API's GeoJSON) with the given cases on top,
/// each a link to its page.
#[component]
pub fn DistrictMap(
    title: String,
    areas: Value,
    pins: Vec<Pin>,
    #[prop(default = None)] highlight: Option<String>,
) -> impl IntoView {
    let features = areas["features"].as_array().cloned().unwrap_or_default();
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in &features {
        for r in rings(&f["geometry"]) {
            for (lon, lat) in r {
                bbox = [
                    bbox[0].min(lon),
                    bbox[1].min(lat),
                    bbox[2].max(lon),
                    bbox[3].max(lat),
                ];
            }
        }
    }
    if bbox[0] > bbox[2] {
        bbox = shared::geo::BANAN_BBOX;
    }
    let width = 360.0;
    let (proj, height) = Projection::new(bbox, width);
    let areas_svg = features
        .iter()
        .map(|f| {
            let d: String = rings(&f["geometry"])
                .iter()
                .map(|r| {
                    let pts: Vec<String> = r
                        .iter()
                        .map(|(lon, lat)| {
                            let (x, y) = proj.xy(*lon, *lat);
                            format!("{x:.1},{y:.1}")
                        })
                        .collect();
                    format!("M{}Z", pts.join("L"))
                })
                .collect();
            let code = f["properties"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let name = f["properties"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let on = highlight.as_deref() == Some(code.as_str());
            view! { <path d=d class="map-area" class:on=on><title>{name}</title></path> }
        })
        .collect_view();
    let pins_svg = pins
        .into_iter()
        .map(|p| {
            let (x, y) = proj.xy(p.lon, p.lat);
            // In a `<g>`, so that the `<a>` is SVG's link: on its own the
            // view macro makes it an HTML `<a>`, and a page drawn in the
            // browser (the console's) would show no pin.
            view! {
                <g>
                    <a href=p.href>
                        <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="6" class="map-pin" class:closed=p.closed>
                            <title>{p.label}</title>
                        </circle>
                    </a>
                </g>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        // A group, not an image: its pins are links, and an image's
        // content is hidden from assistive technology (nested-interactive).
        <svg class="district-map" viewBox=format!("0 0 {width} {height:.0}") role="group" aria-label=label width="100%">
            <title>{title}</title>
            {areas_svg}
            {pins_svg}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projection_keeps_the_north_up_and_the_box_inside() {
        let (p, h) = Projection::new([106.4, 29.0, 107.0, 29.6], 360.0);
        let (x0, y0) = p.xy(106.4, 29.6);
        let (x1, y1) = p.xy(107.0, 29.0);
        assert!((x0, y0) == (0.0, 0.0));
        assert!((x1 - 360.0).abs() < 1e-6 && (y1 - h).abs() < 1e-6);
        assert!(
            h > 360.0 * 0.9,
            "0.6° of latitude is taller than 0.6° of longitude at 29°N"
        );
    }

    #[test]
    fn polygons_and_multipolygons_give_their_rings() {
        let poly = serde_json::json!({"type": "Polygon", "coordinates": [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]});
        assert_eq!(rings(&poly), vec![vec![(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]]);
        let multi = serde_json::json!({"type": "MultiPolygon", "coordinates": [[[[1.0, 2.0]]], [[[3.0, 4.0]]]]});
        assert_eq!(rings(&multi).len(), 2);
    }
}
