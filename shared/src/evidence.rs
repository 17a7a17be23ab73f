//! Evidence staff bring to a case (查处): PDF documents — a letter or a
//! visitor's papers filed with the report (代录), an inspection's
//! 现场检查笔录 — and the photos an inspector takes on site. All of it is
//! private: staff who can see the case read it, every download is audited,
//! and none of it is ever published.

use serde::{Deserialize, Serialize};

/// The most bytes of one document.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// The most pages of one document.
pub const MAX_DOCUMENT_PAGES: u32 = 500;
/// The most documents in one upload.
pub const MAX_DOCUMENTS: usize = 5;
/// The most photos in one upload (as a resident's report).
pub const MAX_EVIDENCE_PHOTOS: usize = 6;

/// A PDF on a case, as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceDocument {
    pub id: i64,
    /// The inspection it belongs to; none for a document of the case.
    pub inspection_id: Option<i64>,
    /// The name it was sent with (folders and control characters removed).
    pub file_name: String,
    pub bytes: u64,
    pub pages: u32,
    /// `GET` it to download (staff who can see the case; audited).
    pub download_url: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// A photo taken on a site inspection, as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionPhoto {
    pub id: i64,
    pub inspection_id: i64,
    /// Re-encoded, no metadata.
    pub display_url: String,
    pub thumbnail_url: String,
    /// The original as received, for roles allowed to see evidence
    /// (audited).
    pub original_url: Option<String>,
    pub original_sha256: String,
    pub width: u32,
    pub height: u32,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// `POST /api/v1/cases/{code}/evidence`: what was attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceReceipt {
    pub photos: Vec<InspectionPhoto>,
    pub documents: Vec<EvidenceDocument>,
}

/// A size in bytes as people read it: `820 B`, `14.2 KB`, `3.4 MB`.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}
