//! The fast path for what phones and browsers send: a baseline JPEG with one
//! interleaved scan. libjpeg-turbo (through the `mozjpeg` crate) decodes it at
//! the DCT scale the display copy needs, a band of rows at a time, while the
//! second thread hashes the original, reads its EXIF and then narrows each
//! band to the display width as soon as it is decoded. Only the height is
//! left to resize when the last row arrives.
//!
//! Why a C decoder in a workspace that forbids `unsafe`: every pure-Rust
//! decoder we measured (jpeg-decoder, zune-jpeg, libjpeg-turbo-rs) spends
//! about 60 ms of one core on a 12-megapixel photo, nearly all of it in
//! Huffman decoding, which a file without restart markers allows on one
//! thread only; libjpeg-turbo does the same scaled decode in about 48 ms, and
//! its scanline interface is what lets the resize run beside it (numbers in
//! docs/benchmarks.md, "Photo pipeline"). It is the decoder browsers, libvips
//! and ImageMagick use on untrusted JPEGs, and is fuzzed continuously.
//!
//! What reaches it has been walked in safe Rust first ([`gate`]): the header
//! was already size-checked by [`super::decode::open`]; here the file must be a
//! single 8-bit Huffman frame, either baseline or extended-sequential with a
//! first scan that carries every component, or progressive with at most
//! [`MAX_SCANS`] scans; and its entropy-coded data must end at an EOI marker.
//! So arithmetic coding, 12-bit, lossless, CMYK, sequential files in several
//! scans (which libjpeg would buffer whole), progressive files with many
//! scans (a known way to make a decoder work hard) and files cut short
//! (which libjpeg would pad with grey and only warn about) all stay with the
//! pure-Rust decoders. A fatal libjpeg error unwinds as a Rust panic (the
//! crate's `unwinding` feature) and becomes [`PhotoError::Corrupt`].
//!
//! Progressive files came here in issue 11 for their memory: both decoders
//! keep the whole image's coefficients until the last scan, but jpeg-decoder
//! then copies a component at a time to its IDCT threads and keeps each
//! plane, while libjpeg streams the scaled rows out of its coefficient
//! buffer. For 49 megapixels in 4:2:0 that is 157 MB measured here against
//! about 270 MB by jpeg-decoder's estimate ([`super::memory`];
//! docs/benchmarks.md, "Upload memory under attack").

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};

use super::decode::Pixels;
use super::resize::{pixel_type, resize_error, resize_to};
use super::segments::segments;
use super::{DISPLAY_EDGE, PhotoError};

/// Rows decoded before the band is handed to the resizing thread: small
/// enough that the last band's resize is short, large enough that the hand
/// over costs nothing (about 2 ms of decoding each).
const BAND_ROWS: usize = 64;

/// Scans a progressive file may have to take the fast path. libjpeg's own
/// progressive script writes 10, mozjpeg's about as many, jpeg-encoder's 11.
pub(super) const MAX_SCANS: usize = 32;

/// A JPEG the fast path may take (baseline, or progressive since issue 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Baseline {
    pub width: u32,
    pub height: u32,
    /// 1 (grey) or 3 (colour).
    pub channels: usize,
}

