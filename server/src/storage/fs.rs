//! Photos on the local file system.
//!
//! Layout: `root/{originals,display,thumbnails,documents}/ab/abcdef…`, the first two
//! hex digits of the key as a fan-out folder so no folder grows past a few
//! thousand entries. A write goes to a temporary file in the destination
//! folder, is fsynced, renamed over the final name (atomic on POSIX) and the
//! folder is fsynced: after `put` returns, the photo survives a power cut,
//! and a reader never sees half a file. Keys are checked (64 lowercase hex)
//! before any path is built, so a key from a URL cannot walk out of `root`
//! (ASVS 12.3.1–2). Originals and documents get mode 0600 in a 0700 folder:
//! they carry the reporter's EXIF or a case's papers, and only staff may see
//! them.
//!
//! A crash between writing and renaming leaves a `.<key>.<n>.tmp` file
//! beside its destination; such files are never read and may be deleted.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;

use super::{PhotoKind, PhotoStore, is_valid_key, key_for};

/// Content-addressed photo files under one root folder.
#[derive(Clone, Debug)]
pub struct FsPhotoStore {
    root: PathBuf,
}

impl FsPhotoStore {
    /// A store under `root`; folders are created on the first `put`.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `key` lives, or `None` for a malformed key.
    fn path_for(&self, kind: PhotoKind, key: &str) -> Option<PathBuf> {
        if !is_valid_key(key) {
            return None;
        }
        Some(self.root.join(folder(kind)).join(&key[..2]).join(key))
    }
}

fn folder(kind: PhotoKind) -> &'static str {
    match kind {
        PhotoKind::Original => "originals",
        PhotoKind::Display => "display",
        PhotoKind::Thumbnail => "thumbnails",
        PhotoKind::Document => "documents",
    }
}

#[async_trait::async_trait]
impl PhotoStore for FsPhotoStore {
    async fn put(&self, kind: PhotoKind, bytes: bytes::Bytes) -> anyhow::Result<String> {
        let store = self.clone();
        // Hashing up to 20 MB and fsyncing both block: off the runtime.
        tokio::task::spawn_blocking(move || {
            let key = key_for(&bytes);
            let path = store
                .path_for(kind, &key)
                .context("a SHA-256 is always a valid key")?;
            write_durably(&path, &bytes, kind.is_private())
                .with_context(|| format!("storing photo {}", path.display()))?;
            Ok(key)
        })
        .await
        .context("the photo writer stopped")?
    }

    async fn get(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(None);
        };
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(bytes) if key_for(&bytes) == key => Ok(Some(bytes)),
            // Bit rot or tampering: say so rather than serve it.
            Ok(_) => anyhow::bail!("photo {} does not match its key", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading photo {}", path.display())),
        })
        .await
        .context("the photo reader stopped")?
    }
}

/// Writes `bytes` to `path` through a synced temporary file and a rename;
/// does nothing if `path` already exists (same key, same bytes).
fn write_durably(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let dir = path.parent().context("photo path without a folder")?;
    let kind_dir = dir.parent().context("photo path without a kind folder")?;
    let new_dir = !dir.is_dir();
    if new_dir {
        create_dirs(dir, private)?;
    }

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("photo path without a name")?;
    let tmp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));

    let written = (|| {
        let mut file = open_new(&tmp, private)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        // Atomic: a concurrent put of the same bytes renames identical
        // content over the same name, and readers see one whole file.
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)?;
        if new_dir {
            sync_dir(kind_dir)?;
        }
        Ok::<_, std::io::Error>(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(written?)
}

#[cfg(unix)]
fn create_dirs(dir: &Path, private: bool) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(if private { 0o700 } else { 0o755 })
        .create(dir)
}

