//! The streaming reader both intake doors share — `POST /api/v1/reports` and
//! Open311's `POST /open311/v2/requests.{fmt}` (issue 11, "uploads are
//! bounded in memory").
//!
//! A multipart body is read a chunk at a time, and each field is refused the
//! moment it passes its cap (a photo 20 MB, a text field 64 KB), as are a
//! photo past the sixth and a part past the 64th, so the server answers while
//! the client is still sending instead of holding 48 MB first. Every byte a
//! request holds is counted against one [`UploadBudget`] for the whole
//! server: a body that declares its length reserves it all before a byte is
//! read, one that does not reserves as it arrives, and a request that cannot
//! get its share is answered 503 with `Retry-After` rather than buffered.
//! The reservation lasts until the request is answered, photo decoding
//! included, because the bytes are held that long.

use crate::error::AppError;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use futures::StreamExt;
use shared::FieldErrorCode;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most bytes of one text field.
pub const MAX_TEXT_FIELD: usize = 64 * 1024;
/// Most parts (text fields and files) in one form.
pub const MAX_PARTS: usize = 64;
/// Most bytes of an urlencoded form (text only; Open311).
pub const MAX_URLENCODED: usize = 1024 * 1024;
/// What a client refused for want of upload memory is told to wait: uploads
/// finish in seconds and give their share back.
pub const RETRY_AFTER_SECS: u64 = 10;

/// The upload memory all requests share, in bytes.
#[derive(Clone)]
pub struct UploadBudget {
    bytes: Arc<Semaphore>,
}

impl UploadBudget {
    pub fn new(bytes: usize) -> Self {
        Self {
            bytes: Arc::new(Semaphore::new(bytes.min(Semaphore::MAX_PERMITS))),
        }
    }

    /// Bytes not held by any request now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Nothing held yet: for a body that does not say how long it is.
    pub fn none(&self) -> Held {
        Held {
            budget: self.clone(),
            permit: None,
        }
    }

    /// `bytes` more for `held`, at once or not at all: waiting would keep
    /// the client's bytes in flight anyway.
    pub fn grow(&self, held: &mut Held, bytes: usize) -> Result<(), UploadError> {
        let n = u32::try_from(bytes).map_err(|_| UploadError::Busy)?;
        let more = Arc::clone(&self.bytes)
            .try_acquire_many_owned(n)
            .map_err(|_| UploadError::Busy)?;
        match &mut held.permit {
            Some(permit) => permit.merge(more),
            None => held.permit = Some(more),
        }
        Ok(())
    }

    /// `bytes` at once, or `Busy`.
    pub fn take(&self, bytes: usize) -> Result<Held, UploadError> {
        let mut held = self.none();
        self.grow(&mut held, bytes)?;
        Ok(held)
    }
}

/// Upload memory one request holds; given back when it is dropped.
pub struct Held {
    budget: UploadBudget,
    permit: Option<OwnedSemaphorePermit>,
}

impl Held {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permit
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }

    fn grow(&mut self, bytes: usize) -> Result<(), UploadError> {
        let budget = self.budget.clone();
        budget.grow(self, bytes)
    }
}

/// What a door accepts besides the shared caps.
pub struct FormSpec {
    /// The field that carries files (`photo`, Open311's `media`), with or
    /// without `[]`.
    pub file_field: &'static str,
    pub max_files: usize,
    pub max_file_bytes: usize,
    /// Whether a text field of this name is known; an unknown one is
    /// refused as soon as its name arrives.
    pub known: fn(&str) -> bool,
    /// A second kind of file, kept with the name it was sent with: the PDF
    /// documents staff bring (代录, 查处 evidence); none on residents' doors.
    pub documents: Option<DocumentSpec>,
}

/// The documents a form may carry besides its photos.
pub struct DocumentSpec {
    pub field: &'static str,
    pub max_files: usize,
    pub max_file_bytes: usize,
}