/// Walks the markers of `bytes` and says whether the fast path may take the
/// file: see the module's documentation.
pub(super) fn gate(bytes: &[u8]) -> Option<Baseline> {
    let mut frame: Option<Baseline> = None;
    let mut progressive = false;
    for segment in segments(bytes) {
        match segment.marker {
            // Baseline, extended sequential or progressive, Huffman-coded:
            // precision, height, width, component count.
            0xC0..=0xC2 => {
                let [precision, h1, h0, w1, w0, components, ..] = *segment.body else {
                    return None;
                };
                let (width, height) = (u16::from_be_bytes([w1, w0]), u16::from_be_bytes([h1, h0]));
                // A height of 0 means "given later by a DNL marker", which
                // the fast path leaves to the other decoders; a width of 0
                // is no image.
                if frame.is_some()
                    || precision != 8
                    || !matches!(components, 1 | 3)
                    || width == 0
                    || height == 0
                {
                    return None;
                }
                progressive = segment.marker == 0xC2;
                frame = Some(Baseline {
                    width: u32::from(width),
                    height: u32::from(height),
                    channels: usize::from(components),
                });
            }
            // Every other frame type: lossless, hierarchical, arithmetic-coded.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDA => {
                let frame = frame?;
                if progressive {
                    return scans_end_at_eoi(bytes, segment.end()).then_some(frame);
                }
                let interleaved =
                    segment.body.first().map(|&n| usize::from(n)) == Some(frame.channels);
                let data = bytes.get(segment.end()..)?;
                return (interleaved && ends_at_eoi(data)).then_some(frame);
            }
            _ => {}
        }
    }
    // The header ended, or broke off, before a scan.
    None
}

/// Whether the entropy-coded data runs to an EOI marker: the first marker in
/// it that is not a stuffed zero, a restart marker or fill must be EOI. A
/// file cut short has none; any other marker (a second scan, DNL) means a
/// file the fast path leaves to the other decoders.
pub(super) fn ends_at_eoi(data: &[u8]) -> bool {
    let mut from = 0;
    while let Some(found) = memchr::memchr(0xFF, &data[from..]) {
        let at = from + found;
        match data.get(at + 1) {
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => from = at + 1,
            Some(0xD9) => return true,
            _ => return false,
        }
    }
    false
}

/// Whether a progressive file's scans, from the entropy-coded data of the
/// first one at `from`, are at most [`MAX_SCANS`] and end at an EOI marker,
/// with only tables, restart intervals, comments and application data
/// between them (anything else — DNL, a second frame, the end of the file —
/// and the fast path leaves the file alone).
pub(super) fn scans_end_at_eoi(bytes: &[u8], from: usize) -> bool {
    let mut at = from;
    let mut scans = 1;
    loop {
        // The next marker that is not a stuffed zero, a restart or fill.
        let marker_at = loop {
            let Some(found) = bytes.get(at..).and_then(|rest| memchr::memchr(0xFF, rest)) else {
                return false;
            };
            let ff = at + found;
            match bytes.get(ff + 1) {
                Some(0x00 | 0xD0..=0xD7 | 0xFF) => at = ff + 1,
                Some(_) => break ff,
                None => return false,
            }
        };
        match bytes[marker_at + 1] {
            0xD9 => return true,
            0xDA => {
                scans += 1;
                if scans > MAX_SCANS {
                    return false;
                }
            }
            0xC4 | 0xDB | 0xDD | 0xE0..=0xEF | 0xFE => {}
            _ => return false,
        }
        let Some(&[l1, l0]) = bytes.get(marker_at + 2..marker_at + 4) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([l1, l0]));
        if length < 2 {
            return false;
        }
        at = marker_at + 2 + length;
    }
}

/// The DCT scale n/8 (n = 1, 2, 4 or 8) that gives the smallest image whose
/// long edge is still at least `edge`; libjpeg rounds the scaled size up.
pub(super) fn scale_numerator(width: u32, height: u32, edge: u32) -> u8 {
    let long = width.max(height);
    [1u8, 2, 4]
        .into_iter()
        .find(|&n| (long * u32::from(n)).div_ceil(8) >= edge)
        .unwrap_or(8)
}

