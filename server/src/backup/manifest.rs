//! `manifest.json`: what a backup holds and how to check it.
//!
//! Written last, once every other file is in place, so a backup cut short
//! has no manifest and `restore` refuses it. The SHA-256 of every file lets
//! `restore` find a changed byte before it replaces anything; the hashes
//! guard against bit rot and careless copies, not against someone who may
//! rewrite the manifest too.

use super::BackupError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file's name in the backup folder.
pub const FILE_NAME: &str = "manifest.json";
/// What the `format` field says: a restore refuses any other.
pub const FORMAT: u32 = 1;
/// What the `kind` field says, so a stray JSON file is not taken for one.
const KIND: &str = "shanshui-backup";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: String,
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// The version of the `shanshui` that made it.
    pub shanshui_version: String,
    pub database: DatabaseEntry,
    pub counts: Counts,
    pub photos: PhotosEntry,
    pub keys: KeysEntry,
    /// Every file of the backup but this manifest and `README.txt`, by its
    /// path relative to the backup folder (`/`-separated).
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn name(&self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseEntry {
    pub kind: DatabaseKind,
    /// The copy's name in the backup folder (a key of `files`).
    pub file: String,
    /// The newest migration applied to the database (sea-orm's version name).
    pub migration: String,
    /// Every migration applied, oldest first.
    pub migrations: Vec<String>,
}

/// Rows at the moment of the snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub cases: u64,
    pub reports: u64,
    pub photos: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhotosEntry {
    /// `files` (the data directory's store) or `s3`.
    pub store: String,
    /// Whether the photo files are in this backup (under `photos/`).
    pub copied: bool,
    /// How many photo files (every kind) the backup holds.
    pub files: u64,
    pub bytes: u64,
    /// Why they were not copied, or what was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The keys are never in a backup; these let `restore` tell whether the
/// keys it finds are the right ones, without revealing them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeysEntry {
    pub included: bool,
    /// A one-way fingerprint of the personal-data key (see `keys.rs`).
    pub pii_fingerprint: Option<String>,
    /// The VAPID public key (public anyway: browsers hold it).
    pub vapid_public_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
}

impl Manifest {
    pub fn new(
        database: DatabaseEntry,
        counts: Counts,
        photos: PhotosEntry,
        keys: KeysEntry,
    ) -> Self {
        Self {
            kind: KIND.to_owned(),
            format: FORMAT,
            created_at: Utc::now(),
            shanshui_version: env!("CARGO_PKG_VERSION").to_owned(),
            database,
            counts,
            photos,
            keys,
            files: BTreeMap::new(),
        }
    }

    /// Writes the manifest into `dir` through a temporary name: it appears
    /// whole or not at all.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        super::files::write_file(&dir.join(FILE_NAME), &json, true)
    }

    /// Reads and checks the manifest of the backup in `dir`.
    pub fn read(dir: &Path) -> Result<Self, BackupError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::Refused(format!(
                    "{} has no {FILE_NAME}: it is not a Shanshui backup, or the backup was cut short",
                    dir.display()
                )));
            }
            Err(e) => {
                return Err(BackupError::Refused(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let manifest: Manifest = serde_json::from_slice(&text)
            .map_err(|e| BackupError::Refused(format!("{} cannot be read: {e}", path.display())))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// What must hold before any file it names is trusted.
    fn check(&self) -> Result<(), BackupError> {
        let refuse = |why: String| Err(BackupError::Refused(format!("{FILE_NAME}: {why}")));
        if self.kind != KIND {
            return refuse(format!("not a Shanshui backup (kind `{}`)", self.kind));
        }
        if self.format != FORMAT {
            return refuse(format!(
                "format {} is not the format {FORMAT} this shanshui reads",
                self.format
            ));
        }
        if !self.files.contains_key(&self.database.file) {
            return refuse(format!(
                "the database copy `{}` is not among its files",
                self.database.file
            ));
        }
        // A name that could reach outside the backup or the photo store
        // (`..`, an absolute path) is never used.
        for name in self.files.keys() {
            if *name != self.database.file && super::files::photo_path(name).is_none() {
                return refuse(format!("`{name}` is not a file a backup holds"));
            }
        }
        if ![
            database_file(&DatabaseKind::Sqlite),
            database_file(&DatabaseKind::Postgres),
        ]
        .contains(&self.database.file.as_str())
        {
            return refuse(format!("unknown database copy `{}`", self.database.file));
        }
        Ok(())
    }
}

/// The database copy's name in a backup.
pub fn database_file(kind: &DatabaseKind) -> &'static str {
    match kind {
        DatabaseKind::Sqlite => "shanshui.db",
        DatabaseKind::Postgres => "shanshui.pgdump",
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A manifest of an empty SQLite backup at `migrations` (for the tests
    /// here and in `restore`).
    pub(in crate::backup) fn at(migrations: Vec<String>) -> Manifest {
        Manifest::new(
            DatabaseEntry {
                kind: DatabaseKind::Sqlite,
                file: "shanshui.db".to_owned(),
                migration: migrations.last().cloned().unwrap_or_default(),
                migrations,
            },
            Counts::default(),
            PhotosEntry {
                store: "files".to_owned(),
                copied: true,
                files: 0,
                bytes: 0,
                note: None,
            },
            KeysEntry {
                included: false,
                pii_fingerprint: None,
                vapid_public_key: None,
            },
        )
    }

    fn manifest() -> Manifest {
        let mut m = at(vec!["m1".to_owned()]);
        m.files.insert(
            "shanshui.db".to_owned(),
            FileEntry {
                sha256: "0".repeat(64),
                bytes: 1,
            },
        );
        m
    }

    #[test]
    fn a_written_manifest_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        m.write(dir.path()).unwrap();
        let back = Manifest::read(dir.path()).unwrap();
        assert_eq!(back.files, m.files);
        assert_eq!(back.database.migration, "m1");
    }

    #[test]
    fn a_name_that_leaves_the_backup_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "../pii.key",
            "/etc/passwd",
            "photos/originals/ab/../../x",
            "photos/secrets/ab/abc",
        ] {
            let mut m = manifest();
            m.files.insert(
                bad.to_owned(),
                FileEntry {
                    sha256: "0".repeat(64),
                    bytes: 1,
                },
            );
            m.write(dir.path()).unwrap();
            let err = Manifest::read(dir.path()).unwrap_err();
            assert!(matches!(err, BackupError::Refused(_)), "{bad}: {err}");
            std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        }
    }

    #[test]
    fn a_missing_or_garbled_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
        std::fs::write(dir.path().join(FILE_NAME), b"{\"kind\": ").unwrap();
        assert!(matches!(
            Manifest::read(dir.path()),
            Err(BackupError::Refused(_))
        ));
        let mut m = manifest();
        m.format = 2;
        std::fs::write(dir.path().join(FILE_NAME), serde_json::to_vec(&m).unwrap()).unwrap();
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("format 2"), "{err}");
    }
}
