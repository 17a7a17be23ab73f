//! Restoring a backup: every check first, then the photos, then the
//! database in one step.

use super::manifest::{DatabaseKind, Manifest};
use super::{BackupError, PhotoPlace, files, keys, megabytes, postgres, sqlite};
use crate::config::Settings;
use crate::notify::webpush;
use crate::privacy::cipher;
use migrations::{Migrator, MigratorTrait as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a restore put back, for the operator.
#[derive(Debug)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// Photo files written (the others were already there, the same).
    pub photos_written: u64,
    pub photos_present: u64,
    pub elapsed: Duration,
    /// What to do before starting the server (the keys, the photos).
    pub notes: Vec<String>,
}

impl std::fmt::Display for RestoreSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.manifest;
        writeln!(
            f,
            "restored the {} database of {} (migration {}: {} cases, {} reports, {} photos) in {:.1} s",
            m.database.kind.name(),
            m.created_at.to_rfc3339(),
            m.database.migration,
            m.counts.cases,
            m.counts.reports,
            m.counts.photos,
            self.elapsed.as_secs_f64(),
        )?;
        if m.photos.copied {
            writeln!(
                f,
                "photo files: {} written, {} already in place ({})",
                self.photos_written,
                self.photos_present,
                megabytes(m.photos.bytes)
            )?;
        }
        write!(f, "\n{}", self.notes.join("\n\n"))
    }
}

/// Restores the backup in `from` onto the configured database and photo
/// store. Any failed check → `Refused`, and nothing has changed; a
/// database that holds data is replaced only with `force`.
pub async fn restore(
    settings: &Settings,
    from: &Path,
    force: bool,
) -> Result<RestoreSummary, BackupError> {
    let started = Instant::now();
    let manifest = Manifest::read(from)?;
    let kind = super::kind_of(settings);
    if manifest.database.kind != kind {
        return Err(BackupError::Refused(format!(
            "this backup holds a {} database; the configured database is {} (restore it with the same kind of --database-url)",
            manifest.database.kind.name(),
            kind.name()
        )));
    }
    verify_files(from, &manifest).await?;
    check_migrations(&manifest)?;
    let copy = from.join(&manifest.database.file);
    match kind {
        DatabaseKind::Sqlite => {
            let found = sqlite::inspect(&copy).await?;
            if found.migrations != manifest.database.migrations || found.counts != manifest.counts {
                return Err(BackupError::Refused(format!(
                    "the database copy does not hold what the manifest says ({} migrations, {:?}; the manifest: {} migrations, {:?})",
                    found.migrations.len(),
                    found.counts,
                    manifest.database.migrations.len(),
                    manifest.counts
                )));
            }
        }
        DatabaseKind::Postgres => postgres::check_archive(&copy).await?,
    }
    let mut notes = check_keys(&settings.data_dir, &manifest)?;

    // The target: refused if it holds data (without --force) or is in use.
    let db_path = match kind {
        DatabaseKind::Sqlite => Some(sqlite::database_path(&settings.database_url)?),
        DatabaseKind::Postgres => None,
    };
    let refuse_full = |what: &str| {
        BackupError::Refused(format!(
            "the database {} already holds data ({what}); restoring would replace it. \
             Run restore again with --force to replace it.",
            crate::config::redact_url(&settings.database_url)
        ))
    };
    if let Some(path) = &db_path {
        match sqlite::target(path).await? {
            sqlite::Target::Holds(what) if !force => return Err(refuse_full(&what)),
            sqlite::Target::Absent => {}
            _ => sqlite::take_over(path).await?,
        }
    } else {
        let target = postgres::target(&settings.database_url).await?;
        if let (Some(what), false) = (&target.holds, force) {
            return Err(refuse_full(what));
        }
        if target.other_sessions > 0 {
            return Err(BackupError::Refused(format!(
                "the database {} is in use ({} other sessions): stop every shanshui server that uses it, then restore again",
                crate::config::redact_url(&settings.database_url),
                target.other_sessions
            )));
        }
    }

    // Photos first: adding files to a content-addressed store harms
    // nothing, and the database put in place after them finds them all.
    let photos = PhotoPlace::of(settings);
    let (photos_written, photos_present) = match (&photos, manifest.photos.copied) {
        (PhotoPlace::Files(root), true) => {
            let (root, from, m) = (root.clone(), from.to_path_buf(), manifest.clone());
            tokio::task::spawn_blocking(move || put_photos(&root, &from, &m))
                .await
                .map_err(|e| anyhow::anyhow!("the photo copy stopped: {e}"))??
        }
        (PhotoPlace::ObjectStorage(url), true) => {
            notes.push(format!(
                "The backup's photo files were not put back: this server keeps photos in object \
                 storage ({url}). Copy {} into the bucket under its prefix, with the same names.",
                from.join("photos").display()
            ));
            (0, 0)
        }
        (_, false) => {
            notes.push(format!(
                "The backup holds no photo files: {}",
                manifest
                    .photos
                    .note
                    .as_deref()
                    .unwrap_or("they were not copied")
            ));
            (0, 0)
        }
    };

    // The database last, in one step.
    let sha256 = manifest
        .files
        .get(&manifest.database.file)
        .map(|f| f.sha256.clone())
        .unwrap_or_default();
    match &db_path {
        Some(path) => sqlite::put_in_place(&copy, path, &sha256)?,
        None => {
            postgres::restore(&settings.database_url, &copy).await?;
            let found = postgres::read(&settings.database_url).await?;
            if found.counts != manifest.counts {
                return Err(BackupError::Failed(anyhow::anyhow!(
                    "pg_restore finished, but the database holds {:?}, not the backup's {:?}",
                    found.counts,
                    manifest.counts
                )));
            }
        }
    }
    Ok(RestoreSummary {
        manifest,
        photos_written,
        photos_present,
        elapsed: started.elapsed(),
        notes,
    })
}

