//! The evidence of a case as staff read it on the case page: the photos of
//! each inspection and the documents of the case and of each inspection,
//! with the routes that serve them (staff only, audited).

use crate::cases::access::usernames;
use crate::db::entities::{evidence_document, inspection_photo};
use crate::error::AppError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::evidence::{EvidenceDocument, InspectionPhoto};
use std::collections::BTreeMap;

/// A case's evidence, by inspection (`None`: the case's own documents).
#[derive(Debug, Default)]
pub struct Listing {
    pub photos: BTreeMap<i64, Vec<InspectionPhoto>>,
    pub documents: BTreeMap<Option<i64>, Vec<EvidenceDocument>>,
}

/// Reads the evidence of case `case_id` (whose code is `code`); the
/// originals' routes only for roles that see originals.
pub async fn for_case(
    conn: &impl ConnectionTrait,
    code: &str,
    case_id: i64,
    originals: bool,
) -> Result<Listing, AppError> {
    let photos = inspection_photo::Entity::find()
        .filter(inspection_photo::Column::CaseId.eq(case_id))
        .order_by_asc(inspection_photo::Column::Id)
        .all(conn)
        .await?;
    let documents = evidence_document::Entity::find()
        .filter(evidence_document::Column::CaseId.eq(case_id))
        .order_by_asc(evidence_document::Column::Id)
        .all(conn)
        .await?;
    let names = usernames(
        conn,
        photos
            .iter()
            .map(|p| p.uploaded_by)
            .chain(documents.iter().map(|d| d.uploaded_by)),
    )
    .await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut listing = Listing::default();
    for p in photos {
        listing
            .photos
            .entry(p.inspection_id)
            .or_default()
            .push(photo_view(code, &p, originals, name(p.uploaded_by)));
    }
    for d in documents {
        listing
            .documents
            .entry(d.inspection_id)
            .or_default()
            .push(document_view(code, &d, name(d.uploaded_by)));
    }
    Ok(listing)
}

pub fn photo_view(
    code: &str,
    p: &inspection_photo::Model,
    originals: bool,
    uploaded_by: String,
) -> InspectionPhoto {
    InspectionPhoto {
        id: p.id,
        inspection_id: p.inspection_id,
        display_url: format!("/photos/display/{}.jpg", p.display_key),
        thumbnail_url: format!("/photos/thumb/{}.jpg", p.thumbnail_key),
        original_url: originals
            .then(|| format!("/api/v1/cases/{code}/inspection-photos/{}/original", p.id)),
        original_sha256: p.original_sha256.clone(),
        width: u32::try_from(p.width).unwrap_or(0),
        height: u32::try_from(p.height).unwrap_or(0),
        uploaded_by,
        uploaded_at: p.created_at.to_rfc3339(),
    }
}

pub fn document_view(
    code: &str,
    d: &evidence_document::Model,
    uploaded_by: String,
) -> EvidenceDocument {
    EvidenceDocument {
        id: d.id,
        inspection_id: d.inspection_id,
        file_name: d.file_name.clone(),
        bytes: u64::try_from(d.bytes).unwrap_or(0),
        pages: u32::try_from(d.pages).unwrap_or(0),
        download_url: format!("/api/v1/cases/{code}/documents/{}", d.id),
        uploaded_by,
        uploaded_at: d.created_at.to_rfc3339(),
    }
}
