//! The pipeline's tests: real photos built in memory, hostile ones, and each
//! stage against the whole.

use super::decode::{Pixels, flatten_on_white, open};
use super::encode::{encode_jpeg, encode_upright};
use super::pipeline::kib;
use super::resize::{fit_within, resize_to, upright_rows, upright_size};
use super::segments::{find_segment, segments};
use super::*;
use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::sync::Arc;
use std::time::Instant;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A deterministic photo-like RGB image: gradients plus a little noise.
fn photo(width: u32, height: u32) -> image::RgbImage {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    image::RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed % 16) as u32;
        image::Rgb([
            ((x * 255 / width.max(1)) + n).min(255) as u8,
            ((y * 255 / height.max(1)) + n).min(255) as u8,
            (128 + n) as u8,
        ])
    })
}

fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("test image: {e}"));
    out.into_inner()
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(photo(width, height).into(), image::ImageFormat::Jpeg)
}

/// A TIFF (EXIF) blob, little-endian, with the given primary-IFD tags.
/// Values longer than 4 bytes go after the IFDs.
struct Tiff {
    ifd0: Vec<(u16, u16, u32, Vec<u8>)>,
    exif: Vec<(u16, u16, u32, Vec<u8>)>,
    gps: Vec<(u16, u16, u32, Vec<u8>)>,
}

const SHORT: u16 = 3;
const ASCII: u16 = 2;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

fn ascii_value(s: &str) -> (u16, u32, Vec<u8>) {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    (ASCII, v.len() as u32, v)
}

fn dms(deg: u32, min: u32, sec_x100: u32) -> (u16, u32, Vec<u8>) {
    let mut v = Vec::new();
    for (n, d) in [(deg, 1u32), (min, 1), (sec_x100, 100)] {
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(&d.to_le_bytes());
    }
    (RATIONAL, 3, v)
}

impl Tiff {
    fn build(mut self) -> Vec<u8> {
        let ifd_len = |n: usize| 2 + 12 * n + 4;
        let has_exif = !self.exif.is_empty();
        let has_gps = !self.gps.is_empty();
        if has_exif {
            self.ifd0.push((0x8769, LONG, 1, vec![0; 4]));
        }
        if has_gps {
            self.ifd0.push((0x8825, LONG, 1, vec![0; 4]));
        }
        let ifd0_at = 8;
        let exif_at = ifd0_at + ifd_len(self.ifd0.len());
        let gps_at = exif_at
            + if has_exif {
                ifd_len(self.exif.len())
            } else {
                0
            };
        let mut data_at = gps_at + if has_gps { ifd_len(self.gps.len()) } else { 0 };
        for (tag, _, _, v) in &mut self.ifd0 {
            match *tag {
                0x8769 => *v = (exif_at as u32).to_le_bytes().to_vec(),
                0x8825 => *v = (gps_at as u32).to_le_bytes().to_vec(),
                _ => {}
            }
        }
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&(ifd0_at as u32).to_le_bytes());
        let mut extra = Vec::new();
        for ifd in [&mut self.ifd0, &mut self.exif, &mut self.gps] {
            if ifd.is_empty() {
                continue;
            }
            ifd.sort_by_key(|e| e.0);
            out.extend_from_slice(&(ifd.len() as u16).to_le_bytes());
            for (tag, ty, count, value) in ifd.iter() {
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&ty.to_le_bytes());
                out.extend_from_slice(&count.to_le_bytes());
                if value.len() <= 4 {
                    let mut v = value.clone();
                    v.resize(4, 0);
                    out.extend_from_slice(&v);
                } else {
                    out.extend_from_slice(&(data_at as u32).to_le_bytes());
                    data_at += value.len();
                    extra.extend_from_slice(value);
                }
            }
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        out.extend_from_slice(&extra);
        out
    }
}

/// Degrees, minutes, seconds and the hemisphere letter (`N`, `E`, …).
type Dms<'a> = (u32, u32, u32, &'a str);

fn exif_blob(orientation: Option<u16>, gps: Option<(Dms<'_>, Dms<'_>)>) -> Vec<u8> {
    let mut t = Tiff {
        ifd0: Vec::new(),
        exif: Vec::new(),
        gps: Vec::new(),
    };
    if let Some(o) = orientation {
        t.ifd0.push((0x0112, SHORT, 1, o.to_le_bytes().to_vec()));
    }
    let (ty, n, v) = ascii_value("Shanshui test camera");
    t.ifd0.push((0x0110, ty, n, v));
    let (ty, n, v) = ascii_value("2026:11:28 21:30:05");
    t.exif.push((0x9003, ty, n, v));
    if let Some(((ad, am, as_, aref), (od, om, os, oref))) = gps {
        let (ty, n, v) = ascii_value(aref);
        t.gps.push((1, ty, n, v));
        let (ty, n, v) = dms(ad, am, as_);
        t.gps.push((2, ty, n, v));
        let (ty, n, v) = ascii_value(oref);
        t.gps.push((3, ty, n, v));
        let (ty, n, v) = dms(od, om, os);
        t.gps.push((4, ty, n, v));
    }
    t.build()
}

