//! How much memory decoding a photo takes, worked out from its header before
//! anything is decoded (issue 11, "uploads are bounded in memory").
//!
//! The pixel limits stop a decompression bomb, but not a photo that is
//! honest about its size and still expensive: a progressive JPEG keeps every
//! DCT coefficient of the whole image until its last scan (2 bytes a sample,
//! so 147 MB for 49 megapixels in 4:2:0 and twice that in 4:4:4), and
//! jpeg-decoder may copy a whole component again on its way to the IDCT
//! threads. Six such photos took a release server to 530 MB. So each decode
//! reserves its estimated peak from a budget the pipeline shares
//! ([`super::PhotoPipeline`]), and a photo whose estimate is over what one
//! decode may ever use ([`super::PhotoLimits::max_alloc`]) is refused.
//!
//! The estimates follow what each decoder allocates (the buffers are named
//! beside each term) and round up; `cargo xtask bench-upload-memory` puts
//! them beside measured peaks. The photo's own bytes are not counted here:
//! the upload budget holds them.

use super::resize::fit_within;
use super::segments::segments;
use super::{DISPLAY_EDGE, PhotoError, PhotoFormat, baseline};

const MIB: u64 = 1024 * 1024;
/// Thread stacks touched, EXIF, tables, allocator rounding.
const SLACK: u64 = 4 * MIB;

/// A JPEG's frame header: what the memory depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JpegFrame {
    /// The SOF marker: 0xC0 baseline, 0xC2 progressive, …
    pub marker: u8,
    pub precision: u8,
    pub width: u32,
    pub height: u32,
    /// Each component's horizontal and vertical sampling factors.
    pub sampling: Vec<(u8, u8)>,
    /// The file's length: jpeg-decoder and zune-jpeg copy ICC profiles and
    /// EXIF out of its segments, wherever they are, so at most this much.
    pub metadata: u64,
}

impl JpegFrame {
    /// Reads the one frame header before the first scan; two frames, none,
    /// or a header that does not parse make the file corrupt.
    pub fn parse(bytes: &[u8]) -> Result<Self, PhotoError> {
        let corrupt = |why: &str| PhotoError::Corrupt(why.to_owned());
        let mut found: Option<JpegFrame> = None;
        for segment in segments(bytes) {
            match segment.marker {
                0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                    if found.is_some() {
                        return Err(corrupt("more than one frame header"));
                    }
                    let [precision, h1, h0, w1, w0, count, ref components @ ..] = *segment.body
                    else {
                        return Err(corrupt("a short frame header"));
                    };
                    let count = usize::from(count);
                    if !(1..=4).contains(&count) || components.len() < 3 * count {
                        return Err(corrupt("a frame header with a bad component list"));
                    }
                    let sampling = components
                        .chunks_exact(3)
                        .take(count)
                        .map(|c| (c[1] >> 4, c[1] & 0x0F))
                        .collect::<Vec<_>>();
                    if sampling
                        .iter()
                        .any(|&(h, v)| !(1..=4).contains(&h) || !(1..=4).contains(&v))
                    {
                        return Err(corrupt("a frame header with bad sampling factors"));
                    }
                    found = Some(JpegFrame {
                        marker: segment.marker,
                        precision,
                        width: u32::from(u16::from_be_bytes([w1, w0])),
                        height: u32::from(u16::from_be_bytes([h1, h0])),
                        sampling,
                        metadata: 0,
                    });
                }
                0xDA => break,
                _ => {}
            }
        }
        let mut frame = found.ok_or_else(|| corrupt("no frame header"))?;
        frame.metadata = bytes.len() as u64;
        Ok(frame)
    }

    pub fn progressive(&self) -> bool {
        matches!(self.marker, 0xC2 | 0xC6 | 0xCA | 0xCE)
    }

    /// 8×8 blocks of each component, padded to whole MCUs as both decoders
    /// pad them.
    fn blocks(&self) -> impl Iterator<Item = u64> + '_ {
        let h_max = u64::from(self.sampling.iter().map(|s| s.0).max().unwrap_or(1));
        let v_max = u64::from(self.sampling.iter().map(|s| s.1).max().unwrap_or(1));
        let mcu_w = u64::from(self.width).div_ceil(8 * h_max);
        let mcu_h = u64::from(self.height).div_ceil(8 * v_max);
        self.sampling
            .iter()
            .map(move |&(h, v)| mcu_w * u64::from(h) * mcu_h * u64::from(v))
    }

    /// The whole-image coefficient buffer: 64 coefficients of 2 bytes a block.
    fn coefficients(&self) -> u64 {
        self.blocks().map(|b| b * 128).sum()
    }

    /// The coefficient buffer a decoder keeps whole: a progressive file's.
    fn kept_coefficients(&self) -> u64 {
        if self.progressive() {
            self.coefficients()
        } else {
            0
        }
    }

    /// The DCT scale n/8 both JPEG decoders pick for the display copy.
    fn scale(&self) -> u64 {
        u64::from(baseline::scale_numerator(
            self.width,
            self.height,
            DISPLAY_EDGE,
        ))
    }

    /// The largest component's coefficients.
    fn largest_component(&self) -> u64 {
        self.blocks().map(|b| b * 128).max().unwrap_or(0)
    }

    fn channels(&self) -> u64 {
        if self.sampling.len() == 1 { 1 } else { 3 }
    }
}

