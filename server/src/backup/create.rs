//! Making a backup: the database snapshot, then the photo files, then the
//! manifest, into a folder that must not exist or be empty.

use super::manifest::{
    self, DatabaseEntry, DatabaseKind, FileEntry, KeysEntry, Manifest, PhotosEntry,
};
use super::{BackupError, Contents, PhotoPlace, files, keys, megabytes, postgres, sqlite};
use crate::config::Settings;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a backup wrote, for the operator.
#[derive(Debug)]
pub struct BackupSummary {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub elapsed: Duration,
    /// About the keys, which are not in the backup.
    pub reminder: String,
}

impl std::fmt::Display for BackupSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.manifest;
        writeln!(
            f,
            "backed up the {} database (migration {}: {} cases, {} reports, {} photos) to {} in {:.1} s",
            m.database.kind.name(),
            m.database.migration,
            m.counts.cases,
            m.counts.reports,
            m.counts.photos,
            self.dir.display(),
            self.elapsed.as_secs_f64(),
        )?;
        if m.photos.copied {
            writeln!(
                f,
                "photo files: {} ({})",
                m.photos.files,
                megabytes(m.photos.bytes)
            )?;
        }
        if let Some(note) = &m.photos.note {
            writeln!(f, "photo files: {note}")?;
        }
        write!(f, "\n{}", self.reminder)
    }
}

/// Backs up the configured database and photo store into `to`, which must
/// not exist or be empty; an earlier backup is never overwritten.
pub async fn backup(settings: &Settings, to: &Path) -> Result<BackupSummary, BackupError> {
    let started = Instant::now();
    let created = prepare(to)?;
    match write(settings, to).await {
        Ok(manifest) => {
            let reminder =
                keys::reminder(&settings.data_dir, manifest.keys.pii_fingerprint.as_deref());
            Ok(BackupSummary {
                dir: to.to_path_buf(),
                manifest,
                elapsed: started.elapsed(),
                reminder,
            })
        }
        Err(e) => {
            // Nothing half-made is left to be mistaken for a backup.
            if created {
                let _ = std::fs::remove_dir_all(to);
            } else if let Ok(entries) = std::fs::read_dir(to) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
            Err(e)
        }
    }
}

/// Makes `to` ready: created (0700: it will hold personal data), or an
/// existing empty folder. Whether it was created here.
fn prepare(to: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(to) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::Refused(format!(
                    "{} is not empty: a backup goes into a new or empty folder, and an earlier backup is never overwritten",
                    to.display()
                )));
            }
            crate::disk::set_mode(to, 0o700)?;
            Ok(false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                std::fs::DirBuilder::new().mode(0o700).create(to)?;
            }
            #[cfg(not(unix))]
            std::fs::create_dir(to)?;
            Ok(true)
        }
        Err(e) => Err(BackupError::Refused(format!(
            "{} cannot be used for a backup: {e}",
            to.display()
        ))),
    }
}

async fn write(settings: &Settings, to: &Path) -> Result<Manifest, BackupError> {
    let keys = KeysEntry {
        included: false,
        pii_fingerprint: keys::pii_fingerprint(&settings.data_dir)?,
        vapid_public_key: keys::vapid_public_key(&settings.data_dir)?,
    };
    let kind = super::kind_of(settings);
    let file = manifest::database_file(&kind);
    let copy = to.join(file);
    // The database first: the photo files copied after it include every
    // photo its rows name.
    let contents: Contents = match kind {
        DatabaseKind::Sqlite => sqlite::snapshot(&settings.database_url, &copy).await?,
        DatabaseKind::Postgres => postgres::dump(&settings.database_url, &copy).await?,
    };
    let photos = PhotoPlace::of(settings);
    let to_owned = to.to_path_buf();
    let (photos_entry, photo_files) =
        tokio::task::spawn_blocking(move || copy_photos(&photos, &to_owned))
            .await
            .map_err(|e| anyhow::anyhow!("the photo copy stopped: {e}"))??;
    let mut manifest = Manifest::new(
        DatabaseEntry {
            kind,
            file: file.to_owned(),
            migration: contents.migrations.last().cloned().unwrap_or_default(),
            migrations: contents.migrations,
        },
        contents.counts,
        photos_entry,
        keys,
    );
    let (sha256, bytes) = files::sha256_file(&copy)?;
    manifest
        .files
        .insert(file.to_owned(), FileEntry { sha256, bytes });
    manifest.files.extend(photo_files);
    let readme = readme(settings, &manifest);
    files::write_file(&to.join("README.txt"), readme.as_bytes(), false)?;
    manifest.write(to)?;
    crate::disk::sync_dir(to)?;
    Ok(manifest)
}

/// Links or copies every photo file into `to/photos/`, hashing each as it
/// lands; a file whose bytes no longer match its name (bit rot) is left
/// out and named in the note.
fn copy_photos(
    photos: &PhotoPlace,
    to: &Path,
) -> Result<(PhotosEntry, Vec<(String, FileEntry)>), BackupError> {
    let root = match photos {
        PhotoPlace::Files(root) => root,
        PhotoPlace::ObjectStorage(url) => {
            return Ok((
                PhotosEntry {
                    store: "s3".to_owned(),
                    copied: false,
                    files: 0,
                    bytes: 0,
                    note: Some(format!(
                        "not copied: they are kept in object storage ({url}), which has its own \
                         versioning and replication; back the bucket up with its own tools \
                         (the same layout as under photos/ here)"
                    )),
                },
                Vec::new(),
            ));
        }
    };
    let mut entries = Vec::new();
    let mut damaged = Vec::new();
    let mut total = 0u64;
    for photo in files::photo_files(root)? {
        let name = format!("photos/{}", photo.rel);
        let dest = to.join(&name);
        files::link_or_copy(&root.join(&photo.rel), &dest, photo.private)?;
        let (sha256, bytes) = files::sha256_file(&dest)?;
        if !photo.rel.ends_with(&sha256) {
            std::fs::remove_file(&dest)?;
            damaged.push(photo.rel);
            continue;
        }
        total += bytes;
        entries.push((name, FileEntry { sha256, bytes }));
    }
    let note = (!damaged.is_empty()).then(|| {
        format!(
            "{} files in the store no longer match their names and were left out: {}",
            damaged.len(),
            damaged.join(", ")
        )
    });
    Ok((
        PhotosEntry {
            store: "files".to_owned(),
            copied: true,
            files: entries.len() as u64,
            bytes: total,
            note,
        },
        entries,
    ))
}

fn readme(settings: &Settings, manifest: &Manifest) -> String {
    format!(
        "A backup of Shanshui (山水), made {} by shanshui {}.

{} database (migration {}): {} cases, {} reports, {} photos.
manifest.json lists every file with its SHA-256; `shanshui restore` checks
them all before it replaces anything.

To restore, with the servers stopped:

    shanshui --data-dir DATA_DIR [--database-url URL] restore --from THIS_FOLDER

It refuses a database that already holds data unless given --force.

{}
",
        manifest.created_at.to_rfc3339(),
        manifest.shanshui_version,
        manifest.database.kind.name(),
        manifest.database.migration,
        manifest.counts.cases,
        manifest.counts.reports,
        manifest.counts.photos,
        keys::reminder(&settings.data_dir, manifest.keys.pii_fingerprint.as_deref()),
    )
}
