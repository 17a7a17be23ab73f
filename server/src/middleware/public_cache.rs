//! A micro-cache for what the public reads: the open-information pages,
//! Open311, the exports, the feed and the public API. Thousands of readers
//! asking for the same first page of `/cases` share one rendering instead of
//! each costing a database query and a server-side render.
//!
//! An entry lives at most `ttl` (10 s) and dies at once when this process
//! takes any successful write (POST, PUT, PATCH, DELETE): a reviewer who
//! publishes a case sees it on the next load. Writes through another
//! replica reach this one within the TTL. Entries are kept per URL, host,
//! language and response encoding; only 200s without cookies are kept.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Paths whose answers are the same for every reader.
const PUBLIC_PREFIXES: [&str; 10] = [
    "/cases",
    "/stats",
    "/info",
    "/open311/",
    "/open-data/",
    "/feeds/",
    "/api/v1/public/",
    "/api/v1/stats",
    "/api/v1/info",
    "/api/v1/notices/",
];
const MAX_ENTRIES: usize = 2048;
const MAX_BODY: usize = 2 * 1024 * 1024;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Key {
    uri: String,
    host: String,
    lang: String,
    encoding: &'static str,
}

struct Entry {
    generation: u64,
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

pub struct PublicCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, Entry>>,
    ttl: Duration,
}

impl PublicCache {
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self { generation: AtomicU64::new(0), entries: Mutex::new(HashMap::new()), ttl })
    }

    fn get(&self, key: &Key) -> Option<(HeaderMap, Bytes)> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        (e.generation == generation && e.at.elapsed() < self.ttl).then(|| (e.headers.clone(), e.body.clone()))
    }

    fn put(&self, key: Key, generation: u64, headers: HeaderMap, body: Bytes) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                // Simple and bounded: a full cache starts again.
                entries.clear();
            }
            entries.insert(key, Entry { generation, at: Instant::now(), headers, body });
        }
    }

    /// Something changed: every entry is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

fn is_public(path: &str) -> bool {
    PUBLIC_PREFIXES.iter().any(|p| path == p.trim_end_matches('/') || path.starts_with(p))
}

fn key(request: &Request) -> Key {
    let headers = request.headers();
    let text = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let lang = app::lang::from_cookie_header(&text(header::COOKIE)).map(|l| format!("{l:?}")).unwrap_or_default();
    let accept = text(header::ACCEPT_ENCODING);
    // The same choice the compression layer makes.
    let encoding = if accept.contains("br") {
        "br"
    } else if accept.contains("gzip") {
        "gzip"
    } else {
        "identity"
    };
    Key { uri: request.uri().to_string(), host: text(header::HOST), lang, encoding }
}

pub async fn layer(State(cache): State<Arc<PublicCache>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method != Method::GET {
        let response = next.run(request).await;
        if method != Method::HEAD && method != Method::OPTIONS && response.status().as_u16() < 400 {
            cache.invalidate();
        }
        return response;
    }
    // Conditional requests go through: the handler answers 304 itself.
    if !is_public(request.uri().path()) || request.headers().contains_key(header::IF_NONE_MATCH) {
        return next.run(request).await;
    }
    let key = key(&request);
    if let Some((headers, body)) = cache.get(&key) {
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = headers;
        response.headers_mut().insert("x-cache", HeaderValue::from_static("hit"));
        return response;
    }
    let generation = cache.generation.load(Ordering::Acquire);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match read_small(body).await {
        Ok(Small::Whole(bytes)) => {
            cache.put(key, generation, parts.headers.clone(), bytes.clone());
            parts.headers.insert("x-cache", HeaderValue::from_static("miss"));
            Response::from_parts(parts, Body::from(bytes))
        }
        // A large export is answered as it comes, just not kept.
        Ok(Small::TooBig(body)) => Response::from_parts(parts, body),
        // The handler's body broke after its headers were sent to us: answer
        // an error rather than half a body.
        Err(_) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    }
}

enum Small {
    Whole(Bytes),
    /// What was read, then the rest of the original body.
    TooBig(Body),
}

/// Reads `body` whole when it is at most [`MAX_BODY`] bytes; past that,
/// stops and gives back a body that replays what was read and streams the
/// rest, so nothing is lost and nothing large is buffered.
async fn read_small(body: Body) -> Result<Small, axum::Error> {
    let mut stream = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut len = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        len += chunk.len();
        chunks.push(chunk);
        if len > MAX_BODY {
            let read = futures::stream::iter(chunks.into_iter().map(Ok::<_, axum::Error>));
            return Ok(Small::TooBig(Body::from_stream(read.chain(stream))));
        }
    }
    if chunks.len() == 1 {
        return Ok(Small::Whole(chunks.swap_remove(0)));
    }
    let mut whole = bytes::BytesMut::with_capacity(len);
    for chunk in chunks {
        whole.extend_from_slice(&chunk);
    }
    Ok(Small::Whole(whole.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_reading_is_cached() {
        for p in ["/cases", "/cases/BN-2345-6789", "/stats", "/info", "/info/notices/3", "/open311/v2/requests.json", "/open-data/cases.csv", "/feeds/cases.atom", "/api/v1/public/cases", "/api/v1/stats"] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/track", "/admin", "/api/v1/cases", "/api/v1/track/BN-2345-6789", "/api/v1/session", "/report"] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn a_write_makes_every_entry_stale() {
        let cache = PublicCache::new(Duration::from_secs(10));
        let k = Key { uri: "/cases".into(), host: "h".into(), lang: String::new(), encoding: "br" };
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"x"));
        assert!(cache.get(&k).is_some());
        cache.invalidate();
        assert!(cache.get(&k).is_none());
    }

    fn router(body: &'static [u8]) -> axum::Router {
        axum::Router::new()
            .route("/open-data/big", axum::routing::get(move || async move { body }))
            .layer(axum::middleware::from_fn_with_state(PublicCache::new(Duration::from_secs(10)), layer))
    }

    async fn fetch(router: axum::Router) -> (StatusCode, Option<HeaderValue>, Bytes) {
        use tower::ServiceExt;
        let request = Request::builder().uri("/open-data/big").body(Body::empty()).unwrap_or_default();
        let Ok(response) = router.oneshot(request).await;
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        (parts.status, parts.headers.get("x-cache").cloned(), bytes)
    }

    #[tokio::test]
    async fn an_answer_too_big_to_keep_still_reaches_the_reader_whole() {
        static BIG: [u8; MAX_BODY + 1000] = [b'x'; MAX_BODY + 1000];
        let (status, cache, body) = fetch(router(&BIG)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cache, None, "not kept, so not a miss either");
        assert_eq!(body.len(), BIG.len());
    }

    #[tokio::test]
    async fn a_small_answer_is_kept_and_served_again() {
        let app = router(b"small");
        let (_, first, body) = fetch(app.clone()).await;
        assert_eq!((first, &body[..]), (Some(HeaderValue::from_static("miss")), &b"small"[..]));
        let (_, second, body) = fetch(app).await;
        assert_eq!((second, &body[..]), (Some(HeaderValue::from_static("hit")), &b"small"[..]));
    }
}