/// The decoder a photo goes to, as [`super::process`] chooses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DecodePath {
    /// libjpeg-turbo, streaming scaled rows into the resize
    /// ([`baseline::display_copy`]).
    Libjpeg(baseline::Baseline),
    /// jpeg-decoder's DCT-scaled decode; with `fallback`, a failure that is
    /// not a truncation is retried with `image` (whose estimate was
    /// reserved too).
    JpegDecoder { fallback: bool },
    /// `image`: PNG, WebP, and JPEGs the others do not take.
    Image,
}

/// Memory besides the decoded pixels once they are decoded: the resize's
/// horizontal pass (display width × source height), the display copy, its
/// upright copy and its encoding, the thumbnail.
fn finishing(src_w: u32, src_h: u32, channels: u64) -> u64 {
    let (dw, dh) = fit_within(src_w, src_h, DISPLAY_EDGE);
    let display = u64::from(dw) * u64::from(dh) * channels;
    u64::from(dw) * u64::from(src_h) * channels + 3 * display
}

/// libjpeg-turbo: for a progressive file the coefficient buffer; its row
/// buffers (a few MCU rows at full width); the rows narrowed to the display
/// width; the bands in flight between the threads (four at most); then the
/// display copy, its upright copy and its encoding.
pub(super) fn libjpeg(frame: &JpegFrame) -> u64 {
    let (c, n) = (frame.channels(), frame.scale());
    let scaled_w = u64::from(frame.width) * n / 8 + 1;
    let scaled_h = u64::from(frame.height) * n / 8 + 1;
    let (dw, dh) = fit_within(frame.width, frame.height, DISPLAY_EDGE);
    let narrow = u64::from(dw) * c * scaled_h;
    let v_max = u64::from(frame.sampling.iter().map(|s| s.1).max().unwrap_or(1));
    let rows = 4 * u64::from(frame.width) * 8 * v_max * frame.sampling.len() as u64 + MIB;
    let bands = 4 * scaled_w * c * 64;
    let coefficients = frame.kept_coefficients();
    let display = u64::from(dw) * u64::from(dh) * c;
    narrow + (coefficients + rows + bands).max(3 * display) + SLACK
}

/// jpeg-decoder at a DCT scale: the metadata it copies; for a progressive
/// file the coefficient buffer; one component's coefficients copied into
/// the channel to its IDCT thread (the thread may fall behind the copying by
/// a whole component); each component's scaled plane; the colour-converted
/// output; then the resize from the scaled output.
pub(super) fn jpeg_decoder(frame: &JpegFrame) -> u64 {
    let (c, n) = (frame.channels(), frame.scale());
    let out_w = (u64::from(frame.width) * n).div_ceil(8);
    let out_h = (u64::from(frame.height) * n).div_ceil(8);
    let planes: u64 = frame.blocks().map(|b| b * n * n).sum();
    let coefficients = frame.kept_coefficients();
    let out = out_w * out_h * c;
    let decode = frame.metadata + coefficients + frame.largest_component() + planes + out;
    let (out_w, out_h) = (
        u32::try_from(out_w).unwrap_or(u32::MAX),
        u32::try_from(out_h).unwrap_or(u32::MAX),
    );
    decode.max(out + finishing(out_w, out_h, c)) + SLACK
}

