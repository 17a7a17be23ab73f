//! JSON requests with `fetch`, and multipart uploads with XMLHttpRequest
//! (fetch cannot report upload progress).

use super::super::answers::api_error;
pub use super::super::answers::{HttpError, Upload};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// `GET url` with the given headers, JSON in.
pub async fn get_json<T: DeserializeOwned>(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<T, HttpError> {
    decode(request("GET", url, headers, None).await?)
}

/// `method url` with a JSON body (if any), JSON in. A `204 No Content`
/// decodes as `null`, so `T = ()` works for it.
pub async fn send_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &impl serde::Serialize,
) -> Result<T, HttpError> {
    let body = serde_json::to_string(body).map_err(|_| HttpError::Decode)?;
    decode(request(method, url, headers, Some(body)).await?)
}

// The two above are generic only where they must be, in reading the answer:
// the request itself is one function, not one per type of answer. Written
// generic, it was repeated for each of the console's fifty-odd answers,
// about a tenth of its WebAssembly (issue 15).

fn decode<T: DeserializeOwned>(text: String) -> Result<T, HttpError> {
    let value = if text.trim().is_empty() {
        JsValue::NULL
    } else {
        js_sys::JSON::parse(&text).map_err(|_| HttpError::Decode)?
    };
    serde_wasm_bindgen::from_value(value).map_err(|_| HttpError::Decode)
}

/// The answer's text when it is a success; its error otherwise.
async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<String, HttpError> {
    let window = web_sys::window().ok_or(HttpError::Network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let h = web_sys::Headers::new().map_err(|_| HttpError::Network)?;
    let _ = h.set("Accept", "application/json");
    if let Some(body) = &body {
        let _ = h.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(body));
    }
    for (name, value) in headers {
        h.set(name, value).map_err(|_| HttpError::Network)?;
    }
    init.set_headers(&h);
    let request =
        web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| HttpError::Network)?;
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| HttpError::Network)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| HttpError::Network)?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        Ok(text)
    } else {
        Err(HttpError::Status {
            status: response.status(),
            error: api_error(&text),
        })
    }
}

/// Five minutes: a few megabytes over a poor mobile link.
const UPLOAD_TIMEOUT_MS: u32 = 300_000;

/// A file of a multipart form: the field it goes in, its bytes, its name.
pub struct FormFile<'a> {
    pub field: &'a str,
    pub blob: &'a web_sys::Blob,
    pub name: String,
}

/// The multipart body of a form: its fields, then its files.
fn multipart(fields: &[(String, String)], files: &[FormFile<'_>]) -> Option<web_sys::FormData> {
    let form = web_sys::FormData::new().ok()?;
    for (name, value) in fields {
        form.append_with_str(name, value).ok()?;
    }
    for f in files {
        form.append_with_blob_and_filename(f.field, f.blob, &f.name)
            .ok()?;
    }
    Some(form)
}

/// `POST url` with a multipart body of `fields` and then `files`, calling
/// `progress` with 0.0–1.0 as the bytes leave.
pub async fn post_files(
    url: &str,
    fields: &[(String, String)],
    files: &[FormFile<'_>],
    headers: &[(&str, &str)],
    progress: impl Fn(f64) + 'static,
) -> Upload {
    let failed = Upload::failed();
    let Some(form) = multipart(fields, files) else {
        return failed;
    };
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return failed;
    };
    if xhr.open("POST", url).is_err() {
        return failed;
    }
    let _ = xhr.set_request_header("Accept", "application/json");
    for (name, value) in headers {
        if xhr.set_request_header(name, value).is_err() {
            return failed;
        }
    }
    xhr.set_timeout(UPLOAD_TIMEOUT_MS);

    // One promise that settles on load, error, timeout or abort.
    let resolve: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let promise = {
        let resolve = resolve.clone();
        js_sys::Promise::new(&mut move |res, _rej| {
            *resolve.borrow_mut() = Some(res);
        })
    };
    let settle = {
        let resolve = resolve.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            if let Some(f) = resolve.borrow_mut().take() {
                let _ = f.call0(&JsValue::NULL);
            }
        })
    };
    xhr.set_onload(Some(settle.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(settle.as_ref().unchecked_ref()));
    xhr.set_ontimeout(Some(settle.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(settle.as_ref().unchecked_ref()));
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress((e.loaded() / e.total()).clamp(0.0, 1.0));
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        return failed;
    }
    let _ = JsFuture::from(promise).await;
    xhr.set_onload(None);
    xhr.set_onerror(None);
    xhr.set_ontimeout(None);
    xhr.set_onabort(None);
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(None);
    }
    drop(settle);
    drop(on_progress);

    let status = xhr.status().unwrap_or(0);
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    let retry_after_s = xhr
        .get_response_header("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u32>().ok());
    Upload {
        status,
        body,
        retry_after_s,
    }
}
