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
//!
//! Putting a file that is already there sets its modification time to now
//! (the orphan sweep's clock, `sweep.rs`); listing, the sweep's other
//! question, reads one fan-out folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{PhotoKind, PhotoStore, folder, is_fan_out, is_valid_key, key_for};
use crate::disk::{create_dir, open_new, sync_dir};

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

    async fn list(
        &self,
        kind: PhotoKind,
        fan_out: &str,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        anyhow::ensure!(is_fan_out(fan_out), "{fan_out:?} is not a fan-out folder");
        let dir = self.root.join(folder(kind)).join(fan_out);
        let fan_out = fan_out.to_owned();
        tokio::task::spawn_blocking(move || {
            list_folder(&dir, &fan_out).with_context(|| format!("listing {}", dir.display()))
        })
        .await
        .context("the photo lister stopped")?
    }

    async fn modified(&self, kind: PhotoKind, key: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || match std::fs::metadata(&path) {
            Ok(meta) => Ok(Some(meta.modified()?.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).context("reading a photo's modification time"),
        })
        .await
        .context("the photo reader stopped")?
    }

    async fn delete(&self, kind: PhotoKind, key: &str) -> anyhow::Result<()> {
        let Some(path) = self.path_for(kind, key) else {
            return Ok(());
        };
        // Not synced: a deletion a power cut undoes is only made again.
        tokio::task::spawn_blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).context("deleting a photo"),
        })
        .await
        .context("the photo deleter stopped")?
    }
}

/// The keys in one fan-out folder with their modification times; a folder
/// not made yet is empty. Temporary files (`.<key>.<n>.tmp`) and anything
/// else that is not a key of this folder are left out.
fn list_folder(dir: &Path, fan_out: &str) -> std::io::Result<Vec<(String, DateTime<Utc>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name
            .to_str()
            .filter(|n| is_valid_key(n) && n.starts_with(fan_out))
        else {
            continue;
        };
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Deleted since the folder was read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.is_file() {
            found.push((name.to_owned(), meta.modified()?.into()));
        }
    }
    Ok(found)
}

/// Writes `bytes` to `path` through a synced temporary file and a rename;
/// if `path` already exists (same key, same bytes), only sets its
/// modification time to now, so the orphan sweep sees this put.
fn write_durably(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    // A file the server may not write (restored by another user) is
    // written anew below: a rename needs only the folder.
    if path.is_file() && touch(path).is_ok() {
        return Ok(());
    }
    let dir = path.parent().context("photo path without a folder")?;
    let kind_dir = dir.parent().context("photo path without a kind folder")?;
    let new_dir = !dir.is_dir();
    if new_dir {
        create_dir(dir, private)?;
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

/// Sets `path`'s modification time to now. Not synced: if a power cut
/// undoes it, the row that put it there either committed (the file is
/// named, never collected) or did not (the file is an orphan anyway).
fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(std::time::SystemTime::now())
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
    async fn a_fan_out_folder_lists_its_keys_only_and_a_deleted_key_is_gone() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().to_path_buf());
        let key = store
            .put(PhotoKind::Original, Bytes::from_static(b"an orphan"))
            .await?;
        let fan_out = &key[..2];
        let dir = tmp.path().join("originals").join(fan_out);
        // A crashed write's temporary file, a stray file and a folder.
        std::fs::write(dir.join(format!(".{key}.1-0.tmp")), b"half")?;
        std::fs::write(dir.join("notes.txt"), b"x")?;
        std::fs::create_dir(dir.join(key_for(b"a folder")))?;
        let listed = store.list(PhotoKind::Original, fan_out).await?;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].0, key);
        assert_eq!(
            store.modified(PhotoKind::Original, &key).await?,
            Some(listed[0].1)
        );
        // Another kind, another fan-out and a folder never made list nothing.
        assert!(store.list(PhotoKind::Display, fan_out).await?.is_empty());
        let other = if fan_out == "00" { "01" } else { "00" };
        assert!(store.list(PhotoKind::Original, other).await?.is_empty());
        for bad in ["..", "0", "000", "AB", "/e"] {
            assert!(store.list(PhotoKind::Original, bad).await.is_err(), "{bad}");
        }

        store.delete(PhotoKind::Original, &key).await?;
        assert_eq!(store.get(PhotoKind::Original, &key).await?, None);
        assert_eq!(store.modified(PhotoKind::Original, &key).await?, None);
        // Again, as another replica's sweep would: not an error.
        store.delete(PhotoKind::Original, &key).await?;
        assert!(dir.join(format!(".{key}.1-0.tmp")).is_file());
        Ok(())
    }

    #[tokio::test]
    async fn putting_a_stored_file_again_makes_it_modified_now() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let store = FsPhotoStore::new(tmp.path().to_path_buf());
        let key = store
            .put(PhotoKind::Display, Bytes::from_static(b"again"))
            .await?;
        let path = tmp.path().join("display").join(&key[..2]).join(&key);
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(long_ago)?;
        store
            .put(PhotoKind::Display, Bytes::from_static(b"again"))
            .await?;
        let modified = std::fs::metadata(&path)?.modified()?;
        assert!(modified.elapsed()?.as_secs() < 60, "{modified:?}");
        assert_eq!(std::fs::read(&path)?, b"again");
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
