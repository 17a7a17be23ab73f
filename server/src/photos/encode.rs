//! Writing the copies: baseline JPEG from pixels, so nothing of the
//! original's metadata can survive; a large copy in two bands joined at a
//! restart marker.

use super::decode::Pixels;
use super::resize::{upright_rows, upright_size};
use super::segments::{find_segment, segments};
use super::{PhotoError, both, panicked};

fn encode_error(e: &dyn std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt(format!("encode: {e}"))
}

/// Baseline JPEG, 4:2:0, from packed rows. jpeg-encoder writes only a JFIF
/// APP0 header, so nothing of the original's metadata can survive.
pub(super) fn encode_jpeg(
    data: &[u8],
    width: u32,
    height: u32,
    channels: usize,
    quality: u8,
    restart_interval: Option<u16>,
) -> Result<Vec<u8>, PhotoError> {
    let w = u16::try_from(width).map_err(|e| encode_error(&e))?;
    let h = u16::try_from(height).map_err(|e| encode_error(&e))?;
    let color = if channels == 1 {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    let mut out = Vec::with_capacity(data.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    if let Some(interval) = restart_interval {
        encoder.set_restart_interval(interval);
    }
    encoder
        .encode(data, w, h, color)
        .map_err(|e| encode_error(&e))?;
    Ok(out)
}

/// Orients and encodes `src`; `beside` runs on the second thread when the
/// image is large enough to be split, else after the encode.
///
/// A large image is encoded as two bands on two threads and joined with a
/// restart marker: the top band is written with a restart interval equal to
/// its own MCU count, so the result is byte-for-byte what one encoder with
/// that interval would write (the decoder's DC prediction restarts at the
/// marker, as the bottom band's encoder started from zero). The top band
/// takes 3/5 of the rows, as the second thread also runs `beside`; the
/// bottom band must not be the longer of the two, or the decoder would look
/// for a second marker.
pub(super) fn encode_upright<R: Send>(
    src: &Pixels,
    orientation: u8,
    quality: u8,
    beside: impl FnOnce() -> R + Send,
) -> (Result<Vec<u8>, PhotoError>, Result<R, PhotoError>) {
    let (w, h) = upright_size(src.width, src.height, orientation);
    let (wu, hu, c) = (w as usize, h as usize, src.channels);
    let rows = |y0: usize, y1: usize| -> std::borrow::Cow<'_, [u8]> {
        match upright_rows(src, orientation, y0, y1) {
            Some(owned) => owned.into(),
            None => src.data[y0 * wu * c..y1 * wu * c].into(),
        }
    };
    // 4:2:0 colour has 16×16-pixel MCUs; grey has 8×8.
    let mcu = if c == 1 { 8 } else { 16 };
    let mcu_rows = hu.div_ceil(mcu);
    let top_rows = (mcu_rows * 3).div_ceil(5);
    let interval = u16::try_from(top_rows * wu.div_ceil(mcu)).ok();
    let (Some(interval), true) = (interval, wu * hu >= 300_000 && top_rows < mcu_rows) else {
        let whole = encode_jpeg(&rows(0, hu), w, h, c, quality, None);
        return (whole, Ok(beside()));
    };
    let split = top_rows * mcu;
    let (top, other) = both(
        || encode_jpeg(&rows(0, split), w, split as u32, c, quality, Some(interval)),
        || {
            let band = rows(split, hu);
            let bottom = encode_jpeg(&band, w, (hu - split) as u32, c, quality, None);
            drop(band);
            (bottom, beside())
        },
    );
    match other {
        Ok((bottom, beside)) => (
            top.and_then(|top| join_at_restart(top, &bottom?, h)),
            Ok(beside),
        ),
        Err(e) => (Err(e), Err(panicked())),
    }
}

/// Appends the entropy-coded data of `bottom` to `top` after an RST0 marker
/// and sets the frame height to the whole image's.
fn join_at_restart(mut top: Vec<u8>, bottom: &[u8], height: u32) -> Result<Vec<u8>, PhotoError> {
    let bad = || PhotoError::Corrupt("encode: unexpected encoder output".into());
    let eoi = [0xFF, 0xD9];
    if !top.ends_with(&eoi) || !bottom.ends_with(&eoi) {
        return Err(bad());
    }
    let sof = find_segment(&top, 0xC0).ok_or_else(bad)?;
    let height = u16::try_from(height).map_err(|e| encode_error(&e))?;
    top.get_mut(sof + 5..sof + 7)
        .ok_or_else(bad)?
        .copy_from_slice(&height.to_be_bytes());
    let sos = segments(bottom)
        .find(|s| s.marker == 0xDA)
        .ok_or_else(bad)?;
    let entropy = bottom.get(sos.end()..bottom.len() - 2).ok_or_else(bad)?;
    top.truncate(top.len() - 2);
    top.reserve(entropy.len() + 4);
    top.extend_from_slice(&[0xFF, 0xD0]);
    top.extend_from_slice(entropy);
    top.extend_from_slice(&eoi);
    Ok(top)
}