/// A file with the name the client gave it.
pub struct NamedFile {
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// A form as read: its text fields in order, its files, and the upload
/// memory they hold (keep it until the request is answered).
pub struct Upload {
    pub texts: Vec<(String, String)>,
    pub files: Vec<Bytes>,
    /// The documents, when the door takes them ([`FormSpec::documents`]).
    pub documents: Vec<NamedFile>,
    pub held: Held,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("send the form as multipart/form-data")]
    NotMultipart,
    #[error("unreadable form data: {0}")]
    Unreadable(String),
    #[error("the report is too large: at most 48 MB in all, 20 MB per photo")]
    BodyTooLarge,
    #[error(
        "the form is too large: at most 1 MB of text fields (send photos as multipart/form-data)"
    )]
    FormTooLarge,
    #[error("photo {index}: the photo is larger than {} MB", max.div_ceil(1024 * 1024))]
    FileTooLarge { index: usize, max: usize },
    #[error("at most {max} photos per report")]
    TooManyFiles { field: &'static str, max: usize },
    #[error("document {index}: the document is larger than {} MB", max.div_ceil(1024 * 1024))]
    DocumentTooLarge { index: usize, max: usize },
    #[error("at most {max} documents at once")]
    TooManyDocuments { field: &'static str, max: usize },
    #[error("the form has more than {MAX_PARTS} fields")]
    TooManyParts,
    #[error("this field is too long")]
    TextTooLong(String),
    #[error("must be UTF-8 text")]
    NotText(String),
    #[error("unknown field")]
    UnknownField(String),
    #[error(
        "the server is receiving too many uploads right now; try again in {RETRY_AFTER_SECS} s"
    )]
    Busy,
}

impl From<UploadError> for AppError {
    fn from(e: UploadError) -> Self {
        let message = e.to_string();
        let rejected = |status, code| AppError::Rejected {
            status,
            code,
            message: message.clone(),
        };
        match e {
            UploadError::NotMultipart => {
                rejected(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            UploadError::Unreadable(_) => AppError::BadRequest(message),
            UploadError::BodyTooLarge | UploadError::FormTooLarge | UploadError::TooManyParts => {
                rejected(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            UploadError::FileTooLarge { .. } | UploadError::DocumentTooLarge { .. } => {
                rejected(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large")
            }
            UploadError::TooManyFiles { field, .. }
            | UploadError::TooManyDocuments { field, .. } => {
                AppError::field(field, FieldErrorCode::TooMany, message)
            }
            UploadError::TextTooLong(field) => {
                AppError::field(&field, FieldErrorCode::TooLong, message)
            }
            UploadError::NotText(field) => {
                AppError::field(&field, FieldErrorCode::Invalid, message)
            }
            UploadError::UnknownField(field) => {
                AppError::field(&field, FieldErrorCode::UnknownField, message)
            }
            UploadError::Busy => AppError::Busy {
                retry_after_secs: RETRY_AFTER_SECS,
                message,
            },
        }
    }
}

fn unreadable(e: MultipartError) -> UploadError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::BodyTooLarge
    } else {
        UploadError::Unreadable(e.body_text())
    }
}

/// The body's declared length, if it declares one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Upload memory for a body of at most `max` bytes: all of a declared
/// length at once (a longer one is refused before it is read), or nothing
/// yet when the body does not say.
fn reserve(
    headers: &HeaderMap,
    max: usize,
    too_large: UploadError,
    budget: &UploadBudget,
) -> Result<Held, UploadError> {
    match declared_length(headers) {
        Some(n) if n > max as u64 => Err(too_large),
        Some(n) => budget.take(n as usize),
        None => Ok(budget.none()),
    }
}

/// Reads a multipart form under `spec` and the shared caps, with `max_body`
/// bytes at most in all (the route's body limit).
pub async fn read_multipart(
    request: Request,
    spec: &FormSpec,
    max_body: usize,
    budget: &UploadBudget,
) -> Result<Upload, UploadError> {
    let mut held = reserve(
        request.headers(),
        max_body,
        UploadError::BodyTooLarge,
        budget,
    )?;
    let streaming = held.bytes() == 0;
    // What the declared body still has room for, at most.
    let mut left = held.bytes();
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| UploadError::NotMultipart)?;
    let mut upload = Upload {
        texts: Vec::new(),
        files: Vec::new(),
        documents: Vec::new(),
        held: budget.none(),
    };
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(UploadError::TooManyParts);
        }
        let name = field.name().unwrap_or_default().to_owned();
        let bare = name.strip_suffix("[]").unwrap_or(&name);
        let document = spec.documents.as_ref().filter(|d| bare == d.field);
        let is_file = bare == spec.file_field;
        let cap = if let Some(d) = document {
            if upload.documents.len() == d.max_files {
                return Err(UploadError::TooManyDocuments {
                    field: d.field,
                    max: d.max_files,
                });
            }
            d.max_file_bytes
        } else if is_file {
            if upload.files.len() == spec.max_files {
                return Err(UploadError::TooManyFiles {
                    field: spec.file_field,
                    max: spec.max_files,
                });
            }
            spec.max_file_bytes
        } else {
            if !(spec.known)(&name) {
                return Err(UploadError::UnknownField(name));
            }
            MAX_TEXT_FIELD
        };
        // A photo's buffer is sized once from what the body has left, then
        // trimmed: grown by doubling, its earlier copies would stay behind
        // as holes in the allocator's heap (pages not yet written cost
        // nothing).
        let file_name = field.file_name().map(str::to_owned);
        let is_file = is_file || document.is_some();
        let mut value = Vec::with_capacity(if is_file { left.min(cap) } else { 0 });
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if value.len() + chunk.len() > cap {
                return Err(if document.is_some() {
                    UploadError::DocumentTooLarge {
                        index: upload.documents.len() + 1,
                        max: cap,
                    }
                } else if is_file {
                    UploadError::FileTooLarge {
                        index: upload.files.len() + 1,
                        max: cap,
                    }
                } else {
                    UploadError::TextTooLong(name)
                });
            }
            if streaming {
                held.grow(chunk.len())?;
            }
            value.extend_from_slice(&chunk);
        }
        left = left.saturating_sub(value.len());
        if document.is_some() {
            value.shrink_to_fit();
            upload.documents.push(NamedFile {
                file_name,
                bytes: Bytes::from(value),
            });
        } else if is_file {
            value.shrink_to_fit();
            upload.files.push(Bytes::from(value));
        } else {
            let text = String::from_utf8(value).map_err(|_| UploadError::NotText(name.clone()))?;
            upload.texts.push((name, text));
        }
    }
    upload.held = held;
    Ok(upload)
}

