//! Collecting orphaned photo objects: later, never the other way round.
//!
//! A submission puts its photos (and evidence documents) in the store
//! *before* the row naming them commits (`reports::service::store_copies`,
//! `evidence::documents::store`). The other order could commit a row whose
//! photo is not there, a hole nothing repairs. This order's price is that a
//! transaction that fails after its puts leaves objects no row names:
//! orphans. Nobody can reach one (its key was never given out), but they
//! take space and an original still carries its EXIF, so they are
//! collected here, a day later.
//!
//! One step collects one slice, one kind in one fan-out folder (`ab/`,
//! about 1/256 of that kind): it lists the slice, keeps the objects last
//! modified more than [`GRACE`] ago, asks the database which of those keys
//! a row names (`photo`, `inspection_photo`, `evidence_document`: one query
//! per table per [`CHUNK`] keys), and deletes the others, each right after
//! reading its modification time again and only if that is still old.
//!
//! Why a day is enough: a transaction in flight holds its objects for
//! seconds, and every put marks its object modified now, even when it was
//! already there (the file store touches the file; S3 rewrites the object).
//! So a phone that sends the same report again with its Idempotency-Key, or
//! anyone who files the same photo, restarts the grace. An object put again
//! after the listing is seen by the second look and kept.
//!
//! What is left open: a put of an old orphan's exact bytes that lands in
//! the microseconds between the second look and the delete finds the object
//! there, refreshes it, and returns; the object is then deleted and the row
//! that commits next names a photo that is gone (served as 404). Neither a
//! file system nor S3 deletes on condition of the modification time, so the
//! window is not closed. Meeting it takes the same bytes as a submission
//! that failed more than a day earlier, inside that window.
//!
//! The job (`jobs.rs`) collects one slice a minute, walking the four kinds
//! × 256 fan-outs from a random start ([`Cursor`]): a full pass takes
//! about 17 hours of bounded work, and a restart does not send the walk
//! back to the same first slices. Several replicas may sweep at once: each
//! looks again before deleting, and deleting what another replica deleted
//! is not an error. Logs carry counts only, never keys.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::{PhotoKind, PhotoStore};
use crate::db::entities::{evidence_document, inspection_photo, photo};

/// How long an object no row names is kept: from its last put.
pub const GRACE: TimeDelta = TimeDelta::hours(24);

/// At most this many keys in one `IN (…)`.
pub const CHUNK: usize = 500;

/// Slices in a full pass: every kind × 256 fan-out folders.
pub const SLICES: u16 = PhotoKind::ALL.len() as u16 * 256;

/// One kind's objects in one fan-out folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    pub kind: PhotoKind,
    fan_out: u8,
}

impl Slice {
    /// The fan-out folder: two lowercase hex digits.
    pub fn fan_out(&self) -> String {
        format!("{:02x}", self.fan_out)
    }
}

/// Where the walk over the slices is: an endless iterator, round and round.
#[derive(Clone, Copy, Debug)]
pub struct Cursor(u16);

impl Cursor {
    /// Starting at slice `n` (of [`SLICES`], wrapping).
    pub fn starting_at(n: u16) -> Self {
        Self(n % SLICES)
    }

    /// Starting at a random slice, so replicas spread out and restarts do
    /// not favour the first slices.
    pub fn random() -> Self {
        Self::starting_at(rand::random())
    }
}

impl Iterator for Cursor {
    type Item = Slice;

    fn next(&mut self) -> Option<Slice> {
        let at = self.0;
        self.0 = (at + 1) % SLICES;
        Some(Slice {
            kind: PhotoKind::ALL.get(usize::from(at / 256)).copied()?,
            fan_out: (at % 256) as u8,
        })
    }
}

/// Every slice once: a full pass.
pub fn all_slices() -> impl Iterator<Item = Slice> {
    Cursor::starting_at(0).take(usize::from(SLICES))
}

/// What one step found and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Objects in the slice.
    pub listed: usize,
    /// Of those, last modified before the grace began.
    pub old: usize,
    /// Of those, named by no row and deleted.
    pub deleted: usize,
    /// Named by no row but put again since the listing: kept.
    pub refreshed: usize,
    /// Deletions that failed (tried again on the next pass).
    pub failed: usize,
}

