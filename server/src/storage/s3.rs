//! Photos in S3-compatible object storage (`--photo-store s3://bucket/prefix`),
//! for several replicas: one replica stores a photo, any other serves it.
//!
//! The same layout as the file store under the prefix
//! (`{prefix}/{originals,display,thumbnails,documents}/ab/abcdef…`), so a
//! district can move its photos from disk to a bucket with a plain copy.
//! Objects are written without any ACL: the bucket's default, private. Only
//! the server reads them, and it gives originals and documents to staff
//! alone, exactly as with the file store; display copies keep their
//! content-addressed URLs and year-long caching because the server, not the
//! bucket, serves them.
//!
//! Works with anything that speaks the S3 API: AWS, MinIO, Ceph RGW,
//! Aliyun OSS and Tencent COS. The endpoint, region and credentials come
//! from the usual `AWS_*` variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, `AWS_ALLOW_HTTP`), read once at start.
//!
//! A store that cannot be reached must not hold a resident's submission for
//! minutes: requests give up after a few seconds and two retries, and the
//! submission answers 503 with `Retry-After` (the phone's outbox tries
//! again with the same Idempotency-Key), never a lost report.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ClientConfigKey, ObjectStore, PutPayload, RetryConfig};

use super::{PhotoKind, PhotoStore, StoreUnreachable, folder, is_fan_out, is_valid_key, key_for};

/// Where and how to reach the bucket: the `s3://bucket/prefix` URL and the
/// `AWS_*` settings (lower-case keys, as object_store names them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub url: String,
    pub options: Vec<(String, String)>,
}

impl S3Settings {
    /// The settings for `url` from this process's `AWS_*` variables.
    pub fn from_env(url: String) -> Self {
        let options = std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Self { url, options }
    }

    /// The prefix of `s3://bucket/prefix`, without slashes at either end.
    fn prefix(&self) -> &str {
        self.url
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .map_or("", |(_, p)| p.trim_matches('/'))
    }
}

/// Checks the form of `--photo-store`: `s3://bucket` or `s3://bucket/prefix`.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or("must be s3://bucket or s3://bucket/prefix")?;
    let bucket = rest.split('/').next().unwrap_or_default();
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !bucket_ok {
        return Err(format!(
            "{bucket:?} is not a bucket name (3–63 lower-case letters, digits, dots and hyphens)"
        ));
    }
    Ok(())
}

/// Content-addressed photos in one bucket under one prefix.
#[derive(Clone, Debug)]
pub struct S3PhotoStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

/// The object start-up writes and readiness reads: proves the bucket
/// exists, the credentials may write and read, and the endpoint answers.
const PROBE: &str = "shanshui-probe";

impl S3PhotoStore {
    /// Builds the client; touches nothing yet ([`S3PhotoStore::probe`] does).
    pub fn new(settings: &S3Settings) -> anyhow::Result<Self> {
        check_url(&settings.url).map_err(anyhow::Error::msg)?;
        // Our defaults first, the operator's variables over them.
        let mut builder = AmazonS3Builder::new()
            .with_url(settings.url.clone())
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "20s")
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                "3s",
            );
        for (key, value) in &settings.options {
            // Variables object_store does not know (AWS_PROFILE, …) are
            // for other tools.
            if let Ok(key) = key.parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
        }
        let store = builder.build().context("configuring the S3 photo store")?;
        Ok(Self {
            store: Arc::new(store),
            prefix: settings.prefix().to_owned(),
        })
    }

    fn path(&self, rest: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(rest)
        } else {
            Path::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn path_for(&self, kind: PhotoKind, key: &str) -> Option<Path> {
        is_valid_key(key).then(|| self.path(&format!("{}/{}/{key}", folder(kind), &key[..2])))
    }

    /// Writes and reads back a small object, within `within`: what start-up
    /// checks before serving, so a wrong bucket, endpoint or key stops the
    /// process with the store's own words instead of failing residents'
    /// submissions later.
    pub async fn probe(&self, within: Duration) -> anyhow::Result<()> {
        let path = self.path(PROBE);
        let body = b"shanshui".as_slice();
        let check = async {
            self.store
                .put(&path, PutPayload::from_static(body))
                .await
                .context("writing a test object")?;
            let read = self
                .store
                .get(&path)
                .await
                .context("reading the test object back")?
                .bytes()
                .await
                .context("reading the test object back")?;
            anyhow::ensure!(read.as_ref() == body, "the test object came back changed");
            Ok(())
        };
        tokio::time::timeout(within, check)
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {} s", within.as_secs()))?
    }
}

