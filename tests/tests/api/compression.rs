//! Answers are compressed in the encoding the client prefers: zstd for
//! Chromium and Firefox (cheap to make), brotli for the rest (the smallest),
//! and the micro-cache keeps each encoding apart.

use shanshui_tests::{TestApp, db_test};

/// What Chromium and Firefox send, and what Safari sends.
const CHROMIUM: &str = "gzip, deflate, br, zstd";
const SAFARI: &str = "gzip, deflate, br";

async fn fetch(
    app: &TestApp,
    path: &str,
    accept: &str,
) -> (Option<String>, Option<String>, Vec<u8>) {
    let res = app
        .client
        .get(app.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200, "{path} ({accept})");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (encoding, cache) = (header("content-encoding"), header("x-cache"));
    let vary = header("vary").unwrap_or_default().to_ascii_lowercase();
    assert!(
        vary.contains("accept-encoding"),
        "{path} ({accept}): vary {vary:?}"
    );
    (encoding, cache, res.bytes().await.unwrap().to_vec())
}

async fn each_client_gets_its_preferred_encoding_and_the_cache_keeps_them_apart(app: &TestApp) {
    for path in [
        "/cases",
        "/open311/v2/services.json",
        "/open311/discovery.json",
    ] {
        // A Chromium reader first: its zstd answer is what the cache keeps.
        let (encoding, _, body) = fetch(app, path, CHROMIUM).await;
        assert_eq!(encoding.as_deref(), Some("zstd"), "{path}");
        let plain = zstd::decode_all(body.as_slice()).expect("a zstd frame");
        let plain = String::from_utf8(plain).expect("text");
        assert!(
            plain.contains("<html") || plain.starts_with('[') || plain.starts_with('{'),
            "{path}: {}",
            &plain[..plain.len().min(200)]
        );
        // Read again until the cache answers (a background write may have
        // emptied it meanwhile).
        let mut hit = false;
        for _ in 0..5 {
            let (encoding, cache, again) = fetch(app, path, CHROMIUM).await;
            assert_eq!(encoding.as_deref(), Some("zstd"), "{path}");
            assert!(zstd::decode_all(again.as_slice()).is_ok(), "{path}");
            if cache.as_deref() == Some("hit") {
                hit = true;
                break;
            }
        }
        assert!(hit, "{path}: the cache kept the zstd answer");

        // A reader without zstd is never handed the zstd copy.
        let (encoding, _, _) = fetch(app, path, SAFARI).await;
        assert_eq!(encoding.as_deref(), Some("br"), "{path}");
        let (encoding, _, _) = fetch(app, path, "br;q=1.0, zstd;q=0.5").await;
        assert_eq!(encoding.as_deref(), Some("br"), "{path}: brotli preferred");
        let (encoding, _, _) = fetch(app, path, "br;q=0, gzip, zstd;q=0.1").await;
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path}: gzip preferred");
        let (encoding, _, body) = fetch(app, path, "identity").await;
        assert_eq!(encoding, None, "{path}");
        if !plain.contains("<html") {
            // (A page carries a fresh nonce each time it is rendered.)
            assert_eq!(
                body,
                plain.as_bytes(),
                "{path}: the same answer, uncompressed"
            );
        }
    }
}
db_test!(each_client_gets_its_preferred_encoding_and_the_cache_keeps_them_apart);
