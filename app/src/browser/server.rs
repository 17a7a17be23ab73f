//! The server's stand-ins for the browser (and the unit tests'): the names
//! and signatures of `web/`, doing nothing. Pages reach the browser only
//! from effects and event handlers, which never run on the server, so none
//! of these is called there; they let pages compile without a `cfg` gate at
//! every call. The browser's own types (a photo, a file) are uninhabited
//! here: no value of them can exist on the server.

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    0.0
}

/// An `Idempotency-Key`: the browser makes the real one.
pub fn random_key() -> String {
    String::new()
}

pub fn scroll_to(_id: &str) {}

/// The server lays out for no screen: as a desktop's.
pub fn wider_than(_px: u32) -> bool {
    true
}

pub fn encode_component(s: &str) -> String {
    s.to_owned()
}

// The server takes the language from the request (`lang::initial`): only
// the plain build of the unit tests reads this.
#[allow(dead_code)]
pub fn rendered_lang() -> Option<String> {
    None
}

pub fn set_cookie(_cookie: &str) {}

pub fn follow_server_only_links() {}

pub fn when_near(_el: &leptos::web_sys::Element, _f: impl FnOnce() + 'static) {}

pub fn clicked_attr(_ev: &leptos::ev::MouseEvent, _selector: &str, _attr: &str) -> Option<String> {
    None
}

pub mod http {
    pub use super::super::answers::{HttpError, Upload};
    use super::photos::Blob;
    use serde::de::DeserializeOwned;

    pub async fn get_json<T: DeserializeOwned>(
        _url: &str,
        _headers: &[(&str, &str)],
    ) -> Result<T, HttpError> {
        Err(HttpError::Network)
    }

    pub async fn send_json<T: DeserializeOwned>(
        _method: &str,
        _url: &str,
        _headers: &[(&str, &str)],
        _body: &impl serde::Serialize,
    ) -> Result<T, HttpError> {
        Err(HttpError::Network)
    }

    #[allow(dead_code)] // built by the pages, read only in the browser
    pub struct FormFile<'a> {
        pub field: &'a str,
        pub blob: &'a Blob,
        pub name: String,
    }

    pub async fn post_files(
        _url: &str,
        _fields: &[(String, String)],
        _files: &[FormFile<'_>],
        _headers: &[(&str, &str)],
        _progress: impl Fn(f64) + 'static,
    ) -> Upload {
        Upload::failed()
    }
}

pub mod geo {
    pub use super::super::answers::{Fix, GeoError};

    pub async fn locate() -> Result<Fix, GeoError> {
        Err(GeoError::Unsupported)
    }
}

pub mod map {
    /// Never opened on the server: there is no map to draw into.
    pub async fn open(
        _el: leptos::web_sys::HtmlElement,
        _center: (f64, f64),
        _zoom: f64,
        _on_pick: impl FnMut(f64, f64) + 'static,
        _on_tile_error: impl FnMut() + 'static,
    ) -> bool {
        false
    }

    pub fn set_pin(_lat: f64, _lon: f64, _accuracy_m: Option<f64>) {}

    pub fn clear_pin() {}

    pub fn close() {}
}

pub mod photos {
    /// A photo in the browser's memory: none on the server.
    #[derive(Clone)]
    pub enum Blob {}

    /// A file the resident chose: none on the server.
    #[derive(Clone)]
    pub enum File {}

    pub struct Prepared {
        pub blob: Blob,
        pub gps: Option<(f64, f64)>,
        pub decoded: bool,
    }

    pub fn object_url(blob: &Blob) -> Option<String> {
        match *blob {}
    }

    pub fn revoke(_url: &str) {}

    pub fn size(blob: &Blob) -> f64 {
        match *blob {}
    }

    pub fn file_name(_file: &File) -> String {
        String::new()
    }

    pub fn file_blob(_file: &File) -> Option<Blob> {
        None
    }

    pub async fn data_url(blob: &Blob) -> String {
        match *blob {}
    }

    pub fn from_data_url(_url: &str) -> Option<Blob> {
        None
    }

    pub fn take_chosen(_ev: &leptos::web_sys::Event) -> Option<Vec<File>> {
        None
    }

    pub async fn prepare(file: &File) -> Prepared {
        match *file {}
    }
}

pub mod store {
    pub fn get(_key: &str) -> Option<String> {
        None
    }

    pub fn set(_key: &str, _value: &str) -> bool {
        false
    }

    pub fn remove(_key: &str) {}
}
