//! Files: hashed as they are read, copied whole or not at all, with the
//! owner-only modes the photo store gives originals and documents.
//!
//! The photo store's layout is `photos/{originals,display,thumbnails,
//! documents}/ab/<key>`, the key being the SHA-256 of the bytes; a backup
//! keeps the same layout under `photos/`, so a file's name is also its
//! checksum.

use crate::disk::{create_dir, open_new, sync_dir};
use crate::storage::{PhotoKind, folder};
use anyhow::Context as _;
use sha2::{Digest, Sha256};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// One photo file: its name relative to the store's root, and whether it
/// is private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFile {
    /// `originals/ab/abcd…`
    pub rel: String,
    pub private: bool,
}

/// `photos/<kind>/<ab>/<key>` with a known kind, a well-formed key and its
/// fan-out folder → whether it is private; anything else (`..`, an
/// absolute path, a stray file) → None.
pub fn photo_path(name: &str) -> Option<bool> {
    let mut parts = name.split('/');
    let (Some("photos"), Some(kind), Some(fan), Some(key), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let private = PhotoKind::ALL
        .iter()
        .find(|k| folder(**k) == kind)?
        .is_private();
    (crate::storage::is_valid_key(key) && key.get(..2) == Some(fan)).then_some(private)
}

/// Every photo file under the store's `root`, sorted; files the store
/// never serves (a `.tmp` left by a crash, a malformed name) are skipped.
pub fn photo_files(root: &Path) -> std::io::Result<Vec<PhotoFile>> {
    let mut out = Vec::new();
    for kind in PhotoKind::ALL {
        let (private, kind) = (kind.is_private(), folder(kind));
        let kind_dir = root.join(kind);
        let fans = match std::fs::read_dir(&kind_dir) {
            Ok(fans) => fans,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for fan in fans {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(fan.path())? {
                let file = file?;
                let name = format!(
                    "photos/{kind}/{}/{}",
                    fan.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                if file.file_type()?.is_file() && photo_path(&name).is_some() {
                    out.push(PhotoFile {
                        rel: name["photos/".len()..].to_owned(),
                        private,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The SHA-256 (hex) and length of a file, read in pieces.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), len))
}

/// Puts `from` at `to` for a backup: a hard link where both are on one
/// file system (the store never changes a file in place: it writes a new
/// one and renames it, so the link cannot be changed under the backup),
/// else a copy. A link keeps the file's mode; a copy is given the store's.
pub fn link_or_copy(from: &Path, to: &Path, private: bool) -> anyhow::Result<()> {
    if let Some(dir) = to.parent() {
        create_dir(dir, private)?;
    }
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    copy_whole(from, to, private, None).map(|_| ())
}

/// Copies `from` to `to` through a temporary file beside `to`, fsynced and
/// renamed: `to` appears whole or not at all. With `expected`, the bytes
/// written must have that SHA-256, or nothing is put in place (the source
/// changed since it was checked). Returns the written bytes' hash.
pub fn copy_whole(
    from: &Path,
    to: &Path,
    private: bool,
    expected: Option<&str>,
) -> anyhow::Result<String> {
    let dir = to.parent().context("a file path without a folder")?;
    create_dir(dir, private)?;
    let tmp = temp_beside(to);
    let written = (|| {
        let mut src =
            std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
        let mut dst = open_new(&tmp, private)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            dst.write_all(&buf[..n])?;
        }
        let sha = hex::encode(hasher.finalize());
        if let Some(expected) = expected
            && sha != expected
        {
            anyhow::bail!(
                "{} changed while it was copied (SHA-256 {sha}, expected {expected})",
                from.display()
            );
        }
        dst.sync_all()?;
        drop(dst);
        std::fs::rename(&tmp, to)?;
        sync_dir(dir)?;
        Ok(sha)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("writing {}", to.display()))
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_file(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    let dir = path.parent().context("a file path without a folder")?;
    let tmp = temp_beside(path);
    let written = (|| {
        let mut file = open_new(&tmp, private)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("writing {}", path.display()))
}

/// A name beside `path` no other writer uses: `.name.<pid>.<n>.tmp`.
pub fn temp_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_store_s_own_names_are_photo_paths() {
        let key = crate::storage::key_for(b"x");
        let fan = &key[..2];
        assert_eq!(
            photo_path(&format!("photos/originals/{fan}/{key}")),
            Some(true)
        );
        assert_eq!(
            photo_path(&format!("photos/display/{fan}/{key}")),
            Some(false)
        );
        assert_eq!(
            photo_path(&format!("photos/documents/{fan}/{key}")),
            Some(true)
        );
        for bad in [
            format!("photos/display/zz/{key}"),
            format!("photos/display/{fan}/{key}/x"),
            format!("photos/display/{fan}/.{key}.1.tmp"),
            format!("photos/other/{fan}/{key}"),
            format!("/photos/display/{fan}/{key}"),
            format!("photos/display/../{key}"),
            "shanshui.db".to_owned(),
        ] {
            assert_eq!(photo_path(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_copy_that_does_not_match_is_not_put_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a");
        std::fs::write(&from, b"bytes").unwrap();
        let to = dir.path().join("sub/b");
        let sha = crate::storage::key_for(b"bytes");
        assert_eq!(copy_whole(&from, &to, true, Some(&sha)).unwrap(), sha);
        assert_eq!(std::fs::read(&to).unwrap(), b"bytes");
        let other = dir.path().join("sub/c");
        assert!(copy_whole(&from, &other, true, Some(&"0".repeat(64))).is_err());
        assert!(!other.exists());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["b"], "no temporary file is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&to).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
