//! The walk over a JPEG header's marker segments, shared by the fast path's
//! gate, the memory estimate and the band encoder's join.

/// A marker segment of a JPEG header.
pub(super) struct Segment<'a> {
    pub(super) marker: u8,
    /// Offset of the segment's 0xFF.
    pub(super) at: usize,
    /// What follows the two length bytes.
    pub(super) body: &'a [u8],
}

impl Segment<'_> {
    /// Offset just past the segment: for SOS, where the entropy-coded data
    /// begins.
    pub(super) fn end(&self) -> usize {
        self.at + 4 + self.body.len()
    }
}

/// The marker segments of a JPEG header, from SOI up to and including the
/// first SOS (start of scan). The walk skips fill bytes and stops early at
/// anything that is not a whole segment (no 0xFF, a marker that has no
/// length such as RSTn or EOI, a length under 2 or past the end), so a
/// caller that wants the SOS then sees none. One walk for the fast path's
/// gate, the band encoder's join and the tests.
pub(super) fn segments(jpeg: &[u8]) -> impl Iterator<Item = Segment<'_>> {
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
pub(super) fn find_segment(jpeg: &[u8], marker: u8) -> Option<usize> {
    segments(jpeg).find(|s| s.marker == marker).map(|s| s.at)
}
