//! Photo storage: content-addressed blobs behind a trait.
//!
//! The server holds an `Arc<dyn PhotoStore>` (STYLE.md principle 7). A key is
//! the hex SHA-256 of the stored bytes, so storing the same photo twice costs
//! nothing and a key can never name a file outside the store. The
//! [`FsPhotoStore`] keeps files on the local disk; an S3-compatible store
//! (several replicas, or the district's object storage) can implement the
//! same trait without the callers changing.
//!
//! Originals are kept apart from the re-encoded copies because they still
//! carry the reporter's EXIF (phone model, position): only staff may see them.
//! Evidence documents (PDF) are kept the same way, in a folder of their own.

mod fs;

pub use fs::FsPhotoStore;

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
    /// Whether only staff may read it: kept with owner-only permissions.
    pub fn is_private(self) -> bool {
        matches!(self, PhotoKind::Original | PhotoKind::Document)
    }
}

#[async_trait::async_trait]
pub trait PhotoStore: Send + Sync + 'static {
    /// Stores bytes content-addressed; returns the key (hex SHA-256 of the
    /// stored bytes). Storing the same bytes twice is a no-op returning the
    /// same key. `Bytes`, so an original is written from the buffer the
    /// upload budget counts, not from a copy (issue 11).
    async fn put(&self, kind: PhotoKind, bytes: bytes::Bytes) -> anyhow::Result<String>;

    /// The bytes stored under `key`, or `None` if there are none (a key that
    /// is not 64 lowercase hex digits is never found).
    async fn get(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

/// Whether `key` is a well-formed store key: 64 lowercase hex digits.
pub fn is_valid_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The key for `bytes`: their hex SHA-256.
pub fn key_for(bytes: &[u8]) -> String {
    crate::digest::sha256_hex(bytes)
}
