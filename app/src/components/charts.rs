//! Charts and the district map as SVG, drawn while the page renders on the
//! server: they show without JavaScript, print, and cost the phone nothing.
//! Every chart has a `<title>` and its numbers as text, so a screen reader
//! (and a reader who prefers numbers) gets the same information.

use leptos::prelude::*;

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
#[derive(Clone, Debug)]
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

/// The map's width in its own units; the page scales it to the screen.
const MAP_WIDTH: f64 = 360.0;

/// The district's 街道/镇 as the map draws them, worked out once from the
/// API's GeoJSON (`GET /api/v1/areas`) when it is read: each area's outline
/// already projected into the picture. A page of cases draws the same
/// outlines for every reader, so the server keeps one of these for as long as
/// the API's answer stays the same (`public_api::get_shared`) instead of
/// parsing and projecting the GeoJSON on every page.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(from = "geojson::FeatureCollection")]
pub struct DistrictAreas {
    pub areas: Vec<AreaOutline>,
    projection: Projection,
    height: f64,
}

/// One 街道/镇: its code and names (for filters too) and its outline.
#[derive(Clone, Debug)]
pub struct AreaOutline {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The SVG path (`d`) of its rings in the map's frame.
    path: String,
}

impl Default for DistrictAreas {
    fn default() -> Self {
        geojson::FeatureCollection::default().into()
    }
}

/// An area's rings, as (longitude, latitude) points.
type Rings = Vec<Vec<(f64, f64)>>;

/// Just what the map reads of the API's GeoJSON.
mod geojson {
    use serde::Deserialize;

    #[derive(Default, Deserialize)]
    pub struct FeatureCollection {
        #[serde(default)]
        pub features: Vec<Feature>,
    }

    #[derive(Deserialize)]
    pub struct Feature {
        #[serde(default)]
        pub properties: Properties,
        #[serde(default)]
        pub geometry: Option<Geometry>,
    }

    #[derive(Default, Deserialize)]
    pub struct Properties {
        #[serde(default)]
        pub code: String,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub name_en: String,
    }

    /// A position is `[lon, lat]`, perhaps with an altitude after them.
    pub type Ring = Vec<Vec<f64>>;

    /// Polygons and multipolygons have rings; any other geometry draws
    /// nothing.
    #[derive(Deserialize)]
    pub struct Geometry {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        coordinates: Coordinates,
    }

    /// The nesting tells a multipolygon's coordinates from a polygon's.
    #[derive(Default, Deserialize)]
    #[serde(untagged)]
    enum Coordinates {
        Polygons(Vec<Vec<Ring>>),
        Rings(Vec<Ring>),
        #[default]
        #[serde(skip)]
        None,
        Other(serde::de::IgnoredAny),
    }

    impl Geometry {
        pub fn rings(&self) -> super::Rings {
            let ring = |r: &Ring| -> Vec<(f64, f64)> {
                r.iter()
                    .filter_map(|p| Some((*p.first()?, *p.get(1)?)))
                    .collect()
            };
            match (self.kind.as_str(), &self.coordinates) {
                ("Polygon", Coordinates::Rings(rings)) => rings.iter().map(ring).collect(),
                ("MultiPolygon", Coordinates::Polygons(polygons)) => {
                    polygons.iter().flatten().map(ring).collect()
                }
                _ => vec![],
            }
        }
    }
}

impl From<geojson::FeatureCollection> for DistrictAreas {
    fn from(collection: geojson::FeatureCollection) -> Self {
        let shapes: Vec<(geojson::Properties, Rings)> = collection
            .features
            .into_iter()
            .map(|f| {
                let rings = f.geometry.map(|g| g.rings()).unwrap_or_default();
                (f.properties, rings)
            })
            .collect();
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (lon, lat) in shapes.iter().flat_map(|(_, rings)| rings.iter().flatten()) {
            bbox = [
                bbox[0].min(*lon),
                bbox[1].min(*lat),
                bbox[2].max(*lon),
                bbox[3].max(*lat),
            ];
        }
        if bbox[0] > bbox[2] {
            bbox = shared::geo::BANAN_BBOX;
        }
        let (projection, height) = Projection::new(bbox, MAP_WIDTH);
        let areas = shapes
            .into_iter()
            .map(|(p, rings)| {
                let mut path = String::new();
                for ring in &rings {
                    for (i, (lon, lat)) in ring.iter().enumerate() {
                        let (x, y) = projection.xy(*lon, *lat);
                        let step = if i == 0 { 'M' } else { 'L' };
                        path.push_str(&format!("{step}{x:.1},{y:.1}"));
                    }
                    if !ring.is_empty() {
                        path.push('Z');
                    }
                }
                AreaOutline {
                    code: p.code,
                    name: p.name,
                    name_en: p.name_en,
                    path,
                }
            })
            .collect();
        DistrictAreas {
            areas,
            projection,
            height,
        }
    }
}