#[cfg(not(unix))]
fn create_dirs(dir: &Path, _private: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_new(path: &Path, private: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path, _private: bool) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Makes a rename or a new entry in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p)
                } else {
                    out.push(p)
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn a_photo_comes_back_as_it_was_stored() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().join("photos"));
        let bytes = b"\xFF\xD8\xFF a display copy".to_vec();
        let key = store.put(PhotoKind::Display, bytes.clone().into()).await?;
        assert_eq!(key, key_for(&bytes));
        assert!(is_valid_key(&key));
        assert_eq!(store.get(PhotoKind::Display, &key).await?, Some(bytes));
        let on_disk = tmp.path().join("photos/display").join(&key[..2]).join(&key);
        assert!(on_disk.is_file(), "{} is missing", on_disk.display());
        Ok(())
    }

    #[tokio::test]
    async fn storing_the_same_bytes_twice_is_a_no_op() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().to_path_buf());
        let first = store
            .put(PhotoKind::Thumbnail, Bytes::from_static(b"thumb"))
            .await?;
        let second = store
            .put(PhotoKind::Thumbnail, Bytes::from_static(b"thumb"))
            .await?;
        assert_eq!(first, second);
        assert_eq!(files_under(tmp.path()).len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn kinds_are_kept_apart_and_originals_are_private() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().to_path_buf());
        let key = store
            .put(PhotoKind::Original, Bytes::from_static(b"raw with EXIF"))
            .await?;
        assert_eq!(store.get(PhotoKind::Display, &key).await?, None);
        assert_eq!(store.get(PhotoKind::Thumbnail, &key).await?, None);
        let path = tmp.path().join("originals").join(&key[..2]).join(&key);
        assert!(path.is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path)?.permissions().mode() & 0o777,
                0o600
            );
            let folder = std::fs::metadata(path.parent().ok_or("no folder")?)?;
            assert_eq!(folder.permissions().mode() & 0o777, 0o700);
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_key_that_is_not_64_lowercase_hex_is_never_looked_up() -> TestResult {
        let tmp = tempfile::tempdir()?;
        // A file the path-traversal keys below would reach in a naive store.
        std::fs::write(tmp.path().join("secret"), b"staff only")?;
        let root = tmp.path().join("store");
        let store = FsPhotoStore::new(root.clone());
        let valid = key_for(b"x");
        let bad = [
            "../secret".to_owned(),
            "../../secret".to_owned(),
            "../etc/passwd".to_owned(),
            "/etc/passwd".to_owned(),
            valid.to_uppercase(),
            valid[..63].to_owned(),
            format!("{valid}0"),
            format!("..{}", &valid[2..]),
            format!("{}/{}", &valid[..2], &valid[3..]),
            String::new(),
        ];
        for key in &bad {
            for kind in [
                PhotoKind::Original,
                PhotoKind::Display,
                PhotoKind::Thumbnail,
            ] {
                assert_eq!(store.get(kind, key).await?, None, "{key:?}");
            }
        }
        // Nothing was created either.
        assert!(!root.exists());
        // A well-formed key that was never stored is simply absent.
        assert_eq!(store.get(PhotoKind::Display, &valid).await?, None);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_puts_of_the_same_bytes_agree_and_leave_one_file() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = Arc::new(FsPhotoStore::new(tmp.path().to_path_buf()));
        let bytes: Arc<Vec<u8>> = Arc::new((0..200_000u32).map(|i| (i % 251) as u8).collect());
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (store, bytes) = (Arc::clone(&store), Arc::clone(&bytes));
                tokio::spawn(
                    async move { store.put(PhotoKind::Display, bytes.to_vec().into()).await },
                )
            })
            .collect();
        let mut keys = Vec::new();
        for task in tasks {
            keys.push(task.await??);
        }
        assert!(keys.iter().all(|k| *k == keys[0]));
        let files = files_under(tmp.path());
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(
            store.get(PhotoKind::Display, &keys[0]).await?.as_deref(),
            Some(bytes.as_slice())
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_file_changed_on_disk_is_reported_not_served() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().to_path_buf());
        let key = store
            .put(PhotoKind::Display, Bytes::from_static(b"original bytes"))
            .await?;
        std::fs::write(
            tmp.path().join("display").join(&key[..2]).join(&key),
            b"tampered",
        )?;
        assert!(store.get(PhotoKind::Display, &key).await.is_err());
        Ok(())
    }

    #[tokio::test]
    async fn the_store_works_through_the_trait_object() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store: Arc<dyn PhotoStore> = Arc::new(FsPhotoStore::new(tmp.path().to_path_buf()));
        let key = store
            .put(PhotoKind::Thumbnail, Bytes::from_static(b"t"))
            .await?;
        assert_eq!(
            store.get(PhotoKind::Thumbnail, &key).await?,
            Some(b"t".to_vec())
        );
        Ok(())
    }
}