/// Splices an APP1 "Exif" segment right after the SOI marker.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let len = (2 + 6 + tiff.len()) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn dimensions_of(jpeg: &[u8]) -> (u32, u32) {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .map(|i| (i.width(), i.height()))
        .unwrap_or_else(|e| panic!("output is not a JPEG: {e}"))
}

/// The marker segments before the first scan, e.g. [0xE0, 0xDB, 0xC0, …].
fn header_markers(jpeg: &[u8]) -> Vec<u8> {
    segments(jpeg).map(|s| s.marker).collect()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG whose IHDR (valid CRC) claims `width`×`height` RGB pixels, with a
/// body of a few bytes.
fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_12_megapixel_jpeg_becomes_a_1600_display_and_a_320_thumbnail() -> TestResult {
    let input = jpeg(4000, 3000);
    let p = process(&input, &PhotoLimits::default())?;
    assert_eq!((p.width, p.height), (4000, 3000));
    assert_eq!(p.original_format, PhotoFormat::Jpeg);
    assert_eq!(dimensions_of(&p.display), (1600, 1200));
    assert_eq!(dimensions_of(&p.thumbnail), (320, 240));
    assert_eq!(p.original_sha256, hex::encode(Sha256::digest(&input)));
    assert_eq!(p.original_sha256.len(), 64);
    Ok(())
}

#[test]
fn photos_whose_scale_is_not_a_round_number_are_resized_too() -> TestResult {
    // 648×480 → a 320×237 thumbnail: 237 rows × (480 / 237) is a hair over
    // 480 in floating point, which once asked the resizer for a crop past
    // the image's edge and refused an ordinary photo as corrupt.
    for (w, h) in [(648, 480), (680, 480), (1080, 2337), (4032, 3023)] {
        let p =
            process(&jpeg(w, h), &PhotoLimits::default()).map_err(|e| format!("{w}×{h}: {e}"))?;
        let (tw, th) = dimensions_of(&p.thumbnail);
        assert_eq!(tw.max(th), 320, "{w}×{h}");
    }
    Ok(())
}

#[test]
fn a_portrait_taken_sideways_comes_out_upright() -> TestResult {
    // Stored landscape with a red block top-left; orientation 6 means
    // "rotate 90° clockwise to view", so the block ends up top-right.
    let mut img = photo(800, 600);
    for y in 0..100 {
        for x in 0..100 {
            img.put_pixel(x, y, image::Rgb([255, 0, 0]));
        }
    }
    let input = with_exif(
        &encode(img.into(), image::ImageFormat::Jpeg),
        &exif_blob(Some(6), None),
    );
    let p = process(&input, &PhotoLimits::default())?;
    assert_eq!((p.width, p.height), (600, 800));
    assert_eq!(dimensions_of(&p.display), (600, 800));
    let (tw, th) = dimensions_of(&p.thumbnail);
    assert!(tw < th, "thumbnail {tw}×{th} is not portrait");
    let display = image::load_from_memory(&p.display)?.into_rgb8();
    let top_right = display.get_pixel(600 - 30, 30);
    let top_left = display.get_pixel(30, 30);
    assert!(
        top_right[0] > 200 && top_right[1] < 60,
        "top right is {top_right:?}"
    );
    assert!(
        top_left[0] < 200 || top_left[1] > 60,
        "top left is {top_left:?}"
    );
    Ok(())
}

#[test]
fn every_exif_orientation_gives_the_upright_size() -> TestResult {
    let base = encode(photo(400, 200).into(), image::ImageFormat::Jpeg);
    for o in 1..=8u16 {
        let p = process(
            &with_exif(&base, &exif_blob(Some(o), None)),
            &PhotoLimits::default(),
        )?;
        let expected = if o >= 5 { (200, 400) } else { (400, 200) };
        assert_eq!(dimensions_of(&p.display), expected, "orientation {o}");
        assert_eq!((p.width, p.height), expected, "orientation {o}");
    }
    Ok(())
}

#[test]
fn exif_gps_north_east_is_extracted_as_positive_degrees() -> TestResult {
    // Banan District: 29°22'30.00"N 106°32'24.00"E.
    let blob = exif_blob(Some(1), Some(((29, 22, 3000, "N"), (106, 32, 2400, "E"))));
    let p = process(&with_exif(&jpeg(320, 240), &blob), &PhotoLimits::default())?;
    let at = p.exif_location.ok_or("no location")?;
    assert!((at.lat - 29.375).abs() < 1e-9, "lat {}", at.lat);
    assert!((at.lon - 106.54).abs() < 1e-9, "lon {}", at.lon);
    assert_eq!(p.exif_taken_at.as_deref(), Some("2026:11:28 21:30:05"));
    Ok(())
}

#[test]
fn exif_gps_south_west_is_extracted_as_negative_degrees() -> TestResult {
    let blob = exif_blob(None, Some(((33, 52, 0, "S"), (151, 12, 3600, "W"))));
    let p = process(&with_exif(&jpeg(320, 240), &blob), &PhotoLimits::default())?;
    let at = p.exif_location.ok_or("no location")?;
    assert!((at.lat + 33.866_666_666).abs() < 1e-6, "lat {}", at.lat);
    assert!((at.lon + 151.21).abs() < 1e-9, "lon {}", at.lon);
    Ok(())
}

#[test]
fn gps_at_zero_zero_or_out_of_range_is_ignored() -> TestResult {
    for gps in [
        ((0, 0, 0, "N"), (0, 0, 0, "E")),
        ((95, 0, 0, "N"), (106, 0, 0, "E")),
        ((29, 0, 0, "X"), (106, 0, 0, "E")),
    ] {
        let p = process(
            &with_exif(&jpeg(64, 48), &exif_blob(None, Some(gps))),
            &PhotoLimits::default(),
        )?;
        assert_eq!(p.exif_location, None, "{gps:?}");
    }
    Ok(())
}

#[test]
fn broken_exif_does_not_stop_the_photo() -> TestResult {
    // An IFD entry pointing far past the end of the blob.
    let mut blob = exif_blob(Some(6), None);
    let len = blob.len();
    blob.truncate(len - 8);
    let p = process(&with_exif(&jpeg(400, 200), &blob), &PhotoLimits::default())?;
    assert_eq!(dimensions_of(&p.display), (200, 400));
    let p = process(
        &with_exif(&jpeg(400, 200), b"II*\0\xff\xff\xff\x7f"),
        &PhotoLimits::default(),
    )?;
    assert_eq!(dimensions_of(&p.display), (400, 200));
    Ok(())
}

#[test]
fn exif_that_strict_parsing_refuses_still_gives_its_orientation() -> TestResult {
    // IFD0: Make (0x010F) whose value points far outside the blob, then
    // a good Orientation = 6. Strict kamadak-exif gives up on the blob.
    let mut blob = b"II*\0\x08\0\0\0\x02\0".to_vec();
    blob.extend_from_slice(&[0x0F, 0x01, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0x7F]);
    blob.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    blob.extend_from_slice(&[0, 0, 0, 0]);
    let input = with_exif(&jpeg(400, 200), &blob);
    let strict = ::exif::Reader::new().read_from_container(&mut Cursor::new(input.as_slice()));
    assert!(strict.is_err(), "strict parsing accepted the blob");
    let p = process(&input, &PhotoLimits::default())?;
    assert_eq!(dimensions_of(&p.display), (200, 400));
    Ok(())
}

#[test]
fn the_outputs_carry_no_exif_or_gps_even_when_the_input_had_them() -> TestResult {
    let blob = exif_blob(Some(1), Some(((29, 22, 3000, "N"), (106, 32, 2400, "E"))));
    let input = with_exif(&jpeg(2000, 1000), &blob);
    let p = process(&input, &PhotoLimits::default())?;
    assert!(p.exif_location.is_some());
    for (name, out) in [("display", &p.display), ("thumbnail", &p.thumbnail)] {
        let markers = header_markers(out);
        assert_eq!(markers.first(), Some(&0xE0), "{name}: {markers:x?}");
        for m in &markers {
            // APP1–APP15 (EXIF, XMP, ICC in APP2…) and COM must be absent.
            assert!(
                !(0xE1..=0xEF).contains(m) && *m != 0xFE,
                "{name} has marker {m:#x}"
            );
        }
        assert!(
            !out.windows(6).any(|w| w == b"Exif\0\0"),
            "{name} contains Exif"
        );
        assert!(
            !out.windows(12).any(|w| w == b"Shanshui tes"),
            "{name} contains the camera name"
        );
        let read = ::exif::Reader::new().read_from_container(&mut Cursor::new(out.as_slice()));
        assert!(read.is_err(), "{name} has readable EXIF");
    }
    Ok(())
}

#[test]
fn a_small_image_is_not_upscaled() -> TestResult {
    let p = process(&jpeg(200, 150), &PhotoLimits::default())?;
    assert_eq!(dimensions_of(&p.display), (200, 150));
    assert_eq!(dimensions_of(&p.thumbnail), (200, 150));
    let p = process(&jpeg(1000, 300), &PhotoLimits::default())?;
    assert_eq!(dimensions_of(&p.display), (1000, 300));
    assert_eq!(dimensions_of(&p.thumbnail), (320, 96));
    Ok(())
}

#[test]
fn a_png_with_transparency_is_flattened_onto_white() -> TestResult {
    let img = image::RgbaImage::from_fn(640, 480, |x, _| {
        if x < 320 {
            image::Rgba([0, 0, 255, 0])
        } else {
            image::Rgba([0, 0, 255, 255])
        }
    });
    let p = process(
        &encode(img.into(), image::ImageFormat::Png),
        &PhotoLimits::default(),
    )?;
    assert_eq!(p.original_format, PhotoFormat::Png);
    assert_eq!((p.width, p.height), (640, 480));
    let display = image::load_from_memory(&p.display)?.into_rgb8();
    let clear = display.get_pixel(100, 240);
    let blue = display.get_pixel(540, 240);
    assert!(
        clear.0.iter().all(|&c| c > 240),
        "transparent area is {clear:?}"
    );
    assert!(blue[2] > 200 && blue[0] < 40, "opaque area is {blue:?}");
    assert_eq!(dimensions_of(&p.thumbnail), (320, 240));
    Ok(())
}

#[test]
fn flattening_onto_white_keeps_opaque_pixels_and_whitens_clear_ones() {
    let rgba = vec![
        10, 20, 30, 255, 10, 20, 30, 0, 0, 0, 0, 128, 200, 100, 50, 255,
    ];
    assert_eq!(
        flatten_on_white(rgba, 3),
        vec![10, 20, 30, 255, 255, 255, 127, 127, 127, 200, 100, 50]
    );
    assert_eq!(flatten_on_white(vec![0, 0, 90, 255], 1), vec![255, 90]);
}

#[test]
fn a_grey_png_stays_grey() -> TestResult {
    let img = image::GrayImage::from_fn(2000, 500, |x, _| image::Luma([(x % 256) as u8]));
    let p = process(
        &encode(img.into(), image::ImageFormat::Png),
        &PhotoLimits::default(),
    )?;
    assert_eq!(dimensions_of(&p.display), (1600, 400));
    assert_eq!(dimensions_of(&p.thumbnail), (320, 80));
    Ok(())
}

#[test]
fn a_webp_is_accepted() -> TestResult {
    let p = process(
        &encode(photo(1800, 900).into(), image::ImageFormat::WebP),
        &PhotoLimits::default(),
    )?;
    assert_eq!(p.original_format, PhotoFormat::WebP);
    assert_eq!(p.original_format.mime(), "image/webp");
    assert_eq!(dimensions_of(&p.display), (1600, 800));
    assert_eq!(dimensions_of(&p.thumbnail), (320, 160));
    Ok(())
}

#[test]
fn a_png_bomb_is_refused_from_its_header_in_microseconds() {
    let bomb = bomb_png(60_000, 60_000);
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let result = process(&bomb, &PhotoLimits::default());
    let took = started.elapsed();
    assert!(
        matches!(
            result,
            Err(PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000
            })
        ),
        "{result:?}"
    );
    assert!(took < Duration::from_millis(50), "took {took:?}");
    // Within the side limits but over the pixel count: 11000² = 121 MP.
    let result = process(&bomb_png(11_000, 11_000), &PhotoLimits::default());
    assert!(
        matches!(result, Err(PhotoError::TooManyPixels { .. })),
        "{result:?}"
    );
    assert_eq!(result.map(|_| ()).unwrap_err().code(), "too_many_pixels");
}

