//! A micro-cache for what the public reads: the home page, the
//! open-information pages, Open311, the exports, the feed and the public
//! API. Thousands of readers asking for the same first page of `/cases`
//! share one rendering instead of each costing a database query and a
//! server-side render.
//!
//! What may be cached is an explicit allow-list of public routes
//! ([`PUBLIC_ROUTES`]), matched segment by segment: anything not on it —
//! a staff route that happens to share a prefix, such as
//! `/api/v1/notices` with its drafts — is never kept. A request that
//! carries a session cookie (or any cookie but the language's) or an
//! `Authorization` header is neither served from the cache nor stored in
//! it: what a signed-in reader sees may differ from what the public sees.
//!
//! An entry is fresh for `ttl` (10 s) and dies at once when a write that
//! changed what the public reads succeeds on this process: a signed-in
//! staff member's (the session extractor marks the request), a new report
//! or a reporter's action (their handlers mark it; see [`PublicChange`]).
//! A reviewer who publishes a case sees it on the next load, and a resident
//! sees their report on `/cases`. Any other request — a sign-out without a
//! session, a refused or forged write — leaves the cache alone, so that
//! nobody can empty it at will with requests that change nothing; the
//! writes that do are rate-limited and recorded. Writes through another
//! replica reach this one within the TTL (twice the TTL at most, below).
//! Entries are kept per URL, host, language and response encoding (brotli
//! for every reader who takes it, see `compression`); only 200s that set
//! no cookie are kept.
//!
//! When an entry expires, the first reader renders it again while the
//! others keep getting the expired copy (`X-Cache: stale`) for up to
//! another TTL, instead of all of them missing at once and queueing on the
//! database (which put the cached p99 at 100–190 ms at 1,000,000 cases).
//! An expired copy is only ever served when nothing was written here since
//! it was made, so it is exactly as true as a fresh one but for other
//! replicas' writes.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The routes whose answers are the same for every reader, segment by
/// segment; `*` stands for one non-empty segment. Nothing else is cached.
const PUBLIC_ROUTES: [&str; 21] = [
    // The home page and the open-information pages: rendered on the server
    // alone, the same for every reader of a language.
    "/",
    // The report form as sent: the same empty form for every reader of a
    // language (what a resident writes goes to the API, never into it), and
    // what a poster's QR code brings a crowd to at once.
    "/report",
    "/cases",
    "/cases/*",
    "/stats",
    "/info",
    "/info/notices/*",
    "/info/enterprises/*",
    // Open311 GeoReport v2: discovery, services, a service, requests, a request.
    "/open311/*",
    "/open311/v2/*",
    "/open311/v2/services/*",
    "/open311/v2/requests/*",
    // Open data and the feed.
    "/open-data/cases.geojson",
    "/open-data/cases.csv",
    "/feeds/cases.atom",
    // The public JSON API (not `/api/v1/notices` itself: that lists drafts).
    "/api/v1/public/cases",
    "/api/v1/public/cases/*",
    "/api/v1/stats",
    "/api/v1/info",
    "/api/v1/notices/*",
    "/api/v1/enterprises/*",
];

/// Whether a write may have changed what the public reads. The cache layer
/// puts one in each write's extensions; the session extractor marks it for
/// a signed-in staff member, and the handlers of anonymous writes that
/// change a case mark it themselves. Only a marked, successful write
/// empties the cache.
#[derive(Clone, Default)]
pub struct PublicChange(Arc<AtomicBool>);

impl PublicChange {
    pub fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Marks the request whose extensions these are, if the cache layer
    /// saw it (pages read the API in-process, outside the layer).
    pub fn mark_request(extensions: &axum::http::Extensions) {
        if let Some(change) = extensions.get::<PublicChange>() {
            change.mark();
        }
    }

