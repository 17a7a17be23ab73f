//! Reading the JSON API from a page, the same way on both sides: on the
//! server the request goes straight into the API's router in the same
//! process (no socket, no second copy of the logic), so public pages arrive
//! rendered and read without JavaScript; in the browser it is a `fetch`.
//! Either way the answer is the API's JSON, so the page and the API can
//! never disagree.

use serde::de::DeserializeOwned;

#[cfg(feature = "ssr")]
mod server_side {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    /// A GET of `path?query` answered by the API in-process: (status, body).
    pub type Call =
        Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = (u16, Vec<u8>)> + Send>> + Send + Sync>;

    /// Provided by the server for every page it renders.
    #[derive(Clone)]
    pub struct InProcessApi(pub Call);
}
#[cfg(feature = "ssr")]
pub use server_side::{Call, InProcessApi};

/// A public page's data: the API's answer, or a message for the reader.
pub type Loaded<T> = Result<T, String>;

#[cfg(feature = "ssr")]
fn error_message(status: u16, body: &[u8]) -> String {
    serde_json::from_slice::<shared::ErrorBody>(body)
        .map(|b| b.error.message)
        .unwrap_or_else(|_| format!("HTTP {status}"))
}

/// `GET path` from the JSON API.
pub fn get<T: DeserializeOwned + 'static>(
    path: String,
) -> impl std::future::Future<Output = Loaded<T>> + Send + 'static {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        // The browser runs one thread; the wrapper only satisfies the bound.
        send_wrapper::SendWrapper::new(fetch(path))
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        fetch(path)
    }
}

async fn fetch<T: DeserializeOwned>(path: String) -> Loaded<T> {
    #[cfg(feature = "ssr")]
    {
        let Some(api) = leptos::prelude::use_context::<InProcessApi>() else {
            return Err("the API is not reachable from here".to_owned());
        };
        let (status, body) = (api.0)(path).await;
        if (200..300).contains(&status) {
            serde_json::from_slice(&body).map_err(|e| e.to_string())
        } else {
            // The page answers with the API's status: an unknown case is a
            // 404 page, a bad filter a 4xx, for people and crawlers alike.
            if let (Some(options), Ok(code)) = (
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
                http::StatusCode::from_u16(status),
            ) {
                options.set_status(code);
            }
            Err(error_message(status, &body))
        }
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        crate::browser::http::get_json::<T>(&path, &[])
            .await
            .map_err(|e| e.message())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = path;
        Err("no transport".to_owned())
    }
}

/// A query string from (name, value) pairs, leaving out empty values.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_leave_out_empty_values_and_encode_the_rest() {
        assert_eq!(
            query(&[("q", "噪声 处罚".into()), ("kind", String::new())]),
            "?q=%E5%99%AA%E5%A3%B0%20%E5%A4%84%E7%BD%9A"
        );
        assert_eq!(query(&[("a", String::new())]), "");
    }
}