#[test]
fn a_jpeg_claiming_too_many_pixels_is_refused_before_decoding() {
    // Patch a real JPEG's SOF0 to claim 60000×60000.
    let mut input = jpeg(64, 48);
    let sof = input
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .unwrap_or_else(|| panic!("no SOF0"));
    input[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let started = Instant::now();
    let result = process(&input, &PhotoLimits::default());
    assert!(
        matches!(
            result,
            Err(PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000
            })
        ),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[test]
fn a_truncated_jpeg_is_corrupt() {
    let input = jpeg(800, 600);
    let result = process(&input[..input.len() / 2], &PhotoLimits::default());
    assert!(matches!(result, Err(PhotoError::Corrupt(_))), "{result:?}");
    let result = process(&input[..200], &PhotoLimits::default());
    assert!(matches!(result, Err(PhotoError::Corrupt(_))), "{result:?}");
    assert_eq!(result.map(|_| ()).unwrap_err().code(), "corrupt_image");
}

#[test]
fn a_truncated_png_is_corrupt() {
    let input = encode(photo(300, 300).into(), image::ImageFormat::Png);
    let result = process(&input[..input.len() / 2], &PhotoLimits::default());
    assert!(matches!(result, Err(PhotoError::Corrupt(_))), "{result:?}");
}

#[test]
fn html_svg_gif_and_other_bytes_are_refused_whatever_their_name() {
    let gif = encode_gif();
    let refused: [&[u8]; 6] = [
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        b"<svg onload=\"alert(1)\"/>",
        &gif,
        b"%PDF-1.7\n",
        b"RIFF\x10\0\0\0AVI LIST",
    ];
    for bytes in refused {
        let result = process(bytes, &PhotoLimits::default());
        assert!(
            matches!(result, Err(PhotoError::UnsupportedFormat)),
            "{result:?}"
        );
    }
    let message = PhotoError::UnsupportedFormat.to_string();
    assert_eq!(message, "only JPEG, PNG and WebP photos are accepted");
}

fn encode_gif() -> Vec<u8> {
    // GIF89a, 1×1, one black pixel.
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec()
}

#[test]
fn an_empty_file_is_refused() {
    let result = process(&[], &PhotoLimits::default());
    assert!(matches!(result, Err(PhotoError::Empty)), "{result:?}");
    assert_eq!(PhotoError::Empty.code(), "empty_file");
    assert_eq!(PhotoError::Empty.to_string(), "the file is empty");
}

#[test]
fn a_file_over_the_byte_limit_is_refused_before_anything_else() {
    let limits = PhotoLimits {
        max_bytes: 1000,
        ..PhotoLimits::default()
    };
    let result = process(&[0xFF; 1001], &limits);
    assert!(
        matches!(result, Err(PhotoError::TooLarge { max_bytes: 1000 })),
        "{result:?}"
    );
    assert_eq!(
        PhotoError::TooLarge {
            max_bytes: 20 * MIB
        }
        .to_string(),
        "the photo is larger than 20 MB"
    );
    assert_eq!(
        PhotoError::TooLarge { max_bytes: 1 }.code(),
        "file_too_large"
    );
}

#[test]
fn error_codes_are_stable() {
    assert_eq!(PhotoError::UnsupportedFormat.code(), "unsupported_format");
    assert_eq!(
        PhotoError::TooManyPixels {
            width: 1,
            height: 1
        }
        .code(),
        "too_many_pixels"
    );
    assert_eq!(PhotoError::Corrupt(String::new()).code(), "corrupt_image");
    assert_eq!(PhotoError::Busy.code(), "busy");
}

#[test]
fn formats_are_sniffed_from_magic_bytes() {
    assert_eq!(PhotoFormat::sniff(&jpeg(8, 8)), Some(PhotoFormat::Jpeg));
    assert_eq!(
        PhotoFormat::sniff(b"\x89PNG\r\n\x1a\n"),
        Some(PhotoFormat::Png)
    );
    assert_eq!(
        PhotoFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
        Some(PhotoFormat::WebP)
    );
    assert_eq!(PhotoFormat::sniff(b"RIFF\0\0\0\0WAVE"), None);
    assert_eq!(PhotoFormat::sniff(b"\xFF\xD8"), None);
    assert_eq!(PhotoFormat::Jpeg.extension(), "jpg");
    assert_eq!(PhotoFormat::Png.mime(), "image/png");
}

fn noise(width: u32, height: u32, channels: usize) -> Pixels {
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let data = (0..width as usize * height as usize * channels)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((i / 7 % 200) as u64 + seed % 40) as u8
        })
        .collect();
    Pixels {
        width,
        height,
        channels,
        data,
    }
}

