//! The photo pipeline: residents' photos in, safe copies out.
//!
//! A photo arrives as bytes from a phone. Before anything is decoded we check
//! the byte count, sniff the format from the magic bytes (never the file name
//! or the client's MIME type: ASVS 12.2.1) and read the dimensions from the
//! header, so a decompression bomb is refused before it can allocate (ASVS 5.0
//! V5.2.6). Only then do we decode, with `image::Limits` / jpeg-decoder's
//! buffer limit as a second fence.
//!
//! What we keep is re-encoded from pixels (ASVS 5.0 V5.2.2): a display copy
//! (long edge ≤ 1600 px) and a thumbnail (≤ 320 px), both baseline JPEG with
//! no EXIF, GPS, ICC or XMP, so a whistleblower's phone model and home
//! position never leak through a published picture. The EXIF position and
//! time are read once, leniently, and returned to the caller, who decides
//! what to keep (the original bytes are for staff only).
//!
//! JPEGs are decoded at a DCT scale (1/2, 1/4 or 1/8, the smallest that
//! keeps the long edge ≥ 1600 px), resized with `fast_image_resize`, made
//! upright after resizing, and encoded with `jpeg-encoder`. The decoder is
//! libjpeg-turbo for single-scan baseline files, what phones and browsers
//! write, with the resize running beside it ([`baseline`] says why and how
//! the files it sees are vetted), and jpeg-decoder for the other JPEGs;
//! PNG and WebP go through `image`.
//!
//! Before any of that, [`inspect`] reads the header and estimates the most
//! memory the decode will hold ([`memory`]); a photo over what one decode may
//! use is refused, and the pipeline reserves the estimate from a budget the
//! decodes share, so six large photos at once wait their turn instead of
//! taking the server's memory (issue 11).
//!
//! [`process`] is synchronous and CPU-bound; the server calls it through
//! [`PhotoPipeline`], which bounds concurrency and memory and runs it in
//! `spawn_blocking` (STYLE.md principle 9).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use sha2::{Digest, Sha256};

mod baseline;
mod memory;
mod workers;

use memory::DecodePath;

/// Long edge of the display copy, in pixels.
pub const DISPLAY_EDGE: u32 = 1600;
/// Long edge of the thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;
const DISPLAY_QUALITY: u8 = 80;
const THUMBNAIL_QUALITY: u8 = 75;
/// How long a request waits for a decode slot before it is told [`PhotoError::Busy`].
pub const QUEUE_WAIT: Duration = Duration::from_secs(30);

const MIB: usize = 1024 * 1024;

/// What a photo may be. The defaults allow any phone camera of 2026 (a
/// 200-megapixel sensor writes 12-50 MP files by default) with room to spare.
/// What a photo costs to decode depends on more than its pixels (a
/// progressive JPEG costs the most): `max_alloc` caps the estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest upload, in bytes.
    pub max_bytes: usize,
    /// Widest image, in pixels, as stored (before orientation).
    pub max_width: u32,
    /// Tallest image, in pixels, as stored (before orientation).
    pub max_height: u32,
    /// Most pixels (width × height).
    pub max_pixels: u64,
    /// Most bytes one photo's decode may hold at once, by [`inspect`]'s
    /// estimate (also given to the decoders as their allocation limit).
    pub max_alloc: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_bytes: 20 * MIB,
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 50_000_000,
            // A 50 MP baseline or PNG photo, or a 49 MP progressive 4:2:0
            // one; a 4:4:4 progressive photo up to about 30 MP.
            max_alloc: 192 * MIB as u64,
        }
    }
}

/// The formats residents may send, sniffed from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
    WebP,
}

impl PhotoFormat {
    /// Recognises a format from its magic bytes; nothing else is consulted.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::WebP => image::ImageFormat::WebP,
        }
    }
}

