//! The photo pipeline's stages, timed (`crate::photos::PhotoPipeline`):
//! reading the header, waiting for a decode slot and its memory, and the
//! decode, resize and re-encode — which one grows tells whether photos are
//! slow for their size or for the queue.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::time::Duration;

/// Seconds: a thumbnail's header in a millisecond, a 50-megapixel PNG in
/// seconds, a photo that waited the whole queue wait (30 s).
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoStage {
    /// The header, the limits and the decode's memory estimate.
    Inspect,
    /// Queued: for a thread to read the header on, then for the decode's
    /// memory and a thread (all but the two stages' own time).
    Wait,
    /// Decode, resize and re-encode (display copy and thumbnail).
    Process,
}

impl PhotoStage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Inspect => "inspect",
            Self::Wait => "wait",
            Self::Process => "process",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    stage: &'static str,
}

/// Where the pipeline records how long each stage took.
#[derive(Clone, Debug)]
pub struct PhotoTimings {
    stages: Family<Labels, Histogram>,
}

impl PhotoTimings {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let stages = Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register_with_unit(
            "photo_stage_duration",
            "Time a photo spent in each stage of the pipeline",
            Unit::Seconds,
            stages.clone(),
        );
        Self { stages }
    }

    pub fn observe(&self, stage: PhotoStage, took: Duration) {
        self.stages
            .get_or_create(&Labels {
                stage: stage.as_str(),
            })
            .observe(took.as_secs_f64());
    }
}