#[test]
fn an_image_encoded_in_two_bands_is_byte_for_byte_what_one_encoder_writes() -> TestResult {
    let cases = [
        (1600, 1200, 3, 1),
        (1600, 1200, 3, 6),
        (1000, 999, 3, 3),
        (777, 1001, 1, 8),
        (1200, 1600, 1, 1),
    ];
    for (w, h, c, orientation) in cases {
        let px = noise(w, h, c);
        {
            let banded = encode_upright(&px, orientation, DISPLAY_QUALITY, || ()).0?;
            let (uw, uh) = upright_size(w, h, orientation);
            let upright =
                upright_rows(&px, orientation, 0, uh as usize).unwrap_or_else(|| px.data.clone());
            let mcu = if c == 1 { 8 } else { 16 };
            let interval =
                ((uh as usize).div_ceil(mcu) * 3).div_ceil(5) * (uw as usize).div_ceil(mcu);
            let whole = encode_jpeg(
                &upright,
                uw,
                uh,
                c,
                DISPLAY_QUALITY,
                Some(u16::try_from(interval)?),
            )?;
            assert!(banded == whole, "{w}×{h}×{c}, orientation {orientation}");
            assert_eq!(dimensions_of(&banded), (uw, uh));
        }
    }
    Ok(())
}

