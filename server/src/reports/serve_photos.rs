//! `/photos/{display|thumb}/{key}.jpg`: the re-encoded copies, without any
//! metadata, by their content address. A key is 256 bits of hash, so the
//! URL of a photo not yet disclosed cannot be guessed; originals are never
//! served here.

use crate::error::AppError;
use crate::state::AppState;
use crate::storage::PhotoKind;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub async fn serve(
    State(state): State<AppState>,
    Path((kind, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let kind = match kind.as_str() {
        "display" => PhotoKind::Display,
        "thumb" => PhotoKind::Thumbnail,
        _ => return Err(AppError::NotFound),
    };
    let key = file.strip_suffix(".jpg").ok_or(AppError::NotFound)?;
    if !crate::storage::is_valid_key(key) {
        return Err(AppError::NotFound);
    }
    let bytes = state
        .photos
        .get(kind, key)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Content-addressed: the bytes behind a URL never change. `private`
    // keeps shared caches out until a photo is disclosed.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}
