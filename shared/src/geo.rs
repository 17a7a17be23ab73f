//! Coordinates. Everything is stored and published in WGS84 (GPS, Open311);
//! Chinese map SDKs give GCJ-02 (火星坐标), converted at the boundary.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// Banan District's extent with a margin: `[min_lon, min_lat, max_lon, max_lat]`.
/// Used when no area polygons are loaded.
pub const BANAN_BBOX: [f64; 4] = [106.40, 29.05, 107.10, 29.75];

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The published GCJ-02 obfuscation of a WGS84 point in China.
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    use std::f64::consts::PI;
    let d_lat = transform_lat(p.lon - 105.0, p.lat - 35.0);
    let d_lon = transform_lon(p.lon - 105.0, p.lat - 35.0);
    let rad_lat = p.lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    LatLon {
        lat: p.lat + (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI),
        lon: p.lon + (d_lon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI),
    }
}

/// GCJ-02 back to WGS84, by fixed-point iteration (to well under a metre).
pub fn gcj02_to_wgs84(g: LatLon) -> LatLon {
    let mut w = g;
    for _ in 0..10 {
        let back = wgs84_to_gcj02(w);
        let (d_lat, d_lon) = (back.lat - g.lat, back.lon - g.lon);
        w = LatLon {
            lat: w.lat - d_lat,
            lon: w.lon - d_lon,
        };
        if d_lat.abs() < 1e-9 && d_lon.abs() < 1e-9 {
            break;
        }
    }
    w
}

/// Great-circle distance in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = la2 - la1;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Whether `p` lies inside a ring of `[lon, lat]` points (ray casting).
pub fn in_ring(p: LatLon, ring: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for i in 0..ring.len() {
        let ([xi, yi], [xj, yj]) = (ring[i], ring[j % ring.len()]);
        if (yi > p.lat) != (yj > p.lat) && p.lon < (xj - xi) * (p.lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Inside a polygon: inside its outer ring and outside its holes.
pub fn in_polygon(p: LatLon, rings: &[Vec<[f64; 2]>]) -> bool {
    match rings.split_first() {
        Some((outer, holes)) => in_ring(p, outer) && !holes.iter().any(|h| in_ring(p, h)),
        None => false,
    }
}

pub fn in_bbox(p: LatLon, [min_lon, min_lat, max_lon, max_lat]: [f64; 4]) -> bool {
    (min_lon..=max_lon).contains(&p.lon) && (min_lat..=max_lat).contains(&p.lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Yudong, Banan (approximately).
    const YUDONG: LatLon = LatLon {
        lat: 29.375,
        lon: 106.51,
    };

    #[test]
    fn gcj02_offsets_a_banan_point_by_a_few_hundred_metres_and_converts_back() {
        let g = wgs84_to_gcj02(YUDONG);
        let shift = distance_m(YUDONG, g);
        assert!((200.0..800.0).contains(&shift), "shift {shift} m");
        let back = gcj02_to_wgs84(g);
        assert!(distance_m(back, YUDONG) < 0.01, "{back:?}");
    }

    #[test]
    fn distances_are_in_metres() {
        let north = LatLon {
            lat: YUDONG.lat + 0.001,
            lon: YUDONG.lon,
        };
        let d = distance_m(YUDONG, north);
        assert!((110.0..112.5).contains(&d), "{d}");
        assert_eq!(distance_m(YUDONG, YUDONG), 0.0);
    }

    #[test]
    fn points_are_inside_or_outside_a_polygon_with_a_hole() {
        let outer = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        let hole = vec![[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]];
        let poly = vec![outer, hole];
        assert!(in_polygon(LatLon { lat: 1.0, lon: 1.0 }, &poly));
        assert!(
            !in_polygon(LatLon { lat: 5.0, lon: 5.0 }, &poly),
            "in the hole"
        );
        assert!(!in_polygon(
            LatLon {
                lat: 11.0,
                lon: 1.0
            },
            &poly
        ));
    }

    #[test]
    fn banan_is_inside_its_bounding_box_and_beijing_is_not() {
        assert!(in_bbox(YUDONG, BANAN_BBOX));
        assert!(!in_bbox(
            LatLon {
                lat: 39.9,
                lon: 116.4
            },
            BANAN_BBOX
        ));
    }
}