/// `image` on a JPEG (zune-jpeg): the metadata it copies; for a
/// progressive file the coefficient buffer; the decoder's output and
/// `image`'s copy of it, up to 4 bytes a pixel each (CMYK before
/// conversion); then the full-size resize.
pub(super) fn image_jpeg(frame: &JpegFrame) -> u64 {
    let pixels = u64::from(frame.width) * u64::from(frame.height);
    let coefficients = frame.kept_coefficients();
    let decode = frame.metadata + coefficients + 8 * pixels;
    decode.max(4 * pixels + finishing(frame.width, frame.height, frame.channels())) + SLACK
}

/// `image` on a PNG: the decoded rows at the file's depth (a palette
/// expands to RGBA), a conversion to 8 bits beside them for 16-bit files,
/// then the full-size resize. None unless the IHDR is where PNG puts it.
pub(super) fn image_png(bytes: &[u8], width: u32, height: u32) -> Option<u64> {
    let ihdr = bytes.get(12..26).filter(|h| h.starts_with(b"IHDR"))?;
    let (depth, colour) = (ihdr[12], ihdr[13]);
    let channels: u64 = match colour {
        0 => 1,
        2 => 3,
        3 | 6 => 4,
        4 => 2,
        _ => return None,
    };
    let pixels = u64::from(width) * u64::from(height);
    let wide = depth == 16;
    let decoded = pixels * channels * if wide { 2 } else { 1 };
    // 16-bit rows are converted beside themselves, then freed; 8-bit ones
    // are flattened in place.
    let (converting, kept) = if wide {
        (decoded + pixels * channels, pixels * channels)
    } else {
        (decoded, decoded)
    };
    let out = if matches!(colour, 0 | 4) { 1 } else { 3 };
    Some(converting.max(kept + finishing(width, height, out)) + SLACK)
}

/// `image` on a WebP: the lossy decoder's YUV planes or the lossless
/// decoder's ARGB, an alpha plane decoded the same way, the RGBA output;
/// 11 bytes a pixel in all, then the full-size resize.
pub(super) fn image_webp(width: u32, height: u32) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    (11 * pixels).max(4 * pixels + finishing(width, height, 3)) + SLACK
}