/// Collects the orphans of `slice`: objects last modified before
/// `now - grace` that no row names. `now` and `grace` are parameters so a
/// test can look a day ahead; the job passes the system's time (an
/// object's modification time is the store's real time) and [`GRACE`].
pub async fn collect(
    db: &impl ConnectionTrait,
    store: &dyn PhotoStore,
    slice: Slice,
    now: DateTime<Utc>,
    grace: TimeDelta,
) -> anyhow::Result<Collected> {
    let before = now - grace;
    let listed = store.list(slice.kind, &slice.fan_out()).await?;
    let mut done = Collected {
        listed: listed.len(),
        ..Collected::default()
    };
    let old: Vec<String> = listed
        .into_iter()
        .filter(|(_, modified)| *modified < before)
        .map(|(key, _)| key)
        .collect();
    done.old = old.len();
    if old.is_empty() {
        return Ok(done);
    }
    let named = referenced(db, slice.kind, &old).await?;
    let mut first_error = None;
    for key in old.iter().filter(|k| !named.contains(*k)) {
        let deleted = async {
            // The second look: a put since the listing made it fresh.
            match store.modified(slice.kind, key).await? {
                Some(modified) if modified < before => {
                    store.delete(slice.kind, key).await?;
                    Ok(true)
                }
                // Fresh again, or gone already (another replica's sweep).
                Some(_) | None => Ok::<_, anyhow::Error>(false),
            }
        };
        match deleted.await {
            Ok(true) => done.deleted += 1,
            Ok(false) => done.refreshed += 1,
            Err(e) => {
                done.failed += 1;
                // The store's words without the key (logs carry no keys).
                first_error.get_or_insert_with(|| format!("{e:#}").replace(key.as_str(), "…"));
            }
        }
    }
    if done.deleted > 0 || done.failed > 0 {
        tracing::info!(
            kind = ?slice.kind,
            listed = done.listed,
            old = done.old,
            deleted = done.deleted,
            refreshed = done.refreshed,
            failed = done.failed,
            "collected orphaned photo objects"
        );
    }
    if let Some(error) = first_error {
        tracing::warn!(
            kind = ?slice.kind,
            failed = done.failed,
            %error,
            "deleting orphaned photo objects failed; the next pass tries again"
        );
    }
    Ok(done)
}

/// Which of `keys` (of `kind`) a row names.
async fn referenced(
    db: &impl ConnectionTrait,
    kind: PhotoKind,
    keys: &[String],
) -> Result<HashSet<String>, DbErr> {
    let mut named = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        match kind {
            PhotoKind::Original => {
                named.extend(names::<photo::Entity>(db, photo::Column::OriginalKey, chunk).await?);
                named.extend(
                    names::<inspection_photo::Entity>(
                        db,
                        inspection_photo::Column::OriginalKey,
                        chunk,
                    )
                    .await?,
                );
            }
            PhotoKind::Display => {
                named.extend(names::<photo::Entity>(db, photo::Column::DisplayKey, chunk).await?);
                named.extend(
                    names::<inspection_photo::Entity>(
                        db,
                        inspection_photo::Column::DisplayKey,
                        chunk,
                    )
                    .await?,
                );
            }
            PhotoKind::Thumbnail => {
                named.extend(names::<photo::Entity>(db, photo::Column::ThumbnailKey, chunk).await?);
                named.extend(
                    names::<inspection_photo::Entity>(
                        db,
                        inspection_photo::Column::ThumbnailKey,
                        chunk,
                    )
                    .await?,
                );
            }
            PhotoKind::Document => {
                named.extend(
                    names::<evidence_document::Entity>(
                        db,
                        evidence_document::Column::StoreKey,
                        chunk,
                    )
                    .await?,
                );
            }
        }
    }
    Ok(named)
}

/// The values of `column` in `E`'s table that are among `keys`.
async fn names<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    keys: &[String],
) -> Result<Vec<String>, DbErr> {
    E::find()
        .select_only()
        .column(column)
        .filter(column.is_in(keys.iter().map(String::as_str)))
        .distinct()
        .into_tuple::<String>()
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_visits_every_kind_and_fan_out_once_from_any_start() {
        let from_zero: Vec<_> = all_slices().collect();
        assert_eq!(from_zero.len(), 1024);
        let distinct: HashSet<_> = from_zero
            .iter()
            .map(|s| (format!("{:?}", s.kind), s.fan_out()))
            .collect();
        assert_eq!(distinct.len(), 1024);
        assert_eq!(from_zero[0].fan_out(), "00");
        assert_eq!(from_zero[255].fan_out(), "ff");
        assert_eq!(from_zero[256].kind, PhotoKind::Display);
        assert_eq!(from_zero[1023].kind, PhotoKind::Document);

        // From the middle: round the end and back to the start, in order.
        let mut cursor = Cursor::starting_at(1023 + 1024 * 7);
        assert_eq!(cursor.next(), Some(from_zero[1023]));
        assert_eq!(cursor.next(), Some(from_zero[0]));
        let mut random = Cursor::random();
        let pass: HashSet<_> = (&mut random)
            .take(1024)
            .map(|s| (format!("{:?}", s.kind), s.fan_out()))
            .collect();
        assert_eq!(pass, distinct);
    }
}
