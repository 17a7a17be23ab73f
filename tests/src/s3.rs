//! The S3-compatible servers the photo-store tests run against: moto
//! (`moto[server]` from PyPI), which `cargo xtask test` starts on loopback
//! ports and names in two variables:
//!
//! - `TEST_S3_ENDPOINT`: a server that takes any credentials, where each
//!   test makes a bucket of its own;
//! - `TEST_S3_STRICT_ENDPOINT`: one that checks them and knows no key, so
//!   every request is refused as a real store refuses a wrong key.
//!
//! Without them the tests skip with a note, as the PostgreSQL half does
//! without `TEST_DATABASE_URL`; under `CI` a missing server fails instead.

use server::storage::{S3Settings, StoreLocation};

fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
        Some(url) => Some(url),
        None if crate::ci() => {
            panic!("CI is set but {var} is not: cargo xtask test starts the S3 test server")
        }
        None => {
            eprintln!("skipped: {var} is not set (cargo xtask test starts an S3 test server)");
            None
        }
    }
}

/// The settings that reach `endpoint` with `key_id` as the access key.
fn settings(endpoint: &str, bucket: &str, key_id: &str) -> S3Settings {
    S3Settings {
        url: format!("s3://{bucket}/banan/photos"),
        options: [
            ("aws_endpoint_url", endpoint),
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", key_id),
            ("aws_secret_access_key", "not-a-secret"),
            ("aws_allow_http", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    }
}

/// A new, empty bucket on the permissive server; None (skip) without one.
pub async fn fresh_bucket() -> Option<S3Settings> {
    let endpoint = endpoint("TEST_S3_ENDPOINT")?;
    let bucket = format!("shanshui-{}", uuid::Uuid::new_v4().simple());
    let res = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(res.status().is_success(), "creating {bucket}: {res:?}");
    Some(settings(&endpoint, &bucket, "shanshui-tests"))
}

/// A bucket that does not exist, on the permissive server.
pub fn missing_bucket() -> Option<S3Settings> {
    let endpoint = endpoint("TEST_S3_ENDPOINT")?;
    Some(settings(
        &endpoint,
        "shanshui-no-such-bucket",
        "shanshui-tests",
    ))
}

/// Settings whose access key the strict server does not know.
pub fn wrong_credentials() -> Option<S3Settings> {
    let endpoint = endpoint("TEST_S3_STRICT_ENDPOINT")?;
    Some(settings(&endpoint, "shanshui-photos", "AKIAWRONGKEY000000"))
}

/// Settings pointing at a loopback port nothing listens on.
pub fn unreachable() -> S3Settings {
    settings("http://127.0.0.1:9", "shanshui-photos", "shanshui-tests")
}

/// The store location for `settings`.
pub fn location(settings: S3Settings) -> StoreLocation {
    StoreLocation::S3(settings)
}
