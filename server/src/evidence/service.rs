//! Attaching evidence to a case (photos of an inspection, documents of the
//! case or of an inspection), and handing it back to staff, audited.
//!
//! Who may attach is who may record an inspection on the case now
//! (`workflow::check` of `record_inspection`: a dispatcher, or a handler of
//! the lead department, once the case is accepted). Everything is checked
//! and processed before the transaction, so a refusal writes nothing; files
//! are stored content-addressed before the rows, so a failure leaves at
//! most a file no row names, never a row without its file.

use super::documents::{self, Checked};
use super::listing::{document_view, photo_view};
use crate::audit;
use crate::auth::session::StaffUser;
use crate::cases::access::{actor, facts, load_visible};
use crate::cases::effects::{Event, refused};
use crate::cases::service::SEE_ORIGINALS;
use crate::cases::timeline::record_event;
use crate::cases::workflow::{self, Action, Actor};
use crate::clock::Clock;
use crate::db::entities::{case, evidence_document, inspection, inspection_photo};
use crate::error::{AppError, is_unique_violation};
use crate::photos::{PhotoPipeline, ProcessedPhoto};
use crate::reports::idempotency::{self, IdempotencyKey};
use crate::reports::service::{process_photos, store_copies};
use crate::reports::upload::NamedFile;
use crate::storage::{PhotoKind, PhotoStore};
use bytes::Bytes;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use sha2::{Digest, Sha256};
use shared::FieldErrorCode;
use shared::case::ActionKind;
use shared::evidence::EvidenceReceipt;

pub struct Evidence<'a> {
    pub db: &'a DatabaseConnection,
    pub pipeline: &'a PhotoPipeline,
    pub store: &'a dyn PhotoStore,
    pub clock: &'a Clock,
}

/// An upload as read from the form.
pub struct Attach {
    /// The `inspection` field, as sent.
    pub inspection: Option<String>,
    pub photos: Vec<Bytes>,
    pub documents: Vec<NamedFile>,
    pub key: Option<IdempotencyKey>,
}

/// A file to hand back: its bytes, type and name.
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub file_name: String,
}