/// A position in WGS84 decimal degrees (north and east positive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// The outcome of [`process`].
#[derive(Clone, Debug)]
pub struct ProcessedPhoto {
    /// Hex SHA-256 of the bytes as received.
    pub original_sha256: String,
    pub original_format: PhotoFormat,
    /// Full-resolution size of the upright image (after EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// Baseline JPEG, long edge ≤ 1600 px (never upscaled), no metadata.
    pub display: Vec<u8>,
    /// Baseline JPEG, long edge ≤ 320 px, no metadata.
    pub thumbnail: Vec<u8>,
    /// From the EXIF GPS tags, when present and plausible.
    pub exif_location: Option<GeoPoint>,
    /// EXIF DateTimeOriginal as the camera wrote it ("2026:11:28 21:30:05").
    pub exif_taken_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the file is empty")]
    Empty,
    #[error("the photo is larger than {} MB", max_bytes.div_ceil(MIB))]
    TooLarge { max_bytes: usize },
    #[error("only JPEG, PNG and WebP photos are accepted")]
    UnsupportedFormat,
    #[error("the photo is {width}×{height} pixels, more than this service accepts")]
    TooManyPixels { width: u32, height: u32 },
    #[error(
        "decoding this photo would take about {} MB of memory, more than the {} MB one photo may use; \
         send it as a baseline (non-progressive) JPEG or smaller",
        needed.div_ceil(MIB as u64),
        max / MIB as u64
    )]
    TooMuchMemory { needed: u64, max: u64 },
    #[error("the photo is damaged or incomplete ({0})")]
    Corrupt(String),
    #[error("the server is busy with other photos; please try again in a minute")]
    Busy,
}

impl PhotoError {
    /// Stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::TooLarge { .. } => "file_too_large",
            Self::UnsupportedFormat => "unsupported_format",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::TooMuchMemory { .. } => "decode_too_large",
            Self::Corrupt(_) => "corrupt_image",
            Self::Busy => "busy",
        }
    }
}

/// What [`inspect`] learned from a photo's header: its format and size, the
/// decoder it goes to, and the most memory that decode holds at once.
#[derive(Clone, Copy, Debug)]
pub struct DecodePlan {
    format: PhotoFormat,
    width: u32,
    height: u32,
    path: DecodePath,
    /// Estimated, in bytes; never more than the limits' `max_alloc`.
    pub peak_bytes: u64,
}

/// Checks a photo from its bytes and header alone — size, format, pixels,
/// and the memory its decode would take — without decoding it. Cheap next
/// to a decode, but it walks a JPEG's scans: call it from a blocking thread.
pub fn inspect(bytes: &[u8], limits: &PhotoLimits) -> Result<DecodePlan, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    let format = PhotoFormat::sniff(bytes).ok_or(PhotoError::UnsupportedFormat)?;
    catch_unwind(AssertUnwindSafe(|| {
        // The header is read and checked before anything is decoded or spawned.
        let source = open(bytes, format, limits)?;
        let fast = (format == PhotoFormat::Jpeg)
            .then(|| baseline::gate(bytes))
            .flatten()
            .filter(|frame| (frame.width, frame.height) == (source.width, source.height));
        let size = (source.width, source.height);
        let (path, peak_bytes) = memory::plan(
            bytes,
            format,
            size,
            source.jpeg.is_some(),
            fast,
            limits.max_alloc,
        )?;
        Ok(DecodePlan {
            format,
            width: source.width,
            height: source.height,
            path,
            peak_bytes,
        })
    }))
    .unwrap_or_else(|_| Err(panicked()))
}

/// Checks, decodes, resizes and re-encodes one photo. CPU-bound: call it from
/// a blocking thread (see [`PhotoPipeline`]).
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, PhotoError> {
    let plan = inspect(bytes, limits)?;
    process_planned(bytes, &plan, limits)
}

/// [`process`] after [`inspect`], which gave `plan` for these same bytes.
fn process_planned(
    bytes: &[u8],
    plan: &DecodePlan,
    limits: &PhotoLimits,
) -> Result<ProcessedPhoto, PhotoError> {
    // Everything below is fenced: an unexpected panic in a decoder becomes
    // `Corrupt` here too, not only in the async wrapper.
    catch_unwind(AssertUnwindSafe(|| process_checked(bytes, plan, limits)))
        .unwrap_or_else(|_| Err(panicked()))
}

