//! Answers are compressed with an effort that follows how many readers
//! they reach: an answer the micro-cache keeps is brotli for everyone who
//! takes it (the smallest, made once), one made for a single reader is
//! zstd for Chromium and Firefox and a fast brotli for the rest, and
//! nobody is ever handed an encoding they did not ask for.

use shanshui_tests::{TestApp, db_test};
use std::io::Read;

/// What Chromium and Firefox send, and what Safari sends.
const CHROMIUM: &str = "gzip, deflate, br, zstd";
const SAFARI: &str = "gzip, deflate, br";

struct Answer {
    encoding: Option<String>,
    cache: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    /// The body as sent, decoded.
    fn text(&self, path: &str) -> String {
        let plain = match self.encoding.as_deref() {
            Some("zstd") => zstd::decode_all(self.body.as_slice()).expect("a zstd frame"),
            Some("br") => {
                let mut plain = Vec::new();
                brotli_decompressor::Decompressor::new(self.body.as_slice(), 4096)
                    .read_to_end(&mut plain)
                    .expect("a brotli stream");
                plain
            }
            None => self.body.clone(),
            Some(other) => panic!("{path}: not expected here: {other}"),
        };
        let plain = String::from_utf8(plain).expect("text");
        assert!(
            plain.contains("<html") || plain.starts_with('[') || plain.starts_with('{'),
            "{path}: {}",
            &plain[..plain.len().min(200)]
        );
        plain
    }
}

/// A read of `path`; `one_reader` makes it one the cache neither answers
/// nor keeps (a conditional request, as a browser revisiting sends).
async fn fetch(app: &TestApp, path: &str, accept: &str, one_reader: bool) -> Answer {
    let mut request = app
        .client
        .get(app.url(path))
        .header("accept-encoding", accept);
    if one_reader {
        request = request.header("if-none-match", "\"an-old-copy\"");
    }
    let res = request.send().await.expect("answered");
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
    Answer {
        encoding,
        cache,
        body: res.bytes().await.unwrap().to_vec(),
    }
}

async fn a_kept_answer_is_brotli_for_every_browser_and_one_readers_is_their_own_choice(
    app: &TestApp,
) {
    for path in [
        "/",
        "/report",
        "/cases",
        "/open311/v2/services.json",
        "/open311/discovery.json",
    ] {
        // Kept: a Chromium reader's answer is the brotli copy, and a Safari
        // reader is handed the same copy. Read until the cache answers (a
        // background write may empty it meanwhile).
        let mut shared = false;
        for _ in 0..5 {
            let first = fetch(app, path, CHROMIUM, false).await;
            assert_eq!(first.encoding.as_deref(), Some("br"), "{path}: kept");
            first.text(path);
            let safari = fetch(app, path, SAFARI, false).await;
            assert_eq!(safari.encoding.as_deref(), Some("br"), "{path}: kept");
            safari.text(path);
            // The same bytes: for a page, which carries a fresh nonce each
            // time it is rendered, the very same copy.
            if safari.cache.as_deref() == Some("hit") && safari.body == first.body {
                shared = true;
                break;
            }
        }
        assert!(
            shared,
            "{path}: Chromium's and Safari's readers share one copy"
        );
        let kept = fetch(app, path, "br;q=1.0, zstd;q=0.5", false).await;
        assert_eq!(kept.encoding.as_deref(), Some("br"), "{path}");
        let kept = fetch(app, path, "br;q=0, gzip, zstd;q=0.1", false).await;
        assert_eq!(
            kept.encoding.as_deref(),
            Some("gzip"),
            "{path}: gzip preferred"
        );

        // One reader's: their own preference, zstd where it is one.
        let chromium = fetch(app, path, CHROMIUM, true).await;
        assert_eq!(
            chromium.encoding.as_deref(),
            Some("zstd"),
            "{path}: one reader"
        );
        assert_eq!(chromium.cache, None, "{path}: past the cache");
        let plain = chromium.text(path);
        let safari = fetch(app, path, SAFARI, true).await;
        assert_eq!(safari.encoding.as_deref(), Some("br"), "{path}: one reader");
        safari.text(path);
        let brotli = fetch(app, path, "br;q=1.0, zstd;q=0.5", true).await;
        assert_eq!(
            brotli.encoding.as_deref(),
            Some("br"),
            "{path}: brotli preferred"
        );
        let gzip = fetch(app, path, "br;q=0, gzip, zstd;q=0.1", true).await;
        assert_eq!(
            gzip.encoding.as_deref(),
            Some("gzip"),
            "{path}: gzip preferred"
        );

        // Nothing asked for, nothing done, kept or not.
        for one_reader in [false, true] {
            let identity = fetch(app, path, "identity", one_reader).await;
            assert_eq!(identity.encoding, None, "{path}");
            if !plain.contains("<html") {
                // (A page carries a fresh nonce each time it is rendered.)
                assert_eq!(
                    identity.text(path),
                    plain,
                    "{path}: the same answer, uncompressed"
                );
            }
        }
    }
}
db_test!(a_kept_answer_is_brotli_for_every_browser_and_one_readers_is_their_own_choice);