impl Evidence<'_> {
    pub async fn attach(
        &self,
        user: &StaffUser,
        code: &str,
        attach: Attach,
    ) -> Result<EvidenceReceipt, AppError> {
        let now = self.clock.now();
        let staff = actor(user);
        let c = load_visible(self.db, &staff, code).await?;
        workflow::check(
            &Actor::Staff(staff),
            &facts(&c),
            Action::Staff(ActionKind::RecordInspection),
        )
        .map_err(refused)?;
        let inspection = self.inspection(&c, attach.inspection.as_deref()).await?;
        if attach.photos.is_empty() && attach.documents.is_empty() {
            return Err(AppError::field(
                "document",
                FieldErrorCode::Required,
                "attach a photo or a document",
            ));
        }
        if !attach.photos.is_empty() && inspection.is_none() {
            return Err(AppError::field(
                "inspection",
                FieldErrorCode::Required,
                "photos are attached to an inspection: give its id",
            ));
        }
        let checked = documents::check_all(attach.documents).await?;
        let request_hash = request_hash(&c.code, inspection.as_ref(), &attach.photos, &checked);
        if let Some(key) = &attach.key
            && let Some(receipt) = idempotency::replay(self.db, key, &request_hash, now).await?
        {
            return Ok(receipt);
        }

        // Decoding is the slow part: before any transaction.
        let processed = process_photos(self.pipeline, &attach.photos).await?;
        let mut stored_photos = Vec::with_capacity(processed.len());
        for (bytes, p) in attach.photos.iter().zip(processed) {
            stored_photos.push(self.store_photo(bytes.clone(), p).await?);
        }
        let stored_docs = documents::store(self.store, checked).await?;

        let txn = crate::db::begin_write(self.db).await?;
        let inspection_id = inspection.as_ref().map(|i| i.id);
        let mut photos = Vec::with_capacity(stored_photos.len());
        for s in stored_photos {
            // Checked above: photos come with an inspection.
            let Some(inspection_id) = inspection_id else {
                break;
            };
            let row = inspection_photo::ActiveModel {
                case_id: Set(c.id),
                inspection_id: Set(inspection_id),
                original_key: Set(s.original),
                original_sha256: Set(s.photo.original_sha256.clone()),
                original_format: Set(s.photo.original_format.mime().to_owned()),
                original_bytes: Set(s.bytes),
                display_key: Set(s.display),
                thumbnail_key: Set(s.thumbnail),
                width: Set(i32::try_from(s.photo.width).unwrap_or(i32::MAX)),
                height: Set(i32::try_from(s.photo.height).unwrap_or(i32::MAX)),
                uploaded_by: Set(user.id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            photos.push(photo_view(
                &c.code,
                &row,
                SEE_ORIGINALS.contains(&user.role),
                user.username.clone(),
            ));
        }
        let rows = documents::insert(&txn, c.id, inspection_id, user.id, &stored_docs, now).await?;
        let documents: Vec<_> = rows
            .iter()
            .map(|d| document_view(&c.code, d, user.username.clone()))
            .collect();

        let mut what = Vec::new();
        if !photos.is_empty() {
            what.push(match photos.len() {
                1 => "1 photo".to_owned(),
                n => format!("{n} photos"),
            });
        }
        if !stored_docs.is_empty() {
            what.push(documents::summary(&stored_docs));
        }
        let what = what.join(", ");
        let note = match &inspection {
            Some(i) => format!(
                "{what} for the inspection of {}",
                i.inspected_at.format("%Y-%m-%d %H:%M UTC")
            ),
            None => what.clone(),
        };
        // Staff only, like the inspection itself; never a name or content.
        let event = Event::aside("add_evidence", Some(note), false);
        record_event(&txn, c.id, now, &user.username, &event).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: &user.username,
                action: "case.evidence_added",
                object_type: "case",
                object_id: &c.code,
                detail: Some(match inspection_id {
                    Some(id) => format!("inspection {id}; {what}"),
                    None => what,
                }),
            },
        )
        .await?;
        let receipt = EvidenceReceipt { photos, documents };
        if let Some(key) = &attach.key
            && let Err(e) = idempotency::remember(&txn, key, &request_hash, &receipt, now).await
        {
            // A twin request committed first: answer what it answered.
            if is_unique_violation(&e) {
                txn.rollback().await?;
                return idempotency::replay(self.db, key, &request_hash, now)
                    .await?
                    .ok_or_else(|| e.into());
            }
            return Err(e.into());
        }
        txn.commit().await?;
        Ok(receipt)
    }

    /// The inspection `id` names, which must be one of the case's.
    async fn inspection(
        &self,
        c: &case::Model,
        id: Option<&str>,
    ) -> Result<Option<inspection::Model>, AppError> {
        let Some(id) = id.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let not_found = || {
            AppError::field(
                "inspection",
                FieldErrorCode::NotFound,
                "no such inspection on this case",
            )
        };
        let id: i64 = id.parse().map_err(|_| not_found())?;
        inspection::Entity::find_by_id(id)
            .one(self.db)
            .await?
            .filter(|i| i.case_id == c.id)
            .map(Some)
            .ok_or_else(not_found)
    }

    async fn store_photo(&self, bytes: Bytes, p: ProcessedPhoto) -> Result<StoredPhoto, AppError> {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let keys = store_copies(self.store, bytes, &p).await?;
        Ok(StoredPhoto {
            original: keys.original,
            display: keys.display,
            thumbnail: keys.thumbnail,
            bytes: size,
            photo: p,
        })
    }

    /// A document of a case the user can see, audited before it is read.
    pub async fn document(
        &self,
        user: &StaffUser,
        code: &str,
        id: i64,
    ) -> Result<Download, AppError> {
        let c = load_visible(self.db, &actor(user), code).await?;
        let d = evidence_document::Entity::find_by_id(id)
            .one(self.db)
            .await?
            .filter(|d| d.case_id == c.id)
            .ok_or(AppError::NotFound)?;
        let bytes = self
            .store
            .get(PhotoKind::Document, &d.store_key)
            .await?
            .ok_or(AppError::NotFound)?;
        audited(
            self.db,
            user,
            "case.document_downloaded",
            &c.code,
            format!("document {}; {} pages; {} bytes", d.id, d.pages, d.bytes),
        )
        .await?;
        Ok(Download {
            bytes,
            content_type: "application/pdf".to_owned(),
            file_name: d.file_name,
        })
    }

    /// The original of an inspection photo, for roles that see originals;
    /// audited like a document.
    pub async fn original_photo(
        &self,
        user: &StaffUser,
        code: &str,
        id: i64,
    ) -> Result<Download, AppError> {
        user.require(SEE_ORIGINALS)?;
        let c = load_visible(self.db, &actor(user), code).await?;
        let p = inspection_photo::Entity::find_by_id(id)
            .one(self.db)
            .await?
            .filter(|p| p.case_id == c.id)
            .ok_or(AppError::NotFound)?;
        let bytes = self
            .store
            .get(PhotoKind::Original, &p.original_key)
            .await?
            .ok_or(AppError::NotFound)?;
        audited(
            self.db,
            user,
            "case.inspection_photo_viewed",
            &c.code,
            format!("photo {}; inspection {}", p.id, p.inspection_id),
        )
        .await?;
        Ok(Download {
            bytes,
            content_type: p.original_format,
            file_name: format!("inspection-photo-{}", p.id),
        })
    }
}

struct StoredPhoto {
    original: String,
    display: String,
    thumbnail: String,
    bytes: i64,
    photo: ProcessedPhoto,
}

async fn audited(
    db: &DatabaseConnection,
    user: &StaffUser,
    action: &str,
    code: &str,
    detail: String,
) -> Result<(), AppError> {
    audit::record(
        db,
        audit::Entry {
            actor: &user.username,
            action,
            object_type: "case",
            object_id: code,
            detail: Some(detail),
        },
    )
    .await?;
    Ok(())
}

/// A fingerprint of the upload, for its `Idempotency-Key`.
fn request_hash(
    code: &str,
    inspection: Option<&inspection::Model>,
    photos: &[Bytes],
    documents: &[Checked],
) -> String {
    let mut h = Sha256::new();
    h.update(b"evidence\xff");
    h.update(code.as_bytes());
    h.update([0xff]);
    h.update(inspection.map_or(0, |i| i.id).to_be_bytes());
    for p in photos {
        h.update(b"photo");
        h.update(Sha256::digest(p));
    }
    for d in documents {
        h.update(b"document");
        h.update(d.file_name.as_bytes());
        h.update([0xff]);
        h.update(d.sha256.as_bytes());
    }
    hex::encode(h.finalize())
}