/// Every file the manifest names is there with its length and SHA-256.
async fn verify_files(from: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let (from, files) = (from.to_path_buf(), manifest.files.clone());
    tokio::task::spawn_blocking(move || {
        for (name, entry) in &files {
            let path = from.join(name);
            let (sha256, bytes) = files::sha256_file(&path).map_err(|e| {
                BackupError::Refused(format!("{name} in the backup cannot be read: {e}"))
            })?;
            if sha256 != entry.sha256 || bytes != entry.bytes {
                return Err(BackupError::Refused(format!(
                    "{name} in the backup has changed since it was made (SHA-256 {sha256}, \
                     the manifest says {}): the backup cannot be trusted",
                    entry.sha256
                )));
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| anyhow::anyhow!("the check stopped: {e}"))?
}

/// A database with a migration this binary does not know was made by a
/// newer Shanshui: this one could not run on it.
fn check_migrations(manifest: &Manifest) -> Result<(), BackupError> {
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<&str> = manifest
        .database
        .migrations
        .iter()
        .filter(|m| !known.contains(m))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(BackupError::Refused(format!(
        "the backup's database is at a newer version than this shanshui knows (migrations {}): \
         restore it with the shanshui that made it ({}) or a later one",
        unknown.join(", "),
        manifest.shanshui_version
    )))
}

/// The keys on this machine against the backup's fingerprints: a
/// personal-data key that differs is refused (the identities could not be
/// read); a missing one, and any VAPID difference, are notes.
fn check_keys(data_dir: &Path, manifest: &Manifest) -> Result<Vec<String>, BackupError> {
    let mut notes = Vec::new();
    let pii_file = data_dir.join(cipher::KEY_FILE);
    match (
        manifest.keys.pii_fingerprint.as_deref(),
        keys::pii_fingerprint(data_dir)?,
    ) {
        (Some(backup), Some(here)) if backup != here => {
            return Err(BackupError::Refused(format!(
                "the personal-data key here ({} or {}) is not the one this backup was made with \
                 (fingerprint {here}; the backup's: {backup}): the reporters' identities could not \
                 be read. Give this server the backup's key, or remove this one to restore anyway \
                 and put the right key in place before starting the server.",
                cipher::KEY_ENV,
                pii_file.display()
            )));
        }
        (Some(_), Some(_)) => notes.push("The personal-data key here is the backup's.".to_owned()),
        (Some(backup), None) => notes.push(format!(
            "NO PERSONAL-DATA KEY HERE YET. Before starting the server, set {} or copy the \
             backup's pii.key (fingerprint {backup}) to {} with mode 0600: a server started \
             without it makes a new key, and the restored reporters' identities stay unreadable \
             until the right key replaces it.",
            cipher::KEY_ENV,
            pii_file.display()
        )),
        (None, _) => notes.push("The backup recorded no personal-data key.".to_owned()),
    }
    let vapid_file: PathBuf = data_dir.join(webpush::KEY_FILE);
    match (
        manifest.keys.vapid_public_key.as_deref(),
        keys::vapid_public_key(data_dir)?,
    ) {
        (Some(backup), Some(here)) if backup != here => notes.push(format!(
            "The VAPID key here is not the backup's: browsers' push subscriptions will fail. \
             Set {} or put the backup's vapid.key at {}.",
            webpush::KEY_ENV,
            vapid_file.display()
        )),
        (Some(_), None) => notes.push(format!(
            "No VAPID key here yet: set {} or copy the backup's vapid.key to {} before starting \
             the server, or browsers' push subscriptions will fail.",
            webpush::KEY_ENV,
            vapid_file.display()
        )),
        _ => {}
    }
    Ok(notes)
}

/// Copies the backup's photo files into the store at `root`, each checked
/// against its hash as it is written; a file already there with the right
/// bytes is left alone. (written, already present)
fn put_photos(root: &Path, from: &Path, manifest: &Manifest) -> Result<(u64, u64), BackupError> {
    let (mut written, mut present) = (0, 0);
    for (name, entry) in &manifest.files {
        let Some(private) = files::photo_path(name) else {
            continue;
        };
        let rel = &name["photos/".len()..];
        let dest = root.join(rel);
        if files::sha256_file(&dest).is_ok_and(|(sha, _)| sha == entry.sha256) {
            present += 1;
            continue;
        }
        files::copy_whole(&from.join(name), &dest, private, Some(&entry.sha256))?;
        written += 1;
    }
    Ok((written, present))
}

#[cfg(test)]
mod tests {
    use super::super::manifest::tests::at;
    use super::*;

    #[test]
    fn a_database_newer_than_this_binary_is_refused() {
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert!(check_migrations(&at(known.clone())).is_ok());
        assert!(
            check_migrations(&at(known[..3].to_vec())).is_ok(),
            "older is fine"
        );
        let mut newer = known;
        newer.push("m29990101_000001_from_the_future".to_owned());
        let err = check_migrations(&at(newer)).unwrap_err();
        assert!(matches!(err, BackupError::Refused(_)));
        assert!(
            err.to_string().contains("m29990101_000001_from_the_future"),
            "{err}"
        );
    }

    #[test]
    fn a_refusal_exits_with_code_2_and_a_failure_with_1() {
        use crate::cli::CliError;
        let refused = CliError::from(BackupError::Refused("no".to_owned()));
        assert!(matches!(refused, CliError::Config(_)));
        let failed = CliError::from(BackupError::Failed(anyhow::anyhow!("disk full")));
        assert!(matches!(failed, CliError::Other(_)));
    }
}
