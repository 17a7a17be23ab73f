//! Evidence documents (PDF): checked by their content (the `%PDF-` magic
//! number, at most 10 MB, between 1 and 500 pages, counted by `pdf`), stored
//! privately in the content-addressed store, and written to
//! `evidence_document` in the caller's transaction. Shared by the two doors
//! that take them: 代录 (`POST /api/v1/cases/intake`) and a case's evidence
//! (`POST /api/v1/cases/{code}/evidence`).

use super::pdf::{self, PdfError};
use crate::db::entities::evidence_document;
use crate::error::AppError;
use crate::reports::upload::{DocumentSpec, NamedFile};
use crate::storage::{PhotoKind, PhotoStore};
use axum::http::StatusCode;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use shared::evidence::{MAX_DOCUMENT_BYTES, MAX_DOCUMENT_PAGES, MAX_DOCUMENTS};

/// The form field that carries documents, and its caps.
pub const SPEC: DocumentSpec = DocumentSpec {
    field: "document",
    max_files: MAX_DOCUMENTS,
    max_file_bytes: MAX_DOCUMENT_BYTES,
};

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 120;

/// A document that passed every check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub file_name: String,
    pub bytes: Bytes,
    pub pages: u32,
    pub sha256: String,
}

/// A checked document, stored: `key` names it in the store.
#[derive(Debug, Clone)]
pub struct Stored {
    pub checked: Checked,
    pub key: String,
}

/// Checks the documents in order (page counting off the runtime); the
/// first refusal names its document.
pub async fn check_all(files: Vec<NamedFile>) -> Result<Vec<Checked>, AppError> {
    tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .enumerate()
            .map(|(i, f)| check(i + 1, f))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("the document checker stopped: {e}")))?
}

/// Checks document number `index` (from 1).
pub fn check(index: usize, file: NamedFile) -> Result<Checked, AppError> {
    let refuse = |status, code, why: String| AppError::Rejected {
        status,
        code,
        message: format!("document {index}: {why}"),
    };
    if file.bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!(
                "the document is larger than {} MB",
                MAX_DOCUMENT_BYTES / 1024 / 1024
            ),
        ));
    }
    let pages = match pdf::count_pages(&file.bytes) {
        Ok(n) => n,
        Err(e @ PdfError::NotPdf) => {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_pdf",
                format!("{e} (only PDF documents are taken)"),
            ));
        }
        Err(e @ PdfError::Uncountable(_)) => {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pdf_unreadable",
                format!("{e}; save or scan it again as a PDF"),
            ));
        }
    };
    if pages == 0 {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pdf_no_pages",
            "the PDF has no pages".to_owned(),
        ));
    }
    let pages = u32::try_from(pages)
        .ok()
        .filter(|&p| p <= MAX_DOCUMENT_PAGES)
        .ok_or_else(|| {
            refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pdf_too_many_pages",
                format!("the PDF has {pages} pages; at most {MAX_DOCUMENT_PAGES}"),
            )
        })?;
    Ok(Checked {
        file_name: clean_name(file.file_name.as_deref()),
        sha256: crate::digest::sha256_hex(&file.bytes),
        bytes: file.bytes,
        pages,
    })
}

/// The name as sent, without folders, control characters or invisible
/// formatting (a right-to-left override makes `证据\u{202E}fdp.cmd` read as
/// `证据dmc.pdf`), at most [`MAX_NAME_CHARS`], and always ending in `.pdf`:
/// the content is a PDF, so a download never opens as a script because a
/// visitor named it `.cmd` or `.html`. `document.pdf` when nothing is left.
/// Only ever shown (escaped) and sent back in `Content-Disposition`: never a
/// path.
pub fn clean_name(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let cleaned = cleaned.trim().trim_end_matches('.');
    let stem = match cleaned.len().checked_sub(4) {
        Some(cut)
            if cleaned.is_char_boundary(cut) && cleaned[cut..].eq_ignore_ascii_case(".pdf") =>
        {
            &cleaned[..cut]
        }
        _ => cleaned,
    };
    let stem: String = stem.trim().chars().take(MAX_NAME_CHARS - 4).collect();
    if stem.is_empty() || stem.chars().all(|c| c == '.') {
        return "document.pdf".to_owned();
    }
    format!("{stem}.pdf")
}