/// The path a photo takes and the most memory it holds at once.
pub(super) fn plan(
    bytes: &[u8],
    format: PhotoFormat,
    (width, height): (u32, u32),
    jpeg_decoder_takes_it: bool,
    libjpeg_takes_it: Option<baseline::Baseline>,
    max_alloc: u64,
) -> Result<(DecodePath, u64), PhotoError> {
    let (path, peak) = match format {
        PhotoFormat::Jpeg => {
            let frame = JpegFrame::parse(bytes)?;
            if (frame.width, frame.height) != (width, height) {
                return Err(PhotoError::Corrupt("inconsistent frame headers".into()));
            }
            if let Some(admitted) = libjpeg_takes_it {
                (DecodePath::Libjpeg(admitted), libjpeg(&frame))
            } else if jpeg_decoder_takes_it {
                let own = jpeg_decoder(&frame);
                let other = image_jpeg(&frame);
                // The fallback only when both fit in one decode's share.
                if own.max(other) <= max_alloc {
                    (DecodePath::JpegDecoder { fallback: true }, own.max(other))
                } else {
                    (DecodePath::JpegDecoder { fallback: false }, own)
                }
            } else {
                (DecodePath::Image, image_jpeg(&frame))
            }
        }
        PhotoFormat::Png => {
            let peak = image_png(bytes, width, height)
                .ok_or_else(|| PhotoError::Corrupt("no PNG header".into()))?;
            (DecodePath::Image, peak)
        }
        PhotoFormat::WebP => (DecodePath::Image, image_webp(width, height)),
    };
    if peak > max_alloc {
        return Err(PhotoError::TooMuchMemory {
            needed: peak,
            max: max_alloc,
        });
    }
    Ok((path, peak))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(marker: u8, width: u32, height: u32, sampling: &[(u8, u8)]) -> JpegFrame {
        JpegFrame {
            marker,
            precision: 8,
            width,
            height,
            sampling: sampling.to_vec(),
            metadata: 0,
        }
    }

    const YUV420: [(u8, u8); 3] = [(2, 2), (1, 1), (1, 1)];
    const YUV444: [(u8, u8); 3] = [(1, 1), (1, 1), (1, 1)];

    #[test]
    fn a_progressive_jpeg_counts_its_whole_coefficient_buffer() {
        // 49 MP, 4:2:0: 1.5 samples a pixel, 2 bytes each.
        let f = frame(0xC2, 8100, 6050, &YUV420);
        let samples = 8100 * 6050 * 3 / 2;
        assert!(f.coefficients() >= 2 * samples, "{}", f.coefficients());
        assert!(
            f.coefficients() < 2 * samples * 101 / 100,
            "{}",
            f.coefficients()
        );
        assert!(libjpeg(&f) > f.coefficients());
        // jpeg-decoder also holds a copy of the luma on its way to the IDCT.
        assert!(jpeg_decoder(&f) > f.coefficients() + 2 * 8100 * 6050);
        // 4:4:4 keeps twice the chroma.
        let full = frame(0xC2, 8100, 6050, &YUV444);
        assert!(full.coefficients() >= 2 * 3 * 8100 * 6050);
    }

    #[test]
    fn the_default_ceiling_takes_any_baseline_and_any_4_2_0_progressive_jpeg_within_the_pixel_limit()
     {
        let max = super::super::PhotoLimits::default().max_alloc;
        let (w, h) = (8660, 5773); // 50 MP
        assert!(libjpeg(&frame(0xC0, w, h, &YUV444)) <= max);
        assert!(libjpeg(&frame(0xC2, w, h, &YUV420)) <= max);
        // Progressive 4:4:4 keeps 6 bytes a pixel: about 30 MP fits, 49 does not.
        assert!(libjpeg(&frame(0xC2, 6300, 4700, &YUV444)) <= max);
        assert!(libjpeg(&frame(0xC2, 7000, 7000, &YUV444)) > max);
    }

    #[test]
    fn a_baseline_jpeg_on_libjpeg_needs_little_whatever_its_size() {
        let f = frame(0xC0, 8100, 6050, &YUV420);
        let peak = libjpeg(&f);
        assert!(peak < 64 * MIB, "{} MiB", peak / MIB);
        // 12 MP, what phones send.
        assert!(libjpeg(&frame(0xC0, 4000, 3000, &YUV420)) < 40 * MIB);
    }

    #[test]
    fn the_frame_header_is_read_once_and_must_be_whole() {
        // SOI, SOF0 (8-bit, 16×8, one component 1×1), SOS.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0];
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0]);
        let f = JpegFrame::parse(&jpeg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (f.width, f.height, f.sampling.as_slice()),
            (16, 8, &[(1, 1)][..])
        );
        let mut twice = jpeg[..15].to_vec();
        twice.extend_from_slice(&jpeg[2..]);
        assert!(matches!(
            JpegFrame::parse(&twice),
            Err(PhotoError::Corrupt(_))
        ));
        let mut bad_sampling = jpeg.clone();
        bad_sampling[13] = 0x51;
        assert!(matches!(
            JpegFrame::parse(&bad_sampling),
            Err(PhotoError::Corrupt(_))
        ));
        assert!(matches!(
            JpegFrame::parse(&jpeg[..12]),
            Err(PhotoError::Corrupt(_))
        ));
    }

    #[test]
    fn a_png_s_depth_and_colour_type_set_its_estimate() {
        let png = |depth: u8, colour: u8| {
            let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
            b.extend_from_slice(&[0, 0, 0x0F, 0xA0, 0, 0, 0x0B, 0xB8, depth, colour, 0, 0, 0]);
            b
        };
        let rgb = image_png(&png(8, 2), 4000, 3000).unwrap_or_default();
        let rgba16 = image_png(&png(16, 6), 4000, 3000).unwrap_or_default();
        assert!((36_000_000..100 * MIB).contains(&rgb), "{rgb}");
        assert!(rgba16 >= 4000 * 3000 * 12, "{rgba16}");
        assert_eq!(image_png(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIDAT", 1, 1), None);
    }
}
