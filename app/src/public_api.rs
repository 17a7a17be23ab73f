//! Reading the JSON API from a page, the same way on both sides: on the
//! server the request goes straight into the API's router in the same
//! process (no socket, no second copy of the logic), so public pages arrive
//! rendered and read without JavaScript; in the browser it is a `fetch`.
//! Either way the answer is the API handler's, so the page and the API can
//! never disagree. On the server it comes as the handler's value itself
//! where the handler made one: written as JSON only to be parsed back, it
//! cost an uncached `/cases` about 7 % of its CPU.

use serde::de::DeserializeOwned;

#[cfg(feature = "ssr")]
mod server_side {
    use std::any::Any;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    /// A GET of `path?query` answered by the API in-process.
    pub type Call =
        Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

    /// Provided by the server for every page it renders.
    #[derive(Clone)]
    pub struct InProcessApi(pub Call);

    /// What the API answered.
    pub struct Answer {
        pub status: u16,
        pub body: Body,
    }

    pub enum Body {
        /// The bytes a client would have been sent (an error, or JSON the
        /// API holds already written).
        Bytes(Vec<u8>),
        /// The handler's value, not written out.
        Value(Value),
    }

    /// A handler's value, of the type its JSON would be read back into.
    pub struct Value {
        pub value: Box<dyn Any + Send>,
        /// The JSON a client would have been sent, for a page that reads
        /// the answer as another type than the handler's.
        pub to_json: fn(&(dyn Any + Send)) -> Vec<u8>,
    }

    impl Body {
        /// As `T`: the value itself when it is one, else parsed.
        pub fn read<T: serde::de::DeserializeOwned + 'static>(self) -> Result<T, String> {
            match self {
                Body::Value(Value { value, to_json }) => match value.downcast::<T>() {
                    Ok(v) => Ok(*v),
                    Err(other) => {
                        serde_json::from_slice(&to_json(&*other)).map_err(|e| e.to_string())
                    }
                },
                Body::Bytes(bytes) => serde_json::from_slice(&bytes).map_err(|e| e.to_string()),
            }
        }

        /// The JSON a client would have been sent.
        pub fn into_bytes(self) -> Vec<u8> {
            match self {
                Body::Value(Value { value, to_json }) => to_json(&*value),
                Body::Bytes(bytes) => bytes,
            }
        }
    }
}
#[cfg(feature = "ssr")]
pub use server_side::{Answer, Body, Call, InProcessApi, Value};

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

async fn fetch<T: DeserializeOwned + 'static>(path: String) -> Loaded<T> {
    #[cfg(feature = "ssr")]
    {
        answer(path).await?.read()
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

/// The API's answer to `GET path` on the server: its body when it succeeds.
#[cfg(feature = "ssr")]
async fn answer(path: String) -> Loaded<Body> {
    let Some(api) = leptos::prelude::use_context::<InProcessApi>() else {
        return Err("the API is not reachable from here".to_owned());
    };
    let Answer { status, body } = (api.0)(path).await;
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let body = body.into_bytes();
    // The page answers with the API's status: an unknown case is a 404
    // page, a bad filter a 4xx, for people and crawlers alike.
    if let (Some(options), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
    Err(error_message(status, &body))
}

/// `GET path` from the JSON API, for what many pages read alike and rarely
/// changes (the catalogue, the district's areas): on the server the answer
/// is parsed once and shared for as long as the API sends the same bytes,
/// so every page still reads the API (and sees a change at once) but does
/// not parse and copy the same document again. `T`'s own deserialisation
/// may do more work once (the map projects the areas' outlines).
pub fn get_shared<T>(
    path: String,
) -> impl std::future::Future<Output = Loaded<std::sync::Arc<T>>> + Send + 'static
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    {
        shared_parse::get(path)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let answer = get::<T>(path);
        async move { answer.await.map(std::sync::Arc::new) }
    }
}

#[cfg(feature = "ssr")]
mod shared_parse {
    use super::{Loaded, answer};
    use serde::de::DeserializeOwned;
    use std::any::{Any, TypeId};
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};

    /// The last answer read from a path as a type: its bytes and its parse.
    struct Parsed {
        body: Vec<u8>,
        value: Arc<dyn Any + Send + Sync>,
    }

    /// A handful of fixed paths are read this way; the bound only keeps a
    /// mistaken caller (a path with a query in it) from growing the map.
    const MAX_ENTRIES: usize = 32;

    static PARSED: LazyLock<Mutex<HashMap<(TypeId, String), Parsed>>> =
        LazyLock::new(Default::default);

    pub async fn get<T>(path: String) -> Loaded<Arc<T>>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        // What it reads is held written out by the API (`JsonBytes`): the
        // bytes tell whether it changed.
        let body = answer(path.clone()).await?.into_bytes();
        let key = (TypeId::of::<T>(), path);
        if let Some(hit) = lookup::<T>(&key, &body) {
            return Ok(hit);
        }
        let value = Arc::new(serde_json::from_slice::<T>(&body).map_err(|e| e.to_string())?);
        // A poisoned lock only loses the sharing, never the answer.
        if let Ok(mut parsed) = PARSED.lock() {
            if parsed.len() >= MAX_ENTRIES && !parsed.contains_key(&key) {
                parsed.clear();
            }
            let shared: Arc<dyn Any + Send + Sync> = value.clone();
            parsed.insert(
                key,
                Parsed {
                    body,
                    value: shared,
                },
            );
        }
        Ok(value)
    }

    fn lookup<T: Send + Sync + 'static>(key: &(TypeId, String), body: &[u8]) -> Option<Arc<T>> {
        let parsed = PARSED.lock().ok()?;
        let hit = parsed.get(key).filter(|p| p.body == body)?;
        hit.value.clone().downcast::<T>().ok()
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