/// Unicode's invisible formatting characters (bidirectional controls,
/// zero-width characters, the byte-order mark).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// Stores the documents privately; content-addressed, so a retry stores
/// nothing twice, and a failed transaction after it leaves files no row
/// points to, never rows without their file.
pub async fn store(store: &dyn PhotoStore, checked: Vec<Checked>) -> Result<Vec<Stored>, AppError> {
    let mut out = Vec::with_capacity(checked.len());
    for c in checked {
        let key = store.put(PhotoKind::Document, c.bytes.clone()).await?;
        out.push(Stored { checked: c, key });
    }
    Ok(out)
}

/// Writes the rows of `documents` on case `case_id` (and inspection
/// `inspection_id`), in the caller's transaction.
pub async fn insert(
    txn: &impl ConnectionTrait,
    case_id: i64,
    inspection_id: Option<i64>,
    uploaded_by: i64,
    documents: &[Stored],
    now: DateTime<Utc>,
) -> Result<Vec<evidence_document::Model>, AppError> {
    let mut rows = Vec::with_capacity(documents.len());
    for d in documents {
        rows.push(
            evidence_document::ActiveModel {
                case_id: Set(case_id),
                inspection_id: Set(inspection_id),
                store_key: Set(d.key.clone()),
                file_name: Set(d.checked.file_name.clone()),
                bytes: Set(i64::try_from(d.checked.bytes.len()).unwrap_or(i64::MAX)),
                pages: Set(i32::try_from(d.checked.pages).unwrap_or(i32::MAX)),
                uploaded_by: Set(uploaded_by),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?,
        );
    }
    Ok(rows)
}

/// How the timeline and the audit log describe documents: how many and
/// their pages, never their names or contents.
pub fn summary(documents: &[Stored]) -> String {
    let pages: u32 = documents.iter().map(|d| d.checked.pages).sum();
    match documents.len() {
        1 => format!("1 document ({pages} pages)"),
        n => format!("{n} documents ({pages} pages)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: Vec<u8>) -> NamedFile {
        NamedFile {
            file_name: Some(name.to_owned()),
            bytes: Bytes::from(bytes),
        }
    }

    fn code(e: AppError) -> (StatusCode, String) {
        (e.status(), e.body().code)
    }

    #[test]
    fn a_pdf_is_taken_by_its_content_not_its_name() {
        let ok = check(1, file("笔录.pdf", pdf::sample::pdf(2))).unwrap();
        assert_eq!((ok.pages, ok.file_name.as_str()), (2, "笔录.pdf"));
        let jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(
            code(check(1, file("scan.pdf", jpeg)).unwrap_err()),
            (StatusCode::UNPROCESSABLE_ENTITY, "not_a_pdf".to_owned())
        );
        assert_eq!(
            code(check(2, file("a.pdf", pdf::sample::pdf(0))).unwrap_err()),
            (StatusCode::UNPROCESSABLE_ENTITY, "pdf_no_pages".to_owned())
        );
        assert_eq!(
            code(check(1, file("a.pdf", pdf::sample::pdf(501))).unwrap_err()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "pdf_too_many_pages".to_owned()
            )
        );
        let mut big = pdf::sample::pdf(1);
        big.resize(MAX_DOCUMENT_BYTES + 1, b' ');
        assert_eq!(
            code(check(1, file("a.pdf", big)).unwrap_err()),
            (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large".to_owned())
        );
    }

    #[test]
    fn a_name_loses_its_folders_and_control_characters() {
        assert_eq!(clean_name(Some("C:\\scans\\信.pdf")), "信.pdf");
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd.pdf");
        assert_eq!(clean_name(Some("a\u{0}b\r\n.pdf")), "ab.pdf");
        assert_eq!(clean_name(Some("..")), "document.pdf");
        assert_eq!(clean_name(None), "document.pdf");
        let long = clean_name(Some(&"长".repeat(500)));
        assert_eq!(long.chars().count(), 120);
        assert!(long.ends_with("长.pdf"));
    }

    /// What a visitor names a paper never makes its download a script, and
    /// invisible characters cannot disguise the name.
    #[test]
    fn a_name_always_ends_in_pdf_and_hides_nothing() {
        assert_eq!(clean_name(Some("证据.cmd")), "证据.cmd.pdf");
        assert_eq!(clean_name(Some("page.HTML")), "page.HTML.pdf");
        assert_eq!(clean_name(Some("证据\u{202E}fdp.cmd")), "证据fdp.cmd.pdf");
        assert_eq!(clean_name(Some("a\u{200B}b.PDF")), "ab.pdf");
        assert_eq!(clean_name(Some("report.pdf.")), "report.pdf");
        assert_eq!(clean_name(Some(".pdf")), "document.pdf");
    }
}
