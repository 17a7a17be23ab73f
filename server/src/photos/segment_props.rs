//! Property tests of the JPEG marker walk and the fast path's gate: on any
//! bytes — random, a real JPEG cut anywhere, a real JPEG with bytes
//! changed — they never panic, only ever point inside the input, and walk
//! forward; a header built of whole segments is walked exactly.

use super::segments::segments;
use super::*;
use proptest::prelude::*;

fn real_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, 90])
    });
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 80);
    let _ = encoder.encode(img.as_raw(), 48, 32, jpeg_encoder::ColorType::Rgb);
    out
}

/// Bytes a hostile upload might hold: noise, a real file cut short, or a
/// real file with some bytes overwritten.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let jpeg = real_jpeg();
    let len = jpeg.len();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600).prop_map(|mut v| {
            if v.len() >= 2 {
                v[0] = 0xFF;
                v[1] = 0xD8;
            }
            v
        }),
        (0..len).prop_map({
            let jpeg = jpeg.clone();
            move |cut| jpeg[..cut].to_vec()
        }),
        proptest::collection::vec((0..len, any::<u8>()), 1..8).prop_map(move |edits| {
            let mut v = jpeg.clone();
            for (at, byte) in edits {
                v[at] = byte;
            }
            v
        }),
    ]
}

proptest! {
    #![proptest_config(crate::testing::proptest_config())]

    #[test]
    fn the_walk_stays_inside_and_moves_forward(bytes in hostile()) {
        let mut last = None;
        for s in segments(&bytes) {
            prop_assert!(s.end() <= bytes.len(), "segment at {} ends past the input", s.at);
            prop_assert!(last.is_none_or(|l| s.at > l), "the walk went back to {}", s.at);
            prop_assert_eq!(bytes.get(s.at), Some(&0xFF));
            last = Some(s.at);
        }
        // The gate on the same bytes answers (a frame it accepts, or none).
        if let Some(frame) = baseline::gate(&bytes) {
            prop_assert!(frame.width > 0 && frame.height > 0);
        }
    }

    #[test]
    fn a_header_of_whole_segments_is_walked_exactly(
        bodies in proptest::collection::vec((0xC0u8..=0xFE, proptest::collection::vec(any::<u8>(), 0..40)), 0..10),
        fill in 0usize..3,
    ) {
        // Markers without a length (RSTn, SOI, EOI) end a header; leave them out.
        let bodies: Vec<(u8, Vec<u8>)> =
            bodies.into_iter().filter(|(m, _)| !matches!(m, 0xD0..=0xDA)).collect();
        let mut jpeg = vec![0xFF, 0xD8];
        for (marker, body) in &bodies {
            jpeg.extend(std::iter::repeat_n(0xFF, fill));
            jpeg.extend_from_slice(&[0xFF, *marker]);
            jpeg.extend_from_slice(&u16::try_from(body.len() + 2).unwrap_or(u16::MAX).to_be_bytes());
            jpeg.extend_from_slice(body);
        }
        let walked: Vec<(u8, Vec<u8>)> = segments(&jpeg).map(|s| (s.marker, s.body.to_vec())).collect();
        prop_assert_eq!(walked, bodies);
    }
}