/// Decodes `bytes` (which [`gate`] accepted as `frame`) into the display
/// copy of `width` × `height`, running `side` on the second thread first.
pub(super) fn display_copy<S: Send>(
    bytes: &[u8],
    frame: &Baseline,
    (width, height): (u32, u32),
    side: impl FnOnce() -> S + Send,
) -> (Result<Pixels, PhotoError>, Result<S, PhotoError>) {
    let channels = frame.channels;
    let numerator = scale_numerator(frame.width, frame.height, DISPLAY_EDGE);
    let started = catch_libjpeg(|| {
        let mut decompress = mozjpeg::Decompress::new_mem(bytes)?;
        decompress.scale(numerator);
        if channels == 1 {
            decompress.grayscale()
        } else {
            decompress.rgb()
        }
    });
    let mut started = match started {
        Ok(started) => started,
        Err(e) => return (Err(e), Ok(side())),
    };
    let (scaled_w, scaled_h) = (started.width(), started.height());
    let dst_w = width as usize;
    let mut narrow = vec![0u8; dst_w * channels * scaled_h];

    let (decoded, other) = std::thread::scope(|s| {
        // Bands go over with the rows of `narrow` they become; their buffers
        // come back to be filled again, so a few circulate.
        let (tx, rx) = mpsc::sync_channel::<(Vec<u8>, &mut [u8])>(2);
        let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
        let narrowing = s.spawn(move || {
            let side = side();
            let mut resizer = Resizer::new();
            let options =
                ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
            let mut result = Ok(());
            for (band, out) in rx {
                let rows = out.len() / (dst_w * channels);
                result = result.and_then(|()| {
                    narrow_band(
                        &mut resizer,
                        &options,
                        &band,
                        (scaled_w, dst_w, rows, channels),
                        out,
                    )
                });
                // Once the decoder has finished nobody wants the buffer.
                let _ = back_tx.send(band);
            }
            (side, result)
        });
        let decoded = catch_libjpeg(|| {
            for out in narrow.chunks_mut(dst_w * channels * BAND_ROWS) {
                let rows = out.len() / (dst_w * channels);
                let mut band = back_rx.try_recv().unwrap_or_default();
                band.resize(scaled_w * channels * rows, 0);
                started.read_scanlines_into(&mut band[..])?;
                if tx.send((band, out)).is_err() {
                    // The other thread is gone; its join says why.
                    break;
                }
            }
            drop(tx);
            started.finish()
        });
        (decoded, narrowing.join().map_err(|_| super::panicked()))
    });
    let (side, narrowed) = match other {
        Ok((side, narrowed)) => (Ok(side), narrowed),
        Err(e) => (Err(e), Err(super::panicked())),
    };
    let display = decoded.and(narrowed).and_then(|()| {
        let narrow = Pixels {
            width,
            height: scaled_h as u32,
            channels,
            data: narrow,
        };
        resize_to(&narrow, width, height, FilterType::Lanczos3)
    });
    (display, side)
}

/// Resizes one band of rows to the display width; its height is unchanged,
/// so `fast_image_resize` makes the horizontal pass only, and the bands put
/// together are what a horizontal pass over the whole image would give.
fn narrow_band(
    resizer: &mut Resizer,
    options: &ResizeOptions,
    band: &[u8],
    (src_w, dst_w, rows, channels): (usize, usize, usize, usize),
    out: &mut [u8],
) -> Result<(), PhotoError> {
    let pt = pixel_type(channels);
    let (rows, src_w, dst_w) = (rows as u32, src_w as u32, dst_w as u32);
    let src = ImageRef::new(src_w, rows, band, pt).map_err(|e| resize_error(&e))?;
    let mut dst = ResizeImage::from_slice_u8(dst_w, rows, out, pt).map_err(|e| resize_error(&e))?;
    resizer
        .resize(&src, &mut dst, options)
        .map_err(|e| resize_error(&e))
}

/// Runs libjpeg, turning its fatal errors (which unwind as panics carrying
/// libjpeg's message) and the crate's I/O errors into [`PhotoError::Corrupt`].
fn catch_libjpeg<T>(f: impl FnOnce() -> std::io::Result<T>) -> Result<T, PhotoError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(PhotoError::Corrupt(e.to_string())),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("the decoder failed");
            Err(PhotoError::Corrupt(
                message
                    .trim_start_matches("libjpeg fatal error: ")
                    .to_owned(),
            ))
        }
    }
}