fn process_checked(
    bytes: &[u8],
    plan: &DecodePlan,
    limits: &PhotoLimits,
) -> Result<ProcessedPhoto, PhotoError> {
    let (format, full_w, full_h) = (plan.format, plan.width, plan.height);

    // Two threads per photo: this machine class has two cores, and a photo
    // is waited for by a person. The hash and EXIF run beside the decode;
    // the display resize is split in two bands; the thumbnail is made and
    // encoded beside the display's encode.
    let (dw, dh) = fit_within(full_w, full_h, DISPLAY_EDGE);
    let side = || (hex::encode(Sha256::digest(bytes)), read_exif(bytes));
    let decoded = || {
        let pixels = match plan.path {
            DecodePath::JpegDecoder { fallback } => {
                open(bytes, format, limits)?.decode(bytes, limits, fallback)?
            }
            _ => decode_with_image(bytes, format, full_w, full_h, limits)?,
        };
        resize_to(&pixels, dw, dh, FilterType::Lanczos3)
    };
    let (display, side) = match plan.path {
        DecodePath::Libjpeg(frame) => baseline::display_copy(bytes, &frame, (dw, dh), side),
        _ => both(decoded, side),
    };
    let ((original_sha256, meta), display) = (side?, display?);
    let (tw, th) = fit_within(dw, dh, THUMBNAIL_EDGE);
    let orientation = meta.orientation;

    let (display_jpeg, thumbnail) = encode_upright(&display, orientation, DISPLAY_QUALITY, || {
        let thumb = resize_to(&display, tw, th, FilterType::CatmullRom)?;
        encode_upright(&thumb, orientation, THUMBNAIL_QUALITY, || ()).0
    });
    let (display_jpeg, thumbnail) = (display_jpeg?, thumbnail??);

    let (width, height) = upright_size(full_w, full_h, orientation);
    Ok(ProcessedPhoto {
        original_sha256,
        original_format: format,
        width,
        height,
        display: display_jpeg,
        thumbnail,
        exif_location: meta.location,
        exif_taken_at: meta.taken_at,
    })
}

fn panicked() -> PhotoError {
    PhotoError::Corrupt("the decoder failed".into())
}

/// Runs `here` on this thread and `there` on a second one, and waits for
/// both. A panic on the second thread comes back as an error.
fn both<A, B: Send>(
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, Result<B, PhotoError>) {
    std::thread::scope(|s| {
        let other = s.spawn(there);
        let a = here();
        (a, other.join().map_err(|_| panicked()))
    })
}

fn check_dimensions(width: u32, height: u32, limits: &PhotoLimits) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt("the image has no pixels".into()));
    }
    if width > limits.max_width
        || height > limits.max_height
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok(())
}

fn image_limits(limits: &PhotoLimits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_width);
    l.max_image_height = Some(limits.max_height);
    l.max_alloc = Some(limits.max_alloc);
    l
}

/// A photo whose header has been read and whose size is within the limits.
struct Source<'a> {
    width: u32,
    height: u32,
    format: PhotoFormat,
    /// For a JPEG jpeg-decoder can take (8-bit RGB or grey): its decoder,
    /// positioned after the header.
    jpeg: Option<jpeg_decoder::Decoder<&'a [u8]>>,
}

/// Reads the header only and checks the claimed size against the limits.
fn open<'a>(
    bytes: &'a [u8],
    format: PhotoFormat,
    limits: &PhotoLimits,
) -> Result<Source<'a>, PhotoError> {
    if format == PhotoFormat::Jpeg {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        decoder
            .set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
        match decoder.read_info() {
            Ok(()) => {
                let info = decoder
                    .info()
                    .ok_or_else(|| PhotoError::Corrupt("no frame header".into()))?;
                let (width, height) = (u32::from(info.width), u32::from(info.height));
                check_dimensions(width, height, limits)?;
                let fast = matches!(
                    info.pixel_format,
                    jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8
                );
                return Ok(Source {
                    width,
                    height,
                    format,
                    jpeg: fast.then_some(decoder),
                });
            }
            // Arithmetic coding, hierarchical…: let `image` have a go.
            Err(jpeg_decoder::Error::Unsupported(_)) => {}
            Err(e) => return Err(jpeg_error(e)),
        }
    }
    // The width and height caps are left off for the header so that we learn
    // the claimed size and can report it; `max_alloc` still holds.
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(header_limits);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    check_dimensions(width, height, limits)?;
    Ok(Source {
        width,
        height,
        format,
        jpeg: None,
    })
}

