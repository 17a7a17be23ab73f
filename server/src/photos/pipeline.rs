//! A photo through the pipeline: [`inspect`] (the header, the limits, the
//! decode's memory), [`process`] (decode, resize, encode, with the hash and
//! EXIF beside them), and [`PhotoPipeline`], which runs both off the async
//! runtime within the decode slots and the memory budget.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fast_image_resize::FilterType;
use sha2::{Digest, Sha256};

use super::decode::{decode_with_image, open};
use super::encode::encode_upright;
use super::exif::read_exif;
use super::memory::{self, DecodePath};
use super::resize::{fit_within, resize_to, upright_size};
use super::{
    DISPLAY_EDGE, DISPLAY_QUALITY, DecodePlan, PhotoError, PhotoFormat, PhotoLimits,
    ProcessedPhoto, QUEUE_WAIT, THUMBNAIL_EDGE, THUMBNAIL_QUALITY, baseline, both, panicked,
    workers,
};
use crate::metrics::{PhotoStage, PhotoTimings};

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

/// `work`'s result and how long it ran.
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    (work(), started.elapsed())
}

/// The server's entry point: bounded concurrency and memory, CPU work off
/// the async runtime, and a panic in a decoder turned into an error.
pub struct PhotoPipeline {
    limits: PhotoLimits,
    pub(super) slots: Arc<tokio::sync::Semaphore>,
    /// Decode memory in KiB: each decode holds its estimated peak.
    pub(super) memory: Arc<tokio::sync::Semaphore>,
    /// A thread per slot ([`workers`]); the blocking pool if none started.
    workers: Option<workers::Workers>,
    queue_wait: Duration,
    /// Where each stage's time is recorded, when metrics are on.
    timings: Option<PhotoTimings>,
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
pub(super) fn kib(bytes: u64) -> u32 {
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
            timings: None,
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

    /// Records how long each stage takes (`crate::metrics`).
    pub fn with_timings(mut self, timings: Option<PhotoTimings>) -> Self {
        self.timings = timings;
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
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.queue_wait;
        let limits = self.limits;
        let header = bytes.clone();
        let (plan, inspecting) = self
            .run_blocking(deadline, None, move || timed(|| inspect(&header, &limits)))
            .await?;
        self.observe(PhotoStage::Inspect, inspecting);
        let plan = plan?;
        let memory = tokio::time::timeout_at(
            deadline,
            Arc::clone(&self.memory).acquire_many_owned(kib(plan.peak_bytes)),
        )
        .await
        .map_err(|_elapsed| PhotoError::Busy)?
        .map_err(|_closed| PhotoError::Busy)?;
        let (processed, processing) = self
            .run_blocking(deadline, Some(memory), move || {
                timed(|| process_planned(&bytes, &plan, &limits))
            })
            .await?;
        self.observe(PhotoStage::Process, processing);
        let waited = started.elapsed().saturating_sub(inspecting + processing);
        self.observe(PhotoStage::Wait, waited);
        processed
    }

    fn observe(&self, stage: PhotoStage, took: Duration) {
        if let Some(timings) = &self.timings {
            timings.observe(stage, took);
        }
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
