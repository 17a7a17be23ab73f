//! What the browser hands back to a page, the same in the WebAssembly build
//! and in the server's stand-ins.

use shared::ApiError;
use shared::ErrorBody;

// Only the browser's requests build every variant; the server's stand-ins
// answer `Network` alone.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub enum HttpError {
    /// No answer: offline, DNS, a dropped connection, a timeout.
    Network,
    /// An answer with an error status; the API's error body when it sent one.
    Status {
        status: u16,
        error: Option<ApiError>,
    },
    /// A 2xx answer that is not what we expected.
    Decode,
}

pub(super) fn api_error(body: &str) -> Option<ApiError> {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error)
}

impl HttpError {
    /// A message for the person who asked: the API's own when it sent one.
    pub fn message(&self) -> String {
        match self {
            HttpError::Network => "network error".to_owned(),
            HttpError::Status { error: Some(e), .. } => e.message.clone(),
            HttpError::Status { status, .. } => format!("HTTP {status}"),
            HttpError::Decode => "unexpected answer".to_owned(),
        }
    }
}

/// What an upload got back. `status` 0 means no answer at all.
#[derive(Debug, Clone)]
pub struct Upload {
    pub status: u16,
    pub body: String,
    pub retry_after_s: Option<u32>,
}

impl Upload {
    pub fn error(&self) -> Option<ApiError> {
        api_error(&self.body)
    }

    /// No answer at all.
    pub(super) fn failed() -> Self {
        Upload {
            status: 0,
            body: String::new(),
            retry_after_s: None,
        }
    }
}

/// A position from the Geolocation API (WGS84, as GPS gives it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
}

// Only the browser builds every variant; the server's stand-in answers
// `Unsupported` alone.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoError {
    Unsupported,
    Denied,
    Unavailable,
    Timeout,
}
