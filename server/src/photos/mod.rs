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
//!
//! A file per stage: `decode` (the header and the pixels), `exif`,
//! `resize` (and turning upright), `encode`, `segments` (the JPEG marker
//! walk several of them share); `pipeline` puts them in order and runs them
//! on `workers`. The types they pass and the limits are here.

use std::time::Duration;

mod baseline;
mod decode;
mod encode;
mod exif;
mod memory;
mod pipeline;
mod resize;
mod segments;
mod workers;

use memory::DecodePath;
pub use pipeline::{PhotoPipeline, inspect, process};

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

/// The error a panic in a decoder, a resizer or an encoder becomes.
pub(super) fn panicked() -> PhotoError {
    PhotoError::Corrupt("the decoder failed".into())
}

/// Runs `here` on this thread and `there` on a second one, and waits for
/// both. A panic on the second thread comes back as an error.
pub(super) fn both<A, B: Send>(
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, Result<B, PhotoError>) {
    std::thread::scope(|s| {
        let other = s.spawn(there);
        let a = here();
        (a, other.join().map_err(|_| panicked()))
    })
}

#[cfg(test)]
mod segment_props;

#[cfg(test)]
mod tests;
