//! Photos are made small in the browser before they leave the phone (the
//! long edge brought down to about 2048 px, JPEG at most about 600 KB, the
//! GPS position kept as a GPS-only EXIF block) by the same script the
//! resident's report form runs, `pages/report/script/photos.js`, which
//! every hydrated page carries (`delivery::HYDRATED_SCRIPT`). Doing it here
//! in Rust took the EXIF reader and writer and the canvas bindings into the
//! console's WebAssembly, about a tenth of a page's download (issue 15). A
//! photo the browser cannot decode is sent as it is.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
pub use web_sys::{Blob, File};

#[wasm_bindgen]
extern "C" {
    /// photos.js's `preparePhoto`: a promise of `{ blob, decoded, gps }`
    /// that never rejects. It throws only when the page lacks the script.
    #[wasm_bindgen(catch, js_name = shanshuiPreparePhoto)]
    fn prepare_photo(file: &File) -> Result<js_sys::Promise, JsValue>;
}

pub struct Prepared {
    pub blob: Blob,
    /// WGS84 latitude and longitude found in the original's EXIF.
    pub gps: Option<(f64, f64)>,
    /// The browser could decode it (so it can show a thumbnail).
    pub decoded: bool,
}

async fn blob_bytes(blob: &Blob) -> Option<Vec<u8>> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn bytes_blob(bytes: &[u8], mime: &str) -> Option<Blob> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke(url: &str) {
    if url.starts_with("blob:") {
        let _ = web_sys::Url::revoke_object_url(url);
    }
}

/// The photo's size in bytes.
pub fn size(blob: &Blob) -> f64 {
    blob.size()
}

/// A chosen file's name, as the device gave it.
pub fn file_name(file: &File) -> String {
    file.name()
}

/// A chosen file as it is (a document is sent as it was chosen).
pub fn file_blob(file: &File) -> Option<Blob> {
    Some(file.clone().into())
}

/// A photo as a `data:` URL, to keep it in local storage; one that cannot
/// be read is kept empty.
pub async fn data_url(blob: &Blob) -> String {
    use base64::Engine;
    let mime = blob.type_();
    let mime = if mime.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        mime
    };
    let bytes = blob_bytes(blob).await.unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    format!("data:{mime};base64,{b64}")
}

/// A photo back from its `data:` URL.
pub fn from_data_url(url: &str) -> Option<Blob> {
    use base64::Engine;
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    bytes_blob(&bytes, mime)
}

/// The files just chosen in a file input (the event's target), which is
/// emptied so that the same photo can be chosen again after a removal.
/// None when the target is not a file input with a file list.
pub fn take_chosen(ev: &web_sys::Event) -> Option<Vec<File>> {
    let input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let list = input.files()?;
    let mut files = Vec::new();
    for i in 0..list.length() {
        if let Some(f) = list.item(i) {
            files.push(f);
        }
    }
    input.set_value("");
    Some(files)
}

/// The photo to upload, and the position its EXIF carries.
pub async fn prepare(file: &File) -> Prepared {
    let original: &Blob = file.as_ref();
    let as_chosen = || Prepared {
        blob: original.clone(),
        gps: None,
        decoded: false,
    };
    let Ok(promise) = prepare_photo(file) else {
        return as_chosen();
    };
    let Ok(made) = JsFuture::from(promise).await else {
        return as_chosen();
    };
    let field = |name: &str| js_sys::Reflect::get(&made, &JsValue::from_str(name)).ok();
    let Some(blob) = field("blob").and_then(|b| b.dyn_into::<Blob>().ok()) else {
        return as_chosen();
    };
    let gps = field("gps")
        .filter(js_sys::Array::is_array)
        .map(|g| js_sys::Array::from(&g))
        .and_then(|g| Some((g.get(0).as_f64()?, g.get(1).as_f64()?)));
    Prepared {
        blob,
        gps,
        decoded: field("decoded").and_then(|d| d.as_bool()).unwrap_or(false),
    }
}