#[test]
fn upright_rows_in_bands_match_the_whole_image() {
    let px = noise(97, 61, 3);
    for orientation in 2..=8 {
        let (_, uh) = upright_size(97, 61, orientation);
        let whole = upright_rows(&px, orientation, 0, uh as usize).unwrap_or_default();
        let mut bands = upright_rows(&px, orientation, 0, 20).unwrap_or_default();
        bands.extend(upright_rows(&px, orientation, 20, uh as usize).unwrap_or_default());
        assert!(whole == bands, "orientation {orientation}");
        assert_eq!(whole.len(), px.data.len());
    }
    // Orientation 6 puts the first stored row down the right-hand side.
    let px = Pixels {
        width: 3,
        height: 2,
        channels: 1,
        data: vec![1, 2, 3, 4, 5, 6],
    };
    assert_eq!(upright_rows(&px, 6, 0, 3), Some(vec![4, 1, 5, 2, 6, 3]));
    assert_eq!(upright_rows(&px, 8, 0, 3), Some(vec![3, 6, 2, 5, 1, 4]));
    assert_eq!(upright_rows(&px, 3, 0, 2), Some(vec![6, 5, 4, 3, 2, 1]));
    assert_eq!(upright_rows(&px, 1, 0, 2), None);
}

#[test]
fn a_resize_in_two_bands_matches_one_pass() -> TestResult {
    let px = noise(2000, 1500, 3);
    let banded = resize_to(&px, 1600, 1200, FilterType::Lanczos3)?;
    let view = ImageRef::new(2000, 1500, &px.data, PixelType::U8x3)?;
    let mut whole = ResizeImage::new(1600, 1200, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(&view, &mut whole, &options)?;
    let worst = banded
        .data
        .iter()
        .zip(whole.buffer())
        .map(|(a, b)| a.abs_diff(*b))
        .max();
    assert!(worst <= Some(1), "largest difference {worst:?}");
    Ok(())
}

#[test]
fn fit_within_keeps_the_aspect_ratio_and_never_upscales() {
    assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
    assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
    assert_eq!(fit_within(1600, 1200, 320), (320, 240));
    assert_eq!(fit_within(1000, 10, 1600), (1000, 10));
    assert_eq!(fit_within(12_000, 1, 1600), (1600, 1));
}

#[tokio::test]
async fn the_pipeline_processes_off_the_runtime() -> TestResult {
    let pipeline = PhotoPipeline::new(PhotoLimits::default(), 2);
    let p = pipeline.process(bytes::Bytes::from(jpeg(640, 480))).await?;
    assert_eq!(dimensions_of(&p.display), (640, 480));
    let refused = pipeline.process(bytes::Bytes::from_static(b"GIF89a")).await;
    assert!(matches!(refused, Err(PhotoError::UnsupportedFormat)));
    Ok(())
}

#[tokio::test]
async fn the_pipeline_says_busy_when_no_slot_frees_up_in_time() {
    let pipeline =
        PhotoPipeline::new(PhotoLimits::default(), 1).with_queue_wait(Duration::from_millis(50));
    let _held = Arc::clone(&pipeline.slots).acquire_owned().await;
    let result = pipeline.process(bytes::Bytes::from(jpeg(64, 48))).await;
    assert!(matches!(result, Err(PhotoError::Busy)), "{result:?}");
}

/// A progressive JPEG of `sampling` whose frame header claims
/// `width`×`height`: what its decode would cost is known from that alone.
fn progressive_claiming(
    width: u16,
    height: u16,
    sampling: jpeg_encoder::SamplingFactor,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_progressive(true);
    encoder.set_sampling_factor(sampling);
    let pixels = vec![90u8; 64 * 48 * 3];
    encoder
        .encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb)
        .unwrap_or_else(|e| panic!("test image: {e}"));
    let sof = find_segment(&out, 0xC2).unwrap_or_else(|| panic!("no SOF2"));
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn a_photo_whose_decode_would_need_more_than_one_decode_may_use_is_refused_from_its_header() {
    // 49 MP, within the pixel limits. In 4:4:4 its coefficients alone
    // are 294 MB: refused at once, nothing allocated.
    let heavy = progressive_claiming(7000, 7000, jpeg_encoder::SamplingFactor::F_1_1);
    let started = Instant::now();
    let result = process(&heavy, &PhotoLimits::default());
    match result {
        Err(PhotoError::TooMuchMemory { needed, max }) => {
            assert!(needed > 7000 * 7000 * 6, "{needed}");
            assert_eq!(max, PhotoLimits::default().max_alloc);
        }
        other => panic!("{:?}", other.map(|p| p.width)),
    }
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "took {:?}",
        started.elapsed()
    );
    let e = PhotoError::TooMuchMemory {
        needed: 300 * MIB as u64,
        max: 192 * MIB as u64,
    };
    assert_eq!(e.code(), "decode_too_large");
    assert!(
        e.to_string().contains("300 MB") && e.to_string().contains("192 MB"),
        "{e}"
    );
    // The same size in 4:2:0 fits (its estimate counts the whole
    // coefficient buffer), and a baseline one needs next to nothing.
    let plan = inspect(
        &progressive_claiming(7000, 7000, jpeg_encoder::SamplingFactor::F_2_2),
        &PhotoLimits::default(),
    );
    let peak = plan.map(|p| p.peak_bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        peak > 7000 * 7000 * 3 && peak <= PhotoLimits::default().max_alloc,
        "{peak}"
    );
    let mut baseline = jpeg(64, 48);
    let sof = find_segment(&baseline, 0xC0).unwrap_or_else(|| panic!("no SOF0"));
    baseline[sof + 5..sof + 9].copy_from_slice(&[0x1B, 0x58, 0x1B, 0x58]);
    let peak = inspect(&baseline, &PhotoLimits::default())
        .map(|p| p.peak_bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(peak < 48 * MIB as u64, "{peak}");
}

#[tokio::test]
async fn decodes_wait_for_their_share_of_the_memory_budget_and_give_it_back() -> TestResult {
    let budget = 64 * MIB as u64;
    let pipeline = PhotoPipeline::new(PhotoLimits::default(), 2)
        .with_decode_budget(budget)
        .with_queue_wait(Duration::from_millis(100));
    assert_eq!(
        pipeline.limits().max_alloc,
        budget,
        "no photo may need more than all of it"
    );
    let photo = bytes::Bytes::from(jpeg(640, 480));
    let need = inspect(&photo, pipeline.limits())?.peak_bytes;
    // Others hold all but a little less than this photo needs.
    let others = Arc::clone(&pipeline.memory)
        .acquire_many_owned(kib(budget - need) + 1)
        .await?;
    let waited = pipeline.process(photo.clone()).await;
    assert!(
        matches!(waited, Err(PhotoError::Busy)),
        "{:?}",
        waited.map(|p| p.width)
    );
    drop(others);
    assert_eq!(pipeline.process(photo).await?.width, 640);
    assert_eq!(
        pipeline.memory.available_permits(),
        kib(budget) as usize,
        "all given back"
    );
    Ok(())
}

/// A JPEG written by jpeg-encoder, which can also write the kinds the
/// fast path must leave alone.
fn jpeg_encoded(
    width: u16,
    height: u16,
    color: jpeg_encoder::ColorType,
    progressive: bool,
) -> Vec<u8> {
    let channels = match color {
        jpeg_encoder::ColorType::Luma => 1,
        jpeg_encoder::ColorType::Cmyk => 4,
        _ => 3,
    };
    let pixels = vec![90u8; usize::from(width) * usize::from(height) * channels];
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_progressive(progressive);
    encoder
        .encode(&pixels, width, height, color)
        .unwrap_or_else(|e| panic!("test image: {e}"));
    out
}

#[test]
fn the_libjpeg_path_takes_whole_baseline_and_progressive_huffman_jpegs_only() {
    let colour = jpeg(64, 48);
    assert_eq!(
        baseline::gate(&colour),
        Some(baseline::Baseline {
            width: 64,
            height: 48,
            channels: 3
        })
    );
    let grey = jpeg_encoded(40, 30, jpeg_encoder::ColorType::Luma, false);
    assert_eq!(
        baseline::gate(&grey),
        Some(baseline::Baseline {
            width: 40,
            height: 30,
            channels: 1
        })
    );
    let progressive = jpeg_encoded(64, 48, jpeg_encoder::ColorType::Rgb, true);
    assert_eq!(
        baseline::gate(&progressive),
        Some(baseline::Baseline {
            width: 64,
            height: 48,
            channels: 3
        })
    );
    // Left to the pure-Rust decoders: CMYK, a file cut short (libjpeg
    // would pad it with grey), a progressive one cut between or inside
    // its scans, one with too many scans, not a JPEG at all.
    assert_eq!(
        baseline::gate(&jpeg_encoded(64, 48, jpeg_encoder::ColorType::Cmyk, false)),
        None
    );
    assert_eq!(baseline::gate(&progressive[..progressive.len() - 2]), None);
    let second_scan = progressive
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .unwrap_or_else(|| panic!("no scans"));
    assert_eq!(baseline::gate(&progressive[..second_scan]), None);
    assert_eq!(baseline::gate(&progressive[..second_scan + 3]), None);
    assert_eq!(
        baseline::gate(&with_extra_scans(&progressive, baseline::MAX_SCANS)),
        None
    );
    assert!(
        baseline::gate(&with_extra_scans(&progressive, 3)).is_some(),
        "a few more scans are fine"
    );
    assert_eq!(baseline::gate(&colour[..colour.len() - 2]), None);
    assert_eq!(baseline::gate(&colour[..colour.len() / 2]), None);
    assert_eq!(baseline::gate(&colour[..40]), None);
    assert_eq!(
        baseline::gate(&encode(photo(8, 8).into(), image::ImageFormat::Png)),
        None
    );
    // Whatever the header says, the walk answers without panicking:
    // every cut, and every header byte set to 0x00 and to 0xFF.
    let header = colour.len().min(700);
    for cut in 0..header {
        assert_eq!(baseline::gate(&colour[..cut]), None, "cut at {cut}");
    }
    for at in 2..header {
        for byte in [0x00, 0xFF] {
            let mut hostile = colour.clone();
            hostile[at] = byte;
            let _ = baseline::gate(&hostile);
        }
    }
}

/// `jpeg` with `n` more copies of its last scan before the EOI (a
/// refinement scan repeated: the walk counts them, whatever they say).
fn with_extra_scans(jpeg: &[u8], n: usize) -> Vec<u8> {
    let last = jpeg
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .unwrap_or_else(|| panic!("no scans"));
    let scan = &jpeg[last..jpeg.len() - 2];
    let mut out = jpeg[..jpeg.len() - 2].to_vec();
    for _ in 0..n {
        out.extend_from_slice(scan);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn the_entropy_data_must_run_to_an_eoi_past_stuffing_restarts_and_fill() {
    assert!(baseline::ends_at_eoi(&[
        0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9
    ]));
    assert!(
        !baseline::ends_at_eoi(&[0x12, 0xFF, 0x00, 0x34]),
        "cut short"
    );
    assert!(
        !baseline::ends_at_eoi(&[0x12, 0xFF]),
        "cut short at a marker"
    );
    assert!(
        !baseline::ends_at_eoi(&[0x12, 0xFF, 0xC4, 0x00, 0xFF, 0xD9]),
        "a second scan's tables"
    );
    assert!(
        !baseline::ends_at_eoi(&[0x12, 0xFF, 0xDC, 0x00, 0x04, 0xFF, 0xD9]),
        "DNL"
    );
}

#[test]
fn both_paths_give_the_same_picture_and_the_same_copies() -> TestResult {
    // 3240 wide: libjpeg decodes at 4/8 to 1620×1080, jpeg-decoder at 1/2.
    let input = jpeg(3240, 2160);
    let frame = baseline::gate(&input).ok_or("not on the fast path")?;
    let (dw, dh) = fit_within(3240, 2160, DISPLAY_EDGE);
    let (fast, side) = baseline::display_copy(&input, &frame, (dw, dh), || 42);
    let (fast, side) = (fast?, side?);
    assert_eq!(side, 42);
    let limits = PhotoLimits::default();
    let pure = resize_to(
        &open(&input, PhotoFormat::Jpeg, &limits)?.decode(&input, &limits, false)?,
        dw,
        dh,
        FilterType::Lanczos3,
    )?;
    assert_eq!(
        (fast.width, fast.height, fast.channels),
        (pure.width, pure.height, pure.channels)
    );
    // Different IDCTs and chroma upsampling: a level or so apart on average.
    let total: u64 = fast
        .data
        .iter()
        .zip(&pure.data)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = total as f64 / fast.data.len() as f64;
    assert!(mean < 1.5, "mean difference {mean}");
    Ok(())
}

#[test]
fn a_grey_jpeg_stays_grey_on_the_fast_path() -> TestResult {
    let p = process(
        &jpeg_encoded(40, 30, jpeg_encoder::ColorType::Luma, false),
        &PhotoLimits::default(),
    )?;
    let display = image::load_from_memory(&p.display)?;
    assert_eq!(display.color(), image::ColorType::L8);
    assert_eq!((display.width(), display.height()), (40, 30));
    Ok(())
}

#[test]
fn a_fatal_libjpeg_error_is_a_corrupt_image_not_a_crash() {
    // Drop the quantisation tables: jpeg-decoder's header read does not
    // need them, libjpeg stops at the first block with a fatal error.
    let input = jpeg(64, 48);
    let dqt = find_segment(&input, 0xDB).unwrap_or_else(|| panic!("no DQT"));
    let len = 2 + usize::from(u16::from_be_bytes([input[dqt + 2], input[dqt + 3]]));
    let mut broken = input[..dqt].to_vec();
    broken.extend_from_slice(&input[dqt + len..]);
    while let Some(dqt) = find_segment(&broken, 0xDB) {
        let len = 2 + usize::from(u16::from_be_bytes([broken[dqt + 2], broken[dqt + 3]]));
        broken.drain(dqt..dqt + len);
    }
    let frame = baseline::gate(&broken).unwrap_or_else(|| panic!("the gate should pass it"));
    let (display, side) = baseline::display_copy(&broken, &frame, (64, 48), || "hashed");
    assert_eq!(side.ok(), Some("hashed"));
    match display {
        Err(PhotoError::Corrupt(message)) => assert!(message.contains("table"), "{message}"),
        other => panic!("{:?}", other.map(|p| p.width)),
    }
    let result = process(&broken, &PhotoLimits::default());
    assert!(
        matches!(result, Err(PhotoError::Corrupt(_))),
        "{:?}",
        result.map(|_| ())
    );
}