/// Reads an urlencoded form (text only) of at most [`MAX_URLENCODED`] bytes,
/// held against the budget like a multipart one.
pub async fn read_urlencoded(
    request: Request,
    budget: &UploadBudget,
) -> Result<Upload, UploadError> {
    let held = match reserve(
        request.headers(),
        MAX_URLENCODED,
        UploadError::FormTooLarge,
        budget,
    )? {
        held if held.bytes() > 0 => held,
        // Without a length, the most it may be.
        _ => budget.take(MAX_URLENCODED)?,
    };
    let mut stream = request.into_body().into_data_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| UploadError::Unreadable(e.to_string()))?;
        if body.len() + chunk.len() > MAX_URLENCODED {
            return Err(UploadError::FormTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let texts: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if texts.len() > MAX_PARTS {
        return Err(UploadError::TooManyParts);
    }
    if let Some((name, _)) = texts.iter().find(|(_, v)| v.len() > MAX_TEXT_FIELD) {
        return Err(UploadError::TextTooLong(name.clone()));
    }
    Ok(Upload {
        texts,
        files: Vec::new(),
        documents: Vec::new(),
        held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::FieldError;

    #[test]
    fn shares_are_taken_whole_or_not_at_all_and_given_back_on_drop() {
        let budget = UploadBudget::new(1000);
        let a = budget.take(600).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((a.bytes(), budget.available()), (600, 400));
        assert!(matches!(budget.take(401), Err(UploadError::Busy)));
        assert_eq!(budget.available(), 400, "a refusal takes nothing");
        let mut b = budget.none();
        b.grow(300).unwrap_or_else(|e| panic!("{e}"));
        b.grow(100).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((b.bytes(), budget.available()), (400, 0));
        assert!(matches!(b.grow(1), Err(UploadError::Busy)));
        drop(a);
        drop(b);
        assert_eq!(budget.available(), 1000);
    }

    #[test]
    fn a_busy_refusal_is_a_503_that_says_when_to_retry() {
        let e = AppError::from(UploadError::Busy);
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after_secs(), Some(RETRY_AFTER_SECS));
        assert_eq!(e.body().code, "busy");
        let e = AppError::from(UploadError::FileTooLarge {
            index: 2,
            max: 20 * 1024 * 1024,
        });
        assert_eq!(
            (e.status(), e.body().code.as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large")
        );
        assert_eq!(e.body().message, "photo 2: the photo is larger than 20 MB");
        let e = AppError::from(UploadError::TooManyFiles {
            field: "photo",
            max: 6,
        });
        assert_eq!(
            e.body().fields.get("photo"),
            Some(&FieldError::new(
                FieldErrorCode::TooMany,
                "at most 6 photos per report"
            ))
        );
    }
}

#[cfg(test)]
mod props;