    fn is_marked(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// For a handler that marks its change once it has succeeded.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PublicChange {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<PublicChange>()
            .cloned()
            .unwrap_or_default())
    }
}
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
    /// When a reader set out to render this entry again, if one has.
    refreshing_since: Option<Instant>,
    headers: HeaderMap,
    body: Bytes,
}

/// What the cache has for a reader.
enum Lookup {
    Fresh(HeaderMap, Bytes),
    /// Expired, and another reader is rendering it again.
    Stale(HeaderMap, Bytes),
    /// Render it (and keep or abandon what comes back).
    Render,
}

pub struct PublicCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, Entry>>,
    ttl: Duration,
    /// Where this replica tells the others that it changed something
    /// (`crate::cache_bus`, on PostgreSQL); unset on one machine.
    others: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<()>>,
}

impl PublicCache {
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
            ttl,
            others: std::sync::OnceLock::new(),
        })
    }

    /// From now on every change made here is also announced on `others`.
    pub fn announce_to(&self, others: tokio::sync::mpsc::UnboundedSender<()>) {
        let _ = self.others.set(others);
    }

    /// A write here changed what the public reads: this replica's entries
    /// are stale, and the other replicas are told theirs are.
    pub fn changed(&self) {
        self.invalidate();
        if let Some(others) = self.others.get() {
            let _ = others.send(());
        }
    }

    fn lookup(&self, key: &Key) -> Lookup {
        let generation = self.generation.load(Ordering::Acquire);
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Render;
        };
        let Some(e) = entries.get_mut(key).filter(|e| e.generation == generation) else {
            return Lookup::Render;
        };
        let age = e.at.elapsed();
        if age < self.ttl {
            return Lookup::Fresh(e.headers.clone(), e.body.clone());
        }
        // A renderer that has not come back within a TTL has failed or
        // hangs: the next reader takes over.
        let being_rendered = e.refreshing_since.is_some_and(|t| t.elapsed() < self.ttl);
        if being_rendered && age < 2 * self.ttl {
            return Lookup::Stale(e.headers.clone(), e.body.clone());
        }
        e.refreshing_since = Some(Instant::now());
        Lookup::Render
    }

    fn put(&self, key: Key, generation: u64, headers: HeaderMap, body: Bytes) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                // Simple and bounded: a full cache starts again.
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    generation,
                    at: Instant::now(),
                    refreshing_since: None,
                    headers,
                    body,
                },
            );
        }
    }

    /// The new rendering cannot be kept (an error page, a cookie, too big):
    /// the old copy goes too, so nobody is served it in the renderer's place.
    fn abandon(&self, key: &Key) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    /// How long an entry is fresh: what else is kept in its place
    /// (`stats::held`) is kept no longer.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Moves with every change to what the public reads, here or (through
    /// `cache_bus`) on another replica: what else is kept for as long as
    /// nothing changed (`directory::held`) compares it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Something changed: every entry is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

fn is_public(path: &str) -> bool {
    PUBLIC_ROUTES.iter().any(|route| {
        let mut want = route.split('/');
        let mut have = path.split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some("*"), Some(seg)) if !seg.is_empty() => {}
                (Some(w), Some(seg)) if w == seg => {}
                _ => return false,
            }
        }
    })
}

/// Whether the request may be answered for someone other than the public:
/// a session (or any cookie but the language's) or credentials.
fn is_personal(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::AUTHORIZATION) {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| {
            v.to_str()
                .map(|s| s.split(';').collect::<Vec<_>>())
                .unwrap_or_else(|_| vec!["?"])
        })
        .filter(|pair| !pair.trim().is_empty())
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_none_or(|(name, _)| name != app::lang::COOKIE)
        })
}

fn key(request: &Request) -> Key {
    let headers = request.headers();
    let text = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let lang = app::lang::from_cookie_header(&text(header::COOKIE))
        .map(|l| format!("{l:?}"))
        .unwrap_or_default();
    // The encoding the compression layers make a kept answer in.
    let encoding = super::compression::kept(headers).as_str();
    Key {
        uri: request.uri().to_string(),
        host: text(header::HOST),
        lang,
        encoding,
    }
}

