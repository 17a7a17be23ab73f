//! Sizing the copies: the size that fits an edge, the resize itself (in two
//! bands on two threads when large), and turning the resized pixels upright
//! for their EXIF orientation.

use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::decode::Pixels;
use super::{PhotoError, both};

/// Largest size with the same aspect ratio whose long edge is ≤ `edge`;
/// never larger than the input.
pub(super) fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let v = (u64::from(side) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(v).unwrap_or(edge).clamp(1, edge)
    };
    (scale(width), scale(height))
}

pub(super) fn pixel_type(channels: usize) -> PixelType {
    if channels == 1 {
        PixelType::U8
    } else {
        PixelType::U8x3
    }
}

pub(super) fn resize_error(e: &dyn std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt(format!("resize: {e}"))
}

/// Resizes with `fast_image_resize`; a large output is made in two bands on
/// two threads. Each band is a crop of the whole source, and the filter
/// window is clamped to the whole image, not the crop, so the bands meet
/// without a seam.
pub(super) fn resize_to(
    src: &Pixels,
    width: u32,
    height: u32,
    filter: FilterType,
) -> Result<Pixels, PhotoError> {
    if src.width == width && src.height == height {
        return Ok(src.clone());
    }
    let pt = pixel_type(src.channels);
    let view = ImageRef::new(src.width, src.height, &src.data, pt).map_err(|e| resize_error(&e))?;
    let row = width as usize * src.channels;
    let mut data = vec![0u8; row * height as usize];
    let scale = f64::from(src.height) / f64::from(height);
    let band = |buf: &mut [u8], top: u32, rows: u32| -> Result<(), PhotoError> {
        let mut dst =
            ResizeImage::from_slice_u8(width, rows, buf, pt).map_err(|e| resize_error(&e))?;
        // The band's rows of the source, ending exactly at the source's
        // edge: `rows × scale` can come out a hair past it in floating
        // point (237 × 480/237 > 480), and the resizer refuses a crop box
        // beyond the image.
        let y0 = f64::from(top) * scale;
        let y1 = if top + rows >= height {
            f64::from(src.height)
        } else {
            (f64::from(top + rows) * scale).min(f64::from(src.height))
        };
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(filter))
            .crop(0.0, y0, f64::from(src.width), y1 - y0);
        Resizer::new()
            .resize(&view, &mut dst, &options)
            .map_err(|e| resize_error(&e))
    };
    // Below ~0.3 MP a second thread costs more than it saves.
    if u64::from(width) * u64::from(height) < 300_000 {
        band(&mut data, 0, height)?;
    } else {
        let split = height / 2;
        let (top, bottom) = data.split_at_mut(row * split as usize);
        let (upper, lower) = both(
            || band(top, 0, split),
            || band(bottom, split, height - split),
        );
        upper.and(lower?)?;
    }
    Ok(Pixels {
        width,
        height,
        channels: src.channels,
        data,
    })
}

/// The upright image's size for an EXIF orientation.
pub(super) fn upright_size(width: u32, height: u32, orientation: u8) -> (u32, u32) {
    if (5..=8).contains(&orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// Rows `y0..y1` of the image made upright for an EXIF orientation (2–8),
/// or `None` when it already is (the caller then slices the source). Run on
/// the resized copies, where it costs about a millisecond: a tiled walk, so
/// the transposing orientations stay cache-friendly.
pub(super) fn upright_rows(src: &Pixels, orientation: u8, y0: usize, y1: usize) -> Option<Vec<u8>> {
    if !(2..=8).contains(&orientation) {
        return None;
    }
    let (w, h, c) = (src.width as usize, src.height as usize, src.channels);
    let dw = if orientation >= 5 { h } else { w };
    // The source byte for upright pixel (x, y) is base + x·dx + y·dy.
    let (row, ci) = ((w * c) as isize, c as isize);
    let last_col = (w as isize - 1) * ci;
    let last_row = (h as isize - 1) * row;
    let (base, dx, dy) = match orientation {
        2 => (last_col, -ci, row),             // mirrored
        3 => (last_row + last_col, -ci, -row), // upside down
        4 => (last_row, ci, -row),             // mirrored vertically
        5 => (0, row, ci),                     // transposed
        6 => (last_row, -row, ci),             // needs 90° clockwise
        7 => (last_row + last_col, -row, -ci), // transversed
        _ => (last_col, row, -ci),             // 8: needs 90° anticlockwise
    };
    let mut data = vec![0u8; dw * (y1 - y0) * c];
    const TILE: usize = 32;
    for ty in (y0..y1).step_by(TILE) {
        for tx in (0..dw).step_by(TILE) {
            for y in ty..(ty + TILE).min(y1) {
                let mut s = base + y as isize * dy + tx as isize * dx;
                let mut d = ((y - y0) * dw + tx) * c;
                for _ in tx..(tx + TILE).min(dw) {
                    let from = s as usize;
                    data[d..d + c].copy_from_slice(&src.data[from..from + c]);
                    s += dx;
                    d += c;
                }
            }
        }
    }
    Some(data)
}