/// A failure of the store itself (network, service, credentials): worth
/// retrying, so marked [`StoreUnreachable`].
fn unreachable(e: object_store::Error) -> anyhow::Error {
    anyhow::Error::new(StoreUnreachable).context(e)
}

#[async_trait::async_trait]
impl PhotoStore for S3PhotoStore {
    async fn put(&self, kind: PhotoKind, bytes: bytes::Bytes) -> anyhow::Result<String> {
        // Hashing up to 20 MB blocks: off the runtime.
        let hashed = bytes.clone();
        let key = tokio::task::spawn_blocking(move || key_for(&hashed))
            .await
            .context("the photo hasher stopped")?;
        let path = self
            .path_for(kind, &key)
            .context("a SHA-256 is always a valid key")?;
        // The same bytes under the same name: writing twice is harmless, so
        // no round trip to ask first; and the rewrite makes Last-Modified
        // now, which the orphan sweep counts its grace from (`sweep.rs`).
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(unreachable)?;
        Ok(key)
    }

    async fn get(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(None);
        };
        let fetched = match self.store.get(&path).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match fetched {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(unreachable(e)),
        };
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || {
            // Bit rot, or someone with write access to the bucket: say so
            // rather than serve it.
            anyhow::ensure!(key_for(&bytes) == key, "photo {key} does not match its key");
            Ok(Some(bytes.to_vec()))
        })
        .await
        .context("the photo checker stopped")?
    }

    async fn list(
        &self,
        kind: PhotoKind,
        fan_out: &str,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        anyhow::ensure!(is_fan_out(fan_out), "{fan_out:?} is not a fan-out folder");
        let prefix = self.path(&format!("{}/{fan_out}", folder(kind)));
        let objects: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(unreachable)?;
        Ok(objects
            .into_iter()
            .filter_map(|meta| {
                let key = meta.location.filename()?;
                // Only what `put` could have written (not a deeper path).
                (self.path_for(kind, key).as_ref() == Some(&meta.location))
                    .then(|| (key.to_owned(), meta.last_modified))
            })
            .collect())
    }

    async fn modified(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(None);
        };
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(meta.last_modified)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unreachable(e)),
        }
    }

    async fn delete(&self, kind: PhotoKind, key: &str) -> anyhow::Result<()> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(());
        };
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unreachable(e)),
        }
    }

    async fn ready(&self) -> anyhow::Result<()> {
        self.store
            .head(&self.path(PROBE))
            .await
            .map(drop)
            .map_err(unreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_read_from_the_url() {
        let s = |url: &str| S3Settings {
            url: url.to_owned(),
            options: vec![],
        };
        assert_eq!(s("s3://photos").prefix(), "");
        assert_eq!(s("s3://photos/").prefix(), "");
        assert_eq!(s("s3://photos/banan/2026/").prefix(), "banan/2026");
    }

    #[test]
    fn only_an_s3_url_with_a_bucket_name_is_taken() {
        assert!(check_url("s3://shanshui-photos/banan").is_ok());
        assert!(check_url("s3://ab").is_err());
        assert!(check_url("s3://").is_err());
        assert!(check_url("s3://Upper/x").is_err());
        assert!(check_url("https://bucket.example").is_err());
        assert!(check_url("/var/lib/photos").is_err());
    }
}