/// The district's 街道/镇 with the given cases on top, each a link to its
/// page.
#[component]
pub fn DistrictMap(
    title: String,
    areas: std::sync::Arc<DistrictAreas>,
    pins: Vec<Pin>,
    #[prop(default = None)] highlight: Option<String>,
) -> impl IntoView {
    let l = crate::lang::use_lang().get_untracked();
    let view_box = format!("0 0 {MAP_WIDTH} {:.0}", areas.height);
    let drawing = map_svg(&title, &areas, &pins, highlight.as_deref(), l);
    view! {
        // A group, not an image: its pins are links, and an image's
        // content is hidden from assistive technology (nested-interactive).
        <svg class="district-map" viewBox=view_box role="group" aria-label=title width="100%"
            inner_html=drawing></svg>
    }
}

/// What is inside the map's `<svg>`, written as text (`crate::markup`): the
/// outlines and pins were a hundred and more views on every page of cases.
/// Set as the SVG element's content, the browser parses it as SVG, so each
/// `<a>` is SVG's link.
fn map_svg(
    title: &str,
    areas: &DistrictAreas,
    pins: &[Pin],
    highlight: Option<&str>,
    l: crate::i18n::Locale,
) -> String {
    let mut m = crate::markup::Markup::with_capacity(
        areas.areas.iter().map(|a| a.path.len() + 80).sum::<usize>() + pins.len() * 160,
    );
    m.element("title", &[], title);
    for a in &areas.areas {
        let class = if highlight == Some(a.code.as_str()) {
            "map-area on"
        } else {
            "map-area"
        };
        m.open("path", &[("d", &a.path), ("class", class)])
            .element("title", &[], &crate::format::named(l, &a.name, &a.name_en))
            .close("path");
    }
    for p in pins {
        let (x, y) = areas.projection.xy(p.lon, p.lat);
        let (cx, cy) = (format!("{x:.1}"), format!("{y:.1}"));
        let class = if p.closed {
            "map-pin closed"
        } else {
            "map-pin"
        };
        m.open("a", &[("href", &p.href)])
            .open(
                "circle",
                &[("cx", &cx), ("cy", &cy), ("r", "6"), ("class", class)],
            )
            .element("title", &[], &p.label)
            .close("circle")
            .close("a");
    }
    m.into_string()
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
    fn polygons_and_multipolygons_give_their_outlines() {
        let areas: DistrictAreas = serde_json::from_value(serde_json::json!({
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": "a", "name": "甲", "name_en": "A"},
                 "geometry": {"type": "Polygon", "coordinates": [[[106.4, 29.6], [107.0, 29.6], [107.0, 29.0, 300.0]]]}},
                {"type": "Feature", "properties": {"code": "b", "name": "乙", "name_en": "B"},
                 "geometry": {"type": "MultiPolygon", "coordinates": [[[[106.5, 29.5]]], [[[106.6, 29.4]]]]}},
                {"type": "Feature", "properties": {"code": "c", "name": "丙", "name_en": "C"},
                 "geometry": {"type": "Point", "coordinates": [106.5, 29.5]}}
            ]
        }))
        .unwrap();
        let codes: Vec<&str> = areas.areas.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["a", "b", "c"]);
        // The box is the polygons': the first ring spans it corner to corner.
        assert_eq!(
            areas.areas[0].path,
            format!("M0.0,0.0L360.0,0.0L360.0,{:.1}Z", areas.height)
        );
        assert_eq!(
            areas.areas[1].path.matches('M').count(),
            2,
            "one ring per polygon"
        );
        assert_eq!(areas.areas[2].path, "", "a point is not an outline");
        assert_eq!(
            (
                areas.areas[0].name.as_str(),
                areas.areas[0].name_en.as_str()
            ),
            ("甲", "A")
        );
    }

    #[test]
    fn the_map_escapes_what_it_draws_and_marks_the_highlight() {
        let areas: DistrictAreas = serde_json::from_value(serde_json::json!({
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": "a", "name": "<b>甲</b>", "name_en": "A"},
                 "geometry": {"type": "Polygon", "coordinates": [[[106.4, 29.6], [107.0, 29.6], [107.0, 29.0]]]}},
                {"type": "Feature", "properties": {"code": "b", "name": "乙", "name_en": "B"},
                 "geometry": {"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.4], [106.5, 29.4]]]}}
            ]
        }))
        .unwrap();
        let pins = [Pin {
            lat: 29.3,
            lon: 106.7,
            href: "/cases/BN-1\"onclick=\"x".to_owned(),
            label: "</title><script>x</script>".to_owned(),
            closed: true,
        }];
        let svg = map_svg(
            "地图 & map",
            &areas,
            &pins,
            Some("b"),
            crate::i18n::Locale::zh_CN,
        );
        assert!(svg.starts_with("<title>地图 &amp; map</title>"), "{svg}");
        assert!(
            svg.contains("<title>&lt;b&gt;甲&lt;/b&gt;</title>"),
            "{svg}"
        );
        assert!(
            !svg.contains("<script>") && !svg.contains("\"onclick"),
            "{svg}"
        );
        assert_eq!(svg.matches(r#"class="map-area on""#).count(), 1, "{svg}");
        assert!(svg.contains(r#"class="map-pin closed""#), "{svg}");
        assert_eq!(svg.matches("<a href=").count(), 1);
    }

    #[test]
    fn no_areas_still_frame_the_district() {
        let empty = DistrictAreas::default();
        assert!(empty.areas.is_empty());
        assert!(empty.height > 300.0, "Banan's box, not a flat line");
    }
}