impl Source<'_> {
    /// JPEG: a DCT-scaled decode with jpeg-decoder. Anything else, and JPEGs
    /// it does not handle (CMYK, 12-bit…), go through `image` with its limits;
    /// with `fallback`, so do JPEGs it fails on for another reason than
    /// being cut short (when [`inspect`] reserved memory for both).
    fn decode(
        self,
        bytes: &[u8],
        limits: &PhotoLimits,
        fallback: bool,
    ) -> Result<Pixels, PhotoError> {
        let Some(mut decoder) = self.jpeg else {
            return decode_with_image(bytes, self.format, self.width, self.height, limits);
        };
        let channels = match decoder.info().map(|i| i.pixel_format) {
            Some(jpeg_decoder::PixelFormat::L8) => 1,
            _ => 3,
        };
        // `scale` keeps the smallest of 1/8, 1/4, 1/2 and 1/1 whose long edge
        // is still ≥ the display edge (jpeg-decoder compares either side).
        let edge = u16::try_from(DISPLAY_EDGE).unwrap_or(u16::MAX);
        let fast = decoder
            .scale(edge, edge)
            .and_then(|(w, h)| Ok((w, h, decoder.decode()?)));
        // A progressive file's coefficients go before the other decoder
        // starts: the two never hold memory at once.
        drop(decoder);
        match fast {
            Ok((w, h, data)) => {
                let (width, height) = (u32::from(w), u32::from(h));
                if data.len() < width as usize * height as usize * channels {
                    return Err(PhotoError::Corrupt("short pixel buffer".into()));
                }
                Ok(Pixels {
                    width,
                    height,
                    channels,
                    data,
                })
            }
            // A file cut short stays an error: the other decoder would paint
            // the missing part grey and accept it.
            Err(e) if is_truncation(&e) || !fallback => Err(jpeg_error(e)),
            Err(e) => {
                tracing::debug!(error = %e, "jpeg-decoder refused a JPEG; trying the image crate");
                decode_with_image(bytes, PhotoFormat::Jpeg, self.width, self.height, limits)
            }
        }
    }
}

/// Decoded pixels: 1 (grey) or 3 (RGB) bytes per pixel, rows packed.
#[derive(Clone)]
struct Pixels {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<u8>,
}

fn is_truncation(e: &jpeg_decoder::Error) -> bool {
    matches!(e, jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
}

fn jpeg_error(e: jpeg_decoder::Error) -> PhotoError {
    PhotoError::Corrupt(match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file ends too early".to_owned()
        }
        other => other.to_string(),
    })
}

/// Full decode through `image`, with its limits set; alpha is flattened onto
/// white and anything deeper than 8 bits is reduced.
fn decode_with_image(
    bytes: &[u8],
    format: PhotoFormat,
    width: u32,
    height: u32,
    limits: &PhotoLimits,
) -> Result<Pixels, PhotoError> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(image_limits(limits));
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels { width, height },
        other => PhotoError::Corrupt(other.to_string()),
    })?;
    let color = img.color();
    let (width, height) = (img.width(), img.height());
    let (channels, data) = match (color.has_color(), color.has_alpha()) {
        (false, false) => (1, img.into_luma8().into_raw()),
        (true, false) => (3, img.into_rgb8().into_raw()),
        (false, true) => (1, flatten_on_white(img.into_luma_alpha8().into_raw(), 1)),
        (true, true) => (3, flatten_on_white(img.into_rgba8().into_raw(), 3)),
    };
    Ok(Pixels {
        width,
        height,
        channels,
        data,
    })
}

