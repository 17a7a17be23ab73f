//! What a photo's EXIF tells us — its orientation, position and time —
//! read leniently, once, from the original bytes. None of it is written
//! into the copies.

use std::io::Cursor;

use super::GeoPoint;

/// What we take from EXIF.
pub(super) struct Metadata {
    pub(super) orientation: u8,
    pub(super) location: Option<GeoPoint>,
    pub(super) taken_at: Option<String>,
}

/// Lenient EXIF reading: cameras write EXIF that strict parsing refuses, and
/// a photo with broken EXIF is still a photo.
pub(super) fn read_exif(bytes: &[u8]) -> Metadata {
    let none = Metadata {
        orientation: 1,
        location: None,
        taken_at: None,
    };
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_ignored| {}))
    {
        Ok(exif) => exif,
        Err(_) => return none,
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value);

    let orientation = field(exif::Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let taken_at = field(exif::Tag::DateTimeOriginal)
        .and_then(ascii)
        .filter(|s| s.len() <= 32 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0'));
    let location = gps_coordinate(
        field(exif::Tag::GPSLatitude),
        field(exif::Tag::GPSLatitudeRef),
        b'N',
        b'S',
        90.0,
    )
    .zip(gps_coordinate(
        field(exif::Tag::GPSLongitude),
        field(exif::Tag::GPSLongitudeRef),
        b'E',
        b'W',
        180.0,
    ))
    .map(|(lat, lon)| GeoPoint { lat, lon })
    // (0, 0) is a phone without a fix, not a report from the Gulf of Guinea.
    .filter(|p| p.lat.abs() > 1e-6 || p.lon.abs() > 1e-6);
    Metadata {
        orientation,
        location,
        taken_at,
    }
}

/// The first ASCII string of a value, trimmed, printable characters only.
fn ascii(value: &exif::Value) -> Option<String> {
    match value {
        exif::Value::Ascii(parts) => {
            let s = std::str::from_utf8(parts.first()?)
                .ok()?
                .trim_matches(|c: char| c == '\0' || c == ' ');
            (!s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() || c == ' '))
                .then(|| s.to_owned())
        }
        _ => None,
    }
}

/// Degrees, minutes, seconds plus a hemisphere reference → signed decimal
/// degrees, or `None` when anything is missing, malformed or out of range.
fn gps_coordinate(
    value: Option<&exif::Value>,
    reference: Option<&exif::Value>,
    positive: u8,
    negative: u8,
    max: f64,
) -> Option<f64> {
    let parts: Vec<f64> = match value? {
        exif::Value::Rational(v) => v.iter().map(|r| r.to_f64()).collect(),
        exif::Value::SRational(v) => v.iter().map(|r| r.to_f64()).collect(),
        _ => return None,
    };
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| !p.is_finite() || *p < 0.0) {
        return None;
    }
    let magnitude = parts
        .iter()
        .zip([1.0, 60.0, 3600.0])
        .map(|(p, d)| p / d)
        .sum::<f64>();
    // A missing reference is read as north/east, as most readers do.
    let sign = match reference.and_then(ascii).as_deref().map(str::as_bytes) {
        None => 1.0,
        Some([r]) if r.eq_ignore_ascii_case(&positive) => 1.0,
        Some([r]) if r.eq_ignore_ascii_case(&negative) => -1.0,
        Some(_) => return None,
    };
    (magnitude <= max).then_some(sign * magnitude)
}
