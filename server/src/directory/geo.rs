//! Reading area polygons from GeoJSON (RFC 7946, WGS84).

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct AreaFeature {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub approximate: bool,
    /// The geometry as GeoJSON text, as stored.
    pub geometry: String,
    pub bbox: [f64; 4],
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Value,
}

#[derive(Deserialize)]
struct Properties {
    code: String,
    name_zh: String,
    name_en: String,
    kind: String,
    #[serde(default)]
    approximate: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GeoError {
    #[error("not a GeoJSON FeatureCollection of areas: {0}")]
    Format(String),
    #[error("area `{0}`: {1}")]
    Geometry(String, String),
}

pub fn parse_areas(text: &str) -> Result<Vec<AreaFeature>, GeoError> {
    let collection: Collection =
        serde_json::from_str(text).map_err(|e| GeoError::Format(e.to_string()))?;
    collection
        .features
        .into_iter()
        .map(|f| {
            let bbox =
                bbox(&f.geometry).map_err(|e| GeoError::Geometry(f.properties.code.clone(), e))?;
            Ok(AreaFeature {
                code: f.properties.code,
                name_zh: f.properties.name_zh,
                name_en: f.properties.name_en,
                kind: f.properties.kind,
                approximate: f.properties.approximate,
                geometry: f.geometry.to_string(),
                bbox,
            })
        })
        .collect()
}

/// The polygons of a stored area geometry (GeoJSON Polygon or
/// MultiPolygon), each as its rings of `[lon, lat]`; none for anything else.
pub fn polygons(geometry: &str) -> Vec<Vec<Vec<[f64; 2]>>> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(geometry) else {
        return Vec::new();
    };
    match value["type"].as_str() {
        Some("Polygon") => serde_json::from_value(value["coordinates"].clone())
            .map(|p| vec![p])
            .unwrap_or_default(),
        Some("MultiPolygon") => {
            serde_json::from_value(value["coordinates"].clone()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// `[min_lon, min_lat, max_lon, max_lat]` of a Polygon or MultiPolygon whose
/// rings are closed and lie on the globe.
fn bbox(geometry: &Value) -> Result<[f64; 4], String> {
    let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => vec![geometry.get("coordinates").ok_or("no coordinates")?],
        Some("MultiPolygon") => geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or("no coordinates")?
            .iter()
            .collect(),
        other => return Err(format!("expected a Polygon or MultiPolygon, got {other:?}")),
    };
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for polygon in polygons {
        for ring in polygon
            .as_array()
            .ok_or("a polygon must be an array of rings")?
        {
            let points = ring.as_array().ok_or("a ring must be an array of points")?;
            if points.len() < 4 || points.first() != points.last() {
                return Err("every ring needs at least 4 points and must be closed".into());
            }
            for p in points {
                let (lon, lat) = match p.as_array().map(Vec::as_slice) {
                    Some([lon, lat, ..]) => (
                        lon.as_f64().ok_or("a coordinate must be a number")?,
                        lat.as_f64().ok_or("a coordinate must be a number")?,
                    ),
                    _ => return Err("a point must be [lon, lat]".into()),
                };
                if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                    return Err(format!("point [{lon}, {lat}] is not WGS84"));
                }
                b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
            }
        }
    }
    if b[0].is_finite() {
        Ok(b)
    } else {
        Err("the geometry has no points".into())
    }
}

/// The 街道/镇 that contains the point, if any area polygons are loaded: a
/// bounding-box query, then the polygons of the few candidates.
pub async fn locate(
    db: &impl sea_orm::ConnectionTrait,
    p: shared::geo::LatLon,
) -> Result<Option<crate::db::entities::area::Model>, sea_orm::DbErr> {
    use crate::db::entities::area;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let candidates = area::Entity::find()
        .filter(area::Column::MinLon.lte(p.lon))
        .filter(area::Column::MaxLon.gte(p.lon))
        .filter(area::Column::MinLat.lte(p.lat))
        .filter(area::Column::MaxLat.gte(p.lat))
        .all(db)
        .await?;
    Ok(candidates.into_iter().find(|a| {
        polygons(&a.geometry)
            .iter()
            .any(|rings| shared::geo::in_polygon(p, rings))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_banan_areas_parse_with_22_areas_inside_the_district() {
        let areas = parse_areas(crate::demo::BANAN_AREAS).unwrap();
        assert_eq!(areas.len(), 22);
        assert_eq!(areas.iter().filter(|a| a.kind == "jiedao").count(), 8);
        assert_eq!(areas.iter().filter(|a| a.kind == "zhen").count(), 14);
        for a in &areas {
            assert!(a.approximate, "{} must be labelled approximate", a.code);
            let [min_lon, min_lat, max_lon, max_lat] = a.bbox;
            assert!(
                min_lon >= 106.3 && max_lon <= 107.2,
                "{}: {:?}",
                a.code,
                a.bbox
            );
            assert!(
                min_lat >= 29.0 && max_lat <= 29.8,
                "{}: {:?}",
                a.code,
                a.bbox
            );
        }
    }

    #[test]
    fn an_open_ring_is_refused() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"code":"x","name_zh":"X","name_en":"X","kind":"zhen"},
            "geometry":{"type":"Polygon","coordinates":[[[106.5,29.4],[106.6,29.4],[106.6,29.5],[106.5,29.5]]]}}]}"#;
        assert!(matches!(parse_areas(text), Err(GeoError::Geometry(code, _)) if code == "x"));
    }

    #[test]
    fn a_point_geometry_is_refused() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"code":"p","name_zh":"P","name_en":"P","kind":"zhen"},
            "geometry":{"type":"Point","coordinates":[106.5,29.4]}}]}"#;
        assert!(parse_areas(text).is_err());
    }
}
