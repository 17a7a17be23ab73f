//! Photo storage: content-addressed blobs behind a trait.
//!
//! The server holds an `Arc<dyn PhotoStore>` (STYLE.md principle 7). A key is
//! the hex SHA-256 of the stored bytes, so storing the same photo twice costs
//! nothing and a key can never name a file outside the store. The
//! [`FsPhotoStore`] keeps files on the local disk (the embedded default);
//! [`S3PhotoStore`] keeps them in S3-compatible object storage, which
//! several replicas share (`--photo-store s3://bucket/prefix`).
//!
//! Originals are kept apart from the re-encoded copies because they still
//! carry the reporter's EXIF (phone model, position): only staff may see them.
//! Evidence documents (PDF) are kept the same way, in a folder of their own.

mod fs;
pub mod s3;
pub mod sweep;

pub use fs::FsPhotoStore;
pub use s3::{S3PhotoStore, S3Settings};

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// Where the photos are kept (`--photo-store`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreLocation {
    /// `<data-dir>/photos` (the default).
    #[default]
    DataDir,
    /// A bucket and prefix in S3-compatible object storage.
    S3(S3Settings),
}

/// Opens the configured store and, for object storage, checks that it can
/// be written and read: a store that cannot is a reason not to start.
pub async fn open(
    location: &StoreLocation,
    data_dir: &std::path::Path,
) -> anyhow::Result<Arc<dyn PhotoStore>> {
    Ok(match location {
        StoreLocation::DataDir => Arc::new(FsPhotoStore::new(data_dir.join("photos"))),
        StoreLocation::S3(settings) => {
            let store = S3PhotoStore::new(settings)?;
            store.probe(Duration::from_secs(15)).await.map_err(|e| {
                anyhow::anyhow!("the photo store {} does not work: {e:#}", settings.url)
            })?;
            Arc::new(store)
        }
    })
}

/// Marks a store error as the store being out of reach (the network, the
/// service, its credentials): the request that met it is worth retrying,
/// so it is answered 503 with `Retry-After`, not 500 (see
/// `From<anyhow::Error> for AppError`).
#[derive(Debug, thiserror::Error)]
#[error("the photo store cannot be reached")]
pub struct StoreUnreachable;

/// Which copy of a photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoKind {
    /// The bytes as the resident sent them (EXIF included): staff only.
    Original,
    /// Re-encoded, ≤ 1600 px, no metadata: may be published.
    Display,
    /// Re-encoded, ≤ 320 px, no metadata: may be published.
    Thumbnail,
    /// A PDF brought as evidence (代录, 查处): staff only, never published.
    Document,
}

impl PhotoKind {
    /// Every kind, each kept in its own folder ([`folder`]).
    pub const ALL: [PhotoKind; 4] = [
        PhotoKind::Original,
        PhotoKind::Display,
        PhotoKind::Thumbnail,
        PhotoKind::Document,
    ];

    /// Whether only staff may read it: kept with owner-only permissions.
    pub fn is_private(self) -> bool {
        matches!(self, PhotoKind::Original | PhotoKind::Document)
    }
}

#[async_trait::async_trait]
pub trait PhotoStore: Send + Sync + 'static {
    /// Stores bytes content-addressed; returns the key (hex SHA-256 of the
    /// stored bytes). Storing the same bytes twice returns the same key and
    /// marks the object last modified now, so the orphan sweep's grace
    /// counts from the latest put (`sweep.rs`). `Bytes`, so an original is
    /// written from the buffer the upload budget counts, not from a copy
    /// (issue 11).
    async fn put(&self, kind: PhotoKind, bytes: bytes::Bytes) -> anyhow::Result<String>;

    /// The bytes stored under `key`, or `None` if there are none (a key that
    /// is not 64 lowercase hex digits is never found).
    async fn get(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<Vec<u8>>>;

    /// The objects of `kind` in one fan-out folder (`fan_out`: two lowercase
    /// hex digits, the keys' first two), each with when it was last
    /// modified: one slice for the orphan sweep. Anything that is not a key
    /// (a temporary file, the probe object) is left out.
    async fn list(
        &self,
        kind: PhotoKind,
        fan_out: &str,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>>;

    /// When the object under `key` was last modified, or `None` if there is
    /// none: the sweep's second look right before it deletes.
    async fn modified(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<DateTime<Utc>>>;

    /// Deletes the object under `key`; one that is not there (another
    /// replica's sweep was first) is not an error.
    async fn delete(&self, kind: PhotoKind, key: &str) -> anyhow::Result<()>;

    /// Whether the store can be used now (`/readyz`); a local disk always can.
    async fn ready(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The folder (or key prefix) each kind is kept under, the same in every store.
pub(crate) fn folder(kind: PhotoKind) -> &'static str {
    match kind {
        PhotoKind::Original => "originals",
        PhotoKind::Display => "display",
        PhotoKind::Thumbnail => "thumbnails",
        PhotoKind::Document => "documents",
    }
}

/// Whether `key` is a well-formed store key: 64 lowercase hex digits.
pub fn is_valid_key(key: &str) -> bool {
    is_lower_hex(key, 64)
}

/// Whether `fan_out` names a fan-out folder: two lowercase hex digits.
pub fn is_fan_out(fan_out: &str) -> bool {
    is_lower_hex(fan_out, 2)
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The key for `bytes`: their hex SHA-256.
pub fn key_for(bytes: &[u8]) -> String {
    crate::digest::sha256_hex(bytes)
}