/// Composites `channels` colour bytes plus one alpha byte per pixel onto
/// white, in place (each pixel is written no further on than it was read),
/// so a large PNG does not need a second buffer.
fn flatten_on_white(mut buf: Vec<u8>, channels: usize) -> Vec<u8> {
    let pixels = buf.len() / (channels + 1);
    for i in 0..pixels {
        let from = i * (channels + 1);
        let a = u32::from(buf[from + channels]);
        for k in 0..channels {
            // c·a + 255·(255 − a), divided by 255 with rounding.
            let c = u32::from(buf[from + k]);
            buf[i * channels + k] = ((c * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    buf.truncate(pixels * channels);
    buf
}

/// Largest size with the same aspect ratio whose long edge is ≤ `edge`;
/// never larger than the input.
fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
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

fn pixel_type(channels: usize) -> PixelType {
    if channels == 1 {
        PixelType::U8
    } else {
        PixelType::U8x3
    }
}

fn resize_error(e: &dyn std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt(format!("resize: {e}"))
}

/// Resizes with `fast_image_resize`; a large output is made in two bands on
/// two threads. Each band is a crop of the whole source, and the filter
/// window is clamped to the whole image, not the crop, so the bands meet
/// without a seam.
fn resize_to(
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
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(filter))
            .crop(
                0.0,
                f64::from(top) * scale,
                f64::from(src.width),
                f64::from(rows) * scale,
            );
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
fn upright_size(width: u32, height: u32, orientation: u8) -> (u32, u32) {
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
fn upright_rows(src: &Pixels, orientation: u8, y0: usize, y1: usize) -> Option<Vec<u8>> {
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

fn encode_error(e: &dyn std::fmt::Display) -> PhotoError {
    PhotoError::Corrupt(format!("encode: {e}"))
}

/// Baseline JPEG, 4:2:0, from packed rows. jpeg-encoder writes only a JFIF
/// APP0 header, so nothing of the original's metadata can survive.
fn encode_jpeg(
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
fn encode_upright<R: Send>(
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

/// A marker segment of a JPEG header.
struct Segment<'a> {
    marker: u8,
    /// Offset of the segment's 0xFF.
    at: usize,
    /// What follows the two length bytes.
    body: &'a [u8],
}

impl Segment<'_> {
    /// Offset just past the segment: for SOS, where the entropy-coded data
    /// begins.
    fn end(&self) -> usize {
        self.at + 4 + self.body.len()
    }
}

/// The marker segments of a JPEG header, from SOI up to and including the
/// first SOS (start of scan). The walk skips fill bytes and stops early at
/// anything that is not a whole segment (no 0xFF, a marker that has no
/// length such as RSTn or EOI, a length under 2 or past the end), so a
/// caller that wants the SOS then sees none. One walk for the fast path's
/// gate, the band encoder's join and the tests.
fn segments(jpeg: &[u8]) -> impl Iterator<Item = Segment<'_>> {
    let mut i = if jpeg.starts_with(&[0xFF, 0xD8]) {
        2
    } else {
        jpeg.len()
    };
    std::iter::from_fn(move || {
        if *jpeg.get(i)? != 0xFF {
            return None;
        }
        while jpeg.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let marker = *jpeg.get(i + 1)?;
        if matches!(marker, 0x01 | 0xD0..=0xD9) {
            return None;
        }
        // The length counts its own two bytes; under 2, the range is empty
        // backwards and `get` refuses it.
        let len = usize::from(u16::from_be_bytes([*jpeg.get(i + 2)?, *jpeg.get(i + 3)?]));
        let segment = Segment {
            marker,
            at: i,
            body: jpeg.get(i + 4..i + 2 + len)?,
        };
        i = if marker == 0xDA {
            jpeg.len()
        } else {
            segment.end()
        };
        Some(segment)
    })
}

/// Offset of the first marker segment of kind `marker` in a JPEG header.
fn find_segment(jpeg: &[u8], marker: u8) -> Option<usize> {
    segments(jpeg).find(|s| s.marker == marker).map(|s| s.at)
}

/// What we take from EXIF.
struct Metadata {
    orientation: u8,
    location: Option<GeoPoint>,
    taken_at: Option<String>,
}

/// Lenient EXIF reading: cameras write EXIF that strict parsing refuses, and
/// a photo with broken EXIF is still a photo.
fn read_exif(bytes: &[u8]) -> Metadata {
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

/// The server's entry point: bounded concurrency and memory, CPU work off
/// the async runtime, and a panic in a decoder turned into an error.
pub struct PhotoPipeline {
    limits: PhotoLimits,
    slots: Arc<tokio::sync::Semaphore>,
    /// Decode memory in KiB: each decode holds its estimated peak.
    memory: Arc<tokio::sync::Semaphore>,
    /// A thread per slot ([`workers`]); the blocking pool if none started.
    workers: Option<workers::Workers>,
    queue_wait: Duration,
}

impl Default for PhotoPipeline {
    /// Default limits, one decode slot per CPU core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Self::new(PhotoLimits::default(), cores)
    }
}

/// Bytes as semaphore permits (KiB, rounded up).
fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

impl PhotoPipeline {
    /// `concurrent` decodes may run at once (one per CPU core is right: each
    /// is CPU-bound); it is raised to at least 1. They share one decode's
    /// worth of memory (`limits.max_alloc`) until [`Self::with_decode_budget`]
    /// says otherwise.
    pub fn new(limits: PhotoLimits, concurrent: usize) -> Self {
        Self {
            limits,
            slots: Arc::new(tokio::sync::Semaphore::new(concurrent.max(1))),
            memory: Arc::new(tokio::sync::Semaphore::new(kib(limits.max_alloc) as usize)),
            workers: workers::Workers::start(concurrent.max(1)),
            queue_wait: QUEUE_WAIT,
        }
    }

    /// The memory all decodes at once may hold, in bytes. One photo may use
    /// no more than all of it: the limits' `max_alloc` is lowered to it.
    pub fn with_decode_budget(mut self, bytes: u64) -> Self {
        self.limits.max_alloc = self.limits.max_alloc.min(bytes);
        self.memory = Arc::new(tokio::sync::Semaphore::new(kib(bytes) as usize));
        self
    }

    /// How long a photo may wait for a slot and its memory before
    /// [`PhotoError::Busy`] (default [`QUEUE_WAIT`]).
    pub fn with_queue_wait(mut self, wait: Duration) -> Self {
        self.queue_wait = wait;
        self
    }

    pub fn limits(&self) -> &PhotoLimits {
        &self.limits
    }

    /// Reads the header on a worker thread ([`inspect`]: a photo over the
    /// limits or over one decode's memory is refused here), waits for its
    /// estimated memory and a slot (at most the queue wait in all, else
    /// `Busy`), then decodes on a worker thread. The slot and the memory are
    /// held by the work itself, so a client that disconnects does not free
    /// them early.
    pub async fn process(&self, bytes: bytes::Bytes) -> Result<ProcessedPhoto, PhotoError> {
        // Cheap refusals need no thread.
        if bytes.is_empty() {
            return Err(PhotoError::Empty);
        }
        if bytes.len() > self.limits.max_bytes {
            return Err(PhotoError::TooLarge {
                max_bytes: self.limits.max_bytes,
            });
        }
        let deadline = tokio::time::Instant::now() + self.queue_wait;
        let limits = self.limits;
        let header = bytes.clone();
        let plan = self
            .run_blocking(deadline, None, move || inspect(&header, &limits))
            .await??;
        let memory = tokio::time::timeout_at(
            deadline,
            Arc::clone(&self.memory).acquire_many_owned(kib(plan.peak_bytes)),
        )
        .await
        .map_err(|_elapsed| PhotoError::Busy)?
        .map_err(|_closed| PhotoError::Busy)?;
        self.run_blocking(deadline, Some(memory), move || {
            process_planned(&bytes, &plan, &limits)
        })
        .await?
    }

    /// Runs `work` on a worker thread once a slot is free (before
    /// `deadline`, else `Busy`), holding the slot and `held` until it ends.
    async fn run_blocking<T: Send + 'static>(
        &self,
        deadline: tokio::time::Instant,
        held: Option<tokio::sync::OwnedSemaphorePermit>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PhotoError> {
        let slot = tokio::time::timeout_at(deadline, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_elapsed| PhotoError::Busy)?
            .map_err(|_closed| PhotoError::Busy)?;
        let work = move || {
            let _held = (slot, held);
            work()
        };
        if let Some(workers) = &self.workers {
            return workers.run(work).await.ok_or_else(|| {
                tracing::error!("photo decoder panicked");
                panicked()
            });
        }
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => Ok(result),
            Err(e) if e.is_panic() => {
                tracing::error!("photo decoder panicked");
                Err(panicked())
            }
            Err(_cancelled) => Err(PhotoError::Busy),
        }
    }
}

#[cfg(test)]
mod segment_props;

#[cfg(test)]
mod tests {
    use super::*;
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
        let strict = exif::Reader::new().read_from_container(&mut Cursor::new(input.as_slice()));
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
            let read = exif::Reader::new().read_from_container(&mut Cursor::new(out.as_slice()));
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
                let upright = upright_rows(&px, orientation, 0, uh as usize)
                    .unwrap_or_else(|| px.data.clone());
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
        let pipeline = PhotoPipeline::new(PhotoLimits::default(), 1)
            .with_queue_wait(Duration::from_millis(50));
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
}
