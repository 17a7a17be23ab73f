//! Reading a photo: its header first, checked against the limits before
//! anything is allocated, then its pixels — jpeg-decoder at a DCT scale for
//! the JPEGs the fast path ([`super::baseline`]) does not take, `image` for
//! the rest.

use std::io::Cursor;

use super::{DISPLAY_EDGE, PhotoError, PhotoFormat, PhotoLimits};

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
pub(super) struct Source<'a> {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) format: PhotoFormat,
    /// For a JPEG jpeg-decoder can take (8-bit RGB or grey): its decoder,
    /// positioned after the header.
    pub(super) jpeg: Option<jpeg_decoder::Decoder<&'a [u8]>>,
}

/// Reads the header only and checks the claimed size against the limits.
pub(super) fn open<'a>(
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
    /// being cut short (when [`super::inspect`] reserved memory for both).
    pub(super) fn decode(
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
pub(super) struct Pixels {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) channels: usize,
    pub(super) data: Vec<u8>,
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
pub(super) fn decode_with_image(
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
pub(super) fn flatten_on_white(mut buf: Vec<u8>, channels: usize) -> Vec<u8> {
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