pub async fn layer(
    State(cache): State<Arc<PublicCache>>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    if method != Method::GET {
        let change = PublicChange::default();
        request.extensions_mut().insert(change.clone());
        let response = next.run(request).await;
        let write = method != Method::HEAD && method != Method::OPTIONS;
        if write && change.is_marked() && response.status().as_u16() < 400 {
            cache.changed();
        }
        return response;
    }
    // Conditional requests go through: the handler answers 304 itself.
    if !is_public(request.uri().path())
        || is_personal(request.headers())
        || request.headers().contains_key(header::IF_NONE_MATCH)
    {
        return next.run(request).await;
    }
    let key = key(&request);
    let (headers, body, label) = match cache.lookup(&key) {
        Lookup::Fresh(headers, body) => (headers, body, "hit"),
        Lookup::Stale(headers, body) => (headers, body, "stale"),
        Lookup::Render => return render(&cache, key, request, next).await,
    };
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
        .headers_mut()
        .insert("x-cache", HeaderValue::from_static(label));
    response
}

/// Runs the handler and keeps its answer when it can be kept.
async fn render(cache: &PublicCache, key: Key, mut request: Request, next: Next) -> Response {
    let generation = cache.generation.load(Ordering::Acquire);
    // Made once for every reader of the page: compressed harder.
    request.extensions_mut().insert(super::compression::Kept);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        cache.abandon(&key);
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match read_small(body).await {
        Ok(Small::Whole(bytes)) => {
            cache.put(key, generation, parts.headers.clone(), bytes.clone());
            parts
                .headers
                .insert("x-cache", HeaderValue::from_static("miss"));
            Response::from_parts(parts, Body::from(bytes))
        }
        // A large export is answered as it comes, just not kept.
        Ok(Small::TooBig(body)) => {
            cache.abandon(&key);
            Response::from_parts(parts, body)
        }
        // The handler's body broke after its headers were sent to us: answer
        // an error rather than half a body.
        Err(_) => {
            cache.abandon(&key);
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
        for p in [
            "/",
            "/report",
            "/cases",
            "/cases/BN-2345-6789",
            "/stats",
            "/info",
            "/info/notices/3",
            "/open311/v2/requests.json",
            "/open311/discovery.xml",
            "/open311/v2/services/noise.json",
            "/open-data/cases.csv",
            "/feeds/cases.atom",
            "/api/v1/public/cases",
            "/api/v1/public/cases/BN-2345-6789",
            "/api/v1/stats",
            "/api/v1/notices/3",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "//",
            "/track",
            "/admin",
            "/admin/cases/BN-2345-6789",
            "/api/v1/cases",
            "/api/v1/track/BN-2345-6789",
            "/api/v1/session",
            "/reports",
            "/report/x",
            // Staff routes that share a public route's prefix.
            "/api/v1/notices",
            "/api/v1/notices/",
            "/api/v1/statsx",
            "/api/v1/stats/private",
            "/api/v1/public",
            "/api/v1/info/x",
            "/cases/",
            "/cases/a/b",
            "/casesx",
            "/stats/",
            "/info/notices",
            "/open-data/x.csv",
            "/open311/v2/tokens/abc.json",
            "/feeds/cases.atom/x",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn a_request_with_a_session_or_credentials_is_personal() {
        let with = |name: header::HeaderName, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x")),
            );
            h
        };
        assert!(!is_personal(&HeaderMap::new()));
        assert!(!is_personal(&with(header::COOKIE, "lang=en")));
        assert!(is_personal(&with(header::COOKIE, "shanshui_session=abc")));
        assert!(is_personal(&with(
            header::COOKIE,
            "lang=en; shanshui_session=abc"
        )));
        assert!(is_personal(&with(header::COOKIE, "anything=else")));
        assert!(is_personal(&with(header::COOKIE, "garbage")));
        assert!(is_personal(&with(header::AUTHORIZATION, "Bearer x")));
    }

    /// Long enough that a loaded machine does not push a lookup meant for
    /// the stale window (one TTL) past it.
    const TTL: Duration = Duration::from_millis(200);

    fn cases_key() -> Key {
        Key {
            uri: "/cases".into(),
            host: "h".into(),
            lang: String::new(),
            encoding: "br",
        }
    }

    fn label(lookup: &Lookup) -> &'static str {
        match lookup {
            Lookup::Fresh(..) => "fresh",
            Lookup::Stale(..) => "stale",
            Lookup::Render => "render",
        }
    }

    #[test]
    fn a_write_makes_every_entry_unusable_even_as_a_stale_copy() {
        let cache = PublicCache::new(TTL);
        let k = cases_key();
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"x"));
        assert_eq!(label(&cache.lookup(&k)), "fresh");
        cache.invalidate();
        assert_eq!(label(&cache.lookup(&k)), "render");
        assert_eq!(
            label(&cache.lookup(&k)),
            "render",
            "no copy from before the write, not even stale"
        );
    }

    #[test]
    fn when_an_entry_expires_one_reader_renders_and_the_others_get_the_old_copy() {
        let cache = PublicCache::new(TTL);
        let k = cases_key();
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"old"));
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert_eq!(
            label(&cache.lookup(&k)),
            "render",
            "the first reader after expiry"
        );
        for _ in 0..5 {
            assert_eq!(label(&cache.lookup(&k)), "stale");
        }
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"new"));
        assert!(matches!(cache.lookup(&k), Lookup::Fresh(_, body) if &body[..] == b"new"));
    }

    #[test]
    fn a_renderer_that_never_comes_back_is_replaced_and_a_failed_one_leaves_no_copy() {
        let cache = PublicCache::new(TTL);
        let k = cases_key();
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"old"));
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert_eq!(label(&cache.lookup(&k)), "render");
        // Past twice the TTL the old copy is too old to serve, and the
        // renderer has had its TTL: the next reader renders.
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert_eq!(label(&cache.lookup(&k)), "render");

        // A renderer that got an error page abandons the key: the readers
        // waiting on it render for themselves rather than get the old copy.
        cache.put(k.clone(), 0, HeaderMap::new(), Bytes::from_static(b"old"));
        std::thread::sleep(TTL + Duration::from_millis(50));
        assert_eq!(label(&cache.lookup(&k)), "render");
        assert_eq!(label(&cache.lookup(&k)), "stale");
        cache.abandon(&k);
        assert_eq!(label(&cache.lookup(&k)), "render");
        assert_eq!(
            label(&cache.lookup(&k)),
            "render",
            "nothing left to serve stale"
        );
    }

    fn router(body: &'static [u8]) -> axum::Router {
        axum::Router::new()
            .route(
                "/open-data/cases.csv",
                axum::routing::get(move || async move { body }),
            )
            .layer(axum::middleware::from_fn_with_state(
                PublicCache::new(Duration::from_secs(10)),
                layer,
            ))
    }

    async fn fetch(router: axum::Router) -> (StatusCode, Option<HeaderValue>, Bytes) {
        use tower::ServiceExt;
        let request = Request::builder()
            .uri("/open-data/cases.csv")
            .body(Body::empty())
            .unwrap_or_default();
        let Ok(response) = router.oneshot(request).await;
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
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
        assert_eq!(
            (first, &body[..]),
            (Some(HeaderValue::from_static("miss")), &b"small"[..])
        );
        let (_, second, body) = fetch(app).await;
        assert_eq!(
            (second, &body[..]),
            (Some(HeaderValue::from_static("hit")), &b"small"[..])
        );
    }
}
